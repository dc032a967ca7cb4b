/**
 * A spec-literal transcription of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF /
 * SUBPROOF). Deliberately recursive and slow: tests use it as the oracle that the fast code and
 * merkletreejs are compared with.
 */
import { Hasher } from "./hasher";

/** Largest power of two strictly smaller than n (n > 1). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes (the leaves already hashed with 0x00). */
export function referenceRoot(hasher: Hasher, leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return hasher.emptyRoot();
  if (n === 1) return leafHashes[0];
  const k = largestPowerOfTwoBelow(n);
  return hasher.hashChildren(referenceRoot(hasher, leafHashes.slice(0, k)), referenceRoot(hasher, leafHashes.slice(k)));
}

/** PATH(m, D[n]) over leaf hashes. */
export function referencePath(hasher: Hasher, m: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  const n = leafHashes.length;
  if (n <= 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (m < k) return [...referencePath(hasher, m, leafHashes.slice(0, k)), referenceRoot(hasher, leafHashes.slice(k))];
  return [...referencePath(hasher, m - k, leafHashes.slice(k)), referenceRoot(hasher, leafHashes.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) over leaf hashes. */
export function referenceConsistency(hasher: Hasher, m: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  return subproof(hasher, m, leafHashes, true);
}

function subproof(hasher: Hasher, m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [referenceRoot(hasher, d)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...subproof(hasher, m, d.slice(0, k), b), referenceRoot(hasher, d.slice(k))];
  return [...subproof(hasher, m - k, d.slice(k), false), referenceRoot(hasher, d.slice(0, k))];
}
