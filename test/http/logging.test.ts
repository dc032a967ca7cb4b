import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { makeError } from "ethers";
import { buildApp, requestIdOf } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { createLogger } from "../../src/service/app/logger";
import { sampleEvent } from "../helpers/events";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("requestIdOf", () => {
  describe("when the caller sends a sane x-request-id", () => {
    it("takes it", () => {
      expect(requestIdOf({ headers: { "x-request-id": "mes-DE01:corr.42_a" } })).to.equal("mes-DE01:corr.42_a");
    });
  });
  describe("when the caller sends none, several, or one that could forge a log line or a header", () => {
    it("makes a fresh random one", () => {
      for (const given of [
        undefined,
        "",
        " lead",
        "a b",
        'q"uote',
        "x".repeat(65),
        "-dash-first",
        "é",
        "a\\nb",
        ["a", "b"],
      ]) {
        expect(requestIdOf({ headers: { "x-request-id": given } }), JSON.stringify(given)).to.match(UUID);
      }
    });
  });
});

describe("buildApp logging", () => {
  let dir: string;
  let ledger: Ledger;
  let app: FastifyInstance;
  let token = "";
  const lines: string[] = [];

  beforeEach(() => {
    lines.length = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-logging-"));
    ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 660_000);
    token = api.clients.add("pasx-log", "mes", undefined, new Date()).token;
    // Debug level: even the most verbose request lines must carry no secret.
    const logger = createLogger({ level: "debug", destination: { write: (s: string) => void lines.push(s) } });
    app = buildApp({ ledger, ...api, logger: logger.child({ component: "http" }) });
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  describe("when events are posted, refused, and unknown routes called", () => {
    it("logs one line per request with its id, returns the id in x-request-id, and logs no token or payload", async () => {
      const marker = "zq-payload-marker-7731";
      const ok = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${token}`, "x-request-id": "corr-1" },
        payload: sampleEvent({ actor: { type: "person", userId: marker, printedName: marker, role: "Operator" } }),
      });
      expect(ok.statusCode).to.equal(201);
      expect(ok.headers["x-request-id"]).to.equal("corr-1");
      const bad = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${token}` },
        payload: { ...sampleEvent(), data: { name: marker, value: "not a number" } },
      });
      expect(bad.statusCode).to.equal(400);
      const noAuth = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: "Bearer wrongtokenwrongtoken123" },
        payload: sampleEvent(),
      });
      expect(noAuth.statusCode).to.equal(401);
      const lost = await app.inject({ method: "GET", url: `/no/such/route?token=${token}` });
      expect(lost.statusCode).to.equal(404);
      const forged = await app.inject({
        method: "GET",
        url: "/healthz",
        headers: { "x-request-id": 'x" "msg":"forged' },
      });
      expect(forged.headers["x-request-id"]).to.match(UUID);

      for (const r of [bad, noAuth, lost]) expect(r.headers["x-request-id"]).to.match(UUID);
      const all = lines.join("");
      for (const secret of [token, "wrongtokenwrongtoken123", marker, "not a number", "Bearer"])
        expect(all, secret).to.not.include(secret);

      const requests = parsed().filter((l) => l.msg === "request" || l.msg === "request refused");
      expect(requests.map((l) => [l.reqId, l.status, l.msg])).to.deep.equal([
        ["corr-1", 201, "request"],
        [bad.headers["x-request-id"], 400, "request refused"],
        [noAuth.headers["x-request-id"], 401, "request refused"],
        [lost.headers["x-request-id"], 404, "request refused"],
        [forged.headers["x-request-id"], 200, "request"],
      ]);
      // Refusals are at info (seen at the default level), successes at debug.
      expect(requests.map((l) => l.level)).to.deep.equal([20, 30, 30, 30, 20]);
      expect(requests[3]).to.include({ path: "/no/such/route" });
      for (const l of parsed()) expect(l, JSON.stringify(l)).to.have.property("reqId").that.is.a("string");
    });
  });

  describe("when a request fails with an ethers error whose details carry the RPC URL's credentials", () => {
    it("logs the failure with its request id, the URL redacted and no error details", async () => {
      await app.close();
      const api = createApiServices(ledger, dir, "DE01", 660_000);
      const logger = createLogger({ destination: { write: (s: string) => void lines.push(s) } });
      const rpcError = makeError("server response 500 Internal Server Error", "SERVER_ERROR", {
        info: {
          requestUrl: "http://ledgeruser:rpc-pw-Zq81x@127.0.0.1:8545/?key=apikey-0123456789abcdefghij",
          responseBody: "boom",
        },
      } as never); // ethers' own shape for a failed RPC request (its type also wants the request objects)
      app = buildApp({
        ledger,
        ...api,
        batchReview: async () => Promise.reject(rpcError),
        logger: logger.child({ component: "http" }),
      });
      const qa = api.clients.add("qa-log", "qa", undefined, new Date()).token;
      const res = await app.inject({
        method: "GET",
        url: "/v1/batches/B-1",
        headers: { authorization: `Bearer ${qa}` },
      });
      expect(res.statusCode).to.equal(500);
      expect(res.body).to.not.include("boom");
      const failed = parsed().find((l) => l.msg === "request failed")!;
      expect(failed).to.include({ reqId: res.headers["x-request-id"], level: 50 });
      expect(JSON.stringify(failed.err)).to.include("server response 500").and.to.include("SERVER_ERROR");
      expect(lines.join("")).to.not.match(/ledgeruser|rpc-pw-Zq81x|apikey-0123456789abcdefghij|boom/);
    });
  });

  describe("when a caller passes a secret-named field to the logger by mistake", () => {
    it("censors it", () => {
      const out: string[] = [];
      const log = createLogger({ destination: { write: (s: string) => void out.push(s) } });
      log.info(
        {
          token: "t0k",
          authorization: "Bearer t0k",
          anchorKey: "0xk3y",
          rpcUrl: "http://u:p4ss@h",
          err: { data: "0xd4t4" },
          event: { data: { value: 1 } },
          req: { headers: { authorization: "Bearer t0k" } },
        },
        "oops",
      );
      expect(out.join("")).to.not.match(/t0k|k3y|p4ss|d4t4|"value"/);
      expect(JSON.parse(out[0])).to.include({ token: "[redacted]", msg: "oops" });
    });
  });
});
