/**
 * Resource limits on a listening server (issue 12 item 6): a connection cap, an idle timeout for
 * sockets that send nothing, and a per-client byte quota per window.
 */
import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp, AppDeps } from "../../src/http/app";
import { listen, Server } from "../../src/http/server";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices } from "../../src/service/app/api";
import { buildConfig } from "../../src/service/app/config";
import { sampleEvent } from "../helpers/events";

/** Opens a raw TCP socket and resolves once connected; `closed` resolves when the server closes it. */
function connect(url: string): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const closed = new Promise<number>((r) => socket.on("close", () => r(Date.now() - started)));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | "timeout"> =>
  Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms))]);

describe("resource limits at the HTTP edge", function () {
  this.timeout(60_000);
  let dir: string;
  let ledger: Ledger;
  let api: ApiServices;
  let app: FastifyInstance;
  let server: Server | undefined;
  let token: string;
  const sockets: net.Socket[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-limits-"));
    ledger = openLedger(dir);
    api = createApiServices(ledger, dir, "DE01", 660_000);
    token = api.clients.add("mes-1", "mes", undefined, new Date()).token;
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = async (extra: Partial<AppDeps>, limits: Parameters<typeof listen>[3]) => {
    app = buildApp({ ledger, ...api, ...extra });
    server = await listen(app, "127.0.0.1", 0, limits);
    return server.url;
  };
  const stored = () =>
    ledger.db.prepare("SELECT count(*) FROM events WHERE type != 'security.event'").pluck().get() as number;
  const post = (url: string, pathName: string, body: unknown) =>
    fetch(url + pathName, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("closes a socket that sends nothing after the idle timeout, and refuses sockets beyond the cap while still answering a real client afterwards", async () => {
    const url = await start({}, { maxConnections: 3, idleTimeoutMs: 1000 });
    const idle = await Promise.all([connect(url), connect(url), connect(url)]);
    sockets.push(...idle.map((c) => c.socket));
    // Let the server accept all three before the fourth knocks.
    await new Promise((r) => setTimeout(r, 200));
    const beyond = await connect(url);
    sockets.push(beyond.socket);
    // Beyond the cap: closed at once, long before the idle timeout.
    const beyondClosed = await within(beyond.closed, 700);
    expect(beyondClosed, "a socket beyond the cap stays open").to.not.equal("timeout");
    // The idle ones: closed by the server after about the idle timeout, never held for good.
    for (const c of idle) {
      const ms = await within(c.closed, 5000);
      expect(ms, "an idle socket stays open").to.not.equal("timeout");
      expect(ms as number).to.be.at.least(800);
    }
    // The server still answers a real client.
    const res = await post(url, "/v1/events", sampleEvent());
    expect(res.status).to.equal(201);
    expect(stored()).to.equal(1);
  });

  it("closes the socket of a request that did not authenticate, instead of keeping it alive", async () => {
    const url = await start({}, { idleTimeoutMs: 30_000 });
    const c = await connect(url);
    sockets.push(c.socket);
    let answer = "";
    c.socket.on("data", (d) => (answer += d));
    c.socket.write("GET /v1/events/evt-x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(await within(c.closed, 3000), "an unauthenticated socket is kept alive").to.not.equal("timeout");
    expect(answer).to.match(/^HTTP\/1\.1 401/);
    // An authenticated one is kept alive.
    const k = await connect(url);
    sockets.push(k.socket);
    k.socket.write(`GET /v1/events/evt-x HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(await within(k.closed, 1500)).to.equal("timeout");
  });

  it("refuses a client over its byte quota with 429 and Retry-After, storing nothing, while another client is unaffected", async () => {
    const url = await start({ byteQuota: { maxBytes: 8 * 1024, windowMs: 60_000 } }, {});
    const first = await post(url, "/v1/events", sampleEvent());
    expect(first.status).to.equal(201);
    // ~2 KB each: the bulk of 10 goes over what is left of 8 KiB.
    const events = Array.from({ length: 10 }, (_, i) =>
      sampleEvent({
        source: "urn:mes:quota",
        sourceSequence: i + 1,
        data: {
          name: "inlet_temperature " + "n".repeat(1500),
          value: 61.5,
          unit: "degC",
          withinLimits: true,
          source: "automatic",
        },
      }),
    );
    const over = await post(url, "/v1/events:bulk", { events });
    expect(over.status).to.equal(429);
    expect((await over.json()).code).to.equal("BYTE_QUOTA_EXCEEDED");
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).to.be.within(1, 60);
    expect(stored()).to.equal(1);
    // Chunked (no content-length): counted as it arrives, refused just the same.
    const chunked = await fetch(url + "/v1/events:bulk", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(JSON.stringify({ events })));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).to.equal(429);
    expect(stored()).to.equal(1);
    // Another client has its own window (posting to a source of its own: another client's source is not its to write).
    const other = api.clients.add("mes-2", "mes", undefined, new Date()).token;
    const res = await fetch(url + "/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${other}`, "content-type": "application/json" },
      body: JSON.stringify(sampleEvent({ source: "urn:mes:mes-2", sourceSequence: 1 })),
    });
    expect(res.status).to.equal(201);
  });

  it("takes the limits from the environment, with defaults", () => {
    const d = buildConfig({}, {}, "/tmp");
    expect(d.maxConnections).to.equal(1024);
    expect(d.idleTimeoutMs).to.equal(30_000);
    expect(d.clientBytesPerWindow).to.equal(1024 ** 3);
    expect(d.clientBytesWindowMs).to.equal(3_600_000);
    const c = buildConfig(
      {},
      {
        LEDGER_MAX_CONNECTIONS: "10",
        LEDGER_IDLE_TIMEOUT_SECONDS: "5",
        LEDGER_CLIENT_BYTES_PER_WINDOW: "4096",
        LEDGER_CLIENT_BYTES_WINDOW_SECONDS: "60",
      },
      "/tmp",
    );
    expect([c.maxConnections, c.idleTimeoutMs, c.clientBytesPerWindow, c.clientBytesWindowMs]).to.deep.equal([
      10, 5000, 4096, 60_000,
    ]);
    expect(() => buildConfig({}, { LEDGER_MAX_CONNECTIONS: "0" }, "/tmp"))
      .to.throw()
      .with.property("code", "CONFIG_INVALID");
  });
});
