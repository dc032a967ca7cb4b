#!/usr/bin/env node
/**
 * The `gxp-ledger` command line: one commander root with the global options, one file per command.
 */
import { Command } from "commander";
import { serveCommand } from "./commands/serve";
import { appendCommand } from "./commands/append";
import { sealCommand } from "./commands/seal";
import { anchorCommand } from "./commands/anchor";
import { statusCommand } from "./commands/status";
import { verifyCommand } from "./commands/verify";
import { proofCommand } from "./commands/proof";
import { verifyProofCommand } from "./commands/verify-proof";
import { clientCommand } from "./commands/client";
import { verifyReceiptCommand } from "./commands/verify-receipt";
import { verifyReceiptsCommand } from "./commands/verify-receipts";
import { auditCommand } from "./commands/audit";
import { backupCommand, restoreCommand } from "./commands/backup";
import { verifyBatchCommand } from "./commands/verify-batch";
import { batchesCommand } from "./commands/batches";
import { exportBatchCommand, verifyPackageCommand } from "./commands/batch-package";
import { trustCommand } from "./commands/trust";
import { keyCommand } from "./commands/key";
import { chainCommand } from "./commands/chain";
import { exitFor } from "./context";
import { EXIT } from "./exit";

/** Builds the root command. */
export function buildCli(): Command {
  const root = new Command("gxp-ledger")
    .description("tamper-evident GxP audit trail: events in SQLite, RFC 9162 epochs anchored on an EVM chain")
    .option("--data-dir <dir>", "data directory (LEDGER_DATA_DIR, default ./data)")
    .option("--rpc <url>", "EVM JSON-RPC endpoint (LEDGER_RPC_URL); default: the embedded development chain")
    .option("--json", "print results as JSON")
    .showHelpAfterError()
    .exitOverride();
  for (const c of [
    serveCommand(),
    appendCommand(),
    sealCommand(),
    anchorCommand(),
    statusCommand(),
    verifyCommand(),
    verifyBatchCommand(),
    batchesCommand(),
    exportBatchCommand(),
    verifyPackageCommand(),
    proofCommand(),
    verifyProofCommand(),
    verifyReceiptCommand(),
    verifyReceiptsCommand(),
    clientCommand(),
    auditCommand(),
    backupCommand(),
    restoreCommand(),
    trustCommand(),
    keyCommand(),
    chainCommand(),
  ]) {
    root.addCommand(c.exitOverride());
  }
  return root;
}

/** Runs the CLI with `argv` and sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === "string" && ce.code.startsWith("commander.")) {
      process.exitCode =
        ce.code === "commander.helpDisplayed" || ce.code === "commander.version" ? EXIT.OK : EXIT.USAGE;
      return;
    }
    const { code, message } = exitFor(e);
    process.stderr.write(`gxp-ledger: ${message}\n`);
    process.exitCode = code;
  }
}

/** Runs the CLI as a program: every command but `serve` ends the process when it is done. */
export async function run(argv: string[]): Promise<void> {
  await main(argv);
  // A timed-out RPC request can leave a socket open that would keep Node alive: exit explicitly.
  // Exit only once what was written is flushed: stdout to a pipe is asynchronous, and a large --json
  // report cut off at the exit is not JSON (seen with verify-package of a 89-event batch).
  if (!argv.slice(2).includes("serve")) {
    const code = process.exitCode ?? EXIT.OK;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  }
}

if (require.main === module) void run(process.argv);
