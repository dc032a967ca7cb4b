/**
 * A plain bottom-up RFC 9162 tree: every level kept, the last node of an odd level carried up
 * unchanged (this layout yields exactly the RFC 9162 §2.1.1 tree). Used to rebuild a root from
 * stored leaves when auditing, and by tests as a second oracle.
 */
import { Hasher } from "./hasher";

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
