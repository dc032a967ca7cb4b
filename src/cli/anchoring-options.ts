/**
 * The options of the commands that anchor (`serve`, `anchor`): how a stuck anchor transaction is
 * replaced and where the anchorer's key comes from. Declared once so both commands say the same.
 */
import { Command } from "commander";

/** Adds `--anchor-stuck-timeout`, `--anchor-keystore` and `--anchor-keystore-password-file` to `cmd`. */
export function withAnchoringOptions(cmd: Command): Command {
  return cmd
    .option(
      "--anchor-stuck-timeout <seconds>",
      "replace an anchor tx not mined this long after it was sent (LEDGER_ANCHOR_STUCK_SECONDS)",
    )
    .option(
      "--anchor-keystore <file>",
      "the anchorer's encrypted JSON keystore on an external chain (LEDGER_ANCHOR_KEYSTORE; `key new` makes one)",
    )
    .option(
      "--anchor-keystore-password-file <file>",
      "its password file (LEDGER_ANCHOR_KEYSTORE_PASSWORD_FILE); without one the password is asked on the terminal",
    );
}
