/**
 * A plain bottom-up RFC 9162 tree: every level kept, the last node of an odd level carried up
 * unchanged (this layout yields exactly the RFC 9162 §2.1.1 tree). Used to rebuild a root from
 * stored leaves when auditing, and by tests as a second oracle.
 */
import { HASH_LENGTH, Hasher } from "./hasher";

/**
 * All levels of the tree over `leafHashes`: levels[0] is the leaves, the last level holds the root.
 * An empty input gives a single level holding the empty-tree hash.
 */
export function buildLevels(hasher: Hasher, leafHashes: readonly Uint8Array[]): Uint8Array[][] {
  if (leafHashes.length === 0) return [[hasher.emptyRoot()]];
  const levels: Uint8Array[][] = [leafHashes.slice()];
  let cur = levels[0];
  while (cur.length > 1) {
    const next: Uint8Array[] = new Array(Math.ceil(cur.length / 2));
    for (let i = 0; i + 1 < cur.length; i += 2) next[i / 2] = hasher.hashChildren(cur[i], cur[i + 1]);
    if (cur.length % 2 === 1) next[next.length - 1] = cur[cur.length - 1];
    levels.push(next);
    cur = next;
  }
  return levels;
}

/** MTH over leaf hashes, computed bottom-up. */
export function rootFromLeafHashes(hasher: Hasher, leafHashes: readonly Uint8Array[]): Uint8Array {
  const levels = buildLevels(hasher, leafHashes);
  return levels[levels.length - 1][0];
}

/**
 * All levels of the tree over `leaves`, hashes back to back (32 bytes each), each level one buffer:
 * levels[0] is `leaves` itself, the last level holds the root. Same tree and layout as
 * `buildLevels` (the odd last node carried up), without one object per node.
 * Precondition: `leaves.length` is a multiple of 32. Empty input: a single empty level.
 */
export function buildLevelBytes(hasher: Hasher, leaves: Uint8Array): Uint8Array[] {
  const pairAt =
    hasher.hashChildrenAt?.bind(hasher) ??
    ((level: Uint8Array, o: number) =>
      hasher.hashChildren(level.subarray(o, o + HASH_LENGTH), level.subarray(o + HASH_LENGTH, o + 2 * HASH_LENGTH)));
  const levels = [leaves];
  let cur = leaves;
  for (let n = leaves.length / HASH_LENGTH; n > 1; n = Math.ceil(n / 2)) {
    const next = new Uint8Array(Math.ceil(n / 2) * HASH_LENGTH);
    for (let i = 0; i + 1 < n; i += 2) next.set(pairAt(cur, i * HASH_LENGTH), (i / 2) * HASH_LENGTH);
    if (n % 2 === 1) next.set(cur.subarray((n - 1) * HASH_LENGTH, n * HASH_LENGTH), next.length - HASH_LENGTH);
    levels.push(next);
    cur = next;
  }
  return levels;
}
