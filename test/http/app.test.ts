import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { Wallet } from "ethers";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices } from "../../src/service/app/api";
import { signEventJws, signedBytes, parseSigningKey } from "../../src/crypto/source-sig";
import { verifyReceipt, receiptPublicKeyFile } from "../../src/crypto/receipt-key";
import { Role } from "../../src/store/clients";
import { RECEIPT_MEDIA_TYPE_V2, isCoreError } from "../../src/core";
import { sampleEvent, sampleEvents } from "../helpers/events";

function receiptCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isCoreError(e), String(e)).to.equal(true);
    return (e as { code: string }).code;
  }
  return "verified";
}

describe("buildApp", () => {
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-http-"));
    ledger = openLedger(dir);
    api = createApiServices(ledger, dir, "DE01", 660_000);
    for (const role of ["mes", "qa", "auditor", "admin"] as Role[])
      tokens[role] = api.clients.add(`c-${role}`, role, undefined, new Date()).token;
    tokens.mes2 = api.clients.add("c-mes2", "mes", undefined, new Date()).token;
    app = buildApp({ ledger, ...api });
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const auth = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const post = (body: unknown, who = "mes", url = "/v1/events") =>
    app.inject({ method: "POST", url, headers: auth(who), payload: body as object });
  const get = (url: string, who = "qa") => app.inject({ method: "GET", url, headers: who ? auth(who) : {} });
  const stored = () =>
    ledger.db.prepare("SELECT count(*) FROM events WHERE type != 'security.event'").pluck().get() as number;
  const securityKinds = () =>
    (
      ledger.db
        .prepare("SELECT record FROM events WHERE type = 'security.event' ORDER BY seq")
        .pluck()
        .all() as string[]
    ).map((r) => JSON.parse(r).event.data.kind);

  describe("authentication and roles", () => {
    it("gives each role exactly its endpoints (401 without token, 403 for the wrong role)", async () => {
      const ev = sampleEvent();
      expect((await post(ev)).statusCode).to.equal(201);
      ledger.sealer.seal(new Date());
      const routes: [string, string, Role[]][] = [
        ["POST", "/v1/events", ["mes"]],
        ["POST", "/v1/events:bulk", ["mes"]],
        ["GET", `/v1/events/${ev.id}`, ["mes", "qa", "auditor"]],
        ["GET", `/v1/events/${ev.id}/receipt`, ["mes", "qa", "auditor"]],
        ["GET", `/v1/events/${ev.id}/proof`, ["qa", "auditor"]],
        ["GET", "/v1/batches/B-2026-0042/events", ["qa", "auditor"]],
        ["GET", "/v1/epochs", ["qa", "auditor"]],
        ["GET", "/v1/epochs/0", ["qa", "auditor"]],
      ];
      for (const [method, url, allowed] of routes) {
        const body =
          method === "POST" ? (url.endsWith(":bulk") ? { events: [sampleEvent()] } : sampleEvent()) : undefined;
        const none = await app.inject({ method: method as "GET", url, payload: body });
        expect(none.statusCode, `${method} ${url} without token`).to.equal(401);
        const bad = await app.inject({
          method: method as "GET",
          url,
          payload: body,
          headers: { authorization: "Bearer gxpl_forged" },
        });
        expect(bad.statusCode, `${method} ${url} bad token`).to.equal(401);
        for (const role of ["mes", "qa", "auditor", "admin"] as Role[]) {
          const b =
            method === "POST" ? (url.endsWith(":bulk") ? { events: [sampleEvent()] } : sampleEvent()) : undefined;
          const res = await app.inject({ method: method as "GET", url, payload: b, headers: auth(role) });
          if (allowed.includes(role)) expect(res.statusCode, `${role} ${method} ${url}`).to.be.oneOf([200, 201, 202]);
          else expect(res.statusCode, `${role} ${method} ${url}`).to.equal(403);
        }
      }
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).to.equal(200);
      expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).to.equal(200);
    });
    it("lets an mes client read only its own events and receipts", async () => {
      const ev = sampleEvent();
      await post(ev);
      expect((await get(`/v1/events/${ev.id}/receipt`, "mes")).statusCode).to.equal(200);
      expect((await get(`/v1/events/${ev.id}/receipt`, "mes2")).statusCode).to.equal(404);
    });
    it("refuses a revoked token at once and records the revocation burst of failures", async () => {
      expect((await post(sampleEvent())).statusCode).to.equal(201);
      api.clients.revoke("c-mes", new Date());
      for (let i = 0; i < 10; i++) expect((await post(sampleEvent())).statusCode).to.equal(401);
      expect(stored()).to.equal(1);
      expect(securityKinds()).to.include("auth.failure_burst");
    });
  });

  describe("POST /v1/events", () => {
    it("replies 201 with a receipt signed by the ledger's key, after the event is stored", async () => {
      const ev = sampleEvent();
      const res = await post(ev);
      expect(res.statusCode).to.equal(201);
      const r = res.json();
      expect(r).to.include({ id: ev.id, ledger: "DE01" });
      expect(Date.parse(r.anchorBy) - Date.parse(r.receivedAt)).to.equal(660_000);
      const pem = fs.readFileSync(receiptPublicKeyFile(dir), "utf8");
      // A post alone in its turn is a commit group of one: index 0, empty audit path, root = its leaf.
      expect(r).to.include({ mediaType: RECEIPT_MEDIA_TYPE_V2 });
      expect(r.group).to.include({ index: 0, size: 1 }).and.to.have.property("auditPath").that.deep.equals([]);
      verifyReceipt(r, pem);
      expect(receiptCode(() => verifyReceipt({ ...r, seq: r.seq + 1 }, pem))).to.equal("RECEIPT_ROOT_MISMATCH");
      expect(receiptCode(() => verifyReceipt({ ...r, anchorBy: r.receivedAt }, pem))).to.equal(
        "RECEIPT_SIGNATURE_INVALID",
      );
      expect(receiptCode(() => verifyReceipt({ ...r, group: { ...r.group, index: 1 } }, pem))).to.equal(
        "RECEIPT_PATH_INVALID",
      );
      expect(ledger.events.getById(ev.id as string)?.record.submittedBy).to.deep.equal({
        client: "c-mes",
        role: "mes",
      });
      expect((await get(`/v1/events/${ev.id}/receipt`)).json()).to.deep.equal(r);
    });
    it("replies 400 problem+json naming every bad field, and stores nothing", async () => {
      const ev = sampleEvent({ sourceSequence: "7", receivedAt: "2026-01-01T00:00:00Z" });
      delete ev.actor;
      const res = await post(ev);
      expect(res.statusCode).to.equal(400);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
      const p = res.json();
      expect(p.code).to.equal("EVENT_SCHEMA_INVALID");
      expect(p.errors.map((e: { path: string }) => e.path)).to.have.members([
        "/actor",
        "/sourceSequence",
        "/receivedAt",
      ]);
      expect(stored()).to.equal(0);
    });
    it("replies 400 to malformed JSON and to a __proto__ key", async () => {
      const bad = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { ...auth("mes"), "content-type": "application/json" },
        payload: '{"id": ',
      });
      expect(bad.statusCode).to.equal(400);
      const proto = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { ...auth("mes"), "content-type": "application/json" },
        payload: JSON.stringify(sampleEvent()).replace(/^\{/, '{"__proto__":{"x":1},'),
      });
      expect(proto.statusCode).to.equal(400);
      expect(stored()).to.equal(0);
    });
    it("replies 200 with the original receipt to a replay, 409 and a security event to the same id with other content", async () => {
      const ev = sampleEvent();
      const first = (await post(ev)).json();
      const again = await post(ev);
      expect(again.statusCode).to.equal(200);
      expect(again.json()).to.deep.equal(first);
      const conflict = await post({ ...ev, gmpCriticality: "critical" });
      expect(conflict.statusCode).to.equal(409);
      expect(conflict.json().code).to.equal("EVENT_ID_CONFLICT");
      expect(stored()).to.equal(1);
      expect(securityKinds()).to.deep.equal(["event.id_conflict"]);
    });
    it("flags a gap in a source's sequence and refuses a repeat or a step back", async () => {
      expect((await post(sampleEvent({ source: "urn:mes:x", sourceSequence: 1 }))).statusCode).to.equal(201);
      expect((await post(sampleEvent({ source: "urn:mes:x", sourceSequence: 4 }))).statusCode).to.equal(201);
      expect(ledger.events.sourceGaps("urn:mes:x").map((g) => [g.expected, g.got])).to.deep.equal([[2, 4]]);
      for (const n of [4, 3]) {
        const r = await post(sampleEvent({ source: "urn:mes:x", sourceSequence: n }));
        expect(r.statusCode).to.equal(409);
        expect(r.json().code).to.equal("SOURCE_SEQUENCE_NOT_INCREASING");
      }
      expect(stored()).to.equal(2);
    });
  });

  describe("source-signed events", () => {
    it("accepts an Ed25519 JWS by the registered key, refuses a forged or missing one, and keeps the key in the record", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      const key = parseSigningKey(publicKey.export({ type: "spki", format: "pem" }).toString());
      tokens.signer = api.clients.add("c-signer", "mes", key, new Date()).token;
      const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      const good = signEventJws(sampleEvent() as never, pem, "EdDSA") as Record<string, unknown>;
      expect((await post(good, "signer")).statusCode).to.equal(201);
      expect(ledger.events.getById(good.id as string)?.record.submittedBy).to.deep.equal({
        client: "c-signer",
        role: "mes",
        signingAlg: "EdDSA",
        signingKey: key.key,
      });
      const other = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      const forged = signEventJws(sampleEvent() as never, other, "EdDSA");
      const r = await post(forged, "signer");
      expect(r.statusCode).to.equal(400);
      expect(r.json().code).to.equal("SOURCE_SIGNATURE_INVALID");
      const tampered = { ...good, id: "evt-other", sourceSequence: 99_999 };
      expect((await post(tampered, "signer")).json().code).to.equal("SOURCE_SIGNATURE_INVALID");
      expect((await post(sampleEvent(), "signer")).json().code).to.equal("SOURCE_SIGNATURE_INVALID");
      expect(stored()).to.equal(1);
    });
    it("accepts an EIP-191 signature by the registered address", async () => {
      const w = Wallet.createRandom();
      tokens.eth = api.clients.add("c-eth", "mes", parseSigningKey(w.address), new Date()).token;
      const ev = sampleEvent();
      const signed = { ...ev, sourceSig: await w.signMessage(signedBytes(ev as never)) };
      expect((await post(signed, "eth")).statusCode).to.equal(201);
      const forged = { ...sampleEvent(), sourceSig: await Wallet.createRandom().signMessage("x") };
      expect((await post(forged, "eth")).statusCode).to.equal(400);
    });
  });

  describe("POST /v1/events:bulk", () => {
    it("stores all events with one receipt each", async () => {
      const res = await post({ events: sampleEvents(5) }, "mes", "/v1/events:bulk");
      expect(res.statusCode).to.equal(201);
      const receipts = res.json().receipts;
      expect(receipts.map((r: { seq: number }) => r.seq)).to.deep.equal([0, 1, 2, 3, 4]);
      // One commit group, one signature; each receipt (with its unsigned duplicate flag) verifies.
      const pem = fs.readFileSync(receiptPublicKeyFile(dir), "utf8");
      expect(new Set(receipts.map((r: { signature: string }) => r.signature)).size).to.equal(1);
      receipts.forEach((r: { group: unknown; duplicate: boolean }, i: number) => {
        expect(r.group).to.deep.include({ index: i, size: 5 });
        expect(r.duplicate).to.equal(false);
        verifyReceipt(r, pem);
      });
      expect(receiptCode(() => verifyReceipt({ ...receipts[3], group: receipts[2].group }, pem))).to.equal(
        "RECEIPT_ROOT_MISMATCH",
      );
      for (const { duplicate: _replay, ...r } of receipts)
        expect((await get(`/v1/events/${r.id}/receipt`)).json()).to.deep.equal(r);
    });
    it("stores nothing when one event is bad, naming it by index", async () => {
      const evs = sampleEvents(3);
      delete evs[2].site;
      const res = await post({ events: evs }, "mes", "/v1/events:bulk");
      expect(res.statusCode).to.equal(400);
      expect(res.json().errors.map((e: { path: string }) => e.path)).to.deep.equal(["/events/2/site"]);
      expect(stored()).to.equal(0);
    });
    it("refuses more events than the bulk limit", async () => {
      const small = buildApp({ ledger, ...api, bulkMax: 2 });
      const res = await small.inject({
        method: "POST",
        url: "/v1/events:bulk",
        headers: auth("mes"),
        payload: { events: sampleEvents(3) },
      });
      expect(res.statusCode).to.equal(413);
      expect(stored()).to.equal(0);
      await small.close();
    });
  });

  describe("reading", () => {
    it("returns the stored record and its status, 404 for an unknown id", async () => {
      const ev = sampleEvent();
      await post(ev);
      let res = await get(`/v1/events/${ev.id}`);
      expect(res.json().status).to.equal("pending");
      expect(res.json().record.event).to.deep.equal(ev);
      ledger.sealer.seal(new Date());
      res = await get(`/v1/events/${ev.id}`);
      expect(res.json()).to.include({ status: "sealed", epoch: 0 });
      expect((await get("/v1/events/nope")).json().code).to.equal("EVENT_NOT_FOUND");
    });
    it("replies 202 with the status and the promised anchor time until the proof exists", async () => {
      const ev = sampleEvent();
      const receipt = (await post(ev)).json();
      const res = await get(`/v1/events/${ev.id}/proof`);
      expect(res.statusCode).to.equal(202);
      expect(res.json()).to.deep.equal({
        id: ev.id,
        status: "pending",
        epoch: null,
        confirmations: null,
        expectedAnchorBy: receipt.anchorBy,
      });
    });
    it("pages a batch's events in batch order", async () => {
      await post(
        { events: [...sampleEvents(3, "B-P"), ...sampleEvents(2, "B-Q"), ...sampleEvents(2, "B-P")] },
        "mes",
        "/v1/events:bulk",
      );
      const p1 = (await get("/v1/batches/B-P/events?limit=3")).json();
      expect(p1.events.map((e: { batchSeq: number }) => e.batchSeq)).to.deep.equal([0, 1, 2]);
      const p2 = (await get(p1.next)).json();
      expect(p2.events.map((e: { batchSeq: number; seq: number }) => [e.batchSeq, e.seq])).to.deep.equal([
        [3, 5],
        [4, 6],
      ]);
      expect(p2.next).to.equal(null);
      expect((await get("/v1/batches/none/events")).statusCode).to.equal(404);
    });
    it("lists epochs with root, size and sequence range", async () => {
      await post({ events: sampleEvents(4) }, "mes", "/v1/events:bulk");
      ledger.sealer.seal(new Date());
      const e = (await get("/v1/epochs/0")).json();
      expect(e).to.include({ epoch: 0, size: 4, firstSeq: 0, lastSeq: 3, status: "sealed", anchor: null });
      expect((await get("/v1/epochs")).json().epochs).to.have.length(1);
    });
  });
});
