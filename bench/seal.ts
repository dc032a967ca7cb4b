/**
 * Sealing benchmark: one epoch of N events sealed end to end (read the pending leaf hashes, build the
 * tree with merkletreejs, write the tiles and the epoch row, commit) in a child process per run, so
 * that its peak RSS is the seal's own; next to two references measured in the same child over the
 * same leaf hashes:
 *   - bare: a bottom-up RFC 9162 tree with node:crypto's one-shot `crypto.hash` (the practical limit);
 *   - merkletreejs naive: `new MerkleTree(leaves, sha256)` with a createHash()-per-call hash function
 *     and a Buffer.concat concatenator (0x01 prefix, so its root is the RFC 9162 root), then getLayers().
 * Each measurement runs in its own child process (compiled with esbuild, plain node), so its peak
 * RSS is its own and no measurement inherits another's heap; every root is checked against the sealed one.
 *
 * Usage: ts-node bench/seal.ts [--events 10000,100000] [--runs 5] [--fresh]
 * (child: node seal-child.js --child seal|bare|naive <template file> --events N)
 */
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MerkleTree } from "merkletreejs";
import { openLedger } from "../src/service/app/ledger";
import { merkletreeLevels } from "../src/epoch/sealer";
import { copyFixture, fixture, Fixture } from "./lib/fixture";
import { flag, fmt, summarise, Summary, runStandalone } from "./lib/stats";

/** Figures of one size. */
export interface SealFigures {
  events: number;
  seal: Summary;
  bare: Summary;
  naive: Summary;
  ratioSealToBare: number;
  peakRssMB: Summary;
  baseRssMB: Summary;
  /** Peak RSS of the reference processes (leaves read, tree built). */
  barePeakRssMB: Summary;
  naivePeakRssMB: Summary;
  fixture: { loadMs: number; builtAt: string; cached: boolean };
}

const ONE = Buffer.from([1]);

/** RFC 9162 root bottom-up, the odd last node carried up; one-shot SHA-256 per node. */
export function bareRoot(leaves: readonly Buffer[]): Buffer {
  let level = leaves as Buffer[];
  const input = Buffer.alloc(65, 1);
  while (level.length > 1) {
    const next: Buffer[] = new Array(level.length >> 1);
    for (let i = 0; i + 1 < level.length; i += 2) {
      input.set(level[i], 1);
      input.set(level[i + 1], 33);
      next[i >> 1] = crypto.hash("sha256", input, "buffer") as unknown as Buffer;
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** merkletreejs as one would first write it: a createHash per call, Buffer.concat, all layers kept. */
export function naiveMerkletreeRoot(leaves: readonly Buffer[]): Buffer {
  const tree = new MerkleTree(leaves as Buffer[], (d: Buffer) => crypto.createHash("sha256").update(d).digest(), {
    concatenator: (xs: Buffer[]) => Buffer.concat([ONE, ...xs]),
  });
  tree.getLayers();
  return tree.getRoot();
}

const rssMB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** The template's first `events` leaf hashes as views of one buffer (how the sealer reads them). */
function leavesOf(template: string, events: number): Buffer[] {
  const db = new Database(template, { readonly: true });
  const blob = db
    .prepare(
      "SELECT CAST(group_concat(leaf_hash, x'') AS BLOB) FROM (SELECT leaf_hash FROM events WHERE seq < ? ORDER BY seq)",
    )
    .pluck()
    .get(events) as Buffer;
  db.close();
  return Array.from({ length: events }, (_, i) => blob.subarray(i * 32, i * 32 + 32));
}

/**
 * Child side, one measurement per process (so that each has a fresh heap and its own peak RSS):
 * `seal` copies the template and seals it; `bare` and `naive` build their tree over the template's
 * leaf hashes (read untimed). Every code path is warmed on a small tree first. Prints one JSON line.
 */
function child(mode: string, template: string, events: number): void {
  const warm = Array.from({ length: 4096 }, () => crypto.randomBytes(32));
  const w = bareRoot(warm);
  if (!Buffer.from(merkletreeLevels(warm).pop()![0]).equals(w) || !naiveMerkletreeRoot(warm).equals(w))
    throw new Error("warm-up roots differ");
  if (mode === "seal") {
    const dir = copyFixture({ file: template } as Fixture, "seal");
    try {
      const ledger = openLedger(dir, { maxEvents: events, maxAgeMs: 1 << 30 });
      const baseRssMB = rssMB();
      const t = performance.now();
      const res = ledger.sealer.seal(new Date());
      const ms = performance.now() - t;
      const peakRssMB = rssMB();
      if (!res || res.epoch.size !== events) throw new Error(`sealed ${res?.epoch.size} events, want ${events}`);
      ledger.close();
      console.log(JSON.stringify({ ms, peakRssMB, baseRssMB, root: Buffer.from(res.epoch.root).toString("hex") }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const leaves = leavesOf(template, events);
  const baseRssMB = rssMB();
  const t = performance.now();
  const root = mode === "bare" ? bareRoot(leaves) : naiveMerkletreeRoot(leaves);
  const ms = performance.now() - t;
  console.log(JSON.stringify({ ms, peakRssMB: rssMB(), baseRssMB, root: root.toString("hex") }));
}

interface ChildResult {
  ms: number;
  peakRssMB: number;
  baseRssMB: number;
  root: string;
}

/** The child compiled to plain JavaScript once (esbuild), so that no TypeScript compiler sits in its RSS. */
function childScript(): string {
  const out = path.resolve(__dirname, "../node_modules/.cache/gxp-bench/seal-child.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  esbuild.buildSync({
    entryPoints: [__filename],
    bundle: true,
    platform: "node",
    target: "node20",
    outfile: out,
    packages: "external",
    logLevel: "error",
  });
  return out;
}

function runChild(script: string, mode: string, template: string, events: number): ChildResult {
  const p = spawnSync(process.execPath, [script, "--child", mode, template, "--events", String(events)], {
    cwd: path.resolve(__dirname, ".."),
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (p.status !== 0) throw new Error(`seal child (${mode}) exited ${p.status}: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split("\n").pop()!) as ChildResult;
}

/**
 * Per size and run, three children in turn (seal, bare, naive), each a fresh process; the roots must
 * agree.
 */
export function benchSeal(
  sizes: readonly number[],
  runs: number,
  opts: { fresh?: boolean; log?: (s: string) => void } = {},
): SealFigures[] {
  const log = opts.log ?? (() => {});
  const script = childScript();
  const out: SealFigures[] = [];
  for (const n of sizes) {
    const f = fixture(n, opts.fresh, log);
    const seal: ChildResult[] = [];
    const bare: ChildResult[] = [];
    const naive: ChildResult[] = [];
    for (let r = 0; r < runs; r++) {
      seal.push(runChild(script, "seal", f.file, n));
      bare.push(runChild(script, "bare", f.file, n));
      naive.push(runChild(script, "naive", f.file, n));
      if (bare[r].root !== seal[r].root || naive[r].root !== seal[r].root)
        throw new Error(`roots differ at ${n} events`);
      log(
        `  seal ${n}: run ${r + 1}/${runs}: seal ${seal[r].ms.toFixed(0)} ms ${seal[r].peakRssMB} MB; bare ${bare[r].ms.toFixed(0)} ms ${bare[r].peakRssMB} MB; naive ${naive[r].ms.toFixed(0)} ms ${naive[r].peakRssMB} MB`,
      );
    }
    const s = summarise(seal.map((x) => x.ms));
    const b = summarise(bare.map((x) => x.ms));
    out.push({
      events: n,
      seal: s,
      bare: b,
      naive: summarise(naive.map((x) => x.ms)),
      ratioSealToBare: Math.round((s.median / b.median) * 100) / 100,
      peakRssMB: summarise(seal.map((x) => x.peakRssMB)),
      baseRssMB: summarise(seal.map((x) => x.baseRssMB)),
      barePeakRssMB: summarise(bare.map((x) => x.peakRssMB)),
      naivePeakRssMB: summarise(naive.map((x) => x.peakRssMB)),
      fixture: { loadMs: Math.round(f.builtLoadMs), builtAt: f.builtAt, cached: f.loadMs === undefined },
    });
  }
  return out;
}

/** Human-readable lines of the seal figures. */
export function sealLines(figs: readonly SealFigures[]): string[] {
  return figs.flatMap((x) => [
    `seal ${x.events.toLocaleString("en-US")} events, end to end: ${fmt(x.seal, "ms")}`,
    `  reference bare RFC 9162 tree, crypto.hash one-shot: ${fmt(x.bare, "ms")}; ratio seal/bare ${x.ratioSealToBare}`,
    `  reference merkletreejs naive: ${fmt(x.naive, "ms")}`,
    `  peak RSS of the sealing process: ${fmt(x.peakRssMB, "MB", 1)} (before sealing: ${fmt(x.baseRssMB, "MB", 1)}); of the bare process ${fmt(x.barePeakRssMB, "MB", 1)}, of the naive one ${fmt(x.naivePeakRssMB, "MB", 1)}`,
  ]);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") child(argv[1], argv[2], Number(flag(argv, "events", "100000")));
  else {
    const sizes = (flag(argv, "events", "100000") ?? "").split(",").map(Number);
    runStandalone(
      () =>
        benchSeal(sizes, Number(flag(argv, "runs", "5")), {
          fresh: argv.includes("--fresh"),
          log: (s) => console.error(s),
        }),
      sealLines,
    );
  }
}
