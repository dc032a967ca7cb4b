/**
 * The background work of `serve`: seal when the policy says so, and anchor whatever is sealed, on a
 * timer. No cron and no manual step. Only the holder of the database lease anchors, so a CLI
 * `anchor` and the server never send the same epoch.
 */
import { randomUUID } from "node:crypto";
import { createLease, Lease } from "../store/lease";
import { Ledger } from "./ledger";
import { ChainContext, ledgerAnchorer } from "./chain-context";
import { Metrics } from "./metrics";
import { safeErrorMessage } from "../chain/provider";

type Log = (level: "debug" | "info" | "warn" | "error", msg: string, info?: Record<string, unknown>) => void;

/** Options of the background runner. */
export interface RunnerOptions {
  tickMs: number;
  confirmations: number;
  log: Log;
  now?: () => Date;
  metrics?: Metrics;
}

/** The background sealer and anchorer. */
export interface Runner {
  /** Runs one round now: seal what is due, then anchor what is sealed. */
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
  const lease: Lease = createLease(ledger.db, "anchorer", `serve-${process.pid}-${randomUUID()}`, Math.max(30_000, opts.tickMs * 10));
  const anchorer = chain && ledgerAnchorer(ledger, chain, { confirmations: opts.confirmations, log: opts.log, now });
  let running: Promise<void> | undefined;
  let stopped = false;
  let error: string | undefined;
  let chainOk = true;
  let head: number | undefined;

  const round = async () => {
    while (ledger.sealer.due(now())) {
      const r = ledger.sealer.seal(now());
      if (!r) break;
      opts.metrics?.sealDuration.observe(r.ms / 1000);
      opts.log("info", "epoch sealed", { epoch: r.epoch.epoch, size: r.epoch.size, firstSeq: r.epoch.firstSeq, ms: Math.round(r.ms) });
    }
    if (chain) {
      try {
        head = await chain.provider.getBlockNumber();
        chainOk = true;
      } catch {
        chainOk = false;
      }
    }
    // Every round, not only when something new is sealed: the chain may have lost anchors the ledger
    // recorded (a reset development chain, a reorg), and anchorPending re-sends them.
    if (anchorer && ledger.epochs.latest() && lease.acquire()) {
      const t0 = performance.now();
      try {
        const done = await anchorer.anchorPending();
        if (done.length) opts.metrics?.anchorDuration.observe((performance.now() - t0) / 1000 / done.length);
        error = undefined;
      } catch (e) {
        error = safeErrorMessage(e);
        opts.metrics?.chainErrors.inc();
        opts.log("warn", "anchoring failed; will retry", { error });
      }
    }
  };

  const tick = (): Promise<void> => {
    if (!running) {
      running = round()
        .catch((e) => opts.log("error", "background round failed", { error: safeErrorMessage(e) }))
        .finally(() => {
          running = undefined;
        });
    }
    return running;
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
      await running;
      lease.release();
    },
  };
}
