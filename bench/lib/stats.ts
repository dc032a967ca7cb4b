/**
 * Benchmark statistics and machine facts shared by every part of `npm run bench`: medians with
 * min-max, percentiles, load average, CPU, Node version.
 */
import os from "node:os";

/** Median, min, max and run count of a set of measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Median, min and max of measurements. */
export function summarise(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new Error("no measurements");
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length };
}

/** "1,234 (min 1,000, max 1,500, 5 runs)" with `digits` decimals. */
export function fmt(s: Summary, unit: string, digits = 0): string {
  const n = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${n(s.median)} ${unit} (min ${n(s.min)}, max ${n(s.max)}, ${s.runs} runs)`;
}

/** The 1, 5 and 15 minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** What the figures were measured on. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  node: string;
  platform: string;
  totalMemoryMB: number;
}

/** CPU model and count, Node version, platform, memory. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
  };
}

/** Reads `--name value` from argv, or the default. */
export function flag(argv: readonly string[], name: string, dflt?: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

/**
 * Runs one bench part on its own (`ts-node bench/<part>.ts`): prints the machine and the load average
 * before and after as one JSON line, then the part's lines; exits 1 when the part fails.
 */
export function runStandalone<T>(work: () => T | Promise<T>, lines: (figures: T) => string[]): void {
  const before = loadAverage();
  Promise.resolve()
    .then(work)
    .then((figures) => {
      console.log(
        JSON.stringify({ machine: machineInfo(), loadAverageBefore: before, loadAverageAfter: loadAverage() }),
      );
      for (const l of lines(figures)) console.log(l);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
