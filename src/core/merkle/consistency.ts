/**
 * RFC 9162 §2.1.4 consistency proofs: verification with the edge-case policy of transparency-dev/merkle
 * (the one ../shared/vectors/consistency.json encodes): size1 = 0 is always an error; size1 = size2
 * needs an empty proof and equal roots; size1 > size2 is an error.
 */
import { ProofError } from "../errors";
import { bytesEqual, toHex } from "../hex";
import { HASH_LENGTH, Hasher } from "./hasher";

function fail(message: string, info: Record<string, unknown> = {}): never {
  throw new ProofError("PROOF_CONSISTENCY_INVALID", message, info);
}

/**
 * Verifies that the tree of `size2` leaves with `root2` extends the tree of `size1` leaves with
 * `root1` (RFC 9162 §2.1.4.2).
 * @throws ProofError PROOF_CONSISTENCY_INVALID, PROOF_BAD_HASH_LENGTH
 */
export function verifyConsistency(
  hasher: Hasher,
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < 0) {
    fail(`sizes ${size1}, ${size2}: want non-negative integers`);
  }
  if (size2 < size1) fail(`size2 ${size2} < size1 ${size1}`, { size1, size2 });
  if (size1 === 0) fail("size1 is 0: an empty tree has no consistency proof");
  if (size1 === size2) {
    if (proof.length > 0) fail(`proof has ${proof.length} hashes: want 0 for equal sizes`);
    if (!bytesEqual(root1, root2)) fail("roots differ for equal sizes");
    return;
  }
  if (proof.length === 0) fail("empty proof for size1 < size2");
  for (const [k, h] of [root1, root2, ...proof].entries()) {
    if (h.length !== HASH_LENGTH) {
      throw new ProofError("PROOF_BAD_HASH_LENGTH", `hash ${k} is ${h.length} bytes: want ${HASH_LENGTH}`);
    }
  }
  // RFC 9162 §2.1.4.2: if first is an exact power of 2, prepend first_hash to the proof.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) fail("proof too long", { size1, size2 });
    if (fn % 2 === 1 || fn === sn) {
      fr = hasher.hashChildren(c, fr);
      sr = hasher.hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hasher.hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("proof too short", { size1, size2 });
  if (!bytesEqual(fr, root1)) fail(`root1 mismatch: got ${toHex(fr)}, want ${toHex(root1)}`);
  if (!bytesEqual(sr, root2)) fail(`root2 mismatch: got ${toHex(sr)}, want ${toHex(root2)}`);
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
