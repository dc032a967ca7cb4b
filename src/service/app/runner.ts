/**
 * The background work of `serve`: seal when the policy says so, and anchor whatever is sealed, on a
 * timer. No cron and no manual step. Only the holder of the database lease anchors, so a CLI
 * `anchor` and the server never send the same epoch.
 *
 * Sealing never waits for the chain: it runs on every tick, while anchoring runs as its own job (a
 * round can wait minutes for a transaction). When a round fails (chain unreachable, a node error)
 * the next one waits a bounded exponential backoff with jitter (backoff.ts), shown in the log and in
 * /metrics; the first round that succeeds catches up on every epoch sealed meanwhile.
 *
 * A pre-empted epoch (CHAIN_EPOCH_PREEMPTED: the contract holds, for an epoch this ledger sealed, an
 * anchor this ledger never sent) is an attack, not an outage (issue 11): it is logged at level error
 * with `security: true`, recorded once per epoch as a `security.event` in the ledger itself, counted
 * in gxp_ledger_epochs_preempted_total, and kept for /readyz, which stays 503 naming it.
 *
 * A missed anchoring promise (issue 12 item 5: a receipt group whose `anchorBy` has passed while some
 * of its events are not in an anchored epoch) is an alert too, whatever the cause (chain down,
 * anchoring stopped, sealing stuck): checked on every tick, shown by /readyz until the events are
 * anchored, counted in gxp_ledger_anchor_promises_missed_total and recorded once per missed promise
 * (keyed by the first overdue seq, so also once across restarts) as a `security.event`.
 */
import { leaseHolder, createLease, Lease } from "../../store/lease";
import { Ledger } from "./ledger";
import { ChainContext, ledgerAnchorer } from "./chain-context";
import { Metrics } from "./metrics";
import { safeErrorMessage } from "../../chain/provider";
import { PreemptedEpoch, preemptedEpochOf } from "../../chain/errors";
import { createSecurityRecorder } from "../security/security";
import { ANCHOR_BACKOFF, backoffDelay } from "./backoff";
import { MissedAnchorPromise, missedAnchorPromise } from "../../store/receipt-groups";

type Log = (level: "debug" | "info" | "warn" | "error", msg: string, info?: Record<string, unknown>) => void;

/** The `data.kind` of the security event recorded for a pre-empted epoch. */
export const PREEMPTED_KIND = "anchor.epoch_preempted";

/** The /readyz reason for a pre-empted epoch: starts with "SECURITY:". */
export function preemptedReason(p: PreemptedEpoch): string {
  return `SECURITY: epoch ${p.epoch} pre-empted in contract ${p.contract} by account ${p.anchorer} (tx ${p.txHash}): the chain holds root ${p.chainRoot}, this ledger sealed ${p.ledgerRoot}; anchoring stopped`;
}

/** The `data.kind` of the security event recorded for a missed anchoring promise. */
export const PROMISE_MISSED_KIND = "anchor.promise_missed";

/** The /readyz reason for a missed anchoring promise. */
export function missedPromiseReason(m: MissedAnchorPromise): string {
  return `anchoring promise missed: events seq ${m.firstSeq}..${m.lastSeq} (${m.groups} receipt group${m.groups === 1 ? "" : "s"}) are not anchored, promised by ${m.anchorBy}`;
}

/**
 * The promises broken at `nowMs` in `ledger`: receipt groups past their anchorBy with events beyond
 * the anchored epochs (epochs are anchored in order).
 */
export function missedPromiseOf(ledger: Ledger, nowMs: number): MissedAnchorPromise | undefined {
  const latest = ledger.epochs.latest();
  const anchoredEnd = ledger.epochs.unanchored()[0]?.firstSeq ?? (latest ? latest.firstSeq + latest.size : 0);
  return missedAnchorPromise(ledger.db, anchoredEnd, nowMs);
}

/** Options of the background runner. */
export interface RunnerOptions {
  tickMs: number;
  confirmations: number;
  log: Log;
  now?: () => Date;
  metrics?: Metrics;
  /** Replace an anchor transaction not mined this long after it was sent (default 180 s). */
  anchorStuckMs?: number;
  /** Largest backoff delay between failing anchoring rounds (default 60 s). */
  anchorRetryMaxMs?: number;
  /** Ceiling per gas (wei) for a replacement's fees (default none). */
  anchorMaxFeeWei?: bigint;
}

/** The background sealer and anchorer. */
export interface Runner {
  /** Runs one round now: seals what is due, then anchors what is sealed unless backing off; resolves when that anchoring round ends. */
  tick(): Promise<void>;
  /** Last anchoring error, if the last round failed (shown by /readyz). */
  lastError(): string | undefined;
  /** Whether the chain answered in the last round. */
  chainReachable(): boolean;
  /** The chain's latest block number as of the last round (undefined before the first answer). */
  chainHead(): number | undefined;
  /** The epochs found pre-empted in the contract since start, oldest epoch first. */
  preemptedEpochs(): PreemptedEpoch[];
  /** The anchoring promise missed as of the last tick, if any. */
  missedPromise(): MissedAnchorPromise | undefined;
  stop(): Promise<void>;
}

/** Starts the background loop. */
export function startRunner(ledger: Ledger, chain: ChainContext | undefined, opts: RunnerOptions): Runner {
  const now = opts.now ?? (() => new Date());
  const lease: Lease = createLease(ledger.db, "anchorer", leaseHolder("serve"), Math.max(30_000, opts.tickMs * 10));
  const anchorer =
    chain &&
    ledgerAnchorer(ledger, chain, {
      confirmations: opts.confirmations,
      stuckTimeoutMs: opts.anchorStuckMs,
      maxFeePerGas: opts.anchorMaxFeeWei,
      log: opts.log,
      now,
      observe: (what) =>
        what === "replaced" ? opts.metrics?.anchorReplacements.inc() : opts.metrics?.anchorsSuperseded.inc(),
    });
  const backoff = { ...ANCHOR_BACKOFF, maxMs: opts.anchorRetryMaxMs ?? ANCHOR_BACKOFF.maxMs };
  let anchoring: Promise<void> | undefined;
  let stopped = false;
  let error: string | undefined;
  let chainOk = true;
  let head: number | undefined;
  let failures = 0;
  let failingSince = 0;
  let retryAt = 0;
  const preempted = new Map<number, PreemptedEpoch>();
  const security = createSecurityRecorder(ledger, ledger.name, now);
  const qRecorded = ledger.db
    .prepare<[string, string, string, number, string], number>(
      `SELECT 1 FROM events WHERE type = 'security.event' AND (source = ? OR source LIKE ?) AND client = 'gxp-ledger'
         AND json_extract(record, '$.event.data.kind') = ? AND json_extract(record, '$.event.data.epoch') = ? AND json_extract(record, '$.event.data.contract') = ? LIMIT 1`,
    )
    .pluck();
  // The ledger's own security events only (written by the ledger, not a client that forged the
  // type on an old database), on its security source or a continuation of it (security.ts).
  const securitySource = `urn:gxp-ledger:${ledger.name}:security`;
  const securitySources = [securitySource, `${securitySource}:%`] as const;
  let missed: MissedAnchorPromise | undefined;
  const promisesSeen = new Set<number>();
  const qPromiseRecorded = ledger.db
    .prepare<[string, string, string, number], number>(
      `SELECT 1 FROM events WHERE type = 'security.event' AND (source = ? OR source LIKE ?) AND client = 'gxp-ledger'
         AND json_extract(record, '$.event.data.kind') = ? AND json_extract(record, '$.event.data.firstSeq') = ? LIMIT 1`,
    )
    .pluck();

  /** Every tick: a promise missed now is alerted; each one is counted and recorded once. */
  const checkPromises = () => {
    missed = missedPromiseOf(ledger, now().getTime());
    if (!missed || promisesSeen.has(missed.firstSeq)) return;
    const m = missed;
    promisesSeen.add(m.firstSeq);
    opts.metrics?.anchorPromisesMissed.inc();
    opts.log("error", "anchoring promise missed: events past their receipts' anchorBy are not anchored", {
      security: true,
      ...m,
    });
    if (qPromiseRecorded.get(...securitySources, PROMISE_MISSED_KIND, m.firstSeq) === undefined) {
      const id = security.record(PROMISE_MISSED_KIND, { ...m });
      opts.log("error", "security event recorded: anchoring promise missed", {
        security: true,
        eventId: id,
        firstSeq: m.firstSeq,
      });
    }
  };

  /** First sight of a pre-empted epoch in this process: count it, and record it unless recorded before (an earlier run). */
  const onPreempted = (p: PreemptedEpoch) => {
    if (preempted.has(p.epoch)) return;
    preempted.set(p.epoch, p);
    opts.metrics?.epochsPreempted.inc();
    try {
      if (qRecorded.get(...securitySources, PREEMPTED_KIND, p.epoch, p.contract) === undefined) {
        const id = security.record(PREEMPTED_KIND, { ...p });
        opts.log("error", "security event recorded: epoch pre-empted in the anchor contract", {
          security: true,
          eventId: id,
          epoch: p.epoch,
        });
      }
    } catch (e) {
      opts.log("error", "could not record the security event of a pre-empted epoch", {
        security: true,
        epoch: p.epoch,
        error: safeErrorMessage(e),
      });
    }
  };

  const seal = () => {
    while (ledger.sealer.due(now())) {
      const r = ledger.sealer.seal(now());
      if (!r) break;
      opts.metrics?.sealDuration.observe(r.ms / 1000);
      opts.log("info", "epoch sealed", {
        epoch: r.epoch.epoch,
        size: r.epoch.size,
        firstSeq: r.epoch.firstSeq,
        ms: Math.round(r.ms),
      });
    }
  };

  const anchorRound = async () => {
    try {
      try {
        head = await chain!.provider.getBlockNumber();
        chainOk = true;
      } catch (e) {
        chainOk = false;
        throw e;
      }
      // Every round, not only when something new is sealed: anchors not final yet are checked (a
      // reorganisation may drop one), and the chain may have lost anchors the ledger recorded.
      if (anchorer && ledger.epochs.latest() && lease.acquire()) {
        const t0 = performance.now();
        const done = await anchorer.anchorPending({ untilFinal: false });
        if (done.length) opts.metrics?.anchorDuration.observe((performance.now() - t0) / 1000 / done.length);
      }
      if (failures > 0)
        opts.log("info", "anchoring recovered", { failedRounds: failures, outageMs: Date.now() - failingSince });
      error = undefined;
      failures = 0;
      retryAt = 0;
      opts.metrics?.anchorFailures.set(0);
      opts.metrics?.anchorRetryDelay.set(0);
    } catch (e) {
      error = safeErrorMessage(e);
      if (failures === 0) failingSince = Date.now();
      failures++;
      const delay = backoffDelay(failures, backoff);
      retryAt = Date.now() + delay;
      opts.metrics?.chainErrors.inc();
      opts.metrics?.anchorFailures.set(failures);
      opts.metrics?.anchorRetryDelay.set(delay / 1000);
      const p = preemptedEpochOf(e);
      if (p) {
        opts.log("error", "epoch pre-empted in the anchor contract by another account: anchoring stopped", {
          security: true,
          ...p,
          error,
          attempt: failures,
          retryInMs: delay,
        });
        onPreempted(p);
      } else {
        opts.log("warn", "anchoring failed; will retry", {
          error,
          attempt: failures,
          retryInMs: delay,
          chainReachable: chainOk,
        });
      }
    }
  };

  const tick = (): Promise<void> => {
    try {
      seal();
    } catch (e) {
      opts.log("error", "sealing failed", { error: safeErrorMessage(e) });
    }
    try {
      checkPromises();
    } catch (e) {
      opts.log("error", "could not check or record missed anchoring promises", {
        security: true,
        error: safeErrorMessage(e),
      });
    }
    if (chain && !anchoring && !stopped && Date.now() >= retryAt) {
      anchoring = anchorRound()
        .catch((e) => opts.log("error", "background round failed", { error: safeErrorMessage(e) }))
        .finally(() => {
          anchoring = undefined;
        });
    }
    return anchoring ?? Promise.resolve();
  };

  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, opts.tickMs);
  timer.unref();

  return {
    tick,
    lastError: () => error,
    chainReachable: () => chainOk,
    chainHead: () => head,
    preemptedEpochs: () => [...preempted.values()].sort((a, b) => a.epoch - b.epoch),
    missedPromise: () => missed,
    async stop() {
      stopped = true;
      clearInterval(timer);
      // A round may be waiting minutes on a transaction. Its tx is recorded before any wait, so
      // leaving the wait is safe: the next start picks the transaction up again.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([anchoring, new Promise((r) => (timeout = setTimeout(r, 5000)))]);
      clearTimeout(timeout);
      lease.release();
    },
  };
}
