/**
 * verify-proof core throughput: bundles/s of `verifyProofOffline` (schema, canonical form, leaf hash,
 * audit path; no chain) over real bundle files served by `GET /v1/events/{id}/proof` from a ledger
 * sealed into epochs of the default size and anchored by the real server. Measured with the Node
 * hasher (what `gxp-ledger verify-proof` uses) and with the core's browser-safe default hasher (what
 * the web page uses). Reference in the same run: the floor of the same work without schema or
 * canonical checks (JSON.parse, one SHA-256 of the record text, the audit path folded with
 * node:crypto's one-shot hash).
 *
 * Usage: ts-node bench/verify.ts [--events 10000] [--bundles 2000] [--runs 5]
 */
import crypto from "node:crypto";
import { verifyProofOffline } from "../src/core";
import { nodeHasher } from "../src/crypto/node-hasher";
import { DEFAULT_SEAL_POLICY } from "../src/epoch/sealer";
import { fixture } from "./lib/fixture";
import { servedLedger } from "./lib/served";
import { flag, fmt, summarise, Summary, runStandalone } from "./lib/stats";

/** Throughput figures, bundles/s. */
export interface VerifyFigures {
  bundles: number;
  treeSize: number;
  auditPathLength: number;
  bundleBytes: number;
  nodeHasher: Summary;
  coreHasher: Summary;
  floor: Summary;
}

const fromHex = (h: string) => Buffer.from(h.slice(2), "hex");

/** The floor: parse, hash the record once, fold the path; returns the root (checked by the caller). */
function floorVerify(text: string): Buffer {
  const b = JSON.parse(text) as { record: unknown; leafIndex: number; treeSize: number; auditPath: string[] };
  let h = crypto.hash("sha256", "\0" + JSON.stringify(b.record), "buffer") as unknown as Buffer;
  // RFC 9162 §2.1.3.2, with the index and size walked as the spec does.
  let fn = b.leafIndex;
  let sn = b.treeSize - 1;
  const input = Buffer.alloc(65, 1);
  for (const p of b.auditPath) {
    const c = fromHex(p);
    if (fn % 2 === 1 || fn === sn) {
      input.set(c, 1);
      input.set(h, 33);
      h = crypto.hash("sha256", input, "buffer") as unknown as Buffer;
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      input.set(h, 1);
      input.set(c, 33);
      h = crypto.hash("sha256", input, "buffer") as unknown as Buffer;
    }
    fn >>= 1;
    sn >>= 1;
  }
  return h;
}

/** Fetches `bundles` bundle files from a served ledger, then times verification over them. */
export async function benchVerify(
  events: number,
  bundles: number,
  runs: number,
  opts: { fresh?: boolean; log?: (s: string) => void } = {},
): Promise<VerifyFigures> {
  const f = fixture(events, opts.fresh, opts.log);
  const s = await servedLedger(f, DEFAULT_SEAL_POLICY.maxEvents, "verify");
  const texts: string[] = [];
  try {
    const { openLedger } = await import("../src/service/app/ledger");
    const ledger = openLedger(s.dir);
    // Only the events sealed before serving: the server appends its own security events after, and
    // those have no anchored epoch yet (GET proof answers 202).
    const ids = ledger.db
      .prepare("SELECT event_id FROM events WHERE seq < ? ORDER BY random() LIMIT ?")
      .pluck()
      .all(s.events, bundles) as string[];
    ledger.close();
    for (const id of ids) {
      const r = await fetch(`${s.url}/v1/events/${id}/proof`, { headers: { authorization: `Bearer ${s.token}` } });
      if (r.status !== 200) throw new Error(`GET proof ${id}: ${r.status}`);
      texts.push(await r.text());
    }
  } finally {
    await s.stop();
  }
  const rate = (fn: (t: string) => void): number => {
    const t = performance.now();
    for (const x of texts) fn(x);
    return texts.length / ((performance.now() - t) / 1000);
  };
  const viaNode = (t: string) => {
    if (verifyProofOffline(t, nodeHasher).verdict !== "OFFLINE-OK") throw new Error("bundle failed verification");
  };
  const viaCore = (t: string) => {
    if (verifyProofOffline(t).verdict !== "OFFLINE-OK") throw new Error("bundle failed verification");
  };
  const viaFloor = (t: string) => {
    const root = (JSON.parse(t) as { root: string }).root;
    if ("0x" + floorVerify(t).toString("hex") !== root) throw new Error("floor root differs");
  };
  // Warm-up of every path, then interleaved runs so that load changes hit all three alike.
  for (const fn of [viaNode, viaCore, viaFloor]) rate(fn);
  const node: number[] = [];
  const core: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < runs; r++) {
    node.push(rate(viaNode));
    core.push(rate(viaCore));
    floor.push(rate(viaFloor));
  }
  const first = JSON.parse(texts[0]) as { treeSize: number; auditPath: string[] };
  return {
    bundles: texts.length,
    treeSize: first.treeSize,
    auditPathLength: first.auditPath.length,
    bundleBytes: Math.round(texts.reduce((a, t) => a + t.length, 0) / texts.length),
    nodeHasher: summarise(node),
    coreHasher: summarise(core),
    floor: summarise(floor),
  };
}

/** Human-readable lines of the verify figures. */
export function verifyLines(v: VerifyFigures): string[] {
  return [
    `verifyProofOffline over ${v.bundles} served bundles (tree ${v.treeSize}, path ~${v.auditPathLength} hashes, ~${v.bundleBytes} bytes each):`,
    `  Node hasher (the CLI): ${fmt(v.nodeHasher, "bundles/s")}`,
    `  core default hasher (browser-safe): ${fmt(v.coreHasher, "bundles/s")}`,
    `  reference floor (JSON.parse + one SHA-256 of the record + path with crypto.hash): ${fmt(v.floor, "bundles/s")}`,
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runStandalone(
    () =>
      benchVerify(
        Number(flag(argv, "events", "10000")),
        Number(flag(argv, "bundles", "2000")),
        Number(flag(argv, "runs", "5")),
        { fresh: argv.includes("--fresh"), log: (s) => console.error(s) },
      ),
    verifyLines,
  );
}
