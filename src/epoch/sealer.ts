/**
 * Sealing: closes pending events into the next epoch, an RFC 9162 tree built with merkletreejs, and
 * stores the tree's levels as tiles so proofs never need a rebuild. This is the one place that
 * imports merkletreejs. Its bottom-up build with the odd last node promoted unchanged, fed with our
 * 0x00-prefixed leaf hashes and a 0x01-prefixing concatenator, gives exactly the RFC 9162 tree
 * (pinned by test/epoch/sealer.test.ts against the spec-literal reference and the shared vectors).
 */
import { MerkleTree } from "merkletreejs";
import { NODE_PREFIX } from "../core";
import { sha256OneShot } from "../crypto/node-hasher";
import { Db } from "../store/sqlite";
import { EpochRow, createEpochStore } from "../store/epoch-store";

/** When to seal. */
export interface SealPolicy {
  /** Seal as soon as this many events are pending; also the largest epoch. */
  maxEvents: number;
  /** Seal whatever is pending once the oldest pending event is this old. */
  maxAgeMs: number;
}

/** Defaults: 10,000 events or 60 s. */
export const DEFAULT_SEAL_POLICY: SealPolicy = { maxEvents: 10_000, maxAgeMs: 60_000 };

const NODE = Buffer.from([NODE_PREFIX]);

/**
 * Builds all levels of the RFC 9162 tree over leaf hashes with merkletreejs.
 * levels[0] = leaves, last level = [root].
 */
export function merkletreeLevels(leafHashes: readonly Uint8Array[]): Buffer[][] {
  const leaves = leafHashes.map((h) => (Buffer.isBuffer(h) ? h : Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
  const tree = new MerkleTree(leaves, (data: Buffer) => sha256OneShot(data), {
    hashLeaves: false,
    sortLeaves: false,
    sortPairs: false,
    duplicateOdd: false,
    // RFC 9162 §2.1.1: interior nodes are H(0x01 ‖ left ‖ right).
    concatenator: (inputs: Buffer[]) => Buffer.concat([NODE, ...inputs]),
  });
  return tree.getLayers();
}

/** Result of one sealing attempt. */
export interface SealResult {
  epoch: EpochRow;
  ms: number;
}

/** The sealer over one database. */
export interface Sealer {
  /** Pending events and the receive time of the oldest. */
  pending(): { count: number; firstSeq: number; oldestReceivedAt: string | null };
  /** True when the policy says to seal now. */
  due(now: Date): boolean;
  /**
   * Seals up to maxEvents pending events into the next epoch, in one transaction. Returns undefined
   * when nothing is pending. Safe against a concurrent sealer in another process: the next epoch
   * is derived inside the write lock.
   */
  seal(now: Date): SealResult | undefined;
}

/** Builds the sealer. */
export function createSealer(db: Db, policy: SealPolicy): Sealer {
  const epochs = createEpochStore(db);
  const qMax = db.prepare("SELECT max(seq) FROM events").pluck();
  const qReceived = db.prepare<[number], string>("SELECT received_at FROM events WHERE seq = ?").pluck();
  const qLeaves = db.prepare<[number, number], [number, Buffer]>("SELECT seq, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq").raw();

  const pending = () => {
    const { firstSeq } = epochs.nextStart();
    const max = qMax.get() as number | null;
    const count = max === null ? 0 : Math.max(0, max + 1 - firstSeq);
    return { count, firstSeq, oldestReceivedAt: count > 0 ? (qReceived.get(firstSeq) ?? null) : null };
  };

  const sealTx = db.transaction((now: Date): EpochRow | undefined => {
    const { epoch, firstSeq } = epochs.nextStart();
    const rows = qLeaves.all(firstSeq, firstSeq + policy.maxEvents);
    if (rows.length === 0) return undefined;
    const leaves = rows.map(([seq, leaf], i) => {
      // A gap would silently shift every later leaf index: refuse to seal over one.
      if (seq !== firstSeq + i) throw new Error(`sequence gap: seq ${firstSeq + i} is missing, refusing to seal epoch ${epoch}`);
      return leaf;
    });
    const levels = merkletreeLevels(leaves);
    const root = levels[levels.length - 1][0];
    const row: EpochRow = { epoch, firstSeq, size: leaves.length, root, sealedAt: now.toISOString() };
    epochs.insert(row, levels);
    return row;
  });

  return {
    pending,
    due(now) {
      const p = pending();
      if (p.count === 0) return false;
      if (p.count >= policy.maxEvents) return true;
      return p.oldestReceivedAt !== null && now.getTime() - Date.parse(p.oldestReceivedAt) >= policy.maxAgeMs;
    },
    seal(now) {
      const t0 = performance.now();
      const epoch = sealTx.immediate(now);
      return epoch && { epoch, ms: performance.now() - t0 };
    },
  };
}
