import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/ledger";
import { sampleEvent } from "../helpers/events";
import type { FastifyInstance } from "fastify";

describe("buildApp", () => {
  let dir: string;
  let ledger: Ledger;
  let app: FastifyInstance;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-http-"));
    ledger = openLedger(dir);
    app = buildApp({ ledger });
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) => app.inject({ method: "POST", url: "/v1/events", payload: body as object });

  describe("POST /v1/events", () => {
    it("replies 201 with a receipt after the event is stored", async () => {
      const ev = sampleEvent();
      const res = await post(ev);
      expect(res.statusCode).to.equal(201);
      const r = res.json();
      expect(r).to.have.keys("id", "seq", "leafHash", "receivedAt");
      expect(r.id).to.equal(ev.id);
      expect(ledger.events.getById(ev.id as string)?.seq).to.equal(r.seq);
    });
    it("replies 400 problem+json naming every bad field, and stores nothing", async () => {
      const ev = sampleEvent({ sourceSequence: "7", receivedAt: "2026-01-01T00:00:00Z" });
      delete ev.actor;
      const res = await post(ev);
      expect(res.statusCode).to.equal(400);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
      const p = res.json();
      expect(p.code).to.equal("EVENT_SCHEMA_INVALID");
      expect(p.errors.map((e: { path: string }) => e.path)).to.have.members(["/actor", "/sourceSequence", "/receivedAt"]);
      expect(ledger.events.nextSeq()).to.equal(0);
    });
    it("replies 400 to malformed JSON and to a __proto__ key", async () => {
      const bad = await app.inject({ method: "POST", url: "/v1/events", headers: { "content-type": "application/json" }, payload: '{"id": ' });
      expect(bad.statusCode).to.equal(400);
      const proto = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(sampleEvent()).replace(/^\{/, '{"__proto__":{"x":1},'),
      });
      expect(proto.statusCode).to.equal(400);
      expect(ledger.events.nextSeq()).to.equal(0);
    });
    it("replies 200 with the original receipt to a replay, 409 to the same id with other content", async () => {
      const ev = sampleEvent();
      const first = (await post(ev)).json();
      const again = await post(ev);
      expect(again.statusCode).to.equal(200);
      expect(again.json()).to.deep.equal(first);
      const conflict = await post({ ...ev, gmpCriticality: "critical" });
      expect(conflict.statusCode).to.equal(409);
      expect(conflict.json().code).to.equal("EVENT_ID_CONFLICT");
      expect(ledger.events.nextSeq()).to.equal(1);
    });
  });

  describe("GET /v1/events/:id", () => {
    it("returns the stored record and its status", async () => {
      const ev = sampleEvent();
      await post(ev);
      let res = await app.inject({ method: "GET", url: `/v1/events/${ev.id}` });
      expect(res.statusCode).to.equal(200);
      expect(res.json().status).to.equal("pending");
      expect(res.json().record.event).to.deep.equal(ev);
      ledger.sealer.seal(new Date());
      res = await app.inject({ method: "GET", url: `/v1/events/${ev.id}` });
      expect(res.json()).to.include({ status: "sealed", epoch: 0 });
    });
    it("replies 404 for an unknown id", async () => {
      const res = await app.inject({ method: "GET", url: "/v1/events/nope" });
      expect(res.statusCode).to.equal(404);
      expect(res.json().code).to.equal("EVENT_NOT_FOUND");
    });
  });

  describe("GET /v1/events/:id/proof", () => {
    it("replies 202 with the status until the epoch is anchored", async () => {
      const ev = sampleEvent();
      await post(ev);
      const res = await app.inject({ method: "GET", url: `/v1/events/${ev.id}/proof` });
      expect(res.statusCode).to.equal(202);
      expect(res.json()).to.deep.equal({ id: ev.id, status: "pending", epoch: null });
    });
  });

  it("answers GET /healthz", async () => {
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).to.equal(200);
    expect(res.json()).to.deep.equal({ status: "ok" });
  });
});
