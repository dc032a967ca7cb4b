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
 * Up to `limit` ids of `known` close to `id`, best first, from the first of these that has any: the
 * same id in another case; ids that extend it (a shortened lot number; case-insensitive, exact case
 * first); ids within edit distance 2 (1 for ids shorter than 6 characters), nearest first.
 * Precondition: `id` is not in `known`.
 */
export function suggestBatchIds(id: string, known: readonly string[], limit = 5): string[] {
  const lower = id.toLowerCase();
  const byLength = (x: string, y: string) => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  const sameCase = known.filter((k) => k !== id && k.toLowerCase() === lower);
  if (sameCase.length) return [...sameCase].sort(byLength).slice(0, limit);
  if (id.length > 0) {
    const extend = known.filter((k) => k.toLowerCase().startsWith(lower));
    if (extend.length)
      return extend
        .sort((x, y) => Number(!x.startsWith(id)) - Number(!y.startsWith(id)) || byLength(x, y))
        .slice(0, limit);
  }
  const max = id.length < 6 ? 1 : 2;
  return known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase(), max) }))
    .filter((x) => x.d <= max)
    .sort((x, y) => x.d - y.d || byLength(x.k, y.k))
    .slice(0, limit)
    .map((x) => x.k);
}
