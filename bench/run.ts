/**
 * `npm run bench`: runs the benchmark parts, each figure next to its reference measured in the same
 * run, prints the machine (CPU model and count, Node version) and the load average before and after
 * each part, and writes bench/results/latest.json (and bench/RESULTS.md from it with --write-md).
 *
 * Usage: npm run bench -- [part ...] [--quick] [--runs N] [--events N[,N...]] [--epochs N,N] [--fresh]
 *                         [--minutes M] [--no-build] [--write-md] [--profile DIR]
 *   parts: gas seal verify proof audit batch ingest load (default: all but load; `load` is the
 *   10M-event bulk load, run on its own because it takes up to --minutes, default 10)
 *   --events overrides the size of the selected parts (seal takes a list), e.g.
 *   `npm run bench -- seal --events 100000`. --profile DIR: the ingest part's ledger server writes a
 *   V8 CPU profile into DIR (summarise with `ts-node bench/lib/profile.ts DIR/<file>`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { auditLines, benchAudit } from "./audit";
import { benchGas, gasLines } from "./gas";
import { benchLoad, loadLines } from "./load";
import { benchProof, proofLines } from "./proof";
import { benchSeal, sealLines } from "./seal";
import { benchVerify, verifyLines } from "./verify";
import { evaluateTargets, TargetRow } from "./lib/targets";
import { flag, loadAverage, machineInfo } from "./lib/stats";
import { writeResultsMd } from "./lib/report";

const ROOT = path.resolve(__dirname, "..");
const ALL = ["gas", "seal", "verify", "proof", "audit", "batch", "ingest"] as const;
const PARTS = [...ALL, "load"] as const;
type Part = (typeof PARTS)[number];

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const selected = argv.filter((a) => (PARTS as readonly string[]).includes(a)) as Part[];
const parts: Part[] = selected.length ? selected : [...ALL];
const runs = Number(flag(argv, "runs", "5"));
const eventsFlag = flag(argv, "events");
const fresh = argv.includes("--fresh");
const log = (s: string) => console.error(s);

/** Runs a bench script of another owner as a child (it is reused, not edited) and returns its stdout. */
function child(script: string, args: string[]): string {
  const p = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(__dirname, script), ...args],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] },
  );
  if (p.status !== 0) throw new Error(`${script} exited ${p.status}`);
  return p.stdout;
}

/** Parses "label: 123 ms (min 100, max 150, 5 runs)" lines of bench/batch.ts. */
function batchFigures(out: string): Record<string, unknown> {
  const grab = (re: RegExp) => {
    const m = out.match(re);
    return m ? { median: Number(m[1]), min: Number(m[2]), max: Number(m[3]), runs: Number(m[4]) } : undefined;
  };
  const ms = "(\\d+) ms \\(min (\\d+), max (\\d+), (\\d+) runs\\)";
  return {
    inProcessMs: grab(new RegExp(`verifyBatch in process[^:]*: ${ms}`)),
    referenceMs: grab(new RegExp(`reference, same run[^:]*: [^:]*: ${ms}`)),
    cliMs: grab(new RegExp(`verify-batch --json[^:]*: ${ms}`)),
    setup: out.match(/batch of .*/)?.[0],
  };
}

async function main(): Promise<void> {
  const needsBuild = parts.some((p) => ["verify", "proof", "audit", "batch", "ingest"].includes(p));
  if (needsBuild && !argv.includes("--no-build")) {
    log("npm run build (the CLI and server the parts start)");
    const b = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  console.log(
    `machine: ${machine.cpuCount} x ${machine.cpuModel}, Node ${machine.node}, ${machine.platform}, ${machine.totalMemoryMB} MB; load average ${loadBefore.join(" ")}`,
  );
  const results: Record<
    string,
    {
      at: string;
      loadAverageBefore: number[];
      loadAverageAfter: number[];
      ms: number;
      figures: unknown;
      lines: string[];
      error?: string;
    }
  > = {};
  const ev = (dflt: string) => (eventsFlag ?? dflt).split(",").map(Number);
  for (const part of parts) {
    // A proof run at another ledger size is kept beside the default one (e.g. the 10M-event ledger).
    const key = part === "proof" && eventsFlag ? `proof-${eventsFlag}` : part;
    const before = loadAverage();
    const t0 = performance.now();
    log(`== ${part} (load average ${before.join(" ")})`);
    let figures: unknown;
    let lines: string[] = [];
    try {
      switch (part) {
        case "gas": {
          const g = await benchGas(runs);
          [figures, lines] = [g, gasLines(g)];
          break;
        }
        case "seal": {
          const s = benchSeal(ev(quick ? "10000,100000" : "10000,100000,1000000"), runs, { fresh, log });
          [figures, lines] = [s, sealLines(s)];
          break;
        }
        case "verify": {
          const v = await benchVerify(ev("10000")[0], quick ? 500 : 2000, runs, { fresh, log });
          [figures, lines] = [v, verifyLines(v)];
          break;
        }
        case "proof": {
          const epochs = (flag(argv, "epochs") ?? (quick ? "1000,10000" : "10000,1000000")).split(",").map(Number);
          const p = await benchProof(
            ev(quick ? "10000" : "1000000")[0],
            epochs,
            quick ? 5000 : 20_000,
            quick ? 500 : 2000,
            { fresh, log },
          );
          [figures, lines] = [p, proofLines(p)];
          break;
        }
        case "audit": {
          const a = benchAudit(ev(quick ? "10000" : "100000")[0], runs, { fresh, log });
          [figures, lines] = [a, auditLines(a)];
          break;
        }
        case "batch": {
          const out = child("batch.ts", [String(ev(quick ? "2000" : "10000")[0]), String(runs)]);
          [figures, lines] = [batchFigures(out), out.trim().split("\n")];
          break;
        }
        case "ingest": {
          // The ledger server and the no-op ceiling in their own processes, the load generator in a third.
          const out = child("ingest.ts", [
            ...(quick ? ["--quick"] : []),
            ...(flag(argv, "runs") ? ["--runs", String(Math.max(3, runs))] : []),
            ...(flag(argv, "profile") ? ["--profile", flag(argv, "profile")!] : []),
          ]);
          figures = JSON.parse(fs.readFileSync(path.join(__dirname, "results", "ingest.json"), "utf8"));
          lines = out.trim().split("\n");
          break;
        }
        case "load": {
          const l = benchLoad(ev("10000000")[0], Number(flag(argv, "minutes", "10")), log);
          [figures, lines] = [l, loadLines(l)];
          break;
        }
      }
      results[key] = {
        at: new Date().toISOString(),
        loadAverageBefore: before,
        loadAverageAfter: loadAverage(),
        ms: Math.round(performance.now() - t0),
        figures,
        lines,
      };
    } catch (e) {
      results[key] = {
        at: new Date().toISOString(),
        loadAverageBefore: before,
        loadAverageAfter: loadAverage(),
        ms: Math.round(performance.now() - t0),
        figures: undefined,
        lines: [],
        error: (e as Error).stack ?? String(e),
      };
      log(`${part} failed: ${(e as Error).message}`);
    }
    console.log(
      `-- ${key} (load average before ${before.join(" ")}, after ${results[key].loadAverageAfter.join(" ")}; ${(results[key].ms / 1000).toFixed(0)} s)`,
    );
    for (const l of lines) console.log(l);
    if (results[key].error) console.log(`FAILED: ${results[key].error!.split("\n")[0]}`);
  }
  const loadAfter = loadAverage();
  const targets: TargetRow[] = evaluateTargets(results);
  console.log(`-- targets (issue 7); load average after ${loadAfter.join(" ")}`);
  for (const t of targets)
    console.log(
      `${t.met === undefined ? "n/a " : t.met ? "MET " : "MISS"} ${t.target}: ${t.measured}; reference ${t.reference}`,
    );
  const out = {
    startedAt,
    finishedAt: new Date().toISOString(),
    argv,
    quick,
    machine,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    parts: results,
    targets,
  };
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  const file = path.join(__dirname, "results", "latest.json");
  // Parts merge into the last file (each keeps its own time and load average), so that one
  // latest.json holds every part, including the long ones run on their own (load, proof-<events>).
  const prev = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as typeof out) : undefined;
  const merged = prev
    ? { ...out, parts: { ...prev.parts, ...results }, targets: evaluateTargets({ ...prev.parts, ...results }) }
    : out;
  fs.writeFileSync(file, JSON.stringify(merged, null, 2) + "\n");
  console.log(`wrote ${path.relative(ROOT, file)}`);
  if (argv.includes("--write-md")) console.log(`wrote ${path.relative(ROOT, writeResultsMd(merged))}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
