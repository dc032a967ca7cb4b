/**
 * Close batch ids for an id the ledger does not hold (a mistyped or shortened lot number): ids that
 * start with it, then ids that differ only in case, then ids at a small edit distance.
 */

/** Levenshtein distance, stopping early above `max` (returns max + 1 then). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `limit` ids of `known` close to `id`, best first: ids that extend it (prefix; only those
 * when there are any), else ids that extend it in another case, the same id in another case, and
 * ids within edit distance 2 (1 for ids shorter than 6 characters).
 * Precondition: `id` is not in `known`.
 */
export function suggestBatchIds(id: string, known: readonly string[], limit = 5): string[] {
  const lower = id.toLowerCase();
  const max = id.length < 6 ? 1 : 2;
  const scored: { id: string; score: number }[] = [];
  for (const k of known) {
    if (k === id) continue;
    const kl = k.toLowerCase();
    let score: number | undefined;
    if (kl.startsWith(lower) && id.length > 0) score = k.startsWith(id) ? 0 : 0.5;
    else if (kl === lower) score = 0.5;
    else {
      const d = editDistance(lower, kl, max);
      if (d <= max) score = d;
    }
    if (score !== undefined) scored.push({ id: k, score });
  }
  // Ids that extend the one given are what a shortened lot number meant: only those, when there are any.
  if (scored.some((s) => s.score === 0)) return scored.filter((s) => s.score === 0).sort((x, y) => x.id.length - y.id.length || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).slice(0, limit).map((s) => s.id);
  scored.sort((x, y) => x.score - y.score || x.id.length - y.id.length || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.id);
}
