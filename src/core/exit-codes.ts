/**
 * The exit codes of every command (house style, after ponder's), in one table: the CLI's commands,
 * the batch verdicts and the docs name these. The standalone verifier script
 * (scripts/verify-proof-standalone.js) carries the same numbers, being one self-contained file.
 */
export const EXIT = {
  OK: 0,
  /** Verification failed: something was altered or does not match. */
  FAILED: 1,
  /** Bad usage or input, unknown id. */
  USAGE: 2,
  /** I/O error or chain unreachable. */
  IO: 3,
  /** Batch review: integrity verified, but items of the release checklist are open. */
  OPEN_ITEMS: 4,
  /** Batch review: events of the batch are not anchored (or not final) yet. */
  NOT_ANCHORED: 5,
  /**
   * Every check passed but the ledger's provenance was not pinned: unchanged and anchored in *a*
   * contract, by *an* account, signed by *a* key, none of them shown to be the site's (give
   * `--trust site-trust.json` or the explicit `--contract/--ledger/--anchorer/--ledger-key`).
   */
  UNPINNED: 6,
  /** Not yet possible: retry later (e.g. not yet anchored). */
  RETRY: 75,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
