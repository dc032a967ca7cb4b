/**
 * Limits and hostile input at the HTTP edge: every class is refused with a 4xx problem, nothing is
 * stored, and the server stays up.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp, AppDeps } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices } from "../../src/service/app/api";
import { createMetrics } from "../../src/service/app/metrics";
import { sampleEvent } from "../helpers/events";

describe("the HTTP edge under hostile input", () => {
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  let token: string;
  let admin: string;

  const make = (extra: Partial<AppDeps> = {}) => buildApp({ ledger, ...api, bodyLimit: 64 * 1024, ...extra });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-hostile-"));
    ledger = openLedger(dir);
    api = createApiServices(ledger, dir, "DE01", 660_000);
    token = api.clients.add("mes-1", "mes", undefined, new Date()).token;
    admin = api.clients.add("admin-1", "admin", undefined, new Date()).token;
    app = make({ metrics: createMetrics(ledger) });
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const raw = (payload: string | Buffer, a: FastifyInstance = app, contentType = "application/json") =>
    a.inject({
      method: "POST",
      url: "/v1/events",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType },
      payload,
    });
  const stored = () =>
    ledger.db.prepare("SELECT count(*) FROM events WHERE type != 'security.event'").pluck().get() as number;
  const expectRefused = async (res: Awaited<ReturnType<typeof raw>>, status: number, code?: string) => {
    expect(res.statusCode, res.body).to.equal(status);
    expect(res.headers["content-type"]).to.match(/problem\+json/);
    if (code) expect(res.json().code).to.equal(code);
    expect(stored()).to.equal(0);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).to.equal(200);
  };

  it("refuses a body over the size limit with 413", async () => {
    const ev = sampleEvent({ data: { note: "x".repeat(70 * 1024) } });
    await expectRefused(await raw(JSON.stringify(ev)), 413);
  });
  it("takes a bulk post over the single-post limit up to the bulk limit, and refuses a larger one with 413", async () => {
    await app.close();
    app = make({ bulkBodyLimit: 256 * 1024 });
    const bulk = (n: number, source: string) =>
      app.inject({
        method: "POST",
        url: "/v1/events:bulk",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        payload: JSON.stringify({
          events: Array.from({ length: n }, (_, i) =>
            sampleEvent({
              source,
              sourceSequence: i + 1,
              data: {
                name: "inlet_temperature " + "n".repeat(1500),
                value: 61.5,
                unit: "degC",
                withinLimits: true,
                source: "automatic",
              },
            }),
          ),
        }),
      });
    // 100 events of ~2.2 KB: over the 64 KiB single-post limit, under the 256 KiB bulk limit.
    const ok = await bulk(100, "urn:mes:bulk-ok");
    expect(ok.statusCode, ok.body).to.equal(201);
    expect(ok.json().receipts).to.have.length(100);
    const over = await bulk(150, "urn:mes:bulk-over");
    expect(over.statusCode, over.body).to.equal(413);
    expect(over.headers["content-type"]).to.match(/problem\+json/);
    expect(stored()).to.equal(100);
  });
  it("refuses invalid UTF-8 instead of replacing it", async () => {
    const text = JSON.stringify(sampleEvent({ data: { note: "MARKER" } }));
    const buf = Buffer.from(text);
    const at = buf.indexOf("MARKER");
    buf[at] = 0xff;
    await expectRefused(await raw(buf), 400, "BODY_INVALID_UTF8");
  });
  it("refuses duplicate member names, naming the member", async () => {
    const text = JSON.stringify(sampleEvent()).replace('"site":"DE01"', '"site":"DE01","site":"XX99"');
    const res = await raw(text);
    await expectRefused(res, 400, "BODY_DUPLICATE_KEY");
    expect(res.json().detail).to.include("/site");
  });
  it("refuses __proto__ and constructor members anywhere", async () => {
    for (const k of ["__proto__", "constructor"]) {
      const text = JSON.stringify(sampleEvent()).replace('"data":{', `"data":{"${k}":{"polluted":true},`);
      await expectRefused(await raw(text), 400, "BODY_FORBIDDEN_KEY");
    }
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
  it("refuses nesting beyond the depth limit and over-long strings", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    await expectRefused(await raw(JSON.stringify(sampleEvent({ data: deep as object }))), 400, "BODY_TOO_DEEP");
    const longApp = make({ jsonLimits: { maxDepth: 64, maxStringLength: 100 } });
    const res = await raw(JSON.stringify(sampleEvent({ data: { note: "y".repeat(101) } })), longApp);
    expect(res.statusCode).to.equal(400);
    expect(res.json().code).to.equal("BODY_STRING_TOO_LONG");
    await longApp.close();
  });
  it("refuses non-JSON, a wrong content type, and JSON that is not an object", async () => {
    await expectRefused(await raw("{not json"), 400, "BODY_INVALID_JSON");
    // Found by the fuzzer: a raw control character inside a string once gave a 500.
    await expectRefused(
      await raw(JSON.stringify(sampleEvent()).replace("A. Schmidt", "A.\u0000Schmidt")),
      400,
      "BODY_INVALID_JSON",
    );
    await expectRefused(await raw("id=1", app, "application/x-www-form-urlencoded"), 415);
    await expectRefused(await raw("[1,2]"), 400, "EVENT_SCHEMA_INVALID");
    await expectRefused(await raw('"text"'), 400, "EVENT_SCHEMA_INVALID");
  });
  it("refuses times that are not RFC 3339 with offset, and times too far in the future", async () => {
    await expectRefused(
      await raw(JSON.stringify(sampleEvent({ occurredAt: "25.11.2026 10:00" }))),
      400,
      "EVENT_SCHEMA_INVALID",
    );
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await raw(JSON.stringify(sampleEvent({ occurredAt: future })));
    await expectRefused(res, 400, "EVENT_SCHEMA_INVALID");
    expect(res.json().errors[0].path).to.equal("/occurredAt");
  });
  it("limits requests per client with 429 and Retry-After", async () => {
    const limited = make({ rateLimit: { max: 3, windowMs: 60_000 } });
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await raw(JSON.stringify(sampleEvent()), limited);
      codes.push(last.statusCode);
    }
    expect(codes).to.deep.equal([201, 201, 201, 429, 429]);
    expect(Number(last!.headers["retry-after"])).to.be.greaterThan(0);
    expect(last!.json().code).to.equal("RATE_LIMITED");
    expect(stored()).to.equal(3);
    await limited.close();
  });
  it("counts accepted and rejected events in /metrics by reason (admin only)", async () => {
    await raw(JSON.stringify(sampleEvent()));
    await raw("{bad");
    const m = await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${admin}` } });
    expect(m.statusCode).to.equal(200);
    expect(m.body).to.match(/gxp_ledger_events_accepted_total 1/);
    expect(m.body).to.match(/gxp_ledger_events_rejected_total\{reason="BODY_INVALID_JSON"\} 1/);
    expect(m.body).to.match(/gxp_ledger_pending_events 1/);
    expect(m.body).to.include("gxp_ledger_http_request_duration_seconds_bucket");
    expect(
      (await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).to.equal(403);
  });
  it("serves an OpenAPI document generated from the validating schema", async () => {
    const res = await app.inject({
      method: "GET",
      url: "/openapi.json",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).to.equal(200);
    const doc = res.json();
    expect(doc.openapi).to.equal("3.1.0");
    expect(doc.paths["/v1/events"].post.requestBody.content["application/json"].schema).to.deep.equal({
      $ref: "#/components/schemas/Event",
    });
    const body = doc.components.schemas.Event;
    expect(body.required).to.include.members([
      "specversion",
      "id",
      "type",
      "source",
      "sourceSequence",
      "actor",
      "data",
    ]);
    expect(Object.keys(doc.paths)).to.include.members([
      "/v1/events",
      "/v1/events:bulk",
      "/v1/events/{id}",
      "/v1/batches/{batchId}/events",
      "/v1/epochs",
    ]);
  });
});
