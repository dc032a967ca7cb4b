/**
 * The epoch repository: sealed epochs, their tree tiles, anchor transactions and confirmed anchors.
 * A tree is stored level by level in tiles of TILE_WIDTH hashes, so an inclusion proof reads one
 * tile per level: O(log n) small reads, no tree rebuild.
 */
// The core's modules, not its index: audit's worker threads load this file, and the index loads the
// event schemas too (~0.25 s per thread).
import { HASH_LENGTH } from "../core/merkle/hasher";
import { levelSizes } from "../core/merkle/inclusion";
import { Db } from "./sqlite";
import { StoreError } from "./errors";

/** Hashes per stored tile. */
export const TILE_WIDTH = 256;

/** A sealed epoch. */
export interface EpochRow {
  epoch: number;
  firstSeq: number;
  size: number;
  root: Uint8Array;
  sealedAt: string;
}

/** An anchor of an epoch: where its root sits on chain (recorded once its transaction is mined). */
export interface AnchorRow {
  epoch: number;
  chainId: string;
  contract: string;
  ledgerId: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  logIndex: number;
  confirmedAt: string;
  /** The account that sent the anchor transaction (the log's `anchorer`); null for rows recorded before it was kept. */
  anchorer?: string | null;
}

/** The ledger's signature over a sealed epoch's tree head (src/core/proof/checkpoint.ts). */
export interface CheckpointRow {
  epoch: number;
  ledger: string;
  keyId: string;
  /** Ed25519, 64 bytes. */
  signature: Uint8Array;
  signedAt: string;
}

/** A recorded anchor with its row id and, once it reached the configured confirmations, when it became final. */
export interface StoredAnchor extends AnchorRow {
  id: number;
  /** When the anchor was found final (confirmations reached on a canonical block); null before. */
  finalAt: string | null;
}

/** A recorded anchor with what happened to it. */
export interface AnchorHistoryRow extends StoredAnchor {
  supersededAt: string | null;
  supersededReason: string | null;
}

/** An anchor transaction that was sent. */
export interface AnchorTxRow {
  epoch: number;
  txHash: string;
  nonce: number;
  sentAt: string;
  /** The fees it offered (decimal wei), null when unknown (sent before fees were recorded). */
  maxFeePerGas?: string | null;
  maxPriorityFeePerGas?: string | null;
  gasPrice?: string | null;
  /** The transaction it replaces (same nonce, higher fee), if any. */
  replaces?: string | null;
}

/**
 * Hashes [from, to) of a level as one tile: a view when they already lie back to back in one buffer
 * (the sealer reads leaves into one buffer and builds interior levels in one slab: at a million
 * leaves, copying 2M hashes one by one was ~1/6 of the seal), else a copy.
 */
function tileBytes(level: readonly Uint8Array[], from: number, to: number): Uint8Array {
  const first = level[from];
  let contiguous = true;
  for (let i = from; i < to && contiguous; i++) {
    const h = level[i];
    contiguous =
      h.length === HASH_LENGTH &&
      h.buffer === first.buffer &&
      h.byteOffset === first.byteOffset + (i - from) * HASH_LENGTH;
  }
  if (contiguous) return new Uint8Array(first.buffer, first.byteOffset, (to - from) * HASH_LENGTH);
  const blob = new Uint8Array((to - from) * HASH_LENGTH);
  for (let i = from; i < to; i++) blob.set(level[i], (i - from) * HASH_LENGTH);
  return blob;
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

interface EpochDbRow {
  epoch: number;
  first_seq: number;
  size: number;
  root: Buffer;
  sealed_at: string;
}
interface AnchorDbRow {
  epoch: number;
  chain_id: string;
  contract: string;
  ledger_id: string;
  tx_hash: string;
  block_number: number;
  block_hash: string;
  block_timestamp: number;
  log_index: number;
  confirmed_at: string;
  anchorer: string | null;
}
interface StoredAnchorDbRow extends AnchorDbRow {
  id: number;
  final_at: string | null;
  superseded_at?: string | null;
  reason?: string | null;
}
interface AnchorTxDbRow {
  epoch: number;
  tx_hash: string;
  nonce: number;
  sent_at: string;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  gas_price: string | null;
  replaces: string | null;
}

const toEpoch = (r: EpochDbRow): EpochRow => ({
  epoch: r.epoch,
  firstSeq: r.first_seq,
  size: r.size,
  root: bytes(r.root),
  sealedAt: r.sealed_at,
});
const toAnchor = (r: AnchorDbRow): AnchorRow => ({
  epoch: r.epoch,
  chainId: r.chain_id,
  contract: r.contract,
  ledgerId: r.ledger_id,
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  blockHash: r.block_hash,
  blockTimestamp: r.block_timestamp,
  logIndex: r.log_index,
  confirmedAt: r.confirmed_at,
  anchorer: r.anchorer,
});
const toStored = (r: StoredAnchorDbRow): StoredAnchor => ({ ...toAnchor(r), id: r.id, finalAt: r.final_at });
const toTx = (r: AnchorTxDbRow): AnchorTxRow => ({
  epoch: r.epoch,
  txHash: r.tx_hash,
  nonce: r.nonce,
  sentAt: r.sent_at,
  maxFeePerGas: r.max_fee_per_gas,
  maxPriorityFeePerGas: r.max_priority_fee_per_gas,
  gasPrice: r.gas_price,
  replaces: r.replaces,
});

/** The epoch repository over one database. */
export interface EpochStore {
  latest(): EpochRow | undefined;
  get(epoch: number): EpochRow | undefined;
  /** The epoch whose range holds `seq`, if sealed. */
  containing(seq: number): EpochRow | undefined;
  all(): EpochRow[];
  /** Where the next epoch starts: its number and first sequence number. */
  nextStart(): { epoch: number; firstSeq: number };
  /** Inserts a sealed epoch and every level of its tree (levels[0] = leaf hashes). Call inside a transaction. */
  insert(e: EpochRow, levels: readonly (readonly Uint8Array[])[]): void;
  /**
   * Node `i` of `level` of an epoch's tree.
   * @throws StoreError EPOCH_NOT_FOUND when the tile is missing or too short
   */
  readNode(epoch: number, level: number, i: number): Uint8Array;
  /** All leaf hashes of an epoch as stored in its level-0 tiles. */
  readLeafLevel(epoch: number): Uint8Array[];
  /** One stored tile of `level` (up to TILE_WIDTH hashes, concatenated), or undefined. */
  readTile(epoch: number, level: number, tile: number): Uint8Array | undefined;
  /** Records a sent anchor tx; the identical signed tx sent again (same hash) is recorded once. */
  recordAnchorTx(t: AnchorTxRow): void;
  anchorTxs(epoch: number): AnchorTxRow[];
  /** Records an anchor whose transaction is mined; returns its row id. It is not final yet. */
  recordAnchor(a: AnchorRow): number;
  /** Marks an anchor final: `confirmations` reached with the chain at `headNumber`, its block canonical. */
  finalizeAnchor(id: number, f: { confirmations: number; headNumber: number; at: string }): void;
  /** Marks an anchor as no longer holding (reorganisation, lost chain), with the reason. */
  supersedeAnchor(id: number, reason: string, at: string): void;
  /** The current anchor of an epoch: its newest anchor not superseded, final or not. */
  anchorOf(epoch: number): StoredAnchor | undefined;
  /** Every anchor ever recorded for an epoch, oldest first, with what happened to it. */
  anchorHistory(epoch: number): AnchorHistoryRow[];
  /** Records the checkpoint signature of a sealed epoch. Call inside the sealing transaction. */
  insertCheckpoint(c: CheckpointRow): void;
  /** The checkpoint signature of an epoch, if one was recorded. */
  checkpointOf(epoch: number): CheckpointRow | undefined;
  /** Current anchors that are not final yet, by epoch. */
  unfinalAnchors(): StoredAnchor[];
  /** Sealed epochs without a current anchor (nothing mined for them on the chain as we know it), oldest first. */
  unanchored(): EpochRow[];
  /** Sealed epochs without a final anchor, oldest first: what the anchor lag is measured on. */
  unconfirmed(): EpochRow[];
}

/** Builds the epoch repository. */
export function createEpochStore(db: Db): EpochStore {
  const qLatest = db.prepare<[], EpochDbRow>("SELECT * FROM epochs ORDER BY epoch DESC LIMIT 1");
  const qGet = db.prepare<[number], EpochDbRow>("SELECT * FROM epochs WHERE epoch = ?");
  const qContaining = db.prepare<[number, number], EpochDbRow>(
    "SELECT * FROM epochs WHERE first_seq <= ? AND first_seq + size > ? ORDER BY first_seq DESC LIMIT 1",
  );
  const qAll = db.prepare<[], EpochDbRow>("SELECT * FROM epochs ORDER BY epoch");
  const insEpoch = db.prepare("INSERT INTO epochs (epoch, first_seq, size, root, sealed_at) VALUES (?, ?, ?, ?, ?)");
  const insTile = db.prepare("INSERT INTO epoch_tiles (epoch, level, tile, hashes) VALUES (?, ?, ?, ?)");
  const qTile = db
    .prepare<[number, number, number], Buffer>(
      "SELECT hashes FROM epoch_tiles WHERE epoch = ? AND level = ? AND tile = ?",
    )
    .pluck();
  const qTiles = db
    .prepare<[number, number], Buffer>("SELECT hashes FROM epoch_tiles WHERE epoch = ? AND level = ? ORDER BY tile")
    .pluck();
  const insTx = db.prepare(
    `INSERT OR IGNORE INTO anchor_txs (epoch, tx_hash, nonce, sent_at, max_fee_per_gas, max_priority_fee_per_gas, gas_price, replaces)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const qTxs = db.prepare<[number], AnchorTxDbRow>(
    "SELECT epoch, tx_hash, nonce, sent_at, max_fee_per_gas, max_priority_fee_per_gas, gas_price, replaces FROM anchor_txs WHERE epoch = ? ORDER BY id",
  );
  const insAnchor = db.prepare(
    `INSERT INTO anchors (epoch, chain_id, contract, ledger_id, tx_hash, block_number, block_hash, block_timestamp, log_index, confirmed_at, anchorer)
     VALUES (@epoch, @chainId, @contract, @ledgerId, @txHash, @blockNumber, @blockHash, @blockTimestamp, @logIndex, @confirmedAt, @anchorer)`,
  );
  const insCheckpoint = db.prepare(
    "INSERT INTO epoch_checkpoints (epoch, ledger, key_id, signature, signed_at) VALUES (?, ?, ?, ?, ?)",
  );
  const qCheckpoint = db.prepare<
    [number],
    { epoch: number; ledger: string; key_id: string; signature: Buffer; signed_at: string }
  >("SELECT epoch, ledger, key_id, signature, signed_at FROM epoch_checkpoints WHERE epoch = ?");
  const current = "NOT EXISTS (SELECT 1 FROM anchor_supersessions s WHERE s.anchor_id = a.id)";
  const qAnchor = db.prepare<[number], StoredAnchorDbRow>(
    `SELECT a.*, f.final_at FROM anchors a LEFT JOIN anchor_finality f ON f.anchor_id = a.id
     WHERE a.epoch = ? AND ${current} ORDER BY a.id DESC LIMIT 1`,
  );
  const qHistory = db.prepare<[number], StoredAnchorDbRow>(
    `SELECT a.*, f.final_at, s.superseded_at, s.reason FROM anchors a
     LEFT JOIN anchor_finality f ON f.anchor_id = a.id LEFT JOIN anchor_supersessions s ON s.anchor_id = a.id
     WHERE a.epoch = ? ORDER BY a.id`,
  );
  const qUnfinal = db.prepare<[], StoredAnchorDbRow>(
    `SELECT a.*, NULL AS final_at FROM anchors a
     WHERE ${current} AND NOT EXISTS (SELECT 1 FROM anchor_finality f WHERE f.anchor_id = a.id) ORDER BY a.epoch, a.id`,
  );
  const insFinal = db.prepare(
    "INSERT OR IGNORE INTO anchor_finality (anchor_id, confirmations, head_number, final_at) VALUES (?, ?, ?, ?)",
  );
  const insSuperseded = db.prepare(
    "INSERT OR IGNORE INTO anchor_supersessions (anchor_id, reason, superseded_at) VALUES (?, ?, ?)",
  );
  const qUnanchored = db.prepare<[], EpochDbRow>(
    `SELECT * FROM epochs e WHERE NOT EXISTS (SELECT 1 FROM anchors a WHERE a.epoch = e.epoch AND ${current}) ORDER BY epoch`,
  );
  const qUnconfirmed = db.prepare<[], EpochDbRow>(
    `SELECT * FROM epochs e WHERE NOT EXISTS (
       SELECT 1 FROM anchors a JOIN anchor_finality f ON f.anchor_id = a.id WHERE a.epoch = e.epoch AND ${current}
     ) ORDER BY epoch`,
  );

  return {
    latest: () => {
      const r = qLatest.get();
      return r && toEpoch(r);
    },
    get: (epoch) => {
      const r = qGet.get(epoch);
      return r && toEpoch(r);
    },
    containing: (seq) => {
      const r = qContaining.get(seq, seq);
      return r && toEpoch(r);
    },
    all: () => qAll.all().map(toEpoch),
    nextStart: () => {
      const r = qLatest.get();
      return r ? { epoch: r.epoch + 1, firstSeq: r.first_seq + r.size } : { epoch: 0, firstSeq: 0 };
    },
    insert(e, levels) {
      insEpoch.run(e.epoch, e.firstSeq, e.size, e.root, e.sealedAt);
      levels.forEach((level, l) => {
        for (let t = 0; t * TILE_WIDTH < level.length; t++) {
          insTile.run(e.epoch, l, t, tileBytes(level, t * TILE_WIDTH, Math.min(level.length, (t + 1) * TILE_WIDTH)));
        }
      });
    },
    readNode(epoch, level, i) {
      const tile = qTile.get(epoch, level, Math.floor(i / TILE_WIDTH));
      const off = (i % TILE_WIDTH) * HASH_LENGTH;
      if (!tile || tile.length < off + HASH_LENGTH) {
        throw new StoreError("EPOCH_NOT_FOUND", `tree node ${level}/${i} of epoch ${epoch} is missing`, {
          epoch,
          level,
          i,
        });
      }
      return new Uint8Array(tile.buffer, tile.byteOffset + off, HASH_LENGTH);
    },
    readTile(epoch, level, tile) {
      const t = qTile.get(epoch, level, tile);
      return t && new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    },
    readLeafLevel(epoch) {
      const out: Uint8Array[] = [];
      for (const t of qTiles.all(epoch, 0)) {
        for (let off = 0; off + HASH_LENGTH <= t.length; off += HASH_LENGTH)
          out.push(new Uint8Array(t.buffer, t.byteOffset + off, HASH_LENGTH));
      }
      return out;
    },
    recordAnchorTx: (t) =>
      void insTx.run(
        t.epoch,
        t.txHash,
        t.nonce,
        t.sentAt,
        t.maxFeePerGas ?? null,
        t.maxPriorityFeePerGas ?? null,
        t.gasPrice ?? null,
        t.replaces ?? null,
      ),
    anchorTxs: (epoch) => qTxs.all(epoch).map(toTx),
    recordAnchor: (a) =>
      Number(
        insAnchor.run({
          epoch: a.epoch,
          chainId: a.chainId,
          contract: a.contract,
          ledgerId: a.ledgerId,
          txHash: a.txHash,
          blockNumber: a.blockNumber,
          blockHash: a.blockHash,
          blockTimestamp: a.blockTimestamp,
          logIndex: a.logIndex,
          confirmedAt: a.confirmedAt,
          anchorer: a.anchorer ?? null,
        }).lastInsertRowid,
      ),
    insertCheckpoint: (c) => void insCheckpoint.run(c.epoch, c.ledger, c.keyId, c.signature, c.signedAt),
    checkpointOf: (epoch) => {
      const r = qCheckpoint.get(epoch);
      return (
        r && { epoch: r.epoch, ledger: r.ledger, keyId: r.key_id, signature: bytes(r.signature), signedAt: r.signed_at }
      );
    },
    finalizeAnchor: (id, f) => void insFinal.run(id, f.confirmations, f.headNumber, f.at),
    supersedeAnchor: (id, reason, at) => void insSuperseded.run(id, reason, at),
    anchorOf: (epoch) => {
      const r = qAnchor.get(epoch);
      return r && toStored(r);
    },
    anchorHistory: (epoch) =>
      qHistory
        .all(epoch)
        .map((r) => ({ ...toStored(r), supersededAt: r.superseded_at ?? null, supersededReason: r.reason ?? null })),
    unfinalAnchors: () => qUnfinal.all().map(toStored),
    unanchored: () => qUnanchored.all().map(toEpoch),
    unconfirmed: () => qUnconfirmed.all().map(toEpoch),
  };
}

/** Number of levels of an epoch tree of `size` leaves (leaves and root included). */
export function treeHeight(size: number): number {
  return levelSizes(size).length;
}
