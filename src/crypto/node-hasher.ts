/**
 * The RFC 9162 hasher over node:crypto's SHA-256: same bytes as the core's browser-safe one, several
 * times faster. Used by the server, the sealer, the CLI and audit; never by src/core or src/web.
 * Node hashes use node:crypto's one-shot `hash()` over one reused 65-byte input (0x01 ‖ left ‖ right),
 * with no streaming context per call: interior nodes are most of the hashing in a tree.
 */
import { createHash, hash as oneShot, randomFillSync } from "node:crypto";
// The hasher module, not the core's index (which loads the event schemas): audit's worker threads load this.
import { createHasher, Hasher, HASH_LENGTH, LEAF_PREFIX, NODE_PREFIX, Sha256 } from "../core/merkle/hasher";

/** node:crypto SHA-256 over the concatenation of parts. */
export const sha256Node: Sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** One-shot SHA-256 of one buffer (no streaming context). */
export const sha256OneShot = (data: Uint8Array): Buffer => oneShot("sha256", data, "buffer") as unknown as Buffer;
const sha256 = sha256OneShot;
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_LENGTH, NODE_PREFIX);
const generic = createHasher(sha256Node);

/** RFC 9162 hasher backed by node:crypto. */
export const nodeHasher: Hasher = {
  emptyRoot: () => sha256(new Uint8Array(0)),
  hashLeaf(data) {
    const input = Buffer.allocUnsafe(data.length + 1);
    input[0] = LEAF_PREFIX;
    input.set(data, 1);
    return sha256(input);
  },
  hashChildren(left, right) {
    // The core checks lengths before hashing; anything else takes the general path.
    if (left.length !== HASH_LENGTH || right.length !== HASH_LENGTH) return generic.hashChildren(left, right);
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 1 + HASH_LENGTH);
    return sha256(NODE_INPUT);
  },
  hashLeafText: (text) => leafHashOfText(text),
  hashChildrenAt(level, offset) {
    NODE_INPUT.set(level.subarray(offset, offset + 2 * HASH_LENGTH), 1);
    return sha256(NODE_INPUT);
  },
};

/** H(0x00 ‖ UTF-8 of `text`): the leaf hash of a stored canonical record, without an extra copy. */
export function leafHashOfText(text: string): Buffer {
  return oneShot("sha256", "\0" + text, "buffer") as unknown as Buffer;
}

// Salts are drawn from a pool filled 256 salts at a time: one CSPRNG call per 256 records instead of
// one each (that call was ~2% of ingestion). Every salt is a fresh copy; no byte is handed out twice.
const SALT_POOL = Buffer.alloc(32 * 256);
let saltAt = SALT_POOL.length;

/** 32 bytes from the operating system's CSPRNG (record salts). */
export function randomSalt(): Uint8Array {
  if (saltAt === SALT_POOL.length) {
    randomFillSync(SALT_POOL);
    saltAt = 0;
  }
  saltAt += 32;
  return Uint8Array.prototype.slice.call(SALT_POOL, saltAt - 32, saltAt);
}
