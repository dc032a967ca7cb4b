/**
 * `export-batch <batchId> -o <dir>`: the regulator package of one batch. `verify-package <dir>`:
 * verifies a package with only its files and the chain. Exit codes as verify-batch: 0 all pass, 1
 * integrity fails (or the package was altered), 4 checklist open items, 5 not all anchored; 2 bad
 * usage or unknown batch, 3 chain unreachable.
 */
import { Command } from "commander";
import { addPinOptions, PinFlags, pinOf, readTrustProfile } from "../pin-options";
import { loadReceiptKey } from "../../crypto/receipt-key";
import { withBatchReview } from "./verify-batch";
import { exportBatch, PackageError, verifyPackage } from "../../service/batch/batch-package";
import { fetchTransport } from "../../core";
import { redactUrl } from "../../chain/provider";
import { renderBatchReport } from "../render-batch";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

const PACKAGE_EXIT: Record<PackageError["code"], number> = {
  BATCH_NOT_FOUND: EXIT.USAGE,
  BATCH_INTEGRITY_FAILED: EXIT.FAILED,
  BATCH_NOT_ANCHORED: 5,
  PACKAGE_TARGET_NOT_EMPTY: EXIT.USAGE,
  PACKAGE_UNREADABLE: EXIT.USAGE,
  PACKAGE_TOOLS_MISSING: EXIT.IO,
  PACKAGE_TRUST_MISMATCH: EXIT.USAGE,
  PACKAGE_TARGET_UNSAFE: EXIT.USAGE,
};

/** Registers `export-batch`. */
export function exportBatchCommand(): Command {
  return new Command("export-batch")
    .description(
      "write the regulator package of a batch: every event's proof bundle, the batch chain, the report (HTML and JSON) and a manifest of SHA-256 hashes",
    )
    .argument("<batchId>", "the batch (lot) id")
    .requiredOption("-o, --output <dir>", "new directory to write the package into")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .option("--force", "write into the directory even when -o is a symbolic link to it")
    .option(
      "--trust <file>",
      "include a copy of the site's trust profile (it must name this ledger); the README tells the inspector to compare its fingerprint",
    )
    .action(
      async (
        batchId: string,
        opts: { output: string; confirmations?: string; trust?: string; force?: boolean },
        cmd: Command,
      ) => {
        const config = configOf(cmd, { confirmations: opts.confirmations });
        const trust = opts.trust ? readTrustProfile(opts.trust) : undefined;
        try {
          await withBatchReview(config, batchId, (report, ledger) => {
            const m = exportBatch(ledger, report, opts.output, loadReceiptKey(config.dataDir), new Date(), trust, {
              force: opts.force,
            });
            output(
              cmd,
              { batchId, dir: opts.output, verdict: report.verdict, events: m.events, files: m.files.length + 1 },
              `wrote the package of batch ${batchId} (${m.events} events, ${m.files.length + 1} files, verdict ${report.verdict}) to ${opts.output}`,
            );
          });
        } catch (e) {
          if (e instanceof PackageError) throw new CliExit(PACKAGE_EXIT[e.code], e.message);
          throw e;
        }
      },
    );
}

/** Registers `verify-package`. */
export function verifyPackageCommand(): Command {
  return addPinOptions(
    new Command("verify-package")
      .description(
        "verify a regulator package with only its files and the chain (never the ledger's database), pinned by the site's trust profile",
      )
      .argument("<dir>", "the package directory")
      .option("--all", "print the full audit trail too")
      .option("--confirmations <n>", "confirmations required", "1"),
  ).action(async (dir: string, opts: { all?: boolean; confirmations: string } & PinFlags, cmd: Command) => {
    const config = configOf(cmd);
    const confirmations = Number(opts.confirmations);
    if (!Number.isSafeInteger(confirmations) || confirmations < 1)
      throw new CliExit(EXIT.USAGE, `--confirmations ${opts.confirmations}: want a positive integer`);
    const url = config.rpcUrl ?? `http://127.0.0.1:${config.chainPort}`;
    const pin = pinOf(opts);
    try {
      const report = await verifyPackage(dir, { confirmations, pin, chain: async () => fetchTransport(url, fetch) });
      const head = `package ${dir}, chain checked at ${redactUrl(url)}\n`;
      output(cmd, report, head + renderBatchReport(report, opts.all));
      process.exitCode = report.exitCode;
    } catch (e) {
      if (e instanceof PackageError) throw new CliExit(PACKAGE_EXIT[e.code], e.message);
      throw e;
    }
  });
}
