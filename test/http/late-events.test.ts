/**
 * Late events, the GxP way (issue 12 item 4): an event whose sourceSequence fills a gap the ledger
 * flagged for its source is accepted on an explicit late post with a reason, marked late (late_events,
 * a security event, the batch review's trail), and never over a stored number.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices, addClient } from "../../src/service/app/api";
import { LEDGER_ACTOR } from "../../src/service/security/security";
import { auditLedger } from "../../src/service/audit/audit";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { receiptPublicKeyFile, verifyReceipt } from "../../src/crypto/receipt-key";
import { sampleEvent } from "../helpers/events";

describe("POST /v1/events?late=true", () => {
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  let token: string;
  const SOURCE = "urn:mes:pasx:site-DE01:late-test";
  const ev = (n: number) => sampleEvent({ source: SOURCE, sourceSequence: n }, "B-LATE");
  const post = (body: unknown, query = "") =>
    app.inject({
      method: "POST",
      url: `/v1/events${query}`,
      headers: { authorization: `Bearer ${token}` },
      payload: body as object,
    });
  const late = (body: unknown, reason = "MES outage 2026-12-04, event replayed from the MES buffer") =>
    post(body, `?late=true&reason=${encodeURIComponent(reason)}`);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-late-"));
    ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
    api = createApiServices(ledger, dir, "default", 3_600_000);
    token = addClient(api.clients, api.security, { name: "mes-1", role: "mes" }, LEDGER_ACTOR).token;
    app = buildApp({ ledger, ...api });
    // sourceSequence 1, 2, then 5: the ledger flags the gap 3..4.
    for (const n of [1, 2, 5]) expect((await post(ev(n))).statusCode).to.equal(201);
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a missed number on an ordinary post, as before (409 SOURCE_SEQUENCE_NOT_INCREASING)", async () => {
    const res = await post(ev(3));
    expect(res.statusCode).to.equal(409);
    expect(res.json()).to.include({ code: "SOURCE_SEQUENCE_NOT_INCREASING" });
  });

  it("accepts a number of a flagged gap on a late post, with a receipt, a late marker, a security event and the trail flag", async () => {
    const e = ev(3);
    const res = await late(e);
    expect(res.statusCode, res.body).to.equal(201);
    const receipt = res.json();
    verifyReceipt(receipt, fs.readFileSync(receiptPublicKeyFile(dir), "utf8"));
    expect(ledger.events.lateEvents(SOURCE)).to.deep.equal([
      {
        seq: receipt.seq,
        eventId: e.id,
        source: SOURCE,
        sourceSequence: 3,
        gapSeq: 3,
        reason: "MES outage 2026-12-04, event replayed from the MES buffer",
        client: "mes-1",
        acceptedAt: receipt.receivedAt,
      },
    ]);
    const sec = (
      ledger.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[]
    ).map((r) => JSON.parse(r).event.data);
    expect(sec.filter((d) => d.kind === "event.late_accepted")).to.deep.equal([
      {
        kind: "event.late_accepted",
        eventId: e.id,
        seq: receipt.seq,
        source: SOURCE,
        sourceSequence: 3,
        reason: "MES outage 2026-12-04, event replayed from the MES buffer",
        client: "mes-1",
      },
    ]);
    // The replay of a late event answers its original receipt.
    const again = await late(e);
    expect(again.statusCode).to.equal(200);
    expect(again.json()).to.deep.equal(receipt);
    expect((await auditLedger(ledger)).findings).to.deep.equal([]);
    const report = await verifyBatch(ledger, "B-LATE", { confirmations: 1 });
    const flagged = report!.trail.filter((t) => t.flags.some((f) => f.startsWith("LATE: sourceSequence 3")));
    expect(flagged.map((t) => t.eventId)).to.deep.equal([e.id]);
  });

  it("never goes back over a stored number, nor past the last one (409 LATE_EVENT_ALREADY_STORED, LATE_EVENT_NOT_IN_GAP)", async () => {
    expect((await late(ev(4))).statusCode).to.equal(201);
    const twice = await late(ev(4));
    expect(twice.statusCode).to.equal(409);
    expect(twice.json()).to.include({ code: "LATE_EVENT_ALREADY_STORED" });
    for (const n of [2, 5, 6, 0]) {
      const res = await late(ev(n));
      expect(res.statusCode, `sourceSequence ${n}`).to.equal(409);
      expect(res.json()).to.include({ code: "LATE_EVENT_NOT_IN_GAP" });
    }
    expect(ledger.events.lateEvents().map((l) => l.sourceSequence)).to.deep.equal([4]);
  });

  it("needs a reason (400 LATE_REASON_REQUIRED)", async () => {
    for (const q of ["?late=true", "?late=true&reason=", "?late=yes&reason=because%20of%20an%20outage"]) {
      const res = await post(ev(3), q);
      expect(res.statusCode, q).to.equal(400);
      expect(res.json()).to.include({ code: "LATE_REASON_REQUIRED" });
    }
    expect(ledger.events.lateEvents()).to.deep.equal([]);
  });

  it("keeps late_events append-only", async () => {
    expect((await late(ev(3))).statusCode).to.equal(201);
    expect(() => ledger.db.prepare("UPDATE late_events SET reason = 'x'").run()).to.throw(/append-only/);
    expect(() => ledger.db.prepare("DELETE FROM late_events").run()).to.throw(/append-only/);
  });
});
