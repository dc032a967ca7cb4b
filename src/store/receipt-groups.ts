/**
 * Receipt groups (receipt version 2): one row per commit group of ingested events, holding what the
 * ledger signed once for the group. Written in the same transaction as the group's events, so a
 * receipt can be rebuilt byte for byte from the stored rows later (replays, GET .../receipt).
 */
import { ReceiptEntry, toHex } from "../core";
import { Db } from "./sqlite";

/** A stored receipt group. */
export interface ReceiptGroupRow {
  firstSeq: number;
  size: number;
  /** RFC 9162 root of the group's receipt leaves, `0x` hex. */
  root: string;
  anchorBy: string;
  ledger: string;
  keyId: string;
  /** Ed25519 signature over the group header. */
  signature: Uint8Array;
}

/** The receipt group repository. */
export interface ReceiptGroupStore {
  /** Inserts a group row; call inside the transaction that stores the group's events. */
  insert(g: ReceiptGroupRow): void;
  /** The group holding event `seq`, or undefined when that event was committed without one. */
  groupOf(seq: number): ReceiptGroupRow | undefined;
  /** The receipt entries of the events with seq in [from, to), in seq order. */
  entries(from: number, to: number): ReceiptEntry[];
}

/** A receipt_groups row as SQLite gives it. */
export interface ReceiptGroupDbRow {
  first_seq: number;
  size: number;
  root: Buffer;
  anchor_by: string;
  ledger: string;
  key_id: string;
  signature: Buffer;
}

/** Builds the receipt group repository over `db`. */
export function createReceiptGroupStore(db: Db): ReceiptGroupStore {
  const ins = db.prepare(
    "INSERT INTO receipt_groups (first_seq, size, root, anchor_by, ledger, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const qGroup = db.prepare<[number], ReceiptGroupDbRow>(
    "SELECT * FROM receipt_groups WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1",
  );
  const qEntries = db
    .prepare<[number, number], [string, number, Buffer, string]>(
      "SELECT event_id, seq, leaf_hash, received_at FROM events WHERE seq >= ? AND seq < ? ORDER BY seq",
    )
    .raw();
  return {
    insert(g) {
      ins.run(g.firstSeq, g.size, Buffer.from(g.root.slice(2), "hex"), g.anchorBy, g.ledger, g.keyId, g.signature);
    },
    groupOf(seq) {
      const r = qGroup.get(seq);
      if (!r || seq >= r.first_seq + r.size) return undefined;
      return {
        firstSeq: r.first_seq,
        size: r.size,
        root: toHex(r.root),
        anchorBy: r.anchor_by,
        ledger: r.ledger,
        keyId: r.key_id,
        signature: r.signature,
      };
    },
    entries(from, to) {
      return qEntries
        .all(from, to)
        .map(([id, seq, leaf, receivedAt]) => ({ id, seq, leafHash: toHex(leaf), receivedAt }));
    },
  };
}

/** Receipt groups whose anchorBy has passed while some of their events are not anchored. */
export interface MissedAnchorPromise {
  /** How many groups are overdue. */
  groups: number;
  /** The first and last seq of the overdue groups' events. */
  firstSeq: number;
  lastSeq: number;
  /** The earliest missed anchorBy (the oldest broken promise). */
  anchorBy: string;
}

/**
 * The promises broken now: receipt groups whose `anchorBy` is before `nowMs` and whose events reach
 * past `anchoredEnd`, the first seq not covered by an anchored epoch (epochs are anchored in order).
 * Undefined when every promise due is kept.
 */
export function missedAnchorPromise(db: Db, anchoredEnd: number, nowMs: number): MissedAnchorPromise | undefined {
  // The lower bound on first_seq keeps the scan on the primary key: the group holding anchoredEnd on.
  const r = db
    .prepare<
      [number, number, number, string],
      { groups: number; first: number | null; last: number | null; anchor_by: string | null }
    >(
      `SELECT count(*) AS groups, min(first_seq) AS first, max(first_seq + size - 1) AS last, min(anchor_by) AS anchor_by
         FROM receipt_groups
        WHERE first_seq >= coalesce((SELECT max(first_seq) FROM receipt_groups WHERE first_seq <= ?), ?)
          AND first_seq + size > ? AND anchor_by < ?`,
    )
    .get(anchoredEnd, anchoredEnd, anchoredEnd, new Date(nowMs).toISOString());
  if (!r || r.groups === 0 || r.first === null || r.last === null || r.anchor_by === null) return undefined;
  return { groups: r.groups, firstSeq: Math.max(r.first, anchoredEnd), lastSeq: r.last, anchorBy: r.anchor_by };
}
