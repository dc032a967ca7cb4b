/**
 * `verify-batch <batchId>`: QA's review of one batch record before release. Exit 0 all pass, 1
 * integrity fails, 4 integrity holds but the checklist has open items, 5 some events not yet
 * anchored with the confirmations required, 2 unknown batch, 3 chain unreachable.
 */
import { Command } from "commander";
import { openLedger } from "../../service/ledger";
import { openReadChain } from "../../service/chain-context";
import { verifyBatch } from "../../service/batch-verify";
import { providerTransport } from "../../chain/verify-anchor";
import { JsonRpcProvider } from "ethers";
import { renderBatchReport } from "../render-batch";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `verify-batch`. */
export function verifyBatchCommand(): Command {
  return new Command("verify-batch")
    .description("review one batch record: integrity down to the chain, batch chain, signatures, completeness checklist")
    .argument("<batchId>", "the batch (lot) id as the MES sends it")
    .option("--all", "print the full audit trail too")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .action(async (batchId: string, opts: { all?: boolean; confirmations?: string }, cmd: Command) => {
      const config = configOf(cmd, opts);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      let provider: JsonRpcProvider | undefined;
      try {
        const report = await verifyBatch(ledger, batchId, {
          confirmations: config.confirmations,
          chain: async () => providerTransport((provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider)),
        });
        if (!report) throw new CliExit(EXIT.USAGE, `no event of batch ${batchId} in this ledger`);
        output(cmd, report, renderBatchReport(report, opts.all));
        process.exitCode = report.exitCode;
      } finally {
        provider?.destroy();
        ledger.close();
      }
    });
}
