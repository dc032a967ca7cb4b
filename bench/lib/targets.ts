/**
 * The targets of issue 7 checked against a run's figures, each with its reference from the same run.
 * A target whose part did not run, or ran at another size, is reported as not measured (met undefined).
 */
import type { AuditFigures } from "../audit";
import type { GasFigures } from "../gas";
import type { LoadFigures } from "../load";
import type { ProofFigures } from "../proof";
import type { SealFigures } from "../seal";
import type { VerifyFigures } from "../verify";

/** One target row. */
export interface TargetRow {
  target: string;
  measured: string;
  reference: string;
  met?: boolean;
  loadAverage?: string;
}

type Parts = Record<string, { figures: unknown; loadAverageBefore: number[]; loadAverageAfter: number[] } | undefined>;

const n = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Evaluates every target of issue 7 on the parts that ran. */
export function evaluateTargets(parts: Parts): TargetRow[] {
  const rows: TargetRow[] = [];
  const la = (p: string) =>
    parts[p] ? `${parts[p]!.loadAverageBefore[0]} → ${parts[p]!.loadAverageAfter[0]}` : undefined;
  const fig = <T>(p: string) => parts[p]?.figures as T | undefined;
  const none = (target: string, why: string) => rows.push({ target, measured: why, reference: "-" });

  const seal = fig<SealFigures[]>("seal")?.find((s) => s.events === 1_000_000);
  if (seal) {
    rows.push({
      target: "seal 1M events ≤ 1.5× bare tree",
      measured: `${n(Math.round(seal.seal.median))} ms (${n(seal.ratioSealToBare)}× bare)`,
      reference: `bare ${n(Math.round(seal.bare.median))} ms; merkletreejs naive ${n(Math.round(seal.naive.median))} ms`,
      met: seal.ratioSealToBare <= 1.5,
      loadAverage: la("seal"),
    });
    rows.push({
      target: "seal 1M peak RSS ≤ 512 MB",
      measured: `${n(seal.peakRssMB.median)} MB`,
      reference: `process before sealing ${n(seal.baseRssMB.median)} MB`,
      met: seal.peakRssMB.max <= 512,
      loadAverage: la("seal"),
    });
  } else none("seal 1M events ≤ 1.5× bare tree, RSS ≤ 512 MB", "not measured at 1M in this run");

  // Every proof run (the default one, and any at another ledger size under "proof-<events>").
  const proofRuns = Object.keys(parts).filter((k) => k === "proof" || k.startsWith("proof-"));
  const proof = fig<ProofFigures[]>("proof");
  const largest = proofRuns
    .flatMap((k) => (fig<ProofFigures[]>(k) ?? []).map((f) => ({ f, k })))
    .sort((a, b) => b.f.events - a.f.events || b.f.epochSize - a.f.epochSize)[0];
  if (largest) {
    const top = largest.f;
    const at = `${n(top.events)} events, epochs of ${n(top.epochSize)}`;
    rows.push({
      target: `proof lookup p99 ≤ 1 ms in process (${at})`,
      measured: `p99 ${top.inProcess.p99} ms, p50 ${top.inProcess.p50} ms`,
      reference: `row read by id p99 ${top.rowRead.p99} ms, p50 ${top.rowRead.p50} ms`,
      met: top.inProcess.p99 <= 1,
      loadAverage: la(largest.k),
    });
    rows.push({
      target: `proof GET p99 ≤ 10 ms over HTTP (${at})`,
      measured: `p99 ${top.http.p99} ms, p50 ${top.http.p50} ms`,
      reference: `in process p99 ${top.inProcess.p99} ms`,
      met: top.http.p99 <= 10,
      loadAverage: la(largest.k),
    });
    if (top.events < 10_000_000)
      rows.push({
        target: "proof at 10M events",
        measured: `measured at ${n(top.events)} events, the largest ledger a proof run used (the bulk load's reach in its time budget: see load)`,
        reference: "-",
      });
  }
  if (proof?.length) {
    const big = [...proof].sort((a, b) => b.epochSize - a.epochSize)[0];
    const small = [...proof].sort((a, b) => a.epochSize - b.epochSize)[0];
    if (big !== small) {
      rows.push({
        target: "proof work O(log n)",
        measured: `epochs of ${n(big.epochSize)}: path ${big.auditPathLength} hashes, p50 ${big.inProcess.p50} ms in process, ${big.http.p50} ms HTTP`,
        reference: `epochs of ${n(small.epochSize)}: path ${small.auditPathLength} hashes, p50 ${small.inProcess.p50} ms, ${small.http.p50} ms HTTP`,
        met: big.inProcess.p50 <= 2 * small.inProcess.p50 * (big.auditPathLength / small.auditPathLength),
        loadAverage: la("proof"),
      });
    }
  }
  if (!largest) none("proof lookup p99 ≤ 1 ms / ≤ 10 ms HTTP", "not measured in this run");

  const v = fig<VerifyFigures>("verify");
  if (v)
    rows.push({
      target: "verify-proof core ≥ 20,000 bundles/s",
      measured: `${n(Math.round(v.nodeHasher.median))} bundles/s (Node hasher); ${n(Math.round(v.coreHasher.median))} (core hasher)`,
      reference: `floor ${n(Math.round(v.floor.median))} bundles/s`,
      met: v.nodeHasher.median >= 20_000,
      loadAverage: la("verify"),
    });
  else none("verify-proof core ≥ 20,000 bundles/s", "not measured in this run");

  const a = fig<AuditFigures>("audit");
  if (a) {
    const best = Math.max(a.inProcess.median, ...Object.values(a.cli).map((c) => c.median));
    rows.push({
      target: "audit ≥ 200,000 events/s",
      measured: `${n(Math.round(a.inProcess.median))} events/s in process; CLI ${Object.entries(a.cli)
        .map(([k, c]) => `${k}: ${n(Math.round(c.median))}`)
        .join(", ")}`,
      reference: `floor ${n(Math.round(a.floor.median))} events/s`,
      met: best >= 200_000,
      loadAverage: la("audit"),
    });
  } else none("audit ≥ 200,000 events/s", "not measured in this run");

  const b = fig<{
    inProcessMs?: { median: number };
    referenceMs?: { median: number };
    cliMs?: { median: number };
    setup?: string;
  }>("batch");
  const batchEvents = Number(b?.setup?.match(/^batch of (\d+) events/)?.[1] ?? 0);
  if (b?.inProcessMs)
    rows.push({
      target: `verify-batch of 10,000 events < 2 s${batchEvents !== 10_000 ? ` (this run: ${n(batchEvents)} events)` : ""}`,
      measured: `${n(b.inProcessMs.median)} ms in process; CLI ${b.cliMs ? n(b.cliMs.median) + " ms" : "not built"}`,
      reference: `rows read + hashed ${b.referenceMs ? n(b.referenceMs.median) : "?"} ms`,
      met: batchEvents === 10_000 ? b.inProcessMs.median < 2000 && (!b.cliMs || b.cliMs.median < 2000) : undefined,
      loadAverage: la("batch"),
    });
  else none("verify-batch of 10,000 events < 2 s", "not measured in this run");

  const g = fig<GasFigures>("gas");
  if (g) {
    rows.push({
      target: "steady-state anchor ≤ 80,000 gas",
      measured: `${n(g.anchorSteady.median)} gas (first ${n(g.anchorFirst)})`,
      reference: `event-only floor ${n(g.eventOnlySteady.median)}; per-record ${n(g.perRecordSingleTx.median)} per event`,
      met: g.anchorSteady.max <= 80_000,
      loadAverage: la("gas"),
    });
    rows.push({
      target: `≤ 10 gas per event at ${n(g.epochSize)}-event epochs`,
      measured: `${n(g.anchorPerEvent)} gas/event`,
      reference: `event-only ${n(g.eventOnlyPerEvent)}; per-record ${n(g.perRecordBatched.median)} (batched ×100)`,
      met: g.anchorPerEvent <= 10,
      loadAverage: la("gas"),
    });
  } else none("anchor gas", "not measured in this run");

  const l = fig<LoadFigures>("load");
  if (l)
    rows.push({
      target: `bulk load of ${n(l.target)} events`,
      measured: `${n(l.loaded)} events in ${n(l.ms / 1000)} s (${n(l.eventsPerSec)} events/s)`,
      reference: l.extrapolatedTargetMs
        ? `EXTRAPOLATED: ${n(l.target)} in ~${n(Math.round(l.extrapolatedTargetMs / 60_000))} min`
        : "complete",
      loadAverage: la("load"),
    });
  return rows;
}
