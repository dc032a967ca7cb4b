/**
 * Issue 13 item 4: /openapi.json is a valid OpenAPI 3.1 document that describes what the server
 * really does: every route with an operationId, every status a real request gets with its media type
 * and a body that validates against the documented schema; 413, 415 and bulk refusals that say the
 * limit, the media type and the failing event's index.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import type { FastifyInstance, RouteOptions } from "fastify";
import { buildApp, AppDeps } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices } from "../../src/service/app/api";
import { createMetrics } from "../../src/service/app/metrics";
import { EVENT_SCHEMA } from "../../src/core";
import { Role } from "../../src/store/clients";
import { sampleEvent, sampleEvents } from "../helpers/events";
import { checkResponse, docAjv, OpenApiDoc, openApiPath } from "./openapi-check";

const BODY_LIMIT = 64 * 1024;
const BULK_BODY_LIMIT = 256 * 1024;

/** A real import(), not the require() that CommonJS output makes of it: the validator is ESM only. */
const importEsm = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<typeof import("@seriousme/openapi-schema-validator")>;

async function validateOpenApi(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
  const { Validator } = await importEsm("@seriousme/openapi-schema-validator");
  const v = new Validator();
  const r = await v.validate(doc as Record<string, unknown>);
  return { valid: r.valid, version: v.version, errors: r.errors };
}

/** Every schema object of the document: components and the inline ones of parameters, bodies and responses. */
function schemasOf(doc: OpenApiDoc): [string, object][] {
  const out: [string, object][] = Object.entries(doc.components.schemas).map(([k, s]) => [
    `components/schemas/${k}`,
    s,
  ]);
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item) as [string, Record<string, unknown>][]) {
      for (const prm of (op.parameters as { name: string; schema: object }[] | undefined) ?? [])
        out.push([`${m} ${p} parameter ${prm.name}`, prm.schema]);
      for (const [t, c] of Object.entries(
        (op.requestBody as { content?: Record<string, { schema: object }> } | undefined)?.content ?? {},
      ))
        out.push([`${m} ${p} body ${t}`, c.schema]);
      for (const [s, r] of Object.entries(
        (op.responses as Record<string, { content?: Record<string, { schema: object }> }>) ?? {},
      )) {
        for (const [t, c] of Object.entries(r.content ?? {})) out.push([`${m} ${p} ${s} ${t}`, c.schema]);
      }
    }
  }
  return out;
}

describe("the OpenAPI document (/openapi.json)", () => {
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  let routes: RouteOptions[];
  let doc: OpenApiDoc;
  let ready = true;
  const tokens: Record<string, string> = {};

  const make = (extra: Partial<AppDeps> = {}) => {
    const a = buildApp({
      ledger,
      ...api,
      bodyLimit: BODY_LIMIT,
      bulkBodyLimit: BULK_BODY_LIMIT,
      bulkMax: 5,
      readiness: () => ({ ready, reasons: ready ? [] : ["chain unreachable"] }),
      ...extra,
    });
    const seen: RouteOptions[] = [];
    // The routes are registered in a plugin that runs at ready(): the hook sees every one.
    a.addHook("onRoute", (r) => void seen.push(r));
    return { app: a, routes: seen };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-openapi-"));
    ledger = openLedger(dir);
    api = createApiServices(ledger, dir, "DE01", 660_000);
    for (const role of ["mes", "qa", "auditor", "admin"] as Role[])
      tokens[role] = api.clients.add(`c-${role}`, role, undefined, new Date()).token;
    ({ app, routes } = make({ metrics: createMetrics(ledger) }));
    await app.ready();
    const res = await app.inject({
      method: "GET",
      url: "/openapi.json",
      headers: { authorization: `Bearer ${tokens.qa}` },
    });
    expect(res.statusCode).to.equal(200);
    doc = res.json();
  });
  after(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when checked by an OpenAPI validator", () => {
    it("is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)", async () => {
      expect(doc.openapi).to.equal("3.1.0");
      const r = await validateOpenApi(doc);
      expect(r.errors, JSON.stringify(r.errors)).to.equal(undefined);
      expect(r.valid).to.equal(true);
      expect(r.version).to.equal("3.1");
    });
    it("is refused by the same validator when a reference dangles (the check can fail)", async () => {
      const broken = JSON.parse(JSON.stringify(doc));
      delete broken.components.schemas.Problem;
      expect((await validateOpenApi(broken)).valid).to.equal(false);
    });
    it("has only schemas that are valid JSON Schema 2020-12 (the validator does not look inside schemas)", () => {
      const ajv = new Ajv2020({ strict: false });
      const bad = schemasOf(doc).filter(([, s]) => !ajv.validateSchema(s));
      expect(bad.map(([where]) => where)).to.deep.equal([]);
      expect(ajv.validateSchema({ type: "strin" }), "the meta-schema check can fail").to.equal(false);
    });
    it("documents the event schema the core validates with: EVENT_SCHEMA without $id, data spelled as an open object", () => {
      const { $id: _id, ...rest } = JSON.parse(JSON.stringify(EVENT_SCHEMA));
      const documented = JSON.parse(JSON.stringify(doc.components.schemas.Event));
      expect(documented.properties.data).to.deep.include({ type: "object", additionalProperties: true });
      documented.properties.data = rest.properties.data;
      expect(documented).to.deep.equal(rest);
    });
    it("declares the bearer scheme, required by default and lifted only on the health probes", () => {
      const d = doc as unknown as { components: { securitySchemes: Record<string, unknown> }; security: unknown };
      expect(d.components.securitySchemes.bearer).to.deep.include({ type: "http", scheme: "bearer" });
      expect(d.security).to.deep.equal([{ bearer: [] }]);
      const open = Object.entries(doc.paths).flatMap(([p, item]) =>
        Object.values(item)
          .filter(
            (op) =>
              Array.isArray((op as { security?: unknown[] }).security) &&
              (op as { security: unknown[] }).security.length === 0,
          )
          .map(() => p),
      );
      expect(open.sort()).to.deep.equal(["/healthz", "/readyz"]);
    });
  });

  describe("when compared with the routes Fastify registered", () => {
    it("has every route, each with a unique operationId, and nothing the server does not serve", () => {
      const served = routes.flatMap((r) =>
        ([] as string[])
          .concat(r.method)
          .filter((m) => m !== "HEAD")
          .map((m) => `${m.toLowerCase()} ${openApiPath(r.url)}`),
      );
      expect(served.length).to.be.greaterThan(10);
      const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
      expect(documented.sort()).to.deep.equal([...new Set(served)].sort());
      const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
      expect(ids.filter((id) => typeof id !== "string" || !/^[a-z][A-Za-z]+$/.test(id))).to.deep.equal([]);
      expect(new Set(ids).size).to.equal(ids.length);
    });
    it("documents 401, 403, 429 and 500 as problems on every authenticated operation", () => {
      for (const [p, item] of Object.entries(doc.paths)) {
        for (const [m, op] of Object.entries(item)) {
          if (p === "/healthz" || p === "/readyz") continue;
          for (const s of ["401", "403", "429", "500"])
            expect(Object.keys(op.responses?.[s]?.content ?? {}), `${m} ${p} ${s}`).to.deep.equal([
              "application/problem+json",
            ]);
        }
      }
    });
  });

  describe("when real requests are answered", () => {
    const problems: string[] = [];
    const seen = new Map<string, Set<number>>();
    let ajv: ReturnType<typeof docAjv>;
    before(() => {
      ajv = docAjv(doc);
    });

    /** Sends a request and checks its answer against the document; `route` is the documented path. */
    const call = async (
      a: FastifyInstance,
      method: "GET" | "POST",
      url: string,
      route: string,
      o: { who?: string; body?: unknown; raw?: string; type?: string; want: number },
    ) => {
      const headers: Record<string, string> = {};
      if (o.who) headers.authorization = `Bearer ${tokens[o.who] ?? o.who}`;
      if (o.body !== undefined || o.raw !== undefined) headers["content-type"] = o.type ?? "application/json";
      const res = await a.inject({
        method,
        url,
        headers,
        payload: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).to.equal(o.want);
      problems.push(
        ...checkResponse(doc, ajv, method, route, {
          status: res.statusCode,
          contentType: res.headers["content-type"] as string | undefined,
          body: res.body,
        }),
      );
      const k = `${method.toLowerCase()} ${route}`;
      seen.set(k, (seen.get(k) ?? new Set()).add(res.statusCode));
      return res;
    };

    it("answers only statuses, media types and bodies the document gives for each operation", async () => {
      const E = "/v1/events";
      const ev = sampleEvent({}, "B-DOC-1");
      await call(app, "GET", "/healthz", "/healthz", { want: 200 });
      await call(app, "GET", "/readyz", "/readyz", { want: 200 });
      ready = false;
      await call(app, "GET", "/readyz", "/readyz", { want: 503 });
      ready = true;
      // Writes.
      await call(app, "POST", E, E, { who: "mes", body: ev, want: 201 });
      await call(app, "POST", E, E, { who: "mes", body: ev, want: 200 });
      await call(app, "POST", E, E, { who: "mes", body: { ...ev, id: "x y" }, want: 400 });
      await call(app, "POST", E, E, { who: "mes", raw: "{bad", want: 400 });
      await call(app, "POST", E, E, { body: sampleEvent(), want: 401 });
      await call(app, "POST", E, E, { who: "qa", body: sampleEvent(), want: 403 });
      await call(app, "POST", E, E, {
        who: "mes",
        body: sampleEvent({ source: "urn:gxp-ledger:x:security" }),
        want: 403,
      });
      await call(app, "POST", E, E, { who: "mes", body: { ...ev, gmpCriticality: "critical" }, want: 409 });
      await call(app, "POST", E, E, {
        who: "mes",
        raw: JSON.stringify({ ...sampleEvent(), pad: "x".repeat(BODY_LIMIT) }),
        want: 413,
      });
      await call(app, "POST", E, E, { who: "mes", raw: "id=1", type: "application/x-www-form-urlencoded", want: 415 });
      const dangling = () =>
        sampleEvent(
          {
            type: "record.corrected",
            refs: [{ eventId: "evt-nowhere", rel: "corrects" }],
            data: { field: "/data/value", previousValue: 61.5, newValue: 61.2, reasonText: "typo" },
          },
          "B-DOC-1",
        );
      await call(app, "POST", E, E, { who: "mes", body: dangling(), want: 422 });
      await call(app, "POST", `${E}?late=maybe`, E, { who: "mes", body: sampleEvent(), want: 400 });
      const B = "/v1/events:bulk";
      const bulk = sampleEvents(3, "B-DOC-1");
      await call(app, "POST", B, B, { who: "mes", body: { events: bulk }, want: 201 });
      await call(app, "POST", B, B, { who: "mes", body: { events: bulk }, want: 200 });
      await call(app, "POST", B, B, { who: "mes", body: { events: [] }, want: 400 });
      await call(app, "POST", B, B, { who: "mes", body: { events: sampleEvents(6) }, want: 413 });
      await call(app, "POST", B, B, {
        who: "mes",
        raw: JSON.stringify({ events: [{ ...sampleEvent(), pad: "x".repeat(BULK_BODY_LIMIT) }] }),
        want: 413,
      });
      await call(app, "POST", B, B, { who: "mes", raw: "x", type: "text/plain", want: 415 });
      await call(app, "POST", B, B, {
        who: "mes",
        body: { events: [sampleEvent(), { ...ev, gmpCriticality: "minor" }] },
        want: 409,
      });
      await call(app, "POST", B, B, { who: "mes", body: { events: [dangling()] }, want: 422 });
      await call(app, "POST", B, B, { who: "auditor", body: { events: [sampleEvent()] }, want: 403 });
      await call(app, "POST", B, B, { who: "gxpl_forged", body: { events: [sampleEvent()] }, want: 401 });
      // Reads.
      const id = ev.id as string;
      await call(app, "GET", `${E}/${id}`, "/v1/events/{id}", { who: "mes", want: 200 });
      await call(app, "GET", `${E}/nope`, "/v1/events/{id}", { who: "qa", want: 404 });
      await call(app, "GET", `${E}/${id}`, "/v1/events/{id}", { want: 401 });
      await call(app, "GET", `${E}/${id}`, "/v1/events/{id}", { who: "admin", want: 403 });
      await call(app, "GET", `${E}/%zz`, "/v1/events/{id}", { who: "qa", want: 400 });
      await call(app, "GET", `${E}/%E0%A4%A/receipt`, "/v1/events/{id}/receipt", { who: "qa", want: 400 });
      await call(app, "GET", `${E}/%zz/proof`, "/v1/events/{id}/proof", { who: "qa", want: 400 });
      await call(app, "GET", "/v1/batches/%zz", "/v1/batches/{batchId}", { who: "qa", want: 400 });
      await call(app, "GET", "/v1/batches/%zz/events", "/v1/batches/{batchId}/events", { who: "qa", want: 400 });
      await call(app, "GET", "/v1/epochs/%zz", "/v1/epochs/{n}", { who: "qa", want: 400 });
      await call(app, "GET", `${E}/${id}/receipt`, "/v1/events/{id}/receipt", { who: "auditor", want: 200 });
      const own = ledger.db
        .prepare("SELECT event_id FROM events WHERE type = 'security.event' LIMIT 1")
        .pluck()
        .get() as string;
      await call(app, "GET", `${E}/${own}/receipt`, "/v1/events/{id}/receipt", { who: "qa", want: 404 });
      await call(app, "GET", `${E}/${id}/receipt`, "/v1/events/{id}/receipt", { who: "admin", want: 403 });
      await call(app, "GET", `${E}/${id}/proof`, "/v1/events/{id}/proof", { who: "qa", want: 202 });
      await call(app, "GET", `${E}/nope/proof`, "/v1/events/{id}/proof", { who: "qa", want: 404 });
      await call(app, "GET", `${E}/${id}/proof`, "/v1/events/{id}/proof", { who: "mes", want: 403 });
      ledger.sealer.seal(new Date());
      await call(app, "GET", `${E}/${id}/proof`, "/v1/events/{id}/proof", { who: "auditor", want: 202 });
      await call(app, "GET", `${E}/${id}`, "/v1/events/{id}", { who: "qa", want: 200 });
      await call(app, "GET", "/v1/batches/B-DOC-1/events?limit=2", "/v1/batches/{batchId}/events", {
        who: "qa",
        want: 200,
      });
      await call(app, "GET", "/v1/batches/B-DOC-1/events?limit=0", "/v1/batches/{batchId}/events", {
        who: "qa",
        want: 400,
      });
      await call(app, "GET", "/v1/batches/none/events", "/v1/batches/{batchId}/events", { who: "qa", want: 404 });
      await call(app, "GET", "/v1/batches/B-DOC-1", "/v1/batches/{batchId}", { who: "auditor", want: 200 });
      await call(app, "GET", "/v1/batches/none", "/v1/batches/{batchId}", { who: "auditor", want: 404 });
      await call(app, "GET", "/v1/batches/none", "/v1/batches/{batchId}", { who: "mes", want: 403 });
      await call(app, "GET", "/v1/batches", "/v1/batches", { who: "qa", want: 200 });
      await call(app, "GET", "/v1/batches?status=open&product=P-1&limit=1", "/v1/batches", {
        who: "auditor",
        want: 200,
      });
      await call(app, "GET", "/v1/batches?from=yesterday", "/v1/batches", { who: "qa", want: 400 });
      await call(app, "GET", "/v1/batches", "/v1/batches", { who: "mes", want: 403 });
      await call(app, "GET", "/v1/epochs", "/v1/epochs", { who: "qa", want: 200 });
      await call(app, "GET", "/v1/epochs?after=-5", "/v1/epochs", { who: "qa", want: 400 });
      await call(app, "GET", "/v1/epochs/0", "/v1/epochs/{n}", { who: "qa", want: 200 });
      await call(app, "GET", "/v1/epochs/99", "/v1/epochs/{n}", { who: "qa", want: 404 });
      await call(app, "GET", "/openapi.json", "/openapi.json", { who: "mes", want: 200 });
      await call(app, "GET", "/openapi.json", "/openapi.json", { want: 401 });
      await call(app, "GET", "/metrics", "/metrics", { who: "admin", want: 200 });
      await call(app, "GET", "/metrics", "/metrics", { who: "mes", want: 403 });
      // Without metrics, with a rate limit and a byte quota of their own.
      const bare = make({ rateLimit: { max: 2, windowMs: 60_000 } }).app;
      try {
        await call(bare, "GET", "/metrics", "/metrics", { who: "admin", want: 404 });
        await call(bare, "GET", "/metrics", "/metrics", { who: "admin", want: 404 });
        await call(bare, "GET", "/metrics", "/metrics", { who: "admin", want: 429 });
      } finally {
        await bare.close();
      }
      const quota = make({ byteQuota: { maxBytes: 100, windowMs: 60_000 } }).app;
      try {
        await call(quota, "POST", E, E, { who: "mes", body: sampleEvent(), want: 429 });
      } finally {
        await quota.close();
      }
      expect(problems).to.deep.equal([]);
      // Every documented operation was called.
      expect([...seen.keys()].sort()).to.deep.equal(
        Object.entries(doc.paths)
          .flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`))
          .sort(),
      );
    });

    it("finds an undocumented status, media type or body member (the check can fail)", () => {
      const mutated = JSON.parse(JSON.stringify(doc)) as OpenApiDoc;
      delete mutated.paths["/v1/events"].post.responses!["415"];
      const a = docAjv(mutated);
      expect(
        checkResponse(mutated, a, "POST", "/v1/events", {
          status: 415,
          contentType: "application/problem+json",
          body: "{}",
        }),
      ).to.have.length(1);
      expect(
        checkResponse(mutated, a, "GET", "/healthz", { status: 200, contentType: "text/html", body: "{}" }),
      ).to.have.length(1);
      expect(
        checkResponse(mutated, a, "GET", "/healthz", {
          status: 200,
          contentType: "application/json; charset=utf-8",
          body: '{"status":"down"}',
        }),
      ).to.have.length(1);
    });
  });

  describe("when a body is refused", () => {
    const post = (url: string, payload: string, type = "application/json") =>
      app.inject({
        method: "POST",
        url,
        headers: { authorization: `Bearer ${tokens.mes}`, "content-type": type },
        payload,
      });

    it("413 names the route's limit in bytes (single and bulk)", async () => {
      const one = await post("/v1/events", JSON.stringify({ ...sampleEvent(), pad: "x".repeat(BODY_LIMIT) }));
      expect(one.statusCode).to.equal(413);
      expect(one.json()).to.deep.include({ code: "BODY_TOO_LARGE", limit: BODY_LIMIT });
      expect(one.json().detail).to.include(String(BODY_LIMIT));
      const bulk = await post(
        "/v1/events:bulk",
        JSON.stringify({ events: [{ ...sampleEvent(), pad: "x".repeat(BULK_BODY_LIMIT) }] }),
      );
      expect(bulk.statusCode).to.equal(413);
      expect(bulk.json()).to.deep.include({ code: "BODY_TOO_LARGE", limit: BULK_BODY_LIMIT });
    });
    it("415 names the media type it takes", async () => {
      const res = await post("/v1/events", "<event/>", "application/xml");
      expect(res.statusCode).to.equal(415);
      expect(res.json()).to.deep.include({ code: "BODY_MEDIA_TYPE_UNSUPPORTED", accept: ["application/json"] });
      expect(res.json().detail).to.include("application/json");
    });
    it("a bulk refusal names the failing event's index: conflict, sequence, reserved source, scope, dangling reference", async () => {
      const stored = sampleEvent({ source: "urn:mes:doc:bulk", sourceSequence: 100 });
      expect((await post("/v1/events", JSON.stringify(stored))).statusCode).to.equal(201);
      const fresh = (n: number) => sampleEvent({ source: "urn:mes:doc:bulk", sourceSequence: 1000 + n });
      const cases: [unknown[], number, string, string][] = [
        [
          [fresh(1), fresh(2), fresh(3), { ...stored, gmpCriticality: "minor" }],
          409,
          "EVENT_ID_CONFLICT",
          "/events/3/id",
        ],
        [
          [fresh(4), sampleEvent({ source: "urn:mes:doc:bulk", sourceSequence: 5 })],
          409,
          "SOURCE_SEQUENCE_NOT_INCREASING",
          "/events/1/sourceSequence",
        ],
        [
          [fresh(5), fresh(6), sampleEvent({ source: "urn:gxp-ledger:x:security" })],
          403,
          "SOURCE_RESERVED",
          "/events/2/source",
        ],
        [
          [
            fresh(7),
            sampleEvent({
              type: "record.voided",
              refs: [{ eventId: "evt-nowhere", rel: "voids" }],
              data: { reasonText: "wrong batch" },
            }),
          ],
          422,
          "REFERENCED_EVENT_NOT_FOUND",
          "/events/1/refs",
        ],
        [[fresh(8), fresh(9), fresh(10), { ...fresh(11), site: "" }], 400, "EVENT_SCHEMA_INVALID", "/events/3/site"],
      ];
      for (const [events, status, code, pathWanted] of cases) {
        const res = await post("/v1/events:bulk", JSON.stringify({ events }));
        expect(res.statusCode, res.body).to.equal(status);
        expect(res.json().code).to.equal(code);
        expect(res.json().errors.map((e: { path: string }) => e.path)).to.deep.equal([pathWanted]);
      }
      // A scoped client writing outside its sources.
      tokens.scoped = api.clients.add("c-scoped", "mes", undefined, new Date(), {
        sources: ["urn:mes:doc:scoped"],
        sites: ["DE01"],
      }).token;
      const res = await app.inject({
        method: "POST",
        url: "/v1/events:bulk",
        headers: { authorization: `Bearer ${tokens.scoped}`, "content-type": "application/json" },
        payload: JSON.stringify({
          events: [
            sampleEvent({ source: "urn:mes:doc:scoped", sourceSequence: 1 }),
            sampleEvent({ source: "urn:mes:doc:scoped", sourceSequence: 2, site: "FR02" }),
          ],
        }),
      });
      expect(res.statusCode).to.equal(403);
      expect(res.json()).to.deep.include({ code: "SITE_NOT_ALLOWED" });
      expect(res.json().errors).to.deep.equal([
        { path: "/events/1/site", message: "may not be written by this client" },
      ]);
    });
    it("a single post's refusal names the member", async () => {
      const ev = sampleEvent();
      expect((await post("/v1/events", JSON.stringify(ev))).statusCode).to.equal(201);
      const res = await post("/v1/events", JSON.stringify({ ...ev, gmpCriticality: "minor" }));
      expect(res.statusCode).to.equal(409);
      expect(res.json().errors.map((e: { path: string }) => e.path)).to.deep.equal(["/id"]);
    });
  });
});
