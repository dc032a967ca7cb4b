/**
 * The window before anchoring (issue 12 item 5): an attacker with file access edits, deletes or
 * fabricates events that are not yet anchored. Receipt groups, signed at commit with the ledger key,
 * are what audit checks them against; the receipt endpoint serves only what was signed at commit.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { addClient, createApiServices, ApiServices } from "../../src/service/app/api";
import { LEDGER_ACTOR } from "../../src/service/security/security";
import { auditLedger, AuditFinding } from "../../src/service/audit/audit";
import { receiptLeafOf } from "../../src/service/audit/audit-receipts";
import { fromHex, receiptLeafHash, toHex } from "../../src/core";
import { buildApp } from "../../src/http/app";
import { Client } from "../../src/store/clients";
import { sampleEvent, sampleEvents } from "../helpers/events";
import { recordOf, rewriteRecord, tamper } from "../helpers/tamper";

interface Fixture {
  dir: string;
  ledger: Ledger;
  api: ApiServices;
  client: Client;
}

const fixtures: Fixture[] = [];

/** A ledger with three commit groups of three events each (seq 1..9, after the client.added security event at seq 0), posted by an mes client, none sealed. */
function setup(): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-receipts-"));
  const ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
  const api = createApiServices(ledger, dir, "default", 3_600_000);
  // As `client add` does: the client and its client.added security event together (audit checks the
  // client tables against those events).
  const client = addClient(api.clients, api.security, { name: "mes-1", role: "mes" }, LEDGER_ACTOR).client;
  for (let g = 0; g < 3; g++) api.ingestor.ingest(sampleEvents(3, "B-R"), client);
  const f = { dir, ledger, api, client };
  fixtures.push(f);
  return f;
}

/** The attacker also drops the receipt_groups triggers. */
const tamperGroups = (l: Ledger, sql: string, ...params: unknown[]) => {
  l.db.exec("DROP TRIGGER IF EXISTS receipt_groups_no_update; DROP TRIGGER IF EXISTS receipt_groups_no_delete;");
  tamper(l, sql, ...params);
};

const has = (findings: AuditFinding[], want: Partial<AuditFinding>) =>
  expect(
    findings.some((f) => Object.entries(want).every(([k, v]) => f[k as keyof AuditFinding] === v)),
    `want ${JSON.stringify(want)} among ${JSON.stringify(findings, null, 1)}`,
  ).to.equal(true);
const codes = (findings: AuditFinding[]) => [...new Set(findings.map((f) => f.code))].sort();

after(() => {
  for (const f of fixtures) {
    if (f.ledger.db.open) f.ledger.close();
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});

describe("receiptLeafOf", () => {
  it("is the core's receipt leaf hash, for ids with quotes, backslashes, control characters and non-ASCII", () => {
    const leaf = "0x" + "ab".repeat(32);
    for (const id of ["evt-1", 'a"b\\c', "tab\there\u0001", "Straße-é-😀", "\u2028x"]) {
      for (const seq of [0, 7, 123456789]) {
        expect(toHex(receiptLeafOf(id, seq, fromHex(leaf), "2026-12-04T10:00:00.000Z"))).to.equal(
          toHex(receiptLeafHash({ id, seq, leafHash: leaf, receivedAt: "2026-12-04T10:00:00.000Z" })),
        );
      }
    }
  });
});

describe("auditLedger: receipt groups", () => {
  describe("when nothing was touched", () => {
    it("checks every group and finds nothing, before and after sealing, with the ledger's own events in no group", async () => {
      const f = setup();
      f.api.security.record("test.system", {});
      const r = await auditLedger(f.ledger);
      expect(r.findings).to.deep.equal([]);
      expect(r.receiptGroups).to.equal(3);
      f.ledger.sealer.seal(new Date());
      expect((await auditLedger(f.ledger)).findings).to.deep.equal([]);
    });
  });

  describe("when a pending record is edited and its leaf recomputed", () => {
    it("names the receipt group whose signed root no longer matches (RECEIPT_GROUP_ROOT_MISMATCH)", async () => {
      const f = setup();
      // seq 9 is the newest event of its batch: no batch link points at it, so only the receipt group can tell.
      rewriteRecord(f.ledger, 9, recordOf(f.ledger, 9).replace('"value":61.5', '"value":66.5'));
      const r = await auditLedger(f.ledger);
      has(r.findings, { code: "RECEIPT_GROUP_ROOT_MISMATCH", seq: 7 });
      expect(codes(r.findings)).to.deep.equal(["RECEIPT_GROUP_ROOT_MISMATCH"]);
    });
  });

  describe("when the newest pending events are deleted", () => {
    it("names the missing events of their group (RECEIPT_GROUP_EVENT_MISSING)", async () => {
      const f = setup();
      tamper(f.ledger, "DELETE FROM events WHERE seq >= 8");
      const r = await auditLedger(f.ledger);
      has(r.findings, { code: "RECEIPT_GROUP_EVENT_MISSING", seq: 8 });
    });

    it("with their receipt group row, still names the last group's deleted events when the group is left half", async () => {
      const f = setup();
      tamperGroups(f.ledger, "DELETE FROM events WHERE seq >= 6");
      tamperGroups(f.ledger, "DELETE FROM receipt_groups WHERE first_seq = 7");
      const r = await auditLedger(f.ledger);
      has(r.findings, { code: "RECEIPT_GROUP_EVENT_MISSING", seq: 6 });
    });
  });

  describe("when a receipt group row is deleted", () => {
    it("names every API event left without a group (EVENT_WITHOUT_RECEIPT_GROUP)", async () => {
      const f = setup();
      tamperGroups(f.ledger, "DELETE FROM receipt_groups WHERE first_seq = 4");
      const r = await auditLedger(f.ledger);
      for (const seq of [4, 5, 6]) has(r.findings, { code: "EVENT_WITHOUT_RECEIPT_GROUP", seq });
      expect(codes(r.findings)).to.deep.equal(["EVENT_WITHOUT_RECEIPT_GROUP"]);
    });
  });

  describe("when a row is written into the file as if an MES had posted it", () => {
    it("names it (EVENT_WITHOUT_RECEIPT_GROUP)", async () => {
      const f = setup();
      f.ledger.events.append([sampleEvent({}, "B-R")], { submittedBy: { client: "mes-1", role: "mes" } });
      const r = await auditLedger(f.ledger);
      has(r.findings, { code: "EVENT_WITHOUT_RECEIPT_GROUP", seq: 10 });
    });
  });

  describe("when a group row is re-written to match edited events", () => {
    it("names the group whose signature does not verify (RECEIPT_GROUP_SIGNATURE_INVALID)", async () => {
      const f = setup();
      const sig = f.ledger.db
        .prepare("SELECT signature FROM receipt_groups WHERE first_seq = 1")
        .pluck()
        .get() as Buffer;
      const bad = Buffer.from(sig);
      bad[0] ^= 1;
      tamperGroups(f.ledger, "UPDATE receipt_groups SET signature = ? WHERE first_seq = 1", bad);
      tamperGroups(f.ledger, "UPDATE receipt_groups SET anchor_by = '2099-01-01T00:00:00.000Z' WHERE first_seq = 7");
      const r = await auditLedger(f.ledger);
      has(r.findings, { code: "RECEIPT_GROUP_SIGNATURE_INVALID", seq: 1 });
      has(r.findings, { code: "RECEIPT_GROUP_SIGNATURE_INVALID", seq: 7 });
      expect(codes(r.findings)).to.deep.equal(["RECEIPT_GROUP_SIGNATURE_INVALID"]);
    });

    it("names a group signed by a key that is not a recorded ledger key", async () => {
      const f = setup();
      tamperGroups(f.ledger, "UPDATE receipt_groups SET key_id = ? WHERE first_seq = 4", "ab".repeat(32));
      has((await auditLedger(f.ledger)).findings, { code: "RECEIPT_GROUP_SIGNATURE_INVALID", seq: 4 });
    });
  });
});

describe("GET /v1/events/{id}/receipt", () => {
  let f: Fixture;
  let app: FastifyInstance;
  let qa: string;
  beforeEach(() => {
    f = setup();
    qa = addClient(f.api.clients, f.api.security, { name: "qa-1", role: "qa" }, LEDGER_ACTOR).token;
    app = buildApp({ ledger: f.ledger, ...f.api });
  });
  afterEach(async () => {
    await app.close();
  });
  const get = (id: string) =>
    app.inject({
      method: "GET",
      url: `/v1/events/${encodeURIComponent(id)}/receipt`,
      headers: { authorization: `Bearer ${qa}` },
    });

  it("serves the receipt signed at commit, byte for byte", async () => {
    const ev = sampleEvent({}, "B-R");
    const [{ receipt }] = f.api.ingestor.ingest([ev], f.client);
    const res = await get(ev.id as string);
    expect(res.statusCode).to.equal(200);
    expect(res.json()).to.deep.equal(receipt);
  });

  describe("when the event has no stored receipt", () => {
    it("answers 404 RECEIPT_NOT_FOUND for a row written into the file, never a fresh signature", async () => {
      const ev = sampleEvent({}, "B-R");
      f.ledger.events.append([ev], { submittedBy: { client: "mes-1", role: "mes" } });
      const res = await get(ev.id as string);
      expect(res.statusCode).to.equal(404);
      expect(res.json()).to.include({ code: "RECEIPT_NOT_FOUND" });
      expect(res.body).to.not.include("signature");
    });

    it("answers 404 RECEIPT_NOT_FOUND for the ledger's own events", async () => {
      const id = f.api.security.record("test.system", {});
      const res = await get(id);
      expect(res.statusCode).to.equal(404);
      expect(res.json()).to.include({ code: "RECEIPT_NOT_FOUND" });
    });
  });

  describe("when the stored group no longer matches its events", () => {
    it("answers 409 RECEIPT_GROUP_MISMATCH", async () => {
      rewriteRecord(f.ledger, 5, recordOf(f.ledger, 5).replace('"value":61.5', '"value":66.5'));
      const id = f.ledger.events.getBySeq(5)!.eventId;
      const res = await get(id);
      expect(res.statusCode).to.equal(409);
      expect(res.json()).to.include({ code: "RECEIPT_GROUP_MISMATCH" });
    });
  });
});
