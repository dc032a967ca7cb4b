/**
 * Issue 12 items 1–3 in-process: one mes credential cannot stop the server, write the ledger's own
 * type or sources, write another client's source or site, take another client's receipt, or read
 * another client's sequence numbers from a 409; client changes commit with their security event.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { addClient, createApiServices, ApiServices } from "../../src/service/app/api";
import { LEDGER_ACTOR, SecurityRecorder } from "../../src/service/security/security";
import { sampleEvent } from "../helpers/events";

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 − 1

describe("writers (issue 12)", () => {
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  const open = () => {
    ledger = openLedger(dir);
    api = createApiServices(ledger, dir, ledger.name, 660_000);
    app = buildApp({ ledger, ...api });
  };
  const close = async () => {
    await app.close();
    ledger.close();
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-writers-"));
    open();
    tokens.a = api.clients.add("pasx-a", "mes", undefined, new Date(), {
      sources: ["urn:mes:a"],
      sites: ["DE01"],
    }).token;
    tokens.b = api.clients.add("pasx-b", "mes", undefined, new Date(), {
      sources: ["urn:mes:b"],
      sites: ["DE01"],
    }).token;
    // The same MES re-credentialled: a new client bound to A's source.
    tokens.a2 = api.clients.add("pasx-a2", "mes", undefined, new Date(), {
      sources: ["urn:mes:a"],
      sites: ["DE01"],
    }).token;
    tokens.u1 = api.clients.add("legacy-1", "mes", undefined, new Date()).token;
    tokens.u2 = api.clients.add("legacy-2", "mes", undefined, new Date()).token;
  });
  afterEach(async () => {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (who: string, ev: unknown, a: FastifyInstance = app) =>
    a.inject({
      method: "POST",
      url: "/v1/events",
      headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
      payload: JSON.stringify(ev),
    });
  const expectProblem = (res: Awaited<ReturnType<typeof post>>, status: number, code: string) => {
    expect(res.statusCode, res.body).to.equal(status);
    expect(res.headers["content-type"]).to.match(/problem\+json/);
    expect(res.json().code).to.equal(code);
  };
  const securityKinds = () =>
    (
      ledger.db
        .prepare("SELECT record FROM events WHERE type = 'security.event' ORDER BY seq")
        .pluck()
        .all() as string[]
    ).map((r) => JSON.parse(r).event.data.kind);
  const ev = (who: "a" | "b" | "u", n: number, extra: Record<string, unknown> = {}) =>
    sampleEvent({ source: `urn:mes:${who}`, sourceSequence: n, ...extra });

  describe("when a database already holds a client's security.event at sourceSequence 2^53−1 on the ledger's security source", () => {
    // What a mes client could post before the reserved rule: it must not stop the server, before or
    // after a restart, and client administration must go on recording.
    const plantHostile = () =>
      ledger.events.append(
        [
          JSON.parse(
            JSON.stringify(
              sampleEvent({
                type: "security.event",
                source: `urn:gxp-ledger:${ledger.name}:security`,
                sourceSequence: MAX,
                batch: undefined,
                recipe: undefined,
                context: undefined,
                data: { kind: "x" },
              }),
            ),
          ),
        ],
        {
          submittedBy: { client: "legacy-1", role: "mes" },
        },
      );

    it("answers an id conflict with 409, records it, and takes the next valid event with 201, also after a restart", async () => {
      plantHostile();
      for (let round = 0; round < 2; round++) {
        const first = ev("a", 10 * round + 1);
        expect((await post("a", first)).statusCode).to.equal(201);
        expectProblem(await post("a", { ...first, gmpCriticality: "critical" }), 409, "EVENT_ID_CONFLICT");
        // Let the flush's setImmediate run out: an exception there would end the process.
        await new Promise((r) => setImmediate(r));
        expect((await post("a", ev("a", 10 * round + 2))).statusCode).to.equal(201);
        expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).to.equal(200);
        await close();
        open(); // a restart
      }
      expect(securityKinds().filter((k) => k === "event.id_conflict")).to.have.length(2);
      const sources = ledger.db
        .prepare("SELECT DISTINCT source FROM events WHERE type = 'security.event' AND client = 'gxp-ledger'")
        .pluck()
        .all();
      expect(sources).to.deep.equal([`urn:gxp-ledger:${ledger.name}:security:1`]);
    });

    it("adds a client together with its client.added security event", () => {
      plantHostile();
      const { client } = addClient(
        api.clients,
        api.security,
        { name: "pasx-new", role: "mes", scope: { sources: ["urn:mes:new"], sites: ["DE01"] } },
        LEDGER_ACTOR,
      );
      expect(client.sources).to.deep.equal(["urn:mes:new"]);
      expect(securityKinds()).to.include("client.added");
    });
  });

  describe("addClient", () => {
    it("leaves no client when its security event cannot be recorded", () => {
      const failing: SecurityRecorder = {
        record: () => {
          throw new Error("disk full");
        },
      };
      expect(() => addClient(api.clients, failing, { name: "pasx-x", role: "mes" }, LEDGER_ACTOR)).to.throw(
        /disk full/,
      );
      expect(api.clients.get("pasx-x")).to.equal(undefined);
    });
  });

  describe("when a client posts the ledger's own type or source", () => {
    it("refuses a security.event with 403 EVENT_TYPE_RESERVED and stores nothing", async () => {
      const hostile = sampleEvent({
        type: "security.event",
        source: "urn:mes:u",
        sourceSequence: MAX,
        batch: undefined,
        recipe: undefined,
        context: undefined,
        data: { kind: "client.added" },
      });
      expectProblem(await post("u1", hostile), 403, "EVENT_TYPE_RESERVED");
      expect(ledger.events.getById(hostile.id as string)).to.equal(undefined);
    });
    it("refuses any event on urn:gxp-ledger:* with 403 SOURCE_RESERVED, whatever its case", async () => {
      for (const source of [`urn:gxp-ledger:${ledger.name}:security`, "URN:GXP-LEDGER:other"]) {
        expectProblem(await post("u1", sampleEvent({ source, sourceSequence: MAX })), 403, "SOURCE_RESERVED");
      }
    });
    it("refuses them in a bulk post too", async () => {
      const res = await app.inject({
        method: "POST",
        url: "/v1/events:bulk",
        headers: { authorization: `Bearer ${tokens.u1}`, "content-type": "application/json" },
        payload: JSON.stringify({
          events: [ev("u", 1), sampleEvent({ source: `urn:gxp-ledger:${ledger.name}:security`, sourceSequence: MAX })],
        }),
      });
      expectProblem(res, 403, "SOURCE_RESERVED");
      expect(ledger.events.nextSeq()).to.equal(0);
    });
  });

  describe("when a client posts outside what it may write", () => {
    it("refuses another client's source with 403 SOURCE_NOT_ALLOWED, so it cannot block it", async () => {
      expect((await post("a", ev("a", 1))).statusCode).to.equal(201);
      expectProblem(await post("b", ev("a", MAX)), 403, "SOURCE_NOT_ALLOWED");
      expect((await post("a", ev("a", 2))).statusCode).to.equal(201);
    });
    it("refuses a site outside its sites with 403 SITE_NOT_ALLOWED", async () => {
      expectProblem(await post("a", ev("a", 1, { site: "US02" })), 403, "SITE_NOT_ALLOWED");
    });
    it("refuses an unscoped client a source another client writes", async () => {
      expect((await post("u1", ev("u", 1))).statusCode).to.equal(201);
      expectProblem(await post("u2", ev("u", MAX)), 403, "SOURCE_NOT_ALLOWED");
    });
  });

  describe("when another client replays a stored event", () => {
    it("answers 403 to a client bound elsewhere, and 409 without a receipt to one bound to the same source", async () => {
      const e = ev("a", 1);
      const original = await post("a", e);
      expect(original.statusCode).to.equal(201);
      expect((await post("a", e)).json()).to.deep.equal(original.json());
      for (const [who, status] of [
        ["b", 403],
        ["a2", 409],
      ] as const) {
        const res = await post(who, e);
        expect(res.statusCode, res.body).to.equal(status);
        expect(res.headers["content-type"]).to.match(/problem\+json/);
        const body = res.json();
        for (const k of ["signature", "leafHash", "seq", "group"]) expect(body).to.not.have.property(k);
        expect(res.body).to.not.include('pasx-a"').and.not.include(original.json().leafHash);
      }
    });
  });

  describe("when a 409 concerns a sequence", () => {
    it("names the last stored number only to the client that wrote it", async () => {
      expect((await post("a", ev("a", 123456))).statusCode).to.equal(201);
      const own = await post("a", ev("a", 5));
      expectProblem(own, 409, "SOURCE_SEQUENCE_NOT_INCREASING");
      expect(own.json().detail).to.include("123456");
      const other = await post("a2", ev("a", 5));
      expectProblem(other, 409, "SOURCE_SEQUENCE_NOT_INCREASING");
      expect(other.json().detail).to.not.include("123456");
    });
  });
});
