/**
 * An attacker with file access to the SQLite database, for the tamper tests: drops the append-only
 * triggers and writes whatever it likes, up to a self-consistent forgery (records, leaves, batch
 * links, tree tiles and roots all recomputed), which only the chain can catch.
 */
import { canonicalString, LedgerRecord, toHex } from "../../src/core";
import { merkletreeLevels } from "../../src/epoch/sealer";
import { TILE_WIDTH } from "../../src/store/epoch-store";
import { nodeHasher } from "../../src/crypto/node-hasher";
import type { Db } from "../../src/store/sqlite";
import { Ledger } from "../../src/service/app/ledger";
import { loadReceiptKey } from "../../src/crypto/receipt-key";
import { checkpointMessage } from "../../src/core";
import { JsonRpcProvider } from "ethers";
import { devWallet } from "../../src/chain/dev-keys";
import { deployLedger } from "../../src/chain/deploy";
import { anchorContract } from "../../src/chain/contract";

const TABLES = [
  "events",
  "epochs",
  "epoch_tiles",
  "anchors",
  "anchor_txs",
  "epoch_checkpoints",
  "ledger_keys",
  "ledger_pin",
  "ledger_key_registrations",
];

/** On any connection to a ledger database: drops the append-only triggers and turns off foreign keys, then runs one statement. */
export function tamperDb(db: Db, sql: string, ...params: unknown[]): void {
  db.pragma("foreign_keys = OFF");
  for (const t of TABLES) db.exec(`DROP TRIGGER IF EXISTS ${t}_no_update; DROP TRIGGER IF EXISTS ${t}_no_delete;`);
  db.prepare(sql).run(...params);
}

/** tamperDb on an open ledger's connection. */
export function tamper(ledger: Ledger, sql: string, ...params: unknown[]): void {
  tamperDb(ledger.db, sql, ...params);
}

/** The stored record text of seq. */
export const recordOf = (l: Ledger, seq: number): string =>
  l.db.prepare("SELECT record FROM events WHERE seq = ?").pluck().get(seq) as string;

/** Replaces an event's record text and recomputes its leaf hash (so only the tree can tell). */
export function rewriteRecord(l: Ledger, seq: number, text: string): void {
  tamper(
    l,
    "UPDATE events SET record = ?, leaf_hash = ? WHERE seq = ?",
    text,
    nodeHasher.hashLeaf(Buffer.from(text)),
    seq,
  );
}

/** Rewrites an epoch's tiles and root from its events' stored leaf hashes (a consistent forgery). */
export function resealInPlace(l: Ledger, epoch: number): void {
  const e = l.epochs.get(epoch)!;
  const leaves = l.db
    .prepare("SELECT leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq")
    .pluck()
    .all(e.firstSeq, e.firstSeq + e.size) as Buffer[];
  const levels = merkletreeLevels(leaves);
  tamper(l, "DELETE FROM epoch_tiles WHERE epoch = ?", epoch);
  levels.forEach((level, lv) => {
    for (let t = 0; t * TILE_WIDTH < level.length; t++) {
      tamper(
        l,
        "INSERT INTO epoch_tiles (epoch, level, tile, hashes) VALUES (?, ?, ?, ?)",
        epoch,
        lv,
        t,
        Buffer.concat(level.slice(t * TILE_WIDTH, (t + 1) * TILE_WIDTH)),
      );
    }
  });
  tamper(l, "UPDATE epochs SET root = ? WHERE epoch = ?", levels[levels.length - 1][0], epoch);
}

/**
 * Replaces the whole database's content by a self-consistent forgery: `edit` changes some records;
 * every record after it gets its batch link recomputed, every leaf is recomputed, every epoch's tree
 * and root rebuilt. Nothing local can tell; the anchors on chain hold the real roots.
 */
export function forgeWholeLedger(l: Ledger, edit: (r: LedgerRecord) => LedgerRecord): void {
  const rows = l.db.prepare("SELECT seq, record FROM events ORDER BY seq").all() as { seq: number; record: string }[];
  const tails = new Map<string, string>();
  for (const row of rows) {
    let r = JSON.parse(row.record) as LedgerRecord;
    r = edit(r);
    const batchId = r.event.batch?.batchId;
    if (batchId && r.batchLink && r.batchLink.batchSeq > 0)
      r = { ...r, batchLink: { ...r.batchLink, prevLeafHash: tails.get(batchId)! } };
    const text = canonicalString(r);
    rewriteRecord(l, row.seq, text);
    if (batchId) tails.set(batchId, toHex(nodeHasher.hashLeaf(Buffer.from(text))));
  }
  for (const e of l.epochs.all()) resealInPlace(l, e.epoch);
}

/**
 * An insider who also holds the ledger key (keys/receipt-key.pem of `dataDir`): re-signs every
 * epoch's checkpoint over its stored (possibly forged) root, so that only the chain can tell.
 */
export function resignCheckpoints(l: Ledger, dataDir: string): void {
  const key = loadReceiptKey(dataDir);
  for (const e of l.epochs.all()) {
    const message = checkpointMessage({
      ledger: l.name,
      epoch: e.epoch,
      firstSeq: e.firstSeq,
      treeSize: e.size,
      root: toHex(e.root),
      keyId: key.keyId,
    });
    tamper(
      l,
      "UPDATE epoch_checkpoints SET key_id = ?, signature = ? WHERE epoch = ?",
      key.keyId,
      Buffer.from(key.signStatement(message), "base64url"),
      e.epoch,
    );
  }
}

/** What reanchorElsewhere did. */
export interface Reanchored {
  /** The attacker's contract (genuine GxpAnchor bytecode, deployed from another account). */
  contract: string;
  ledgerId: string;
  attacker: string;
  /** The anchors rows repointed: id, epoch and the attacker's tx. */
  rows: { id: number; epoch: number; txHash: string }[];
}

/**
 * A file-level attacker who rewrote the history re-anchors it in a contract of their own: deploys
 * the genuine GxpAnchor from another account (`attackerIndex` of the public development mnemonic),
 * creates a ledger with the same name, anchors every stored (forged) root there, and repoints each
 * epoch's current anchors row at it (contract, tx, block, log, anchoring account) through tamperDb.
 */
export async function reanchorElsewhere(
  l: Ledger,
  provider: JsonRpcProvider,
  ledgerName: string,
  attackerIndex = 7,
): Promise<Reanchored> {
  const attacker = devWallet(attackerIndex, provider);
  const d = await deployLedger(attacker, attacker.address, ledgerName);
  const contract = anchorContract(d.contract, attacker);
  const rows: Reanchored["rows"] = [];
  for (const e of l.epochs.all()) {
    const a = l.epochs.anchorOf(e.epoch);
    if (!a) continue;
    const tx = await contract.raw.anchor(d.ledgerId, e.epoch, toHex(e.root), e.size, e.firstSeq);
    const r = (await tx.wait(1))!;
    const block = (await provider.getBlock(r.blockNumber))!;
    const log = r.logs.find(
      (x: { address: string; index: number }) => x.address.toLowerCase() === d.contract.toLowerCase(),
    )!;
    tamper(
      l,
      "UPDATE anchors SET contract = ?, tx_hash = ?, block_number = ?, block_hash = ?, block_timestamp = ?, log_index = ?, anchorer = ? WHERE id = ?",
      d.contract,
      r.hash,
      r.blockNumber,
      r.blockHash,
      block.timestamp,
      log.index,
      attacker.address,
      a.id,
    );
    rows.push({ id: a.id, epoch: e.epoch, txHash: r.hash });
  }
  return { contract: d.contract, ledgerId: d.ledgerId, attacker: attacker.address, rows };
}
