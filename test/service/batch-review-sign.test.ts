/**
 * QA's daily work in-process (issue 13 item 5): the batch listing and its filters, "did you mean"
 * for an unknown batch id, GET /v1/batches, and review-batch --sign: a signed batch.review_completed
 * of a qa client's own Ed25519 key, through ingestion, listed by the review afterwards, refused for
 * every signer or key that is not the registered person's, and not movable to another batch.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import type { FastifyInstance } from "fastify";
import {
  BatchReport,
  GxpEvent,
  computePayloadHash,
  INTEGRITY_VERIFIED_MEANING,
  isCoreError,
  qaReviewsOf,
  reportHashOf,
  suggestBatchIds,
} from "../../src/core";
import { openLedger, Ledger, loadLedgerKey } from "../../src/service/app/ledger";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import {
  listBatches,
  noteVerification,
  unknownBatchMessage,
  BatchQueryError,
} from "../../src/service/batch/batch-list";
import { signBatchReview, SignReviewOptions, zonedTime } from "../../src/service/batch/batch-sign";
import { createIngestor } from "../../src/service/ingest/ingest";
import { createSecurityRecorder } from "../../src/service/security/security";
import { createClientStore, Role } from "../../src/store/clients";
import { parseSigningKey } from "../../src/crypto/source-sig";
import { buildApp } from "../../src/http/app";
import { createApiServices } from "../../src/service/app/api";
import { generateBatch } from "../helpers/batch-fixture";

const PASS = "correct horse battery staple";

/** The events as another product's (payload hash recomputed). */
const asProduct = (events: GxpEvent[], productCode: string): GxpEvent[] =>
  events.map((e) => {
    const x: GxpEvent = { ...e, batch: { ...e.batch!, productCode } };
    return { ...x, payloadHash: computePayloadHash(x as unknown as Record<string, unknown>) };
  });

function qaKey(passphrase = PASS) {
  return generateKeyPairSync("ed25519", {
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase },
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isCoreError(e) || typeof (e as { code?: unknown }).code === "string", String(e)).to.equal(true);
    return (e as { code: string }).code;
  }
  return "no error";
}

describe("QA's daily work: batches, suggestions, signed reviews", function () {
  this.timeout(60_000);
  let dir: string;
  let ledger: Ledger;
  const key = qaKey();
  const start = new Date(Date.now() - 3 * 86_400_000);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-qa-"));
    ledger = openLedger(dir);
    ledger.events.append(generateBatch({ batchId: "LOT-2026-011", start, source: "urn:mes:a" }).events);
    ledger.events.append(
      generateBatch({
        batchId: "LOT-2026-012",
        variant: "open-deviation",
        start: new Date(start.getTime() + 86_400_000),
        source: "urn:mes:b",
      }).events,
    );
    // A batch still running: its first 10 events (up to the first signature), no disposition yet.
    const other = generateBatch({
      batchId: "LOT-2027-001",
      start: new Date(start.getTime() + 2 * 86_400_000),
      source: "urn:mes:c",
    }).events.slice(0, 10);
    ledger.events.append(asProduct(other, "FG-OTHER"));
    const clients = createClientStore(ledger.db);
    clients.add("qa.mkeller", "qa", parseSigningKey(key.publicKey), new Date());
    clients.add("qa.nokey", "qa", undefined, new Date());
    clients.add("mes.signing", "mes", parseSigningKey(key.publicKey), new Date());
    clients.add("qa.gone", "qa", parseSigningKey(key.publicKey), new Date());
    clients.revoke("qa.gone", new Date());
  });
  afterEach(() => {
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const report = async (id = "LOT-2026-011"): Promise<BatchReport> =>
    (await verifyBatch(ledger, id, { confirmations: 1 }))!;
  const opts = (o: Partial<SignReviewOptions> = {}): SignReviewOptions => ({
    client: "qa.mkeller",
    printedName: "Dr. Maria Keller",
    privateKeyPem: key.privateKey,
    passphrase: PASS,
    timeZone: "Europe/Berlin",
    receiptKey: loadLedgerKey(ledger.db, dir),
    anchorWithinMs: 600_000,
    now: () => new Date("2026-12-04T18:30:00.000Z"),
    ...o,
  });
  /** The report as it would be once every event is anchored (the integrity checks of the ledger all passed here). */
  const anchoredReport = async (): Promise<BatchReport> => {
    const r = await report();
    expect(r.verdict).to.equal("NOT-ANCHORED");
    expect(r.integrity.ok).to.equal(true);
    return { ...r, verdict: "PASS", exitCode: 0, anchoring: { ...r.anchoring, anchored: r.events, notAnchored: [] } };
  };

  describe("listBatches", () => {
    it("lists every batch with product, first and last event, disposition, and 'not verified'", () => {
      const { batches, next } = listBatches(ledger, {});
      expect(batches.map((b) => b.batchId)).to.deep.equal(["LOT-2026-011", "LOT-2026-012", "LOT-2027-001"]);
      expect(next).to.equal(null);
      const [a, , c] = batches;
      expect(a.product).to.equal("FG-IBU400-FCT");
      expect(a.disposition).to.equal("released");
      expect(a.events).to.equal(89);
      expect(Date.parse(a.firstEventAt!)).to.be.lessThan(Date.parse(a.lastEventAt!));
      expect(a.verification).to.equal(null);
      expect(c.disposition).to.equal("open");
      expect(c.product).to.equal("FG-OTHER");
    });

    it("filters by disposition, product, prefix and time, and pages with a cursor", () => {
      expect(listBatches(ledger, { status: "open" }).batches.map((b) => b.batchId)).to.deep.equal(["LOT-2027-001"]);
      expect(listBatches(ledger, { status: "released" }).batches.map((b) => b.batchId)).to.deep.equal([
        "LOT-2026-011",
        "LOT-2026-012",
      ]);
      expect(listBatches(ledger, { product: "FG-OTHER" }).batches.map((b) => b.batchId)).to.deep.equal([
        "LOT-2027-001",
      ]);
      expect(listBatches(ledger, { prefix: "LOT-2026" }).batches.map((b) => b.batchId)).to.deep.equal([
        "LOT-2026-011",
        "LOT-2026-012",
      ]);
      const day2 = new Date(start.getTime() + 86_400_000 + 3_600_000).toISOString();
      expect(listBatches(ledger, { from: day2 }).batches.map((b) => b.batchId)).to.deep.equal([
        "LOT-2026-012",
        "LOT-2027-001",
      ]);
      expect(
        listBatches(ledger, { to: new Date(start.getTime() + 3_600_000).toISOString() }).batches.map((b) => b.batchId),
      ).to.deep.equal(["LOT-2026-011"]);
      const p1 = listBatches(ledger, { limit: 2 });
      expect(p1.batches.map((b) => b.batchId)).to.deep.equal(["LOT-2026-011", "LOT-2026-012"]);
      const p2 = listBatches(ledger, { limit: 2, cursor: p1.next! });
      expect(p2.batches.map((b) => b.batchId)).to.deep.equal(["LOT-2027-001"]);
      expect(p2.next).to.equal(null);
    });

    it("refuses a bad filter naming the field (QUERY_INVALID)", () => {
      for (const [q, field] of [
        [{ status: "shipped" }, "status"],
        [{ from: "yesterday" }, "from"],
        [{ limit: 0 }, "limit"],
        [{ cursor: "not-a-cursor" }, "cursor"],
      ] as const) {
        try {
          listBatches(ledger, q);
          expect.fail(`accepted ${JSON.stringify(q)}`);
        } catch (e) {
          expect(e).to.be.instanceOf(BatchQueryError);
          expect((e as BatchQueryError).code).to.equal("QUERY_INVALID");
          expect((e as BatchQueryError).field).to.equal(field);
        }
      }
    });

    it("shows the last verification's verdict, and that the batch grew after it", async () => {
      const r = await report("LOT-2027-001");
      expect(noteVerification(ledger, r, "test")).to.equal(true);
      let b = listBatches(ledger, { prefix: "LOT-2027" }).batches[0];
      expect(b.verification).to.include({
        verdict: "NOT-ANCHORED",
        integrityOk: true,
        events: 10,
        current: true,
        reportHash: reportHashOf(r),
      });
      const more = generateBatch({
        batchId: "LOT-2027-001",
        start: new Date(start.getTime() + 2 * 86_400_000),
        source: "urn:mes:c",
      }).events.slice(12, 14);
      ledger.events.append(asProduct(more, "FG-OTHER"));
      b = listBatches(ledger, { prefix: "LOT-2027" }).batches[0];
      expect(b.events).to.equal(12);
      expect(b.verification!.current).to.equal(false);
    });
  });

  describe("suggestions for an unknown batch id", () => {
    it("names the ids that extend a shortened one, else close ids", () => {
      const known = ["LOT-2026-011", "LOT-2026-012", "LOT-2026-020", "B-1"];
      expect(suggestBatchIds("LOT-2026-01", known)).to.deep.equal(["LOT-2026-011", "LOT-2026-012"]);
      expect(suggestBatchIds("lot-2026-020", known)).to.deep.equal(["LOT-2026-020"]);
      expect(suggestBatchIds("LOT-2026-021", known)).to.deep.equal(["LOT-2026-011", "LOT-2026-020", "LOT-2026-012"]);
      expect(suggestBatchIds("lot-2026-01", known)).to.deep.equal(["LOT-2026-011", "LOT-2026-012"]);
      expect(suggestBatchIds("X-9", known)).to.deep.equal([]);
      expect(unknownBatchMessage(ledger, "LOT-2026-01")).to.contain("LOT-2026-011, LOT-2026-012");
    });
  });

  describe("signBatchReview", () => {
    it("refuses to sign 'integrity verified' for a batch whose integrity is not verified (REVIEW_NOT_VERIFIED)", async () => {
      const r = await report(); // NOT-ANCHORED: nothing sealed or anchored here
      expect(codeOf(() => signBatchReview(ledger, r, opts()))).to.equal("REVIEW_NOT_VERIFIED");
      expect(codeOf(() => signBatchReview(ledger, r, opts({ meaning: "Reviewed: Integrity Verified" })))).to.equal(
        "REVIEW_NOT_VERIFIED",
      );
      const failed: BatchReport = { ...r, verdict: "INTEGRITY-FAIL", integrity: { ...r.integrity, ok: false } };
      expect(codeOf(() => signBatchReview(ledger, failed, opts()))).to.equal("REVIEW_NOT_VERIFIED");
      // An explicit other meaning is signed, with the verdict it was given.
      const s = signBatchReview(ledger, r, opts({ meaning: "reviewed — not yet anchored, to be reviewed again" }));
      expect(s.event.data).to.include({
        verdict: "NOT-ANCHORED",
        integrityOk: true,
        meaning: "reviewed — not yet anchored, to be reviewed again",
      });
    });

    it("records a signed batch.review_completed with the 11.50 manifestation, verdict, report hash and batch head", async () => {
      const r = await anchoredReport();
      const lastEventAt = listBatches(ledger, { prefix: "LOT-2026-011" }).batches[0].lastEventAt;
      const s = signBatchReview(ledger, r, opts());
      const stored = ledger.events.getById(s.event.id)!;
      expect(stored.seq).to.equal(s.receipt.seq);
      expect(stored.record.submittedBy).to.deep.include({ client: "qa.mkeller", role: "qa", signingAlg: "EdDSA" });
      const ev = stored.record.event;
      expect(ev.type).to.equal("batch.review_completed");
      expect(ev.actor).to.deep.equal({
        type: "person",
        userId: "qa.mkeller",
        printedName: "Dr. Maria Keller",
        role: "QA",
      });
      expect(ev.batch!.batchId).to.equal("LOT-2026-011");
      expect(ev.sourceSig).to.be.a("string");
      const head = r.trail[r.trail.length - 1];
      expect(ev.data).to.deep.include({
        meaning: INTEGRITY_VERIFIED_MEANING,
        signedAt: "2026-12-04T19:30:00.000+01:00",
        timeZone: "Europe/Berlin",
        verdict: "PASS",
        integrityOk: true,
        reportHash: reportHashOf(r),
      });
      expect((ev.data as { reviewedHead: unknown }).reviewedHead).to.deep.equal({
        batchSeq: head.batchSeq,
        eventId: head.eventId,
        leafHash: r.trail.length
          ? "0x" + Buffer.from(ledger.events.getById(head.eventId)!.leafHash).toString("hex")
          : "",
      });

      // The review afterwards lists it, checks its source signature, and leaves the MES checklist as it was.
      const after = await report();
      expect(after.reviews).to.have.length(1);
      expect(after.reviews![0]).to.include({
        eventId: s.event.id,
        printedName: "Dr. Maria Keller",
        meaning: INTEGRITY_VERIFIED_MEANING,
        status: "valid",
        verdict: "PASS",
      });
      expect(after.integrity.ok).to.equal(true);
      expect(after.integrity.checks.find((c) => c.check === "source signatures")!.detail).to.contain(
        "1 of 1 signed event",
      );
      expect(after.checklist.map((c) => [c.id, c.status])).to.deep.equal(r.checklist.map((c) => [c.id, c.status]));
      expect(after.trail.find((t) => t.eventId === s.event.id)!.flags).to.deep.equal(["qa-review"]);
      // And the listing shows it.
      const listed = listBatches(ledger, { prefix: "LOT-2026-011" }).batches[0];
      expect(listed.review).to.include({ eventId: s.event.id, printedName: "Dr. Maria Keller", verdict: "PASS" });
      // The last event of the MES's record is still the last event shown; the review has its own column.
      expect(listed.lastEventAt).to.equal(lastEventAt);
      expect(listed.events).to.equal(90);
    });

    it("signs only as a registered, active qa person with that person's passphrase-protected key", async () => {
      const r = await anchoredReport();
      const other = qaKey();
      const plain = generateKeyPairSync("ed25519", {
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
      });
      expect(codeOf(() => signBatchReview(ledger, r, opts({ passphrase: "wrong" })))).to.equal("REVIEW_KEY_REFUSED");
      expect(codeOf(() => signBatchReview(ledger, r, opts({ privateKeyPem: plain.privateKey })))).to.equal(
        "REVIEW_KEY_UNENCRYPTED",
      );
      expect(codeOf(() => signBatchReview(ledger, r, opts({ privateKeyPem: other.privateKey })))).to.equal(
        "REVIEW_KEY_MISMATCH",
      );
      expect(codeOf(() => signBatchReview(ledger, r, opts({ client: "nobody" })))).to.equal("REVIEW_SIGNER_UNKNOWN");
      expect(codeOf(() => signBatchReview(ledger, r, opts({ client: "qa.gone" })))).to.equal("REVIEW_SIGNER_REVOKED");
      expect(codeOf(() => signBatchReview(ledger, r, opts({ client: "mes.signing" })))).to.equal(
        "REVIEW_SIGNER_NOT_QA",
      );
      expect(codeOf(() => signBatchReview(ledger, r, opts({ client: "qa.nokey" })))).to.equal("REVIEW_SIGNER_NO_KEY");
      expect(codeOf(() => signBatchReview(ledger, r, opts({ timeZone: "Mars/Olympus" })))).to.equal(
        "REVIEW_INPUT_INVALID",
      );
      expect(
        ledger.db
          .prepare("SELECT count(*) FROM events WHERE type = 'batch.review_completed' AND source LIKE 'urn:gxp-qa:%'")
          .pluck()
          .get(),
      ).to.equal(0);
    });

    it("a signed review cannot be moved to another batch or replayed under another id (SOURCE_SIGNATURE_INVALID)", async () => {
      const s = signBatchReview(ledger, await anchoredReport(), opts());
      const client = createClientStore(ledger.db).get("qa.mkeller")!;
      const ingestor = createIngestor(ledger, {
        ledgerName: ledger.name,
        receiptKey: loadLedgerKey(ledger.db, dir),
        anchorWithinMs: 600_000,
        security: createSecurityRecorder(ledger, ledger.name),
      });
      const moved: GxpEvent = {
        ...s.event,
        id: "qa-review-moved",
        sourceSequence: 1,
        batch: { ...s.event.batch!, batchId: "LOT-2026-012" },
      };
      expect(codeOf(() => ingestor.ingest([moved], client))).to.equal("SOURCE_SIGNATURE_INVALID");
      const replayed: GxpEvent = { ...s.event, id: "qa-review-copy", sourceSequence: 1 };
      expect(codeOf(() => ingestor.ingest([replayed], client))).to.equal("SOURCE_SIGNATURE_INVALID");
    });

    it("a review whose batch head does not match the record is an integrity finding (REVIEW_HEAD_MISMATCH)", async () => {
      const s = signBatchReview(ledger, await anchoredReport(), opts());
      const entries = ledger.events
        .byBatch("LOT-2026-011", -1, 1000)
        .map((e) => ({ record: e.record, leafHash: "0x" + Buffer.from(e.leafHash).toString("hex") }));
      expect(qaReviewsOf(entries).findings).to.deep.equal([]);
      const forged = entries.map((e) =>
        e.record.event.id === s.event.id
          ? {
              ...e,
              record: {
                ...e.record,
                event: {
                  ...e.record.event,
                  data: {
                    ...e.record.event.data,
                    reviewedHead: { ...(e.record.event.data.reviewedHead as object), leafHash: "0x" + "ab".repeat(32) },
                  },
                },
              },
            }
          : e,
      );
      const { views, findings } = qaReviewsOf(forged);
      expect(findings.map((f) => f.code)).to.deep.equal(["REVIEW_HEAD_MISMATCH"]);
      expect(views[0].status).to.equal("head-mismatch");
    });

    it("writes the signing time with the zone's offset at that instant", () => {
      expect(zonedTime(new Date("2026-07-01T12:00:00Z"), "Europe/Berlin")).to.equal("2026-07-01T14:00:00.000+02:00");
      expect(zonedTime(new Date("2026-12-01T12:00:00Z"), "America/New_York")).to.equal("2026-12-01T07:00:00.000-05:00");
      expect(zonedTime(new Date("2026-12-01T12:00:00Z"), "UTC")).to.equal("2026-12-01T12:00:00.000+00:00");
    });
  });

  describe("GET /v1/batches", () => {
    let app: FastifyInstance;
    const tokens: Record<string, string> = {};
    beforeEach(() => {
      const api = createApiServices(ledger, dir, "DE01", 660_000);
      for (const role of ["mes", "qa", "auditor", "admin"] as Role[])
        tokens[role] = api.clients.add(`h-${role}`, role, undefined, new Date()).token;
      app = buildApp({ ledger, ...api });
    });
    afterEach(async () => app.close());
    const get = (url: string, who: string) =>
      app.inject({ method: "GET", url, headers: { authorization: `Bearer ${tokens[who]}` } });

    it("lists batches to qa, auditor and admin, and refuses mes (403)", async () => {
      for (const who of ["qa", "auditor", "admin"]) {
        const res = await get("/v1/batches", who);
        expect(res.statusCode, res.body).to.equal(200);
        expect(res.json().batches.map((b: { batchId: string }) => b.batchId)).to.deep.equal([
          "LOT-2026-011",
          "LOT-2026-012",
          "LOT-2027-001",
        ]);
      }
      expect((await get("/v1/batches", "mes")).statusCode).to.equal(403);
    });

    it("filters, pages with next, and answers a bad filter with 400 QUERY_INVALID", async () => {
      const open = (await get("/v1/batches?status=open", "qa")).json();
      expect(open.batches.map((b: { batchId: string }) => b.batchId)).to.deep.equal(["LOT-2027-001"]);
      expect(open.batches[0]).to.include({
        disposition: "open",
        product: "FG-OTHER",
        events: 10,
        verification: null,
        review: null,
      });
      const p1 = (await get("/v1/batches?product=FG-IBU400-FCT&limit=1", "qa")).json();
      expect(p1.batches.map((b: { batchId: string }) => b.batchId)).to.deep.equal(["LOT-2026-011"]);
      const p2 = (await get(p1.next, "qa")).json();
      expect(p2.batches.map((b: { batchId: string }) => b.batchId)).to.deep.equal(["LOT-2026-012"]);
      expect(p2.next).to.equal(null);
      const bad = await get("/v1/batches?status=shipped", "qa");
      expect(bad.statusCode).to.equal(400);
      expect(bad.json().code).to.equal("QUERY_INVALID");
    });

    it("declares operationId listBatches with a response schema", async () => {
      await app.ready();
      const doc = app.swagger() as {
        paths: Record<
          string,
          {
            get?: {
              operationId?: string;
              responses?: Record<
                string,
                { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }
              >;
            };
          }
        >;
      };
      const op = doc.paths["/v1/batches"].get!;
      expect(op.operationId).to.equal("listBatches");
      const schema = op.responses!["200"].content!["application/json"].schema!;
      expect(Object.keys(schema.properties!)).to.deep.equal(["batches", "next"]);
    });
  });
});
