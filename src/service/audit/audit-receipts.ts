/**
 * The receipt half of `audit` (issue 12 item 5): receipt groups are the only rows signed, at commit,
 * with the ledger key, so they are what shows a file-level edit of events that are not yet anchored.
 *
 * - every receipt group's root is rebuilt from its events' receipt leaves
 *   ({id, seq, leafHash, receivedAt}, src/core/receipt/receipt.ts) and compared with the stored root;
 * - every group's Ed25519 signature is checked over its header with the key it names, which must be a
 *   recorded ledger key (ledger_keys), for this ledger;
 * - groups do not overlap;
 * - every event accepted over the API (record.submittedBy.role "mes", or a client column naming an
 *   API client) lies in a group: a group row deleted, or a row written into the file, is named.
 *
 * Events accepted before receipt groups existed (received before the receipt-groups migration was
 * applied, and below the first group) are not expected to be in one.
 */
import { verify as edVerify } from "node:crypto";
import { RECEIPT_LEAF_LABEL, receiptGroupMessage, toHex } from "../../core";
import { HASH_LENGTH } from "../../core/merkle/hasher";
import { buildLevelBytes } from "../../core/merkle/tree";
import { leafHashOfText, nodeHasher } from "../../crypto/node-hasher";
import { Db } from "../../store/sqlite";
import { ReceiptGroupDbRow } from "../../store/receipt-groups";
import { AuditFinding } from "./audit-findings";
import { recordedKeyLookup } from "../security/pin-check";

/** The migration that introduced receipt groups. */
const RECEIPT_GROUPS_MIGRATION = "2026-11-26-02-receipt-groups";
/** The client name the ledger's own events carry (src/service/security/security.ts). */
const LEDGER_CLIENT = "gxp-ledger";
/** Missing sequence numbers named per group, at most. */
const NAMED = 10;

/**
 * The receipt leaf of an event row, as src/core/receipt/receipt.ts receiptLeafHash computes it:
 * H(0x00 ‖ label ‖ JCS({id, leafHash, receivedAt, seq})), the JCS spelled out (members in RFC 8785
 * §3.2.3 order; strings as JSON.stringify writes them, which RFC 8785 §3.2.2.2 adopts; seq an
 * integer), so that a large ledger's groups are rebuilt without an object per event.
 */
export function receiptLeafOf(id: string, seq: number, leafHash: Uint8Array, receivedAt: string): Buffer {
  return leafHashOfText(
    `${RECEIPT_LEAF_LABEL}{"id":${JSON.stringify(id)},"leafHash":"${toHex(leafHash)}","receivedAt":${JSON.stringify(receivedAt)},"seq":${seq}}`,
  );
}

/** What the receipt checks found, and how many groups they checked. */
export interface ReceiptAudit {
  groups: number;
  findings: AuditFinding[];
}

/**
 * Checks every receipt group against its events and its signature, and every API event for a group,
 * in one read transaction over `db` of the ledger named `ledgerName`.
 */
export function auditReceiptGroups(db: Db, ledgerName: string): ReceiptAudit {
  return db.transaction(() => scan(db, ledgerName))();
}

function scan(db: Db, ledgerName: string): ReceiptAudit {
  const findings: AuditFinding[] = [];
  const keyOf = recordedKeyLookup(db);
  const qEntries = db
    .prepare<[number, number], [string, number, Buffer, string]>(
      "SELECT event_id, seq, leaf_hash, received_at FROM events WHERE seq >= ? AND seq < ? ORDER BY seq",
    )
    .raw();
  const groups = db
    .prepare<[], ReceiptGroupDbRow>(
      "SELECT first_seq, size, root, anchor_by, ledger, key_id, signature FROM receipt_groups ORDER BY first_seq",
    )
    .all();
  let prevEnd = Number.MIN_SAFE_INTEGER;
  for (const g of groups) {
    const last = g.first_seq + g.size - 1;
    const what = `receipt group seq ${g.first_seq}..${last} (${g.size} event${g.size === 1 ? "" : "s"})`;
    if (g.first_seq < prevEnd) {
      findings.push({
        code: "RECEIPT_GROUP_RANGE_BROKEN",
        seq: g.first_seq,
        message: `${what} overlaps the previous group, which ends at seq ${prevEnd - 1}: a receipt group row was written into the file`,
      });
    }
    prevEnd = Math.max(prevEnd, g.first_seq + g.size);
    // The signature over the stored header: only the ledger key can make one.
    const root = toHex(g.root);
    const key = keyOf(g.key_id);
    let why: string | undefined;
    if (g.ledger !== ledgerName)
      why = `it names ledger ${JSON.stringify(g.ledger)}, this ledger is ${JSON.stringify(ledgerName)}`;
    else if (!key) why = `key ${g.key_id} is not a recorded ledger key (ledger_keys)`;
    else {
      let ok: boolean;
      try {
        ok =
          g.signature.length === 64 &&
          edVerify(
            null,
            receiptGroupMessage({ ledger: g.ledger, keyId: g.key_id, anchorBy: g.anchor_by, size: g.size, root }),
            key,
            g.signature,
          );
      } catch {
        ok = false;
      }
      if (!ok)
        why = `the signature with key ${g.key_id} does not verify over its root ${root}, size ${g.size} and anchorBy ${g.anchor_by}: the group row was altered or written without the ledger key`;
    }
    if (why) findings.push({ code: "RECEIPT_GROUP_SIGNATURE_INVALID", seq: g.first_seq, message: `${what}: ${why}` });
    // The root rebuilt from the events as stored now.
    const rows = g.size > 0 && g.size <= 10_000_000 ? qEntries.all(g.first_seq, g.first_seq + g.size) : [];
    if (rows.length !== g.size) {
      const have = new Set(rows.map((r) => r[1]));
      const missing: number[] = [];
      for (let s = g.first_seq; s <= last && missing.length < NAMED; s++) if (!have.has(s)) missing.push(s);
      findings.push({
        code: "RECEIPT_GROUP_EVENT_MISSING",
        seq: missing[0],
        message: `${what}: ${g.size - rows.length} of its events are missing (seq ${missing.join(", ")}${g.size - rows.length > missing.length ? ", …" : ""}): events the ledger signed a receipt for were deleted`,
      });
      continue;
    }
    const leaves = Buffer.alloc(rows.length * HASH_LENGTH);
    rows.forEach(([id, seq, leaf, receivedAt], i) =>
      leaves.set(receiptLeafOf(id, seq, leaf, receivedAt), i * HASH_LENGTH),
    );
    const levels = buildLevelBytes(nodeHasher, leaves);
    const rebuilt = Buffer.from(levels[levels.length - 1].subarray(0, HASH_LENGTH));
    if (!rebuilt.equals(g.root)) {
      findings.push({
        code: "RECEIPT_GROUP_ROOT_MISMATCH",
        seq: g.first_seq,
        message: `${what}: the root rebuilt from its events is ${toHex(rebuilt)}, the signed root is ${root}: an event the ledger signed a receipt for was altered, replaced or re-hashed`,
      });
    }
  }
  // API events in no group (the group row deleted, or the row written into the file).
  const applied = db
    .prepare<[string], string>("SELECT applied_at FROM schema_migrations WHERE id = ?")
    .pluck()
    .get(RECEIPT_GROUPS_MIGRATION);
  const firstGroup = groups.length ? groups[0].first_seq : Number.MAX_SAFE_INTEGER;
  const orphans = db
    .prepare<
      [string],
      { seq: number; event_id: string; received_at: string; client: string | null; role: string | null }
    >(
      `SELECT e.seq, e.event_id, e.received_at, e.client,
              CASE WHEN json_valid(e.record) THEN json_extract(e.record, '$.submittedBy.role') END AS role
         FROM events e
        WHERE NOT EXISTS (SELECT 1 FROM receipt_groups g
                           WHERE g.first_seq = (SELECT max(first_seq) FROM receipt_groups WHERE first_seq <= e.seq)
                             AND e.seq < g.first_seq + g.size)
          AND ((e.client IS NOT NULL AND e.client <> ?) OR role = 'mes')
        ORDER BY e.seq`,
    )
    .all(LEDGER_CLIENT);
  for (const o of orphans) {
    if (applied && o.received_at < applied && o.seq < firstGroup) continue;
    findings.push({
      code: "EVENT_WITHOUT_RECEIPT_GROUP",
      seq: o.seq,
      eventId: o.event_id,
      message: `event ${o.event_id} (seq ${o.seq}) was accepted over the API (client ${o.client ?? "?"}, role ${o.role ?? "?"}) but lies in no receipt group: its group row was deleted, or the row was written into the file`,
    });
  }
  return { groups: groups.length, findings };
}
