/**
 * A spec-literal transcription of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF /
 * SUBPROOF). Deliberately recursive and slow: tests use it as the oracle that the fast code and
 * merkletreejs are compared with.
 */
import { Hasher } from "../../src/core/merkle/hasher";

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

/**
 * SUBTREE_PROOF(start, end, D[n]) of draft-ietf-plants-merkle-tree-certs (a subtree [start, end) of
 * the tree over D[n] is consistent with it): RFC 9162's SUBPROOF generalised to subtrees that do not
 * start at 0. With start = 0 it is PROOF(end, D[n]). An empty subtree has the empty proof. Only used
 * to reproduce the draft's Appendix C.1 vectors. `leafHashes` holds at least n leaves; `memo` may be
 * shared between calls over the same leaves (subtree roots keyed by their leaf range).
 */
export function referenceSubtreeConsistency(
  hasher: Hasher,
  start: number,
  end: number,
  n: number,
  leafHashes: readonly Uint8Array[],
  memo: Map<string, Uint8Array> = new Map(),
): Uint8Array[] {
  if (start === end) return [];
  const root = (lo: number, hi: number): Uint8Array => {
    const key = `${lo}:${hi}`;
    let r = memo.get(key);
    if (!r) {
      r =
        hi - lo === 1
          ? leafHashes[lo]
          : hasher.hashChildren(
              root(lo, lo + largestPowerOfTwoBelow(hi - lo)),
              root(lo + largestPowerOfTwoBelow(hi - lo), hi),
            );
      memo.set(key, r);
    }
    return r;
  };
  // SUBTREE_SUBPROOF over D[lo:hi] with start and end relative to lo.
  const sub = (s: number, e: number, lo: number, hi: number, b: boolean): Uint8Array[] => {
    const size = hi - lo;
    if (s === 0 && e === size) return b ? [] : [root(lo, hi)];
    const k = largestPowerOfTwoBelow(size);
    if (e <= k) return [...sub(s, e, lo, lo + k, b), root(lo + k, hi)];
    if (s >= k) return [...sub(s - k, e - k, lo + k, hi, b), root(lo, lo + k)];
    // A valid subtree that straddles k starts at 0.
    return [...sub(0, e - k, lo + k, hi, false), root(lo, lo + k)];
  };
  return sub(start, end, 0, n, true);
}
