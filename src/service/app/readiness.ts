/**
 * What /readyz of `serve` answers: ready when the database reads, no epoch was pre-empted in the
 * anchor contract, the chain answers, anchoring succeeds and the anchor lag is under its limit;
 * otherwise not ready (503) with every reason. A pre-empted epoch comes first ("SECURITY: …") and
 * keeps the service not ready until an operator acts: it is an attack, not an outage. A missed
 * anchoring promise (receipts past their anchorBy, events not anchored) is a reason too, until the
 * events are anchored.
 */
import { Ledger } from "./ledger";
import { Runner, missedPromiseOf, missedPromiseReason, preemptedReason } from "./runner";

/** The readiness document. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
  pendingEvents: number | null;
  unanchoredEpochs: number;
  unconfirmedEpochs: number;
  anchorLagSeconds: number;
  chainHead: number | null;
  /** The oldest missed anchoring promise, or null. */
  missedAnchorPromise: { groups: number; firstSeq: number; lastSeq: number; anchorBy: string } | null;
  [k: string]: unknown;
}

/** The readiness of `ledger` served with `runner`; `anchorWithinMs` is the anchor lag limit. */
export function readinessOf(
  ledger: Ledger,
  runner: Pick<Runner, "preemptedEpochs" | "chainReachable" | "lastError" | "chainHead">,
  anchorWithinMs: number,
  nowMs = Date.now(),
): Readiness {
  const reasons: string[] = [];
  let dbOk = true;
  try {
    ledger.db.prepare("SELECT 1").get();
  } catch {
    dbOk = false;
    reasons.push("database not readable");
  }
  for (const p of runner.preemptedEpochs()) reasons.push(preemptedReason(p));
  // Lag: the oldest sealed epoch without a final anchor (mined and the configured confirmations deep).
  const unanchored = dbOk ? ledger.epochs.unanchored() : [];
  const unconfirmed = dbOk ? ledger.epochs.unconfirmed() : [];
  const lagSeconds = unconfirmed[0] ? Math.round((nowMs - Date.parse(unconfirmed[0].sealedAt)) / 1000) : 0;
  if (!runner.chainReachable()) reasons.push("chain unreachable");
  if (lagSeconds * 1000 > anchorWithinMs)
    reasons.push(`anchor lag ${lagSeconds} s over the limit of ${anchorWithinMs / 1000} s`);
  const err = runner.lastError();
  if (err) reasons.push(`anchoring failing: ${err}`);
  // Read now, not as of the runner's last tick: the alert clears as soon as the events are anchored.
  const missed = dbOk ? missedPromiseOf(ledger, nowMs) : undefined;
  if (missed) reasons.push(missedPromiseReason(missed));
  return {
    ready: reasons.length === 0,
    reasons,
    pendingEvents: dbOk ? ledger.sealer.pending().count : null,
    unanchoredEpochs: unanchored.length,
    unconfirmedEpochs: unconfirmed.length,
    anchorLagSeconds: lagSeconds,
    chainHead: runner.chainHead() ?? null,
    missedAnchorPromise: missed ?? null,
  };
}
