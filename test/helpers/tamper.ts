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
import { Ledger } from "../../src/service/ledger";

const TABLES = ["events", "epochs", "epoch_tiles", "anchors", "anchor_txs"];

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
export const recordOf = (l: Ledger, seq: number): string => l.db.prepare("SELECT record FROM events WHERE seq = ?").pluck().get(seq) as string;

/** Replaces an event's record text and recomputes its leaf hash (so only the tree can tell). */
export function rewriteRecord(l: Ledger, seq: number, text: string): void {
  tamper(l, "UPDATE events SET record = ?, leaf_hash = ? WHERE seq = ?", text, nodeHasher.hashLeaf(Buffer.from(text)), seq);
}

/** Rewrites an epoch's tiles and root from its events' stored leaf hashes (a consistent forgery). */
export function resealInPlace(l: Ledger, epoch: number): void {
  const e = l.epochs.get(epoch)!;
  const leaves = l.db.prepare("SELECT leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq").pluck().all(e.firstSeq, e.firstSeq + e.size) as Buffer[];
  const levels = merkletreeLevels(leaves);
  tamper(l, "DELETE FROM epoch_tiles WHERE epoch = ?", epoch);
  levels.forEach((level, lv) => {
    for (let t = 0; t * TILE_WIDTH < level.length; t++) {
      tamper(l, "INSERT INTO epoch_tiles (epoch, level, tile, hashes) VALUES (?, ?, ?, ?)", epoch, lv, t, Buffer.concat(level.slice(t * TILE_WIDTH, (t + 1) * TILE_WIDTH)));
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
    if (batchId && r.batchLink && r.batchLink.batchSeq > 0) r = { ...r, batchLink: { ...r.batchLink, prevLeafHash: tails.get(batchId)! } };
    const text = canonicalString(r);
    rewriteRecord(l, row.seq, text);
    if (batchId) tails.set(batchId, toHex(nodeHasher.hashLeaf(Buffer.from(text))));
  }
  for (const e of l.epochs.all()) resealInPlace(l, e.epoch);
}
