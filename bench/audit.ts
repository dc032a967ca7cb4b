/**
 * Audit benchmark: the local checks of `audit` (every leaf recomputed, sequence, batch chains, every
 * epoch's tiles, tree and root) over a ledger of N events sealed into epochs of 10,000, chain round
 * trips excluded. Medians of RUNS runs with min-max. Usage: ts-node bench/audit.ts [events=100000] [runs=3]
 */
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
fs.rmSync(dir, { recursive: true, force: true });
const k = (x: number) => `${Math.round(x).toLocaleString("en-US")}`;
console.log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0].model}`);
console.log(`audit (local checks) of ${N} events in ${Math.ceil(N / 10_000)} epochs: ${k(median(rates))} events/s (min ${k(Math.min(...rates))}, max ${k(Math.max(...rates))}, ${RUNS} runs)`);
