/** Exit codes that mean something (house style, after ponder's). */
export const EXIT = {
  OK: 0,
  /** Verification failed: something was altered or does not match. */
  FAILED: 1,
  /** Bad usage or input, unknown id. */
  USAGE: 2,
  /** I/O error or chain unreachable. */
  IO: 3,
  /**
   * Every check passed but the ledger's provenance was not pinned: unchanged and anchored in *a*
   * contract, by *an* account, signed by *a* key, none of them shown to be the site's (give
   * `--trust site-trust.json` or the explicit `--contract/--ledger/--anchorer/--ledger-key`).
   */
  UNPINNED: 6,
  /** Not yet possible: retry later (e.g. not yet anchored). */
  RETRY: 75,
} as const;

/** An error that ends the CLI with a given exit code and message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
