/**
 * In-process micro-benchmark of the append path (no HTTP): groups of G events (each from its own
 * source slot, like the ingest bench's connections) through appendGroup, after `pre` events. Reports
 * CPU µs per event (process.cpuUsage) and wall µs per event, and a --cpu-prof can be taken around it.
 * Usage: ts-node bench/lib/append-micro.ts [--events N] [--group G] [--pre N]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger } from "../../src/service/app/ledger";
import { assertEventText, GxpEvent } from "../../src/core";
import { flag } from "./stats";
import { sampleEvent } from "../../test/helpers/events";

const argv = process.argv.slice(2);
const N = Number(flag(argv, "events", "50000"));
const G = Number(flag(argv, "group", "64"));
const PRE = Number(flag(argv, "pre", "0"));
// --bulk: one call of G events from one source (a bulk post), instead of G calls of one event each.
const BULK = argv.includes("--bulk");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-append-micro-"));
const ledger = openLedger(dir, { maxEvents: 1 << 30, maxAgeMs: 1 << 30 });
for (const p of argv.filter((a, i) => argv[i - 1] === "--pragma")) ledger.db.pragma(p);
const next = new Array<number>(G).fill(1);
const ev = (c: number, tag: string) =>
  sampleEvent({ source: `urn:bench:${tag}:${c}`, sourceSequence: next[c]++ }, `B-${tag}-${c}`);
const by = { submittedBy: { client: "bench-mes", role: "mes" } } as const;
function run(n: number, tag: string) {
  let val = 0,
    app = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += G) {
    const calls = Array.from({ length: G }, (_, c) => JSON.parse(JSON.stringify(ev(BULK ? 0 : c, tag))));
    const v0 = process.cpuUsage();
    const texts = calls.map((e) => assertEventText(e));
    const v1 = process.cpuUsage(v0);
    val += v1.user + v1.system;
    const a0 = process.cpuUsage();
    if (BULK) ledger.events.appendGroup([{ events: calls as GxpEvent[], opts: { ...by, eventTexts: texts } }]);
    else
      ledger.events.appendGroup(
        calls.map((e, i) => ({ events: [e as GxpEvent], opts: { ...by, eventTexts: [texts[i]] } })),
      );
    const a1 = process.cpuUsage(a0);
    app += a1.user + a1.system;
  }
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  return {
    n,
    wallUs: (ms * 1000) / n,
    cpuUs: (c.user + c.system) / n,
    validateUs: val / n,
    appendUs: app / n,
    sysUs: c.system / n,
  };
}
if (PRE) run(PRE, "pre");
console.log(JSON.stringify({ group: G, pre: PRE, ...run(N, "m"), load: os.loadavg()[0] }));
ledger.close();
fs.rmSync(dir, { recursive: true, force: true });
