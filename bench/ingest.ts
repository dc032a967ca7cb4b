/**
 * Ingestion benchmark (`npm run bench:ingest`): drives the real server (`gxp-ledger serve` on the
 * embedded chain, real SQLite file, group commit, receipts signed) on loopback with autocannon, and
 * reports events/s and p50/p99 latency for
 *   - single-event posts at 64 connections, unsigned;
 *   - single-event posts at 64 connections, each event source-signed (Ed25519 JWS);
 *   - bulk posts of 1,000 events;
 * next to a no-op Fastify route measured in the same run (the ceiling). Each scenario runs RUNS
 * times for DURATION seconds; figures are medians with min-max. Events/s counts new events only
 * (201 replies); replays (200) are reported apart. Also the server process's own CPU time per event
 * (user + system, from /proc): what an event costs the server whatever the load generator beside it
 * takes of this machine's cores. Writes bench/results/ingest.json.
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
import { median } from "./lib/stats";

const QUICK = process.argv.includes("--quick");
const RUNS = QUICK ? 1 : 3;
const DURATION = QUICK ? 3 : 6;
const CONNECTIONS = 64;

/**
 * Distinct bodies, each event its own source at sourceSequence 1, so that any request may go out on
 * any connection in any order and still be a new event. (autocannon clears a request's context every
 * time it loops over `requests`, so per-connection state kept there does not survive: the earlier
 * version of this bench sent mostly replays of the first 64 events after the first round.)
 */
function bodies(n: number, tag: string, sign?: (e: Record<string, unknown>) => Record<string, unknown>): string[] {
  return Array.from({ length: n }, (_, i) => {
    const e = sampleEvent({ source: `urn:bench:${process.pid}:${tag}:${i}`, sourceSequence: 1 });
    return JSON.stringify(sign ? sign(e) : e);
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

interface Figures {
  eventsPerSec: number;
  /** Server CPU time per new event, µs (undefined without /proc). */
  cpuUsPerEvent?: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** 200 replies: replays of a stored event (the pool ran out), not counted as events. */
  replays: number;
}

/** Runs one scenario; events/s counts only 201 replies (new events), over the measured duration. */
async function run(pid: number | undefined, url: string, token: string | undefined, pool: string[] | undefined, eventsPerRequest: number, connections = CONNECTIONS, path = "/v1/events"): Promise<Figures> {
  let next = 0;
  const cpu0 = cpuSeconds(pid);
  const result = await autocannon({
    url: url + path,
    method: "POST",
    connections,
    duration: DURATION,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: pool ? undefined : "{}",
    requests: pool ? [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: pool[next++ % pool.length] }) }] : undefined,
  } as autocannon.Options);
  const codes = (result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats;
  const created = pool ? codes["201"]?.count ?? 0 : result.requests.total;
  const cpu1 = cpuSeconds(pid);
  const cpuUsPerEvent = cpu0 !== undefined && cpu1 !== undefined && created > 0 ? ((cpu1 - cpu0) * 1e6) / (created * eventsPerRequest) : undefined;
  return { eventsPerSec: (created * eventsPerRequest) / result.duration, cpuUsPerEvent, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, replays: pool ? codes["200"]?.count ?? 0 : 0 };
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
    scenarios.noop.push(await run(noop.proc.pid, noop.url, undefined, undefined, 1, CONNECTIONS, "/noop"));
    scenarios.unsigned.push(await run(s.proc.pid, s.url, mes, bodies(20_000 * DURATION, `u${r}`), 1));
    scenarios.signed.push(await run(s.proc.pid, s.url, signer, bodies(8_000 * DURATION, `s${r}`, (e) => signEventJws(e as never, pem, "EdDSA")), 1));
    const bulkBodies = Array.from({ length: 20 * DURATION }, (_, i) =>
      JSON.stringify({ events: Array.from({ length: 1000 }, (_, k) => sampleEvent({ source: `urn:bench:${process.pid}:bulk:${r}:${i}`, sourceSequence: k + 1 })) }),
    );
    scenarios.bulk.push(await run(s.proc.pid, s.url, mes, bulkBodies, 1000, 8, "/v1/events:bulk"));
  }
  noop.proc.kill();
  await s.stop();

  const summary = Object.fromEntries(
    Object.entries(scenarios).map(([k, v]) => [
      k,
      {
        eventsPerSec: Math.round(median(v.map((x) => x.eventsPerSec))),
        serverCpuUsPerEvent: v.every((x) => x.cpuUsPerEvent !== undefined) ? Math.round(median(v.map((x) => x.cpuUsPerEvent!))) : undefined,
        min: Math.round(Math.min(...v.map((x) => x.eventsPerSec))),
        max: Math.round(Math.max(...v.map((x) => x.eventsPerSec))),
        p50ms: median(v.map((x) => x.p50)),
        p99ms: median(v.map((x) => x.p99)),
        non2xx: v.reduce((a, x) => a + x.non2xx, 0),
        replays: v.reduce((a, x) => a + x.replays, 0),
      },
    ]),
  );
  const machine = { node: process.version, cpus: `${os.cpus().length} x ${os.cpus()[0].model}`, runs: RUNS, durationSeconds: DURATION, connections: CONNECTIONS };
  console.log(JSON.stringify(machine));
  console.log("scenario              events/s (median, min-max)      p50 ms   p99 ms   non-2xx  replays  server CPU µs/event");
  const label: Record<string, string> = { noop: "no-op Fastify (ceiling)", unsigned: "single, unsigned", signed: "single, Ed25519-signed", bulk: "bulk of 1,000" };
  for (const [k, v] of Object.entries(summary)) {
    console.log(`${label[k].padEnd(24)}${String(v.eventsPerSec).padStart(8)} (${v.min}-${v.max})`.padEnd(52) + `${String(v.p50ms).padStart(6)}   ${String(v.p99ms).padStart(6)}   ${String(v.non2xx).padStart(7)}  ${String(v.replays).padStart(7)}  ${v.serverCpuUsPerEvent ?? "n/a"}`);
  }
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "ingest.json"), JSON.stringify({ machine, summary, at: new Date().toISOString() }, null, 2));
  fs.rmSync(dir, { recursive: true, force: true });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
