/**
 * The background work of `serve`: seal when the policy says so, and anchor whatever is sealed, on a
 * timer. No cron and no manual step. Only the holder of the database lease anchors, so a CLI
 * `anchor` and the server never send the same epoch.
 *
 * Sealing never waits for the chain: it runs on every tick, while anchoring runs as its own job (a
 * round can wait minutes for a transaction). When a round fails (chain unreachable, a node error)
 * the next one waits a bounded exponential backoff with jitter (backoff.ts), shown in the log and in
 * /metrics; the first round that succeeds catches up on every epoch sealed meanwhile.
 */
import { leaseHolder, createLease, Lease } from "../store/lease";
import { Ledger } from "./ledger";
import { ChainContext, ledgerAnchorer } from "./chain-context";
import { Metrics } from "./metrics";
import { safeErrorMessage } from "../chain/provider";
import { ANCHOR_BACKOFF, backoffDelay } from "./backoff";

type Log = (level: "debug" | "info" | "warn" | "error", msg: string, info?: Record<string, unknown>) => void;

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
      observe: (what) => (what === "replaced" ? opts.metrics?.anchorReplacements.inc() : opts.metrics?.anchorsSuperseded.inc()),
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

  const seal = () => {
    while (ledger.sealer.due(now())) {
      const r = ledger.sealer.seal(now());
      if (!r) break;
      opts.metrics?.sealDuration.observe(r.ms / 1000);
      opts.log("info", "epoch sealed", { epoch: r.epoch.epoch, size: r.epoch.size, firstSeq: r.epoch.firstSeq, ms: Math.round(r.ms) });
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
      if (failures > 0) opts.log("info", "anchoring recovered", { failedRounds: failures, outageMs: Date.now() - failingSince });
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
      opts.log("warn", "anchoring failed; will retry", { error, attempt: failures, retryInMs: delay, chainReachable: chainOk });
    }
  };

  const tick = (): Promise<void> => {
    try {
      seal();
    } catch (e) {
      opts.log("error", "sealing failed", { error: safeErrorMessage(e) });
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
