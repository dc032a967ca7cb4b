/**
 * Proof latency: for random events of a ledger sealed into epochs of a given size and anchored by the
 * real server, the in-process lookup (event by id, then buildProof: epoch, anchor, audit path read
 * from the tiles) and `GET /v1/events/{id}/proof` over loopback HTTP (one request at a time), p50 and
 * p99. The same events at two epoch sizes show how the work grows with the tree (O(log n)); the
 * reference in the same run is the bare read of the event's row by id (the floor of any lookup).
 *
 * Usage: ts-node bench/proof.ts [--events 100000] [--epochs 10000,100000] [--lookups 20000] [--requests 2000]
 * (`npm run bench -- proof` uses 1,000,000 events and epochs of 10,000 and 1,000,000)
 */
import Database from "better-sqlite3";
import { openLedger } from "../src/service/app/ledger";
import { buildProof } from "../src/service/proof/proof";
import { ledgerDbFile } from "../src/service/app/ledger";
import { fixture } from "./lib/fixture";
import { servedLedger } from "./lib/served";
import { flag, percentile, runStandalone } from "./lib/stats";

/** Latency percentiles in ms. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** Figures at one epoch size. */
export interface ProofFigures {
  events: number;
  epochSize: number;
  epochs: number;
  auditPathLength: number;
  inProcess: Latency;
  http: Latency;
  /** Reference: SELECT of the event row by id, same events, same run. */
  rowRead: Latency;
}

const lat = (xs: number[]): Latency => ({
  p50: Math.round(percentile(xs, 50) * 1000) / 1000,
  p99: Math.round(percentile(xs, 99) * 1000) / 1000,
  max: Math.round(Math.max(...xs) * 1000) / 1000,
  samples: xs.length,
});

/** Measures proof latency on a ledger of `events` events at each epoch size. */
export async function benchProof(
  events: number,
  epochSizes: readonly number[],
  lookups: number,
  requests: number,
  opts: { fresh?: boolean; log?: (s: string) => void } = {},
): Promise<ProofFigures[]> {
  const log = opts.log ?? (() => {});
  const f = fixture(events, opts.fresh, log);
  const out: ProofFigures[] = [];
  for (const epochSize of epochSizes) {
    log(`proof: sealing ${events} events into epochs of ${epochSize} and serving them`);
    const s = await servedLedger(f, epochSize, `proof-${epochSize}`);
    try {
      const ledger = openLedger(s.dir, { maxEvents: epochSize, maxAgeMs: 1 << 30 });
      const raw = new Database(ledgerDbFile(s.dir), { readonly: true });
      try {
        const idOf = ledger.db.prepare<[number], string>("SELECT event_id FROM events WHERE seq = ?").pluck();
        const ids = Array.from({ length: Math.max(lookups, requests) }, () =>
          idOf.get(Math.floor(Math.random() * s.events))!,
        );
        // Warm-up (JIT, statement caches), then timed lookups of other random events.
        for (const id of ids.slice(0, 500)) buildProof(ledger, ledger.events.getById(id)!);
        const inProcess: number[] = [];
        let pathLen = 0;
        for (const id of ids.slice(0, lookups)) {
          const t = performance.now();
          const r = buildProof(ledger, ledger.events.getById(id)!);
          inProcess.push(performance.now() - t);
          if (!r.ok) throw new Error(`no proof for ${id}: ${r.position.status}`);
          pathLen = Math.max(pathLen, r.bundle.auditPath.length);
        }
        const qRow = raw.prepare("SELECT * FROM events WHERE event_id = ?");
        const rowRead: number[] = [];
        for (const id of ids.slice(0, lookups)) {
          const t = performance.now();
          if (!qRow.get(id)) throw new Error("row missing");
          rowRead.push(performance.now() - t);
        }
        const headers = { authorization: `Bearer ${s.token}` };
        for (const id of ids.slice(0, 200))
          await (await fetch(`${s.url}/v1/events/${id}/proof`, { headers })).arrayBuffer();
        const http: number[] = [];
        for (const id of ids.slice(0, requests)) {
          const t = performance.now();
          const r = await fetch(`${s.url}/v1/events/${id}/proof`, { headers });
          await r.arrayBuffer();
          http.push(performance.now() - t);
          if (r.status !== 200) throw new Error(`GET proof of ${id}: ${r.status}`);
        }
        out.push({
          events: s.events,
          epochSize,
          epochs: s.epochs,
          auditPathLength: pathLen,
          inProcess: lat(inProcess),
          http: lat(http),
          rowRead: lat(rowRead),
        });
      } finally {
        raw.close();
        ledger.close();
      }
    } finally {
      await s.stop();
    }
  }
  return out;
}

/** Human-readable lines of the proof figures. */
export function proofLines(figs: readonly ProofFigures[]): string[] {
  const l = (x: Latency) => `p50 ${x.p50} ms, p99 ${x.p99} ms (max ${x.max}, ${x.samples} samples)`;
  return figs.flatMap((x) => [
    `proof, ${x.events.toLocaleString("en-US")} events in ${x.epochs} epochs of ${x.epochSize.toLocaleString("en-US")} (audit path ${x.auditPathLength} hashes):`,
    `  in process (getById + buildProof): ${l(x.inProcess)}`,
    `  GET /v1/events/{id}/proof over loopback: ${l(x.http)}`,
    `  reference, the event row read by id: ${l(x.rowRead)}`,
  ]);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runStandalone(
    () =>
      benchProof(
        Number(flag(argv, "events", "100000")),
        (flag(argv, "epochs", "10000,100000") ?? "").split(",").map(Number),
        Number(flag(argv, "lookups", "20000")),
        Number(flag(argv, "requests", "2000")),
        { fresh: argv.includes("--fresh"), log: (s) => console.error(s) },
      ),
    proofLines,
  );
}
