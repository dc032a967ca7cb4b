/**
 * Sealing benchmark: time to seal one epoch of N events end to end (read pending leaf hashes, build
 * the tree with merkletreejs, write the tiles and the epoch row, commit), next to a bare bottom-up
 * RFC 9162 tree over the same leaf hashes with node:crypto's one-shot hash (the practical limit).
 * Medians of RUNS runs with min-max. Usage: ts-node bench/seal.ts [events=100000] [runs=5]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { openLedger } from "../src/service/ledger";
import { sampleEvents } from "../test/helpers/events";

const N = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

function bareRoot(leaves: Buffer[]): Buffer {
  let level = leaves;
  const one = Buffer.from([1]);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(crypto.hash("sha256", Buffer.concat([one, level[i], level[i + 1]]), "buffer") as unknown as Buffer);
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

const seal: number[] = [];
const bare: number[] = [];
const load: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-bench-seal-"));
  const ledger = openLedger(dir, { maxEvents: N, maxAgeMs: 60_000 });
  const events = sampleEvents(N);
  let t = performance.now();
  for (let i = 0; i < N; i += 1000) ledger.events.append(events.slice(i, i + 1000));
  load.push(performance.now() - t);
  const leaves = (ledger.db.prepare("SELECT leaf_hash FROM events ORDER BY seq").pluck().all() as Buffer[]);
  t = performance.now();
  const bareR = bareRoot(leaves);
  bare.push(performance.now() - t);
  t = performance.now();
  const res = ledger.sealer.seal(new Date())!;
  seal.push(performance.now() - t);
  if (!Buffer.from(res.epoch.root).equals(bareR) || res.epoch.size !== N) throw new Error("sealed root differs from the bare tree");
  ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0].model}`);
console.log(`seal ${N} events (end to end, commit included): ${fmt(seal)}`);
console.log(`bare RFC 9162 tree over the same leaves (reference): ${fmt(bare)}`);
console.log(`ratio seal / bare (medians): ${(median(seal) / median(bare)).toFixed(2)}`);
console.log(`load ${N} events (validate, canonicalise, hash, insert; 1,000 per transaction): ${fmt(load)}`);
