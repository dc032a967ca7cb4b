/**
 * Benchmark ledgers: N sample events loaded through the real append path (schema validation,
 * canonical JSON, leaf hash, batch chain, one transaction per chunk of CHUNK events), left unsealed,
 * checkpointed and kept as a template file that each measurement copies. Templates are cached under
 * the OS temp directory by size and schema (the newest migration id), so a second run does not
 * reload; `fresh` rebuilds.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, ledgerDbFile } from "../../src/service/app/ledger";
import { MIGRATIONS } from "../../src/store/migrations";
import { sampleEvents } from "../../test/helpers/events";

/** Events per append call (= per transaction) of the bulk load. */
export const CHUNK = 10_000;

/** A template ledger file of `events` unsealed events, and how long loading it took. */
export interface Fixture {
  events: number;
  file: string;
  /** Load time in ms when built in this run; undefined when taken from the cache. */
  loadMs?: number;
  /** Load time recorded when the cached template was built. */
  builtLoadMs: number;
  builtAt: string;
}

const ROOT = path.join(os.tmpdir(), "gxp-bench-fixtures");
const schemaKey = () =>
  [...MIGRATIONS]
    .map((m) => m.id)
    .sort()
    .pop() ?? "none";

/**
 * Loads `n` events in chunks of CHUNK, one immediate transaction each (synchronous=FULL as in
 * production), spread over 20 batches. Returns the elapsed ms. `onProgress` is called per chunk.
 * Stops early, returning what was loaded, once `deadlineMs` has passed.
 */
export function bulkLoad(
  dataDir: string,
  n: number,
  opts: { deadlineMs?: number; onProgress?: (done: number, ms: number) => void } = {},
): { loaded: number; ms: number; appendMs: number; appendCpuMs: number } {
  const ledger = openLedger(dataDir, { maxEvents: 1 << 30, maxAgeMs: 1 << 30 });
  const t0 = performance.now();
  let done = ledger.events.nextSeq();
  // The ledger's share apart from making the sample events: wall time and CPU time (user + system)
  // spent inside append (validation, canonical JSON, leaf hash, insert, commit).
  let appendMs = 0;
  let appendCpuUs = 0;
  try {
    for (; done < n;) {
      const k = Math.min(CHUNK, n - done);
      const events = sampleEvents(k, `B-BENCH-${(done / CHUNK) % 20}`);
      const a0 = performance.now();
      const c0 = process.cpuUsage();
      ledger.events.append(events);
      const c1 = process.cpuUsage(c0);
      appendCpuUs += c1.user + c1.system;
      appendMs += performance.now() - a0;
      done += k;
      opts.onProgress?.(done, performance.now() - t0);
      if (opts.deadlineMs !== undefined && performance.now() - t0 > opts.deadlineMs) break;
    }
    ledger.db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    ledger.close();
  }
  return { loaded: done, ms: performance.now() - t0, appendMs, appendCpuMs: appendCpuUs / 1000 };
}

/** The directory of a cached template. */
export function fixtureDir(name: string): string {
  return path.join(ROOT, `${name}-${schemaKey()}`);
}

/** Records a template as complete: its size, load time and when it was built. */
export function writeFixtureMeta(dir: string, events: number, loadMs: number): string {
  const builtAt = new Date().toISOString();
  fs.writeFileSync(path.join(dir, "fixture.json"), JSON.stringify({ events, loadMs, builtAt }));
  return builtAt;
}

/** The cached template of `n` unsealed events, built now if missing (or if `fresh`). */
export function fixture(n: number, fresh = false, log: (s: string) => void = () => {}): Fixture {
  const dir = fixtureDir(String(n));
  const meta = path.join(dir, "fixture.json");
  if (!fresh && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, "utf8")) as { loadMs: number; builtAt: string };
    return { events: n, file: ledgerDbFile(dir), builtLoadMs: m.loadMs, builtAt: m.builtAt };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  log(
    `loading a ${n.toLocaleString("en-US")}-event template ledger (validation, canonical JSON, leaf hash; ${CHUNK.toLocaleString("en-US")} events per transaction)`,
  );
  const { ms } = bulkLoad(dir, n, {
    onProgress: (done, t) => {
      if (done % (CHUNK * 20) === 0) log(`  ${done.toLocaleString("en-US")} events in ${(t / 1000).toFixed(1)} s`);
    },
  });
  const builtAt = writeFixtureMeta(dir, n, ms);
  return { events: n, file: ledgerDbFile(dir), loadMs: ms, builtLoadMs: ms, builtAt };
}

/** Copies a template into a fresh temporary data directory; returns the directory. */
export function copyFixture(f: Fixture, tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gxp-bench-${tag}-`));
  fs.copyFileSync(f.file, ledgerDbFile(dir));
  // Flush the copy now: otherwise the kernel writes its ~1.5 KB per event back while the measured
  // commit waits on its own fsync, which is no cost of the ledger's.
  const fd = fs.openSync(ledgerDbFile(dir), "r+");
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return dir;
}

// `ts-node bench/lib/fixture.ts <events> [--fresh]`: builds (or shows) a template ahead of a run.
if (require.main === module && /fixture\.ts$/.test(process.argv[1] ?? "")) {
  const f = fixture(Number(process.argv[2] ?? 100_000), process.argv.includes("--fresh"), (s) =>
    console.log(new Date().toISOString(), s),
  );
  console.log(JSON.stringify(f));
}
