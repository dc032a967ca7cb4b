/**
 * RFC 9162 inclusion proofs (audit paths): computing a root from a proof, verifying it, and producing
 * a proof from the stored levels of a tree. Verification splits compute from compare and checks
 * index, size, hash lengths and proof length before any hashing (RFC 9162 §2.1.3.2; same shape as
 * transparency-dev/merkle proof/verify.go).
 *
 * Indices and sizes are JavaScript numbers checked to be safe integers; no 32-bit bit operations are
 * used, so trees up to 2^53 leaves are handled exactly.
 */
import { ProofError } from "../errors";
import { bytesEqual, toHex } from "../hex";
import { HASH_LENGTH, Hasher } from "./hasher";

function assertIndexAndSize(index: number, size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new ProofError("PROOF_INDEX_OUT_OF_RANGE", `tree size ${size}: want a positive integer`, { size });
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new ProofError("PROOF_INDEX_OUT_OF_RANGE", `leaf index ${index} out of range: want 0 <= index < ${size}`, {
      index,
      size,
    });
  }
}

function assertHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH) {
    throw new ProofError("PROOF_BAD_HASH_LENGTH", `${what} is ${h?.length ?? 0} bytes: want ${HASH_LENGTH}`, {
      what,
      length: h?.length,
    });
  }
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function popCount(x: bigint): number {
  let n = 0;
  for (const c of x.toString(2)) if (c === "1") n++;
  return n;
}

/**
 * The number of hashes an audit path for (index, size) has: the inner part where the paths to index
 * and to size-1 differ, plus the right border (transparency-dev/merkle `decompInclProof`).
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE
 */
export function inclusionProofLength(index: number, size: number): number {
  assertIndexAndSize(index, size);
  const i = BigInt(index);
  const inner = bitLength(i ^ BigInt(size - 1));
  return inner + popCount(i >> BigInt(inner));
}

/**
 * Computes the root that an audit path implies for a leaf hash (RFC 9162 §2.1.3.2 steps 1–4).
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE, PROOF_BAD_HASH_LENGTH, PROOF_WRONG_LENGTH
 */
export function rootFromInclusionProof(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertIndexAndSize(index, size);
  assertHash(leafHash, "leaf hash");
  proof.forEach((p, k) => assertHash(p, `audit path element ${k}`));
  const want = inclusionProofLength(index, size);
  if (proof.length !== want) {
    throw new ProofError(
      "PROOF_WRONG_LENGTH",
      `audit path has ${proof.length} hashes: want ${want} for index ${index} of size ${size}`,
      {
        got: proof.length,
        want,
        index,
        size,
      },
    );
  }
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (fn % 2 === 1 || fn === sn) {
      r = hasher.hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hasher.hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // With the length pre-check above sn is always 0 here; kept as the RFC's own final check.
  if (sn !== 0) {
    throw new ProofError("PROOF_WRONG_LENGTH", "audit path too short for tree size", { index, size });
  }
  return r;
}

/**
 * Verifies that `leafHash` is at `index` of the tree of `size` leaves with root `root`.
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE, PROOF_BAD_HASH_LENGTH, PROOF_WRONG_LENGTH, PROOF_ROOT_MISMATCH
 */
export function verifyInclusion(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertHash(root, "root");
  const got = rootFromInclusionProof(hasher, index, size, leafHash, proof);
  if (!bytesEqual(got, root)) {
    throw new ProofError("PROOF_ROOT_MISMATCH", `root mismatch: got ${toHex(got)}, want ${toHex(root)}`, {
      got: toHex(got),
      want: toHex(root),
    });
  }
}

/** Reads node `i` of level `level` of a stored tree (level 0 = leaf hashes). */
export type NodeReader = (level: number, i: number) => Uint8Array;

/** Sizes of each level of the bottom-up RFC 9162 tree over `size` leaves, leaves first, root last. */
export function levelSizes(size: number): number[] {
  const sizes = [size];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.ceil(sizes[sizes.length - 1] / 2));
  return sizes;
}

/**
 * The audit path for `index` in a tree stored level by level, bottom-up, where the last node of an
 * odd-sized level is carried up unchanged. That layout gives exactly the RFC 9162 tree (the left
 * subtree of every split is the largest power of two), so the path is the existing sibling at each
 * level, leaf first: O(log n) reads.
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE
 */
export function inclusionProofFromLevels(size: number, index: number, read: NodeReader): Uint8Array[] {
  assertIndexAndSize(index, size);
  const sizes = levelSizes(size);
  const path: Uint8Array[] = [];
  let i = index;
  for (let level = 0; level < sizes.length - 1; level++) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < sizes[level]) path.push(read(level, sibling));
    i = Math.floor(i / 2);
  }
  return path;
}
