/**
 * Audit benchmark: the local checks of `audit` (every leaf recomputed, sequence, batch chains, every
 * epoch's tiles, tree and root) over a ledger of N events sealed into epochs of 10,000, chain round
 * trips excluded: in this thread (auditLocal), and through the real compiled CLI (`audit --offline
 * --json`, its own figure) with 1 and with 2 worker threads (their start included). Medians of RUNS
 * runs with min-max. Reference in the same run: the floor of the same read, every row's record text
 * read and hashed once with node:crypto's one-shot SHA-256 (no parsing, no tree).
 * Usage: ts-node bench/audit.ts [--events 100000] [--runs 3] (the CLI part needs `npm run build`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { openLedger } from "../src/service/app/ledger";
import { auditLocal } from "../src/service/audit/audit";
import { leafHashOfText } from "../src/crypto/node-hasher";
import { copyFixture, fixture } from "./lib/fixture";
import { flag, fmt, summarise, Summary, runStandalone } from "./lib/stats";

/** Audit figures, events/s. */
export interface AuditFigures {
  events: number;
  epochs: number;
  inProcess: Summary;
  cli: Record<string, Summary>;
  /** Reference: read every record and hash it once. */
  floor: Summary;
}

/** Copies the template of `n` events, seals it into epochs of 10,000, times the audit. */
export function benchAudit(
  n: number,
  runs: number,
  opts: { fresh?: boolean; log?: (s: string) => void } = {},
): AuditFigures {
  const dir = copyFixture(fixture(n, opts.fresh, opts.log), "audit");
  try {
    const ledger = openLedger(dir, { maxEvents: 10_000, maxAgeMs: 1 << 30 });
    let epochs = 0;
    while (ledger.sealer.seal(new Date())) epochs++;
    const qAll = ledger.db.prepare("SELECT record, leaf_hash FROM events ORDER BY seq").raw();
    const rates: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const res = auditLocal(ledger.db);
      let ms = performance.now() - t;
      if (res.findings.length || res.events !== n)
        throw new Error(`audit of a clean ledger found ${res.findings.length} findings over ${res.events} events`);
      rates.push(n / (ms / 1000));
      t = performance.now();
      let k = 0;
      for (const [text, leaf] of qAll.iterate() as IterableIterator<[string, Buffer]>) {
        if (!leafHashOfText(text).equals(leaf)) throw new Error("leaf mismatch");
        k++;
      }
      ms = performance.now() - t;
      floor.push(k / (ms / 1000));
    }
    ledger.close();
    const cli: Record<string, Summary> = {};
    const bin = path.resolve(__dirname, "../bin/gxp-ledger.js");
    if (fs.existsSync(path.resolve(__dirname, "../dist/cli/main.js"))) {
      for (const w of [1, 2]) {
        const xs: number[] = [];
        for (let r = 0; r < runs; r++) {
          const out = spawnSync(
            process.execPath,
            [bin, "--data-dir", dir, "--json", "audit", "--offline", "--workers", String(w)],
            { encoding: "utf8", maxBuffer: 1 << 26 },
          );
          if (out.status !== 0) throw new Error(`audit CLI exited ${out.status}: ${out.stderr}`);
          xs.push((JSON.parse(out.stdout) as { eventsPerSecond: number }).eventsPerSecond);
        }
        cli[`workers${w}`] = summarise(xs);
      }
    }
    return { events: n, epochs, inProcess: summarise(rates), cli, floor: summarise(floor) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Human-readable lines of the audit figures. */
export function auditLines(a: AuditFigures): string[] {
  return [
    `audit local checks of ${a.events.toLocaleString("en-US")} events in ${a.epochs} epochs, one thread: ${fmt(a.inProcess, "events/s")}`,
    ...Object.entries(a.cli).map(
      ([k, v]) => `  gxp-ledger audit --offline --workers ${k.slice(7)}: ${fmt(v, "events/s")}`,
    ),
    `  reference floor (read every record, one SHA-256 each): ${fmt(a.floor, "events/s")}`,
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runStandalone(
    () =>
      benchAudit(
        Number(flag(argv, "events", argv[0] && !argv[0].startsWith("--") ? argv[0] : "100000")),
        Number(flag(argv, "runs", "3")),
        { fresh: argv.includes("--fresh"), log: (s) => console.error(s) },
      ),
    auditLines,
  );
}
