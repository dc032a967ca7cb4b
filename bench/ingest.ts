/**
 * Ingestion benchmark (`npm run bench:ingest`): drives the real server (`gxp-ledger serve` on the
 * embedded chain, real SQLite file, group commit, receipts signed) on loopback with autocannon, and
 * reports events/s and p50/p99 latency for
 *   - single-event posts at 64 connections, unsigned;
 *   - single-event posts at 64 connections, each event source-signed (Ed25519 JWS);
 *   - bulk posts of 1,000 events;
 * next to a no-op Fastify route measured in the same run (the ceiling). Each scenario runs RUNS
 * times for DURATION seconds; figures are medians with min-max. Writes bench/results/ingest.json.
 *
 * Usage: ts-node bench/ingest.ts [--quick]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import autocannon from "autocannon";
import { cli, serve } from "../test/helpers/process";
import { sampleEvent } from "../test/helpers/events";
import { signEventJws } from "../src/crypto/source-sig";

const QUICK = process.argv.includes("--quick");
const RUNS = QUICK ? 1 : 3;
const DURATION = QUICK ? 3 : 6;
const CONNECTIONS = 64;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per-connection bodies with increasing sourceSequence per connection (each connection is its own source). */
function bodies(n: number, perConn: number, sign?: (e: Record<string, unknown>) => Record<string, unknown>): string[][] {
  return Array.from({ length: n }, (_, c) =>
    Array.from({ length: perConn }, (_, i) => {
      const e = sampleEvent({ source: `urn:bench:${process.pid}:${Date.now()}:conn-${c}`, sourceSequence: i + 1 });
      return JSON.stringify(sign ? sign(e) : e);
    }),
  );
}

interface Figures {
  eventsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function run(url: string, token: string | undefined, perConn: string[][] | undefined, eventsPerRequest: number, connections = CONNECTIONS, path = "/v1/events"): Promise<Figures> {
  const counters = new Map<unknown, number>();
  const result = await autocannon({
    url: url + path,
    method: "POST",
    connections,
    duration: DURATION,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: perConn ? undefined : "{}",
    requests: perConn
      ? [
          {
            setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
              if (context.conn === undefined) context.conn = counters.size;
              const c = context.conn as number;
              const i = counters.get(c) ?? 0;
              counters.set(c, i + 1);
              const list = perConn[c % perConn.length];
              return { ...req, body: list[i % list.length] };
            },
          },
        ]
      : undefined,
  } as autocannon.Options);
  return { eventsPerSec: result.requests.average * eventsPerRequest, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

function noopServer(): Promise<{ url: string; proc: ChildProcess }> {
  const code = `const f=require('fastify')();f.post('/noop',async(q,r)=>r.code(201).send({ok:true}));f.listen({host:'127.0.0.1',port:0}).then(a=>console.log(a));`;
  const proc = spawn(process.execPath, ["-e", code], { cwd: path.resolve(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => proc.stdout!.once("data", (d) => resolve({ url: String(d).trim(), proc })));
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-bench-ingest-"));
  const env = { LEDGER_RATE_LIMIT: "10000000", LEDGER_DEV_TOKEN: "off" };
  const s = await serve(dir, env);
  const mes = JSON.parse(cli(["--data-dir", dir, "--json", "client", "add", "bench-mes", "--role", "mes"]).stdout).token as string;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const pubFile = path.join(dir, "bench-signer.pub.pem");
  fs.writeFileSync(pubFile, publicKey.export({ type: "spki", format: "pem" }));
  const signer = JSON.parse(cli(["--data-dir", dir, "--json", "client", "add", "bench-signer", "--role", "mes", "--signing-key", pubFile]).stdout).token as string;
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const noop = await noopServer();

  const scenarios: Record<string, Figures[]> = { noop: [], unsigned: [], signed: [], bulk: [] };
  for (let r = 0; r < RUNS; r++) {
    scenarios.noop.push(await run(noop.url, undefined, undefined, 1, CONNECTIONS, "/noop"));
    scenarios.unsigned.push(await run(s.url, mes, bodies(CONNECTIONS, Math.ceil((40_000 * DURATION) / CONNECTIONS)), 1));
    scenarios.signed.push(await run(s.url, signer, bodies(CONNECTIONS, Math.ceil((12_000 * DURATION) / CONNECTIONS), (e) => signEventJws(e as never, pem, "EdDSA")), 1));
    const bulkBodies = Array.from({ length: 8 }, (_, c) =>
      Array.from({ length: Math.ceil((100 * DURATION) / 8) }, (_, i) =>
        JSON.stringify({ events: Array.from({ length: 1000 }, (_, k) => sampleEvent({ source: `urn:bench:bulk:${r}:${c}`, sourceSequence: i * 1000 + k + 1 })) }),
      ),
    );
    scenarios.bulk.push(await run(s.url, mes, bulkBodies, 1000, 8, "/v1/events:bulk"));
  }
  noop.proc.kill();
  await s.stop();

  const summary = Object.fromEntries(
    Object.entries(scenarios).map(([k, v]) => [
      k,
      {
        eventsPerSec: Math.round(median(v.map((x) => x.eventsPerSec))),
        min: Math.round(Math.min(...v.map((x) => x.eventsPerSec))),
        max: Math.round(Math.max(...v.map((x) => x.eventsPerSec))),
        p50ms: median(v.map((x) => x.p50)),
        p99ms: median(v.map((x) => x.p99)),
        non2xx: v.reduce((a, x) => a + x.non2xx, 0),
      },
    ]),
  );
  const machine = { node: process.version, cpus: `${os.cpus().length} x ${os.cpus()[0].model}`, runs: RUNS, durationSeconds: DURATION, connections: CONNECTIONS };
  console.log(JSON.stringify(machine));
  console.log("scenario              events/s (median, min-max)      p50 ms   p99 ms   non-2xx");
  const label: Record<string, string> = { noop: "no-op Fastify (ceiling)", unsigned: "single, unsigned", signed: "single, Ed25519-signed", bulk: "bulk of 1,000" };
  for (const [k, v] of Object.entries(summary)) {
    console.log(`${label[k].padEnd(24)}${String(v.eventsPerSec).padStart(8)} (${v.min}-${v.max})`.padEnd(52) + `${String(v.p50ms).padStart(6)}   ${String(v.p99ms).padStart(6)}   ${v.non2xx}`);
  }
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "ingest.json"), JSON.stringify({ machine, summary, at: new Date().toISOString() }, null, 2));
  fs.rmSync(dir, { recursive: true, force: true });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
