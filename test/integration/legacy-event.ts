/**
 * An event that was valid when the ledger stored it but that today's event schema refuses: what an
 * earlier ledger version, with a laxer schema, left in its store. Written into the fixture's SQLite
 * file as the ledger writes a record (RFC 8785 text, leaf hash, its own batch), then sealed,
 * anchored and exported by the real CLI, so its bundle is as genuine as any other: a verifier must
 * PASS it, never holding the event to a schema that grew stricter after it was stored.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { expect } from "chai";
import {
  LedgerRecord,
  RECORD_VERSION,
  assertEvent,
  canonicalString,
  isCoreError,
  recordLeafHashOfText,
} from "../../src/core";
import { cliAsync as cli } from "../helpers/process";
import { sampleEvent } from "../helpers/events";
import { ExportedProof, ProofFixture } from "./proof-fixture";

/** The member no version of the event schema knows, which made the event a legacy one. */
export const LEGACY_MEMBER = "legacyNote";

/**
 * Stores one legacy event (a member today's schema does not know) as the next record of the
 * fixture's ledger, in a batch of its own, then seals, anchors and exports it with the CLI.
 */
export async function storeLegacyEvent(fx: ProofFixture): Promise<ExportedProof> {
  const event: Record<string, any> = {
    ...sampleEvent({ sourceSequence: 1, source: "urn:mes:legacy:site-DE01" }, "B-LEGACY-1"),
    [LEGACY_MEMBER]: "stored by an earlier ledger version",
  };
  let premise: unknown;
  try {
    assertEvent(event);
  } catch (e) {
    premise = e;
  }
  expect(isCoreError(premise, "EVENT_SCHEMA_INVALID"), "today's event schema refuses the legacy event").to.equal(true);

  const db = new Database(path.join(fx.dir, "ledger.sqlite"));
  try {
    db.pragma("busy_timeout = 10000");
    db.transaction(() => {
      const seq = ((db.prepare("SELECT max(seq) FROM events").pluck().get() as number | null) ?? -1) + 1;
      const receivedAt = new Date().toISOString();
      const record = {
        recordVersion: RECORD_VERSION,
        seq,
        receivedAt,
        salt: "0x" + randomBytes(32).toString("hex"),
        batchLink: { batchSeq: 0, prevLeafHash: null },
        event,
      } as unknown as LedgerRecord;
      const text = canonicalString(record);
      db.prepare(
        `INSERT INTO events (seq, event_id, type, source, source_sequence, batch_id, batch_seq, received_at, record, leaf_hash, client)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      ).run(
        seq,
        event.id,
        event.type,
        event.source,
        event.sourceSequence,
        "B-LEGACY-1",
        0,
        receivedAt,
        text,
        Buffer.from(recordLeafHashOfText(text)),
      );
    })();
  } finally {
    db.close();
  }
  for (const args of [["seal"], ["anchor"]]) {
    const r = await cli(["--data-dir", fx.dir, ...args]);
    expect(r.code, r.stderr).to.equal(0);
  }
  const file = path.join(fx.dir, `${event.id}.proof.json`);
  const p = await cli(["--data-dir", fx.dir, "proof", event.id as string, "-o", file]);
  expect(p.code, p.stderr).to.equal(0);
  const text = fs.readFileSync(file, "utf8");
  expect(JSON.parse(text).record.event[LEGACY_MEMBER], "the bundle carries the legacy member").to.be.a("string");
  return { eventId: event.id as string, file, text };
}
