/**
 * Bulk load benchmark: events loaded through the real append path (schema validation, canonical JSON,
 * leaf hash, batch chain, source sequence check; one transaction of 10,000 events each, synchronous=FULL)
 * into a fresh ledger, up to a target count or a time budget, whichever comes first. Reports events/s
 * per million loaded and, when stopped by the budget, the time the target would take at the rate of
 * the last million (an extrapolation, labelled as such). The loaded ledger is kept as a template for
 * the proof benchmark (`--events <loaded>`).
 *
 * Usage: ts-node bench/load.ts [--events 10000000] [--minutes 10]
 */
import fs from "node:fs";
import os from "node:os";
import { bulkLoad, CHUNK, fixtureDir, writeFixtureMeta } from "./lib/fixture";
import { flag, runStandalone } from "./lib/stats";

/** Load figures. */
export interface LoadFigures {
  target: number;
  loaded: number;
  ms: number;
  eventsPerSec: number;
  /** events/s over each successive million (or less at the end). */
  perMillion: { upTo: number; eventsPerSec: number }[];
  /** Extrapolated time to the target at the last segment's rate, when the budget stopped the load. */
  extrapolatedTargetMs?: number;
  dbBytes: number;
  chunk: number;
  /** Wall ms inside append (without making the sample events). */
  appendMs?: number;
  /** CPU µs (user + system, this process) per event inside append. */
  appendCpuUsPerEvent?: number;
  /** 1-minute load average at the end. */
  loadAverage?: number;
}

/** Loads up to `target` events within `minutes`; keeps the result as a template of `loaded` events. */
export function benchLoad(target: number, minutes: number, log: (s: string) => void = () => {}): LoadFigures {
  const tmp = fixtureDir(`load-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const marks: { done: number; ms: number }[] = [{ done: 0, ms: 0 }];
  const step = Math.min(1_000_000, target);
  const { loaded, ms, appendMs, appendCpuMs } = bulkLoad(tmp, target, {
    deadlineMs: minutes * 60_000,
    onProgress: (done, t) => {
      if (done % step === 0 || done === target) {
        marks.push({ done, ms: t });
        log(`  load: ${done.toLocaleString("en-US")} events in ${(t / 1000).toFixed(1)} s`);
      }
    },
  });
  if (marks[marks.length - 1].done !== loaded) marks.push({ done: loaded, ms });
  const perMillion = marks.slice(1).map((m, i) => ({
    upTo: m.done,
    eventsPerSec: Math.round((m.done - marks[i].done) / ((m.ms - marks[i].ms) / 1000)),
  }));
  const last = perMillion[perMillion.length - 1];
  const dbBytes = fs.statSync(`${tmp}/ledger.sqlite`).size;
  const final = fixtureDir(String(loaded));
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  writeFixtureMeta(final, loaded, ms);
  return {
    target,
    loaded,
    ms: Math.round(ms),
    eventsPerSec: Math.round(loaded / (ms / 1000)),
    perMillion,
    extrapolatedTargetMs: loaded < target ? Math.round(ms + ((target - loaded) / last.eventsPerSec) * 1000) : undefined,
    dbBytes,
    chunk: CHUNK,
    appendMs: Math.round(appendMs),
    appendCpuUsPerEvent: Math.round(((appendCpuMs * 1000) / Math.max(1, loaded)) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

/** Human-readable lines of the load figures. */
export function loadLines(l: LoadFigures): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    `bulk load (validation, canonical JSON, leaf hash; ${n(l.chunk)} events per transaction): ${n(l.loaded)} of ${n(l.target)} events in ${(l.ms / 1000).toFixed(1)} s = ${n(l.eventsPerSec)} events/s; database ${(l.dbBytes / 2 ** 30).toFixed(2)} GiB`,
    ...(l.appendMs !== undefined
      ? [
          `  inside append (without making the sample events): ${(l.appendMs / 1000).toFixed(1)} s wall, ${l.appendCpuUsPerEvent} µs CPU per event; 1-min load average at the end ${l.loadAverage}`,
        ]
      : []),
    `  events/s per segment: ${l.perMillion.map((p) => `${n(p.eventsPerSec)} up to ${n(p.upTo)}`).join("; ")}`,
    ...(l.extrapolatedTargetMs
      ? [
          `  EXTRAPOLATED (not measured): ${n(l.target)} events would take ~${(l.extrapolatedTargetMs / 60_000).toFixed(0)} min at the last segment's rate`,
        ]
      : []),
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runStandalone(
    () =>
      benchLoad(Number(flag(argv, "events", "10000000")), Number(flag(argv, "minutes", "10")), (s) => console.error(s)),
    loadLines,
  );
}
