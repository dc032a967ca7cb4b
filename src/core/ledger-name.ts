/**
 * The one rule for a ledger's name, used wherever a name is taken in (configuration, CLI pins, chain
 * administration) or checked in a document (proof bundle, receipt, trust profile): 1-31 ASCII letters,
 * digits, `.`, `_` or `-`, starting with a letter or digit, so that it fits a Solidity `bytes32` string
 * (the ledger id on chain) and reads the same on any block explorer.
 */

/** The rule as a JSON Schema / RegExp pattern. */
export const LEDGER_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$";

/** The rule in words, for messages: "want 1-31 characters of …". */
export const LEDGER_NAME_RULE = "1-31 characters of A-Z a-z 0-9 . _ -";

const LEDGER_NAME_RE = new RegExp(LEDGER_NAME_PATTERN);

/** Whether `name` is a valid ledger name. */
export function isLedgerName(name: unknown): name is string {
  return typeof name === "string" && LEDGER_NAME_RE.test(name);
}
