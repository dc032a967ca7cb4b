/**
 * `audit`: re-verifies the whole ledger and reports every finding, not just the first, each naming
 * the event, epoch or anchor involved. Local checks first (so tampering is named with the chain
 * down), in one read transaction (a consistent snapshot while the server writes):
 *
 * - every event's leaf recomputed from its stored record bytes, H(0x00 ‖ record) (RFC 9162 §2.1.1),
 *   against its stored leaf hash, and the record's own `seq` and event id against its row;
 * - sequence numbers gap-free from 0, epochs contiguous (epoch n+1 starts where n ends);
 * - every batch chain unbroken: each record's batchLink continues the batch's previous event;
 * - every epoch: its stored level-0 tiles against its events' leaf hashes, every stored tree level
 *   against the levels rebuilt from those tiles, and the root rebuilt from its events' recomputed
 *   leaves against the stored root;
 *
 * - every receipt group (audit-receipts.ts): its root rebuilt from its events' receipt leaves, its
 *   signature checked with a recorded ledger key, and every event accepted over the API in a group:
 *   what catches a file-level edit or deletion of events not yet anchored;
 *
 * - the ledger's pin: every anchors row and chain/deployment.json against the pinned chain, contract
 *   and ledger id, every epoch's checkpoint signature against a recorded ledger key;
 *
 * then, through `AuditChain` (on the pinned chain and contract), every epoch's anchored root, tree size and first sequence number, no
 * anchored epoch missing locally, and every recorded anchor tx present in its recorded block.
 *
 * The local checks are in audit-scan.ts; on a large ledger they run on worker threads, one range
 * of epochs each (audit-worker.ts), and give the same findings as the sequential scan.
 */
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { JsonRpcProvider } from "ethers";
import { anchorContract } from "../../chain/contract";
import { toHex } from "../../core";
import { Ledger } from "../app/ledger";
import { AuditFinding } from "./audit-findings";
import { EpochDb } from "./audit-epoch";
import { LocalAudit, ScanInput, ScanResult, auditLocal, mergeScans, readEpochs, scanRange } from "./audit-scan";
import { Deployment } from "../../chain/deploy";
import { providerTransport } from "../../chain/verify-anchor";
import {
  anchorPinFinding,
  createCheckpointChecker,
  deploymentPinFinding,
  genesisHashOf,
  genesisPinFinding,
  pinOrFinding,
} from "../security/pin-check";
import { StoredPin } from "../../store/pin-store";
import { auditReceiptGroups } from "./audit-receipts";
import { auditClients } from "./audit-clients";

export { AuditFinding, AuditFindingCode } from "./audit-findings";
export { auditLocal } from "./audit-scan";

/** What `audit` reads from the chain (a thin adapter over the contract and the provider). */
export interface AuditChain {
  /** The ledger's next epoch and next sequence number on chain. */
  ledgerState(): Promise<{ nextEpoch: bigint; nextSeq: bigint }>;
  /** The anchor of an epoch, or undefined when the contract has none. */
  getAnchor(epoch: number): Promise<{ root: string; treeSize: bigint; firstSeq: bigint } | undefined>;
  /** The receipt of a transaction, or null when the chain does not know it. */
  getReceipt(txHash: string): Promise<{ blockHash: string; blockNumber: number } | null>;
  /** The hash of the chain's block 0 (compared with the pinned genesis); omitted: not compared. */
  genesisHash?(): Promise<string | undefined>;
}

/** The audit's report. */
export interface AuditReport {
  events: number;
  epochs: number;
  anchors: number;
  /** Receipt groups checked. */
  receiptGroups: number;
  /** Every finding, local ones first. */
  findings: AuditFinding[];
  /** Whether the chain was checked: `unreachable` leaves only the local checks done. */
  chain: "checked" | "unreachable" | "skipped" | "nothing-anchored";
  /** Why the chain was unreachable or skipped. */
  chainError?: string;
  /** Time of the local checks and their throughput. */
  localMs: number;
  eventsPerSecond: number;
}

/** Options of an audit. */
export interface AuditOptions {
  /** Opens the chain; omitted: chain checks skipped. May throw (the audit records `unreachable`). */
  chain?: () => Promise<AuditChain>;
  /** Why `chain` is omitted (reported as chainError). */
  chainSkipped?: string;
  /** chain/deployment.json, compared with the ledger's pin when given. */
  deployment?: Deployment;
  /** Called every `progressEvery` events and at the end with (events checked, events expected). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /**
   * Threads for the local checks, one range of epochs each: this thread and `workers - 1` worker
   * threads; default 1 (this thread only). On the shared 2-vCPU development machine 2 were no faster
   * than 1 while other work held the second vCPU; use more where cores are free.
   */
  workers?: number;
}

/**
 * The local checks on `workers` threads, each on its own read connection over a range of epochs cut
 * at epoch boundaries (the last also takes the pending events): this thread scans the first range
 * while `workers - 1` worker threads scan the others. Sealed epochs never change, so the ranges'
 * snapshots agree; with broken epoch ranges it falls back to the sequential scan.
 */
export async function auditLocalParallel(
  ledger: Ledger,
  workers: number,
  opts: Pick<AuditOptions, "onProgress" | "progressEvery"> = {},
): Promise<LocalAudit> {
  const out: LocalAudit = { findings: [], events: 0, epochs: [], roots: new Map() };
  const { epochs, sealedEnd, total } = ledger.db.transaction(() => readEpochs(ledger.db, out.findings))();
  out.epochs = epochs;
  if (out.findings.length || epochs.length < 2 || workers < 2) return auditLocal(ledger.db, opts);
  // Cut at epoch starts, about sealedEnd / workers events per range.
  const cuts: number[] = [];
  for (const e of epochs)
    if (e.firstSeq >= ((cuts.length + 1) * sealedEnd) / workers && cuts.length < workers - 1) cuts.push(e.firstSeq);
  const bounds = [Number.MIN_SAFE_INTEGER, ...cuts, Number.MAX_SAFE_INTEGER];
  const inputs: ScanInput[] = bounds.slice(0, -1).map((from, i) => ({
    from,
    to: bounds[i + 1],
    sealedEnd,
    epochs: epochs.filter((e) => e.firstSeq >= from && e.firstSeq < bounds[i + 1]),
  }));
  const counts = inputs.map(() => 0);
  const progress = (i: number, count: number) => {
    counts[i] = count;
    opts.onProgress?.(
      counts.reduce((a, b) => a + b, 0),
      total,
    );
  };
  const every = opts.progressEvery ?? 10_000;
  const ts = __filename.endsWith(".ts");
  const threads: Worker[] = [];
  const others = inputs.slice(1).map(
    (input, j) =>
      new Promise<ScanResult>((resolve, reject) => {
        const i = j + 1;
        const w = new Worker(path.join(__dirname, `audit-worker${ts ? ".ts" : ".js"}`), {
          workerData: { file: ledger.db.name, input, every },
          // Under ts-node (tests, benchmarks) the worker compiles its TypeScript the same way.
          execArgv: ts ? ["-r", "ts-node/register/transpile-only"] : undefined,
        });
        threads.push(w);
        w.on("message", (m: { count?: number; result?: ScanResult }) => {
          if (m.count !== undefined) progress(i, m.count);
          if (m.result) resolve(m.result);
        });
        w.on("error", reject);
        w.on("exit", (code) => code !== 0 && reject(new Error(`audit worker ${i} exited with code ${code}`)));
      }),
  );
  try {
    // The workers start on their own threads; this one scans the first range meanwhile.
    const first = ledger.db.transaction(() => scanRange(ledger.db, inputs[0], (count) => progress(0, count), every))();
    mergeScans([first, ...(await Promise.all(others))], out);
  } catch (e) {
    for (const p of others) p.catch(() => undefined);
    await Promise.all(threads.map((w) => w.terminate()));
    throw e;
  }
  return out;
}

/**
 * Audits the whole ledger: the local checks, then the chain (when `opts.chain` is given and some
 * epoch is sealed). Never throws for a chain that cannot be reached: the report says `unreachable`.
 */
export async function auditLedger(ledger: Ledger, opts: AuditOptions = {}): Promise<AuditReport> {
  const t0 = performance.now();
  const workers = Math.min(opts.workers ?? 1, Math.max(1, os.availableParallelism()) * 2);
  const local = workers > 1 ? await auditLocalParallel(ledger, workers, opts) : auditLocal(ledger.db, opts);
  const localMs = performance.now() - t0;
  const findings = local.findings;
  const receipts = auditReceiptGroups(ledger.db, ledger.name);
  findings.push(...receipts.findings);
  findings.push(...auditClients(ledger.db, ledger.name).findings);
  const pin = checkPin(ledger, local.epochs, opts.deployment, findings);
  const anchored = local.epochs.map((e) => ({ e, a: ledger.epochs.anchorOf(e.epoch) }));
  const report: AuditReport = {
    events: local.events,
    epochs: local.epochs.length,
    anchors: anchored.filter((x) => x.a).length,
    receiptGroups: receipts.groups,
    findings,
    chain: "skipped",
    localMs: Math.round(localMs),
    eventsPerSecond: Math.round(local.events / (localMs / 1000 || 1e-9)),
  };
  if (!opts.chain) {
    if (opts.chainSkipped) report.chainError = opts.chainSkipped;
    return report;
  }
  if (local.epochs.length === 0) {
    report.chain = "nothing-anchored";
    return report;
  }
  let chain: AuditChain;
  try {
    chain = await opts.chain();
    if (pin && chain.genesisHash) {
      const g = genesisPinFinding(pin, await chain.genesisHash());
      if (g) findings.push({ code: g.code, message: g.message });
    }
    await checkChain(chain, anchored, local.roots, findings);
    report.chain = "checked";
  } catch (e) {
    report.chain = "unreachable";
    report.chainError = (e as Error).message;
  }
  return report;
}

/**
 * The ledger's pin (src/service/security/pin-check.ts), locally: the pin present when anchors are, every
 * anchors row ever recorded (superseded ones too) and the deployment file naming the pinned chain,
 * contract and ledger id, every sealed epoch's checkpoint signed by a recorded ledger key.
 */
function checkPin(
  ledger: Ledger,
  epochs: readonly EpochDb[],
  deployment: Deployment | undefined,
  findings: AuditFinding[],
): StoredPin | undefined {
  const { pin, finding } = pinOrFinding(ledger.db);
  if (finding) findings.push({ code: finding.code, message: finding.message });
  if (pin) {
    const rows = ledger.db
      .prepare<
        [],
        { id: number; epoch: number; chain_id: string; contract: string; ledger_id: string; tx_hash: string }
      >("SELECT id, epoch, chain_id, contract, ledger_id, tx_hash FROM anchors ORDER BY id")
      .all();
    for (const r of rows) {
      const f = anchorPinFinding(pin, {
        id: r.id,
        epoch: r.epoch,
        chainId: r.chain_id,
        contract: r.contract,
        ledgerId: r.ledger_id,
        txHash: r.tx_hash,
      });
      if (f)
        findings.push({ code: f.code, message: f.message, epoch: f.epoch, anchorTx: f.anchorTx, anchorId: f.anchorId });
    }
    const d = deploymentPinFinding(pin, deployment);
    if (d) findings.push({ code: d.code, message: d.message });
  }
  const cps = createCheckpointChecker(ledger.db, ledger.name);
  for (const e of epochs) {
    const f = cps.check(e);
    if (f) findings.push({ code: f.code, message: f.message, epoch: f.epoch });
  }
  return pin;
}

async function checkChain(
  chain: AuditChain,
  anchored: { e: EpochDb; a?: { txHash: string; blockHash: string; blockNumber: number } }[],
  roots: Map<number, Buffer>,
  findings: AuditFinding[],
): Promise<void> {
  const state = await chain.ledgerState();
  for (const { e, a } of anchored) {
    const on = await chain.getAnchor(e.epoch);
    if (!on) {
      if (a)
        findings.push({
          code: "ANCHOR_MISSING_ON_CHAIN",
          epoch: e.epoch,
          anchorTx: a.txHash,
          message: `epoch ${e.epoch}: recorded as anchored in tx ${a.txHash} but the contract holds no anchor for it`,
        });
      continue;
    }
    const root = roots.get(e.epoch);
    const onRoot = on.root.toLowerCase();
    if (onRoot !== toHex(e.root) || (root && onRoot !== toHex(root))) {
      findings.push({
        code: "ANCHOR_ROOT_MISMATCH",
        epoch: e.epoch,
        anchorTx: a?.txHash,
        message: `epoch ${e.epoch}: chain holds root ${onRoot}${a ? ` (tx ${a.txHash})` : ""}, the stored root is ${toHex(e.root)}${root ? ` and the root rebuilt from its events is ${toHex(root)}` : ""}: the stored ledger was altered`,
      });
    }
    if (Number(on.treeSize) !== e.size || Number(on.firstSeq) !== e.firstSeq) {
      findings.push({
        code: "ANCHOR_RANGE_MISMATCH",
        epoch: e.epoch,
        anchorTx: a?.txHash,
        message: `epoch ${e.epoch}: chain anchors seq ${on.firstSeq}..${on.firstSeq + on.treeSize - 1n} (${on.treeSize} events), the ledger has seq ${e.firstSeq}..${e.firstSeq + e.size - 1} (${e.size})`,
      });
    }
    if (a) {
      const r = await chain.getReceipt(a.txHash);
      if (!r)
        findings.push({
          code: "ANCHOR_TX_MISSING",
          epoch: e.epoch,
          anchorTx: a.txHash,
          message: `epoch ${e.epoch}: anchor tx ${a.txHash} is not on chain`,
        });
      else if (r.blockHash.toLowerCase() !== a.blockHash.toLowerCase() || r.blockNumber !== a.blockNumber) {
        findings.push({
          code: "ANCHOR_BLOCK_MISMATCH",
          epoch: e.epoch,
          anchorTx: a.txHash,
          message: `epoch ${e.epoch}: anchor tx ${a.txHash} sits in block ${r.blockNumber} ${r.blockHash}, recorded block ${a.blockNumber} ${a.blockHash}`,
        });
      }
    }
  }
  for (let n = anchored.length; n < Number(state.nextEpoch); n++) {
    findings.push({
      code: "ANCHOR_EPOCH_MISSING_LOCALLY",
      epoch: n,
      message: `epoch ${n} is anchored on chain but not in the ledger: sealed events were deleted (chain expects ${state.nextSeq} events in epochs)`,
    });
  }
}

/** The chain side of an audit over an ethers provider and the anchor contract of `ledgerId`. */
export function auditChainOf(provider: JsonRpcProvider, contractAddress: string, ledgerId: string): AuditChain {
  const contract = anchorContract(contractAddress, provider);
  return {
    ledgerState: async () => {
      const s = await contract.ledgerState(ledgerId);
      return { nextEpoch: s.nextEpoch, nextSeq: s.nextSeq };
    },
    getAnchor: (epoch) => contract.getAnchor(ledgerId, epoch),
    getReceipt: async (txHash) => {
      const r = await provider.getTransactionReceipt(txHash);
      return r && { blockHash: r.blockHash, blockNumber: r.blockNumber };
    },
    genesisHash: () => genesisHashOf(providerTransport(provider)),
  };
}
