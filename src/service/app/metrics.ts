/**
 * Prometheus metrics (prom-client), one registry per process: events accepted and rejected by reason,
 * request latency, pending events, seal and anchor durations, anchor lag, chain errors, the anchoring
 * backoff (consecutive failures, delay before the next attempt), replaced anchor transactions and
 * anchors superseded by a reorganisation, epochs pre-empted in the contract (an attack), and missed
 * anchoring promises (receipt groups past their anchorBy, not anchored).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { Ledger } from "./ledger";
import { missedPromiseOf } from "./runner";

/** The ledger's instruments. */
export interface Metrics {
  registry: Registry;
  eventsAccepted: Counter;
  eventsRejected: Counter<"reason">;
  requestDuration: Histogram<"method" | "route" | "status">;
  sealDuration: Histogram;
  anchorDuration: Histogram;
  chainErrors: Counter;
  /** Failed anchoring rounds in a row (0 once a round succeeds). */
  anchorFailures: Gauge;
  /** Delay before the next anchoring attempt while backing off (0 when not backing off). */
  anchorRetryDelay: Gauge;
  anchorReplacements: Counter;
  anchorsSuperseded: Counter;
  /** Epochs found pre-empted in the contract (anchored by a tx this ledger never sent), each counted once per process. */
  epochsPreempted: Counter;
  /** Anchoring promises missed (receipt groups past their anchorBy, not anchored), each counted once per process. */
  anchorPromisesMissed: Counter;
}

/** Creates the registry; gauges read the ledger when scraped. */
export function createMetrics(ledger: Ledger, opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "gxp_ledger_" });
  const m: Metrics = {
    registry,
    eventsAccepted: new Counter({
      name: "gxp_ledger_events_accepted_total",
      help: "Events stored (replays not counted)",
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: "gxp_ledger_events_rejected_total",
      help: "Event posts refused, by reason code",
      labelNames: ["reason"],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "gxp_ledger_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    sealDuration: new Histogram({
      name: "gxp_ledger_seal_duration_seconds",
      help: "Time to seal one epoch",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    anchorDuration: new Histogram({
      name: "gxp_ledger_anchor_duration_seconds",
      help: "Time to anchor one epoch (send to confirmation)",
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    chainErrors: new Counter({
      name: "gxp_ledger_chain_errors_total",
      help: "Failed anchoring rounds",
      registers: [registry],
    }),
    anchorFailures: new Gauge({
      name: "gxp_ledger_anchor_consecutive_failures",
      help: "Failed anchoring rounds in a row (0 after a successful round)",
      registers: [registry],
    }),
    anchorRetryDelay: new Gauge({
      name: "gxp_ledger_anchor_retry_delay_seconds",
      help: "Backoff delay before the next anchoring attempt (0 when not backing off)",
      registers: [registry],
    }),
    anchorReplacements: new Counter({
      name: "gxp_ledger_anchor_tx_replacements_total",
      help: "Anchor transactions re-sent with the same nonce and higher fees (stuck or dropped)",
      registers: [registry],
    }),
    anchorsSuperseded: new Counter({
      name: "gxp_ledger_anchors_superseded_total",
      help: "Recorded anchors the chain no longer held (reorganisation, reset chain): epoch anchored again",
      registers: [registry],
    }),
    epochsPreempted: new Counter({
      name: "gxp_ledger_epochs_preempted_total",
      help: "Sealed epochs whose anchor in the contract was sent by a transaction this ledger never sent (a stolen or rogue anchorer key): anchoring stopped",
      registers: [registry],
    }),
    anchorPromisesMissed: new Counter({
      name: "gxp_ledger_anchor_promises_missed_total",
      help: "Anchoring promises missed: receipt groups whose anchorBy passed before their events were anchored (counted once per missed promise)",
      registers: [registry],
    }),
  };
  new Gauge({
    name: "gxp_ledger_anchor_promises_overdue_groups",
    help: "Receipt groups whose anchorBy has passed while their events are not anchored (0 when every promise due is kept)",
    registers: [registry],
    collect() {
      this.set(missedPromiseOf(ledger, Date.now())?.groups ?? 0);
    },
  });
  new Gauge({
    name: "gxp_ledger_pending_events",
    help: "Events not yet sealed into an epoch",
    registers: [registry],
    collect() {
      this.set(ledger.sealer.pending().count);
    },
  });
  new Gauge({
    name: "gxp_ledger_anchor_lag_seconds",
    help: "Age of the oldest sealed epoch without a final anchor (configured confirmations) (0 when none)",
    registers: [registry],
    collect() {
      const oldest = ledger.epochs.unconfirmed()[0];
      this.set(oldest ? Math.max(0, (Date.now() - Date.parse(oldest.sealedAt)) / 1000) : 0);
    },
  });
  return m;
}
