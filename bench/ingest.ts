/**
 * Ingestion benchmark (`npm run bench -- ingest`, or `npm run bench:ingest`): the real server
 * (`gxp-ledger serve` on the embedded chain, a real SQLite file, group commit, receipts signed,
 * sealing and anchoring running as configured) in its own process, driven over loopback by a load
 * generator in ANOTHER process (bench/lib/replay.js) that replays a pool of distinct, valid events
 * prepared beforehand as files of HTTP bodies, every request's bytes built before the clock starts:
 *   - single-event posts, unsigned, at 64 connections;
 *   - single-event posts, each source-signed (Ed25519 JWS), at 64 connections;
 *   - bulk posts of 1,000 events at 8 connections;
 * and, measured the same way in the same run with the same bodies, a no-op Fastify POST route in a
 * separate server process (the ceiling of this machine, load generator and HTTP stack).
 *
 * Each connection is one source (its events' sourceSequence increases along its lines), so every
 * request is a new event in order. Every request must be answered 201 (a new event): any other
 * status fails the scenario (the first failure's body is printed). Reported per scenario: events/s,
 * p50/p99 latency, and the server's CPU time per event (utime + stime of the server process from
 * /proc, read by the load generator right before its first request and after its last reply,
 * divided by the events accepted): what an event costs the server, whatever else shares the cores.
 * Medians over RUNS runs with min-max; the load average beside each scenario.
 *
 * Usage: ts-node bench/ingest.ts [--quick] [--runs N] [--seconds S] [--profile DIR] [--only a,b] [--node-args "..."]
 *   --profile DIR: the ledger server runs with --cpu-prof, its profile written into DIR at stop
 *   (summarise with `ts-node bench/lib/profile.ts DIR/<file>.cpuprofile`).
 * Writes bench/results/ingest.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { cli, serve } from "../test/helpers/process";
import { signEventJws } from "../src/crypto/source-sig";
import { GxpEvent } from "../src/core";
import { flag, median } from "./lib/stats";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const RUNS = Number(flag(argv, "runs", QUICK ? "1" : "3"));
const SECONDS = Number(flag(argv, "seconds", QUICK ? "3" : "5"));
const PROFILE = flag(argv, "profile");
const ONLY = flag(argv, "only")?.split(",");
// Extra node flags for the ledger server process (experiments, e.g. --max-semi-space-size=64).
const NODE_ARGS = flag(argv, "node-args")?.split(" ").filter(Boolean) ?? [];
const CONNECTIONS = 64;
const BULK_CONNECTIONS = 8;
const BULK_SIZE = 1000;
const REPLAY = path.join(__dirname, "lib", "replay.js");
const ROOT = path.resolve(__dirname, "..");

/** One event as an MES sends it: source `src`, its number `n` there, in batch `batch`. */
function event(src: string, n: number, batch: string): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: `evt-${randomUUID()}`,
    type: "parameter.recorded",
    source: src,
    sourceSequence: n,
    occurredAt: "2026-11-25T09:15:02.120+01:00",
    recordedAt: "2026-11-25T09:15:02.480+01:00",
    timeZone: "Europe/Berlin",
    site: "DE01",
    actor: { type: "person", userId: "u123", printedName: "A. Schmidt", role: "Operator" },
    gmpCriticality: "major",
    batch: { batchId: batch, productCode: "P-100" },
    recipe: { masterRecipeId: "MR-7", masterRecipeVersion: "3", controlRecipeId: `CR-${batch}` },
    context: { unit: "GRAN-01", phase: "Granulation" },
    data: {
      name: "inlet_temperature",
      value: 61.5 + (n % 7) / 10,
      unit: "degC",
      low: 55,
      high: 65,
      withinLimits: true,
      source: "automatic",
    },
  };
}

/**
 * Writes a pool file: `requests` bodies, line i for connection i % connections, each connection its
 * own source and batch (tag-unique), sourceSequence increasing along its lines; `perRequest` events
 * per body (bulk: {"events": [...]}). Returns the file and the number of events.
 */
function pool(
  dir: string,
  tag: string,
  requests: number,
  connections: number,
  perRequest: number,
  sign?: (e: Record<string, unknown>) => Record<string, unknown>,
): { file: string; events: number } {
  const file = path.join(dir, `pool-${tag}.ndjson`);
  const fd = fs.openSync(file, "w");
  const next = new Array<number>(connections).fill(1);
  let chunk: string[] = [];
  for (let i = 0; i < requests; i++) {
    const c = i % connections;
    const src = `urn:bench:${tag}:${c}`;
    const one = () => {
      const e = event(src, next[c]++, `B-BENCH-${tag}-${c}`);
      return sign ? sign(e) : e;
    };
    chunk.push(JSON.stringify(perRequest === 1 ? one() : { events: Array.from({ length: perRequest }, one) }));
    if (chunk.length >= 1000 || i === requests - 1) {
      fs.writeSync(fd, chunk.join("\n") + "\n");
      chunk = [];
    }
  }
  fs.closeSync(fd);
  return { file, events: requests * perRequest };
}

interface Replay {
  sent: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  latencyMs: { p50: number; p99: number; max: number };
  serverCpuSeconds: number | null;
  serverSysSeconds: number | null;
  firstFailure?: { status: number; body: string };
}

/** Runs the load generator in its own process on a pool file; resolves with its figures. */
function replay(cfg: {
  url: string;
  path: string;
  token?: string;
  file: string;
  connections: number;
  durationMs: number;
  serverPid?: number;
}): Promise<Replay> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [REPLAY, JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as Replay) : reject(new Error(`replay exited ${code}`)),
    );
  });
}

/** One scenario's figures of one run. */
interface Figures {
  eventsPerSec: number;
  requestsPerSec: number;
  /** Server CPU (user + system) per accepted event, µs. */
  cpuUsPerEvent?: number;
  /** The kernel's part of it (system time: socket and WAL writes, fsync), µs per event. */
  sysUsPerEvent?: number;
  /** Server CPU as a share of one core over the run. */
  cpuCores?: number;
  p50: number;
  p99: number;
  events: number;
  loadAverage: number[];
}

const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** Replays a pool; every reply must be `want` (201, or 201 for the no-op); anything else fails. */
async function scenario(
  name: string,
  url: string,
  route: string,
  token: string | undefined,
  p: { file: string; events: number },
  connections: number,
  perRequest: number,
  pid: number | undefined,
): Promise<Figures> {
  const r = await replay({
    url,
    path: route,
    token,
    file: p.file,
    connections,
    durationMs: SECONDS * 1000,
    serverPid: pid,
  });
  const ok = r.statuses["201"] ?? 0;
  if (ok !== r.sent || r.firstFailure) {
    throw new Error(
      `${name}: ${r.sent - ok} of ${r.sent} requests not answered 201 (${JSON.stringify(r.statuses)}); first: ${JSON.stringify(r.firstFailure)}`,
    );
  }
  const events = ok * perRequest;
  return {
    eventsPerSec: events / (r.elapsedMs / 1000),
    requestsPerSec: ok / (r.elapsedMs / 1000),
    cpuUsPerEvent: r.serverCpuSeconds !== null && events > 0 ? (r.serverCpuSeconds * 1e6) / events : undefined,
    sysUsPerEvent: r.serverSysSeconds !== null && events > 0 ? (r.serverSysSeconds * 1e6) / events : undefined,
    cpuCores: r.serverCpuSeconds !== null ? r.serverCpuSeconds / (r.elapsedMs / 1000) : undefined,
    p50: r.latencyMs.p50,
    p99: r.latencyMs.p99,
    events,
    loadAverage: load(),
  };
}

/**
 * A cross-check of the load generator: the autocannon CLI (its own process) posting one fixed body
 * of the same size to the no-op route. Its req/s beside the replay's says whether the replay, not
 * the server, is the limit. Latency and CPU are not taken from it.
 */
function autocannonNoop(url: string, body: string, seconds: number): number | undefined {
  const r = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "autocannon"),
    [
      "-c",
      String(CONNECTIONS),
      "-d",
      String(seconds),
      "-m",
      "POST",
      "-H",
      "content-type=application/json",
      "-b",
      body,
      "-j",
      url + "/noop",
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  try {
    return Math.round((JSON.parse(r.stdout) as { requests: { average: number } }).requests.average);
  } catch {
    return undefined;
  }
}

/** The no-op ceiling: a Fastify POST route (default JSON parser) answering 201, in its own process. */
function noopServer(): Promise<{ url: string; proc: ChildProcess }> {
  const code = `const f=require('fastify')({bodyLimit:${64 << 20}});f.post('/noop',async(q,r)=>r.code(201).send({ok:true}));f.listen({host:'127.0.0.1',port:0}).then(a=>console.log(a));`;
  const proc = spawn(process.execPath, ["-e", code], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => proc.stdout!.once("data", (d) => resolve({ url: String(d).trim(), proc })));
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-bench-ingest-"));
  const poolDir = path.join(dir, "pools");
  fs.mkdirSync(poolDir);
  // The server as deployed (the test helper ticks every 100 ms; the default is 1 s), limits out of the way.
  const env = {
    LEDGER_TICK_MS: "1000",
    LEDGER_RATE_LIMIT: "10000000",
    LEDGER_DEV_TOKEN: "off",
    LEDGER_CLIENT_BYTES_PER_WINDOW: String(2 ** 50),
  };
  const profDir = PROFILE ? path.resolve(PROFILE) : undefined;
  if (profDir) fs.mkdirSync(profDir, { recursive: true });
  const s = await serve(dir, env, [], [...NODE_ARGS, ...(profDir ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [])]);
  const noop = await noopServer();
  try {
    const add = (name: string, extra: string[] = []) => {
      const r = cli(["--data-dir", dir, "--json", "client", "add", name, "--role", "mes", ...extra]);
      if (r.code !== 0) throw new Error(`client add ${name}: ${r.stderr}`);
      return JSON.parse(r.stdout).token as string;
    };
    const mes = add("bench-mes");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pubFile = path.join(dir, "bench-signer.pub.pem");
    fs.writeFileSync(pubFile, publicKey.export({ type: "spki", format: "pem" }));
    const signer = add("bench-signer", ["--signing-key", pubFile]);
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const sign = (e: Record<string, unknown>) =>
      signEventJws(e as unknown as GxpEvent, pem, "EdDSA") as unknown as Record<string, unknown>;
    const pid = s.proc.pid;

    // Pool sizes: enough for SECONDS at well above the targets (the replay stops at SECONDS).
    const size = {
      unsigned: 25_000 * SECONDS,
      signed: 10_000 * SECONDS,
      bulk: Math.ceil((80_000 * SECONDS) / BULK_SIZE),
    };
    const want = (k: string) => !ONLY || ONLY.includes(k);
    type Key = "noop" | "noopBulk" | "unsigned" | "signed" | "bulk";
    const scenarios: Record<Key, Figures[]> = { noop: [], unsigned: [], signed: [], noopBulk: [], bulk: [] };
    const autocannonRps: (number | undefined)[] = [];
    const log = (s: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${s}`);

    // Warm-up (JIT, SQLite page cache), not measured: a few thousand events of each kind.
    log("warm-up");
    const wu = pool(poolDir, "wu", 4000, CONNECTIONS, 1);
    await scenario("warm-up noop", noop.url, "/noop", undefined, wu, CONNECTIONS, 1, noop.proc.pid);
    await scenario("warm-up unsigned", s.url, "/v1/events", mes, wu, CONNECTIONS, 1, pid);
    if (want("signed"))
      await scenario(
        "warm-up signed",
        s.url,
        "/v1/events",
        signer,
        pool(poolDir, "ws", 2000, CONNECTIONS, 1, sign),
        CONNECTIONS,
        1,
        pid,
      );
    if (want("bulk"))
      await scenario(
        "warm-up bulk",
        s.url,
        "/v1/events:bulk",
        mes,
        pool(poolDir, "wb", 16, BULK_CONNECTIONS, BULK_SIZE),
        BULK_CONNECTIONS,
        BULK_SIZE,
        pid,
      );

    for (let r = 0; r < RUNS; r++) {
      if (want("unsigned")) {
        const p = pool(poolDir, `u${r}`, size.unsigned, CONNECTIONS, 1);
        log(`run ${r + 1}: no-op ceiling, single bodies (load ${load().join(" ")})`);
        scenarios.noop.push(await scenario("no-op", noop.url, "/noop", undefined, p, CONNECTIONS, 1, noop.proc.pid));
        autocannonRps.push(
          autocannonNoop(
            noop.url,
            fs.readFileSync(p.file, "utf8").slice(0, 100_000).split("\n")[0],
            Math.min(3, SECONDS),
          ),
        );
        log(`run ${r + 1}: single, unsigned (load ${load().join(" ")})`);
        scenarios.unsigned.push(await scenario("unsigned", s.url, "/v1/events", mes, p, CONNECTIONS, 1, pid));
        fs.rmSync(p.file);
      }
      if (want("signed")) {
        const p = pool(poolDir, `s${r}`, size.signed, CONNECTIONS, 1, sign);
        log(`run ${r + 1}: single, signed (load ${load().join(" ")})`);
        scenarios.signed.push(await scenario("signed", s.url, "/v1/events", signer, p, CONNECTIONS, 1, pid));
        fs.rmSync(p.file);
      }
      if (want("bulk")) {
        const p = pool(poolDir, `b${r}`, size.bulk, BULK_CONNECTIONS, BULK_SIZE);
        log(`run ${r + 1}: no-op ceiling, bulk bodies (load ${load().join(" ")})`);
        scenarios.noopBulk.push(
          await scenario("no-op bulk", noop.url, "/noop", undefined, p, BULK_CONNECTIONS, BULK_SIZE, noop.proc.pid),
        );
        log(`run ${r + 1}: bulk of ${BULK_SIZE} (load ${load().join(" ")})`);
        scenarios.bulk.push(await scenario("bulk", s.url, "/v1/events:bulk", mes, p, BULK_CONNECTIONS, BULK_SIZE, pid));
        fs.rmSync(p.file);
      }
    }

    const summary = Object.fromEntries(
      Object.entries(scenarios)
        .filter(([, v]) => v.length)
        .map(([k, v]) => [
          k,
          {
            eventsPerSec: Math.round(median(v.map((x) => x.eventsPerSec))),
            min: Math.round(Math.min(...v.map((x) => x.eventsPerSec))),
            max: Math.round(Math.max(...v.map((x) => x.eventsPerSec))),
            requestsPerSec: Math.round(median(v.map((x) => x.requestsPerSec))),
            serverCpuUsPerEvent: v.every((x) => x.cpuUsPerEvent !== undefined)
              ? Math.round(median(v.map((x) => x.cpuUsPerEvent!)) * 10) / 10
              : undefined,
            serverCpuUsPerEventRuns: v.map((x) =>
              x.cpuUsPerEvent === undefined ? null : Math.round(x.cpuUsPerEvent * 10) / 10,
            ),
            serverSysUsPerEvent: v.every((x) => x.sysUsPerEvent !== undefined)
              ? Math.round(median(v.map((x) => x.sysUsPerEvent!)) * 10) / 10
              : undefined,
            serverCores: v.every((x) => x.cpuCores !== undefined)
              ? Math.round(median(v.map((x) => x.cpuCores!)) * 100) / 100
              : undefined,
            p50ms: Math.round(median(v.map((x) => x.p50)) * 100) / 100,
            p99ms: Math.round(median(v.map((x) => x.p99)) * 100) / 100,
            events: v.reduce((a, x) => a + x.events, 0),
            loadAverage: v.map((x) => x.loadAverage[0]),
          },
        ]),
    );
    const machine = {
      node: process.version,
      cpus: `${os.cpus().length} x ${os.cpus()[0].model}`,
      runs: RUNS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      bulkConnections: BULK_CONNECTIONS,
      loadAverage: load(),
    };
    console.log(JSON.stringify(machine));
    console.log(
      "scenario (every request answered 201)    events/s median (min-max)   p50 ms  p99 ms  server CPU µs/event (runs)   of it system  server cores  1-min load per run",
    );
    const label: Record<string, string> = {
      noop: "no-op Fastify, single bodies (ceiling)",
      unsigned: `single, unsigned, ${CONNECTIONS} conns`,
      signed: `single, Ed25519-signed, ${CONNECTIONS} conns`,
      noopBulk: "no-op Fastify, bulk bodies (ceiling)",
      bulk: `bulk of ${BULK_SIZE}, ${BULK_CONNECTIONS} conns`,
    };
    for (const [k, v] of Object.entries(summary)) {
      console.log(
        `${label[k].padEnd(42)}${`${v.eventsPerSec} (${v.min}-${v.max})`.padStart(24)}   ${String(v.p50ms).padStart(6)}  ${String(v.p99ms).padStart(6)}  ${`${v.serverCpuUsPerEvent ?? "n/a"} (${v.serverCpuUsPerEventRuns.join(", ")})`.padEnd(28)} ${String(v.serverSysUsPerEvent ?? "n/a").padStart(8)}      ${String(v.serverCores ?? "n/a").padStart(6)}        ${v.loadAverage.join(", ")}`,
      );
    }
    if (autocannonRps.length)
      console.log(
        `cross-check: autocannon CLI, one fixed single body, no-op route, ${CONNECTIONS} conns: ${autocannonRps.join(", ")} req/s (per run)`,
      );
    fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
    fs.writeFileSync(
      path.join(__dirname, "results", "ingest.json"),
      JSON.stringify({ machine, summary, autocannonNoopRps: autocannonRps, at: new Date().toISOString() }, null, 2),
    );
  } finally {
    noop.proc.kill("SIGTERM");
    await s.stop();
    if (profDir) console.error(`profile(s) in ${profDir}: ${fs.readdirSync(profDir).join(", ")}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
