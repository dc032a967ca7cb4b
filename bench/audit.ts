/**
 * Audit benchmark: the local checks of `audit` (every leaf recomputed, sequence, batch chains, every
 * epoch's tiles, tree and root) over a ledger of N events sealed into epochs of 10,000, chain round
 * trips excluded: in this thread (auditLocal), and through the real compiled CLI (`audit --offline
 * --json`, its own figure) with 1 and with 2 worker threads (their start included). Medians of RUNS
 * runs with min-max.
 * Usage: ts-node bench/audit.ts [events=100000] [runs=3] (the CLI part needs `npm run build`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger } from "../src/service/ledger";
import { auditLocal } from "../src/service/audit";
import { sampleEvents } from "../test/helpers/events";

const N = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-bench-audit-"));
const ledger = openLedger(dir, { maxEvents: 10_000, maxAgeMs: 60_000 });
// Several batches so that the batch chains are exercised as in production.
for (let i = 0; i < N; i += 1000) ledger.events.append(sampleEvents(Math.min(1000, N - i), `B-BENCH-${(i / 1000) % 20}`));
while (ledger.sealer.seal(new Date()));
const rates: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  const res = auditLocal(ledger.db);
  const ms = performance.now() - t;
  if (res.findings.length || res.events !== N) throw new Error(`audit of a clean ledger found ${res.findings.length} findings over ${res.events} events`);
  rates.push(N / (ms / 1000));
}
ledger.close();
const cliRates: Record<number, number[]> = { 1: [], 2: [] };
const bin = path.resolve(__dirname, "../bin/gxp-ledger.js");
const built = fs.existsSync(path.resolve(__dirname, "../dist/cli/main.js"));
for (let r = 0; built && r < RUNS; r++) {
  for (const w of [1, 2]) {
    const out = spawnSync(process.execPath, [bin, "--data-dir", dir, "--json", "audit", "--offline", "--workers", String(w)], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`audit CLI exited ${out.status}: ${out.stderr}`);
    cliRates[w].push((JSON.parse(out.stdout) as { eventsPerSecond: number }).eventsPerSecond);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
const k = (x: number) => `${Math.round(x).toLocaleString("en-US")}`;
const fmt = (xs: number[]) => `${k(median(xs))} events/s (min ${k(Math.min(...xs))}, max ${k(Math.max(...xs))}, ${xs.length} runs)`;
console.log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0].model}`);
console.log(`audit local checks of ${N} events in ${Math.ceil(N / 10_000)} epochs, in one thread: ${fmt(rates)}`);
if (!built) console.log("CLI not built: run `npm run build` for its figures");
for (const w of built ? [1, 2] : []) console.log(`the same through \`gxp-ledger audit --offline --workers ${w}\`: ${fmt(cliRates[w])}`);
