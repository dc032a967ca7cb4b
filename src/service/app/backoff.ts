/**
 * Retry delays for anchoring while the chain fails: bounded exponential backoff with "equal jitter"
 * (half the delay fixed, half random), so that many ledgers behind one provider do not retry in step,
 * and a delay never falls below half of the previous ceiling.
 */

/** Backoff bounds. */
export interface BackoffPolicy {
  /** The ceiling of the first retry's delay. */
  baseMs: number;
  /** The largest ceiling: delays stop growing here. */
  maxMs: number;
}

/** Anchoring's default: 1 s doubling up to 60 s (LEDGER_ANCHOR_RETRY_MAX_SECONDS). */
export const ANCHOR_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000 };

/** The ceiling of the delay before retry `attempt` (1 = after the first failure): base · 2^(attempt-1), at most max. */
export function backoffCeiling(attempt: number, p: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt ${attempt}: want an integer from 1`);
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.min(attempt - 1, 40));
}

/**
 * The delay before retry `attempt`: uniformly in [ceiling/2, ceiling] (`random` in [0, 1)).
 * @throws RangeError for an attempt below 1
 */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const c = backoffCeiling(attempt, p);
  return Math.round(c / 2 + (c / 2) * random());
}
