/**
 * Sealing: closes pending events into the next epoch, an RFC 9162 tree built with merkletreejs, and
 * stores the tree's levels as tiles so proofs never need a rebuild. This is the one place that
 * imports merkletreejs. Its bottom-up build with the odd last node promoted unchanged, fed with our
 * 0x00-prefixed leaf hashes and a 0x01-prefixing concatenator, gives exactly the RFC 9162 tree
 * (pinned by test/epoch/sealer.test.ts against the spec-literal reference and the shared vectors).
 */
import { MerkleTree } from "merkletreejs";
import { HASH_LENGTH, NODE_PREFIX, checkpointMessage, toHex } from "../core";
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
// One reused 0x01 ‖ left ‖ right input: merkletreejs hashes what the concatenator returns at once.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_LENGTH, NODE_PREFIX);

/**
 * Builds all levels of the RFC 9162 tree over leaf hashes with merkletreejs.
 * levels[0] = leaves, last level = [root].
 *
 * Memory and time at a million leaves: the n - 1 interior hashes are copied into one slab and handed
 * to merkletreejs as views of it (a Buffer per hash from the hash function would be ~2M separately
 * allocated backing stores, each freed by the GC), and the concatenator fills one reused 65-byte
 * input instead of allocating a Buffer.concat per node. Leaves that are views of one buffer (as the
 * sealer reads them) are used as they are.
 */
export function merkletreeLevels(leafHashes: readonly Uint8Array[]): Buffer[][] {
  const leaves = leafHashes.map((h) => (Buffer.isBuffer(h) ? h : Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
  const slab = Buffer.allocUnsafe(Math.max(0, leaves.length - 1) * HASH_LENGTH);
  let at = 0;
  const tree = new MerkleTree(
    leaves,
    (data: Buffer) => {
      const digest = sha256OneShot(data);
      if (at + HASH_LENGTH > slab.length) return digest;
      slab.set(digest, at);
      at += HASH_LENGTH;
      return slab.subarray(at - HASH_LENGTH, at);
    },
    {
      hashLeaves: false,
      sortLeaves: false,
      sortPairs: false,
      duplicateOdd: false,
      // RFC 9162 §2.1.1: interior nodes are H(0x01 ‖ left ‖ right).
      concatenator: (inputs: Buffer[]) => {
        if (inputs.length !== 2 || inputs[0].length !== HASH_LENGTH || inputs[1].length !== HASH_LENGTH)
          return Buffer.concat([NODE, ...inputs]);
        NODE_INPUT.set(inputs[0], 1);
        NODE_INPUT.set(inputs[1], 1 + HASH_LENGTH);
        return NODE_INPUT;
      },
    },
  );
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

/**
 * Signs each sealed epoch's tree head (a checkpoint) with the ledger key, inside the sealing
 * transaction: an epoch is never stored without its checkpoint.
 */
export interface CheckpointSigner {
  /** The ledger's name, as the checkpoint names it. */
  ledger: string;
  /** The key id (SHA-256 of its SPKI DER, hex). */
  keyId(): string;
  /** Ed25519 over `message`: 64 bytes. */
  sign(message: Uint8Array): Uint8Array;
}

/** Builds the sealer. Without a checkpoint signer, epochs are sealed unsigned (tests of the tree alone). */
export function createSealer(db: Db, policy: SealPolicy, signer?: CheckpointSigner): Sealer {
  const epochs = createEpochStore(db);
  const qMax = db.prepare("SELECT max(seq) FROM events").pluck();
  const qReceived = db.prepare<[number], string>("SELECT received_at FROM events WHERE seq = ?").pluck();
  const qLeaves = db
    .prepare<[number, number], [number, Buffer]>(
      "SELECT seq, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq",
    )
    .raw();
  // The epoch's leaf hashes as one buffer, in one statement: a row per leaf through the driver costs
  // several times the tree itself at a million leaves (the pages are read either way). The subquery
  // walks the primary key in order, so the concatenation follows seq; count, min and max prove the
  // range has no gap, and spot checks below compare single leaves.
  const qLeafBlob = db
    .prepare<[number, number], [number, number | null, number | null, Buffer | null]>(
      "SELECT count(*), min(seq), max(seq), CAST(group_concat(leaf_hash, x'') AS BLOB) FROM (SELECT seq, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq)",
    )
    .raw();
  const qLeafAt = db.prepare<[number], Buffer>("SELECT leaf_hash FROM events WHERE seq = ?").pluck();

  const pending = () => {
    const { firstSeq } = epochs.nextStart();
    const max = qMax.get() as number | null;
    const count = max === null ? 0 : Math.max(0, max + 1 - firstSeq);
    return { count, firstSeq, oldestReceivedAt: count > 0 ? (qReceived.get(firstSeq) ?? null) : null };
  };

  /** Leaf hashes of [firstSeq, firstSeq + maxEvents) as views of one buffer; throws on a gap. */
  const readLeaves = (epoch: number, firstSeq: number): Buffer[] => {
    const [count, min, max, blob] = qLeafBlob.get(firstSeq, firstSeq + policy.maxEvents)!;
    if (count === 0) return [];
    if (min !== firstSeq || max !== firstSeq + count - 1) {
      // A gap would silently shift every later leaf index: refuse to seal over one.
      const rows = qLeaves.all(firstSeq, firstSeq + policy.maxEvents);
      const i = rows.findIndex(([seq], k) => seq !== firstSeq + k);
      throw new Error(
        `sequence gap: seq ${firstSeq + (i < 0 ? rows.length : i)} is missing, refusing to seal epoch ${epoch}`,
      );
    }
    if (!blob || blob.length !== count * HASH_LENGTH)
      throw new Error(`leaf hashes of epoch ${epoch}: ${blob?.length ?? 0} bytes for ${count} leaves`);
    const leaves = new Array<Buffer>(count);
    for (let i = 0; i < count; i++) leaves[i] = blob.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH);
    for (let k = 0; k <= 32; k++) {
      const i = Math.min(count - 1, Math.floor((k * count) / 32));
      if (!leaves[i].equals(qLeafAt.get(firstSeq + i)!))
        throw new Error(`leaf hashes of epoch ${epoch} read out of order at seq ${firstSeq + i}`);
    }
    return leaves;
  };

  const sealTx = db.transaction((now: Date): EpochRow | undefined => {
    const { epoch, firstSeq } = epochs.nextStart();
    const leaves = readLeaves(epoch, firstSeq);
    if (leaves.length === 0) return undefined;
    const levels = merkletreeLevels(leaves);
    const root = levels[levels.length - 1][0];
    const row: EpochRow = { epoch, firstSeq, size: leaves.length, root, sealedAt: now.toISOString() };
    epochs.insert(row, levels);
    if (signer) {
      const keyId = signer.keyId();
      const message = checkpointMessage({
        ledger: signer.ledger,
        epoch,
        firstSeq,
        treeSize: row.size,
        root: toHex(root),
        keyId,
      });
      epochs.insertCheckpoint({
        epoch,
        ledger: signer.ledger,
        keyId,
        signature: signer.sign(message),
        signedAt: row.sealedAt,
      });
    }
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
