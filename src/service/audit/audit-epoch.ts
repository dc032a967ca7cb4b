/**
 * One epoch's check in audit's scan (audit-scan.ts): its events' leaf hashes against its stored
 * level-0 tiles, its stored tree, and its root.
 */
import { HASH_LENGTH } from "../../core/merkle/hasher";
import { buildLevelBytes } from "../../core/merkle/tree";
import { toHex } from "../../core/hex";
import { nodeHasher } from "../../crypto/node-hasher";
import { TILE_WIDTH } from "../../store/epoch-store";
import { AuditFinding } from "./audit-findings";

/** An epoch row as audit reads it. */
export interface EpochDb {
  epoch: number;
  firstSeq: number;
  size: number;
  root: Buffer;
}

/** RFC 9162 levels bottom-up over leaf hashes back to back, the odd last node carried up (the layout the sealer stores). */
const levelsOf = (leaves: Buffer): Buffer[] =>
  buildLevelBytes(nodeHasher, leaves).map((l) => Buffer.from(l.buffer, l.byteOffset, l.byteLength));

/** The root of `levels` as a buffer of its own (roots cross threads: a view would carry its whole level). */
function rootOf(levels: Buffer[]): Buffer {
  const root = Buffer.alloc(HASH_LENGTH);
  root.set(levels[0].length === 0 ? nodeHasher.emptyRoot() : levels[levels.length - 1].subarray(0, HASH_LENGTH));
  return root;
}

/** An epoch's events as the scan saw them, by index in the epoch. */
export interface EpochLeaves {
  e: EpochDb;
  /** Stored leaf hashes, back to back (zeros where none or not 32 bytes long). */
  stored: Buffer;
  /** Leaf hashes recomputed from the records, back to back. */
  computed: Buffer;
  /** 1 where the event is stored. */
  present: Uint8Array;
  /** How many events are stored. */
  count: number;
  ids: (string | undefined)[];
  /** Stored leaf hashes that are not 32 bytes long, by index. */
  odd: Map<number, Buffer>;
}

/**
 * Checks one epoch: its events against its level-0 tiles, its stored tree, and its root. Whole
 * buffers are compared first; only where they differ is the epoch walked node by node to name
 * every finding.
 */
export function checkEpoch(
  ep: EpochLeaves,
  tiles: [number, number, Buffer][],
  findings: AuditFinding[],
  roots: Map<number, Buffer>,
): void {
  const { e, stored, computed, present, ids, odd } = ep;
  const byLevel: Buffer[][] = [];
  for (const [level, tile, hashes] of tiles) (byLevel[level] ??= [])[tile] = hashes;
  // The stored leaves: the level-0 tiles in order, whole hashes only.
  const parts: Buffer[] = [];
  for (const t of byLevel[0] ?? []) if (t) parts.push(t.subarray(0, t.length - (t.length % HASH_LENGTH)));
  const tileLeaves = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  const tileCount = tileLeaves.length / HASH_LENGTH;
  if (tileCount !== e.size) {
    findings.push({
      code: "EPOCH_TREE_ALTERED",
      epoch: e.epoch,
      message: `epoch ${e.epoch}: its stored tree has ${tileCount} leaves, the epoch says ${e.size}: stored tree nodes were altered`,
    });
  }
  const missing = e.size - ep.count;
  const leafAt = (b: Buffer, i: number) => b.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH);
  if (missing > 0 || odd.size > 0 || tileCount !== e.size || !stored.equals(tileLeaves)) {
    for (let i = 0; i < e.size; i++) {
      const seq = e.firstSeq + i;
      if (!present[i]) {
        findings.push({
          code: "EPOCH_EVENT_MISSING",
          epoch: e.epoch,
          seq,
          message: `epoch ${e.epoch}: event seq ${seq} is missing: it was deleted`,
        });
      } else if (i < tileCount) {
        const s = odd.get(i) ?? leafAt(stored, i);
        if (!s.equals(leafAt(tileLeaves, i))) {
          findings.push({
            code: "EPOCH_LEAF_MISMATCH",
            epoch: e.epoch,
            seq,
            eventId: ids[i],
            message: `epoch ${e.epoch}: event ${ids[i]} (seq ${seq}) has leaf ${toHex(s)} but the epoch tree has ${toHex(leafAt(tileLeaves, i))} at index ${i}: the event or the tree was altered`,
          });
        }
      }
    }
  }
  const leavesAgree = tileCount === e.size && missing === 0 && computed.equals(tileLeaves);
  // Every stored level against the levels rebuilt from the stored leaves (proofs read these tiles).
  const levels = levelsOf(tileLeaves);
  const tileBytes = TILE_WIDTH * HASH_LENGTH;
  for (let l = 1; l < levels.length; l++) {
    const want = levels[l];
    const tilesL = byLevel[l] ?? [];
    const wantTiles = Math.ceil(want.length / tileBytes);
    for (let t = 0; t < Math.max(wantTiles, tilesL.length); t++) {
      const got = tilesL[t];
      const part = want.subarray(t * tileBytes, (t + 1) * tileBytes);
      if (got && got.equals(part)) continue;
      let bad = -1;
      for (let k = 0; k < part.length / HASH_LENGTH && bad < 0; k++) {
        if (
          !got ||
          got.length < (k + 1) * HASH_LENGTH ||
          got.compare(part, k * HASH_LENGTH, (k + 1) * HASH_LENGTH, k * HASH_LENGTH, (k + 1) * HASH_LENGTH) !== 0
        )
          bad = k;
      }
      findings.push({
        code: "EPOCH_TREE_ALTERED",
        epoch: e.epoch,
        message: `epoch ${e.epoch}: stored tree level ${l} tile ${t} differs from the tree rebuilt from its leaves${bad >= 0 ? ` (first at node ${t * TILE_WIDTH + bad})` : ""}: a stored tree node was altered`,
      });
    }
  }
  const root = leavesAgree ? rootOf(levels) : missing === 0 ? rootOf(levelsOf(computed)) : undefined;
  if (root) roots.set(e.epoch, root);
  if (!root || !root.equals(e.root)) {
    findings.push({
      code: "EPOCH_ROOT_MISMATCH",
      epoch: e.epoch,
      message: `epoch ${e.epoch}: ${root ? `root rebuilt from its events is ${toHex(root)}` : "its root cannot be rebuilt (events missing)"}, stored root is ${toHex(e.root)}`,
    });
  }
}
