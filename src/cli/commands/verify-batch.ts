/**
 * `verify-batch <batchId>`: QA's review of one batch record before release. Exit 0 all pass, 1
 * integrity fails, 4 integrity holds but the checklist has open items, 5 some events not yet
 * anchored with the confirmations required, 2 unknown batch, 3 chain unreachable.
 */
import { Command } from "commander";
import { openLedger, Ledger } from "../../service/app/ledger";
import { LedgerConfig } from "../../service/app/config";
import { BatchReport } from "../../core";
import { openReadChain } from "../../service/app/chain-context";
import { verifyBatch } from "../../service/batch/batch-verify";
import { providerTransport } from "../../chain/verify-anchor";
import { JsonRpcProvider } from "ethers";
import { readDeployment } from "../../chain/deploy";
import { renderBatchReport } from "../render-batch";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/**
 * Opens the ledger, reviews one batch against it and the chain, and hands the report (with the open
 * ledger) to `use`; closes both after. Shared by verify-batch and export-batch.
 * @throws CliExit USAGE for a batch with no events
 */
export async function withBatchReview<T>(config: LedgerConfig, batchId: string, use: (report: BatchReport, ledger: Ledger) => T | Promise<T>): Promise<T> {
  const ledger = openLedger(config.dataDir, config.seal, undefined, true);
  let provider: JsonRpcProvider | undefined;
  try {
    const report = await verifyBatch(ledger, batchId, {
      confirmations: config.confirmations,
      deployment: readDeployment(config.dataDir),
      chain: async () => providerTransport((provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider)),
    });
    if (!report) throw new CliExit(EXIT.USAGE, `no event of batch ${batchId} in this ledger`);
    return await use(report, ledger);
  } finally {
    provider?.destroy();
    ledger.close();
  }
}

/** Registers `verify-batch`. */
export function verifyBatchCommand(): Command {
  return new Command("verify-batch")
    .description("review one batch record: integrity down to the chain, batch chain, signatures, completeness checklist")
    .argument("<batchId>", "the batch (lot) id as the MES sends it")
    .option("--all", "print the full audit trail too")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .action(async (batchId: string, opts: { all?: boolean; confirmations?: string }, cmd: Command) => {
      await withBatchReview(configOf(cmd, opts), batchId, (report) => {
        output(cmd, report, renderBatchReport(report, opts.all));
        process.exitCode = report.exitCode;
      });
    });
}
