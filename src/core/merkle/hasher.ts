/**
 * The RFC 9162 §2.1.1 tree hasher: leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right), the empty
 * tree hashes to H(""). The prefixes give leaves and nodes disjoint preimages (second-preimage
 * protection, RFC 9162 §2.1.1), so a leaf hash can never be passed off as a node hash.
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha256";

/** Leaf prefix of RFC 9162 §2.1.1. */
export const LEAF_PREFIX = 0x00;
/** Interior node prefix of RFC 9162 §2.1.1. */
export const NODE_PREFIX = 0x01;
/** Length in bytes of every hash in this ledger. */
export const HASH_LENGTH = 32;

/** SHA-256 over the concatenation of `parts`. */
export type Sha256 = (...parts: Uint8Array[]) => Uint8Array;

/** The three functions of an RFC 9162 tree hasher. */
export interface Hasher {
  /** MTH({}) = H(""). */
  emptyRoot(): Uint8Array;
  /** H(0x00 ‖ data). */
  hashLeaf(data: Uint8Array): Uint8Array;
  /** H(0x01 ‖ left ‖ right). */
  hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array;
  /** H(0x00 ‖ UTF-8 of text), same bytes as hashLeaf(utf8(text)): for a hasher that hashes a string without encoding it first. */
  hashLeafText?(text: string): Uint8Array;
  /**
   * Optional: H(0x01 ‖ level[offset, offset + 64)), the two adjacent hashes at `offset` of a level
   * held back to back; lets a fast hasher skip two views per node. Same bytes as `hashChildren`.
   */
  hashChildrenAt?(level: Uint8Array, offset: number): Uint8Array;
}

const LEAF = Uint8Array.of(LEAF_PREFIX);
const NODE = Uint8Array.of(NODE_PREFIX);

/** Browser-safe SHA-256 from @noble/hashes. */
export const sha256Noble: Sha256 = (...parts) => {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * Builds an RFC 9162 hasher over a SHA-256 implementation. The core uses the browser-safe one;
 * Node adapters pass node:crypto's for speed. Both give the same bytes.
 */
export function createHasher(sha256: Sha256 = sha256Noble): Hasher {
  return {
    emptyRoot: () => sha256(),
    hashLeaf: (data) => sha256(LEAF, data),
    hashChildren: (left, right) => sha256(NODE, left, right),
  };
}

/** The default (browser-safe) RFC 9162 SHA-256 hasher. */
export const rfc9162: Hasher = createHasher();
