/**
 * `anchor`: anchors every sealed epoch and waits for the configured confirmations. When the server
 * is running it already holds the anchorer lease; then this command waits for it to finish instead
 * of racing it.
 */
import { Command } from "commander";
import { withAnchoringOptions } from "../anchoring-options";
import { openLedger } from "../../service/app/ledger";
import { ledgerAnchorer, openAnchoringChainForCli } from "../../service/app/chain-context";
import { leaseHolder, createLease } from "../../store/lease";
import { AnchorRow } from "../../store/epoch-store";
import { StoreError } from "../../store/errors";
import { ensureLedgerPin } from "../../service/security/ledger-pin";
import { createSecurityRecorder } from "../../service/security/security";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `anchor`. */
export function anchorCommand(): Command {
  return withAnchoringOptions(
    new Command("anchor")
      .description("anchor all sealed epochs on chain and wait for confirmation")
      .option("--contract <address>", "anchor contract on an external chain (LEDGER_CONTRACT)")
      .option("--confirmations <n>", "confirmations to wait for (LEDGER_CONFIRMATIONS)"),
  )
    .option("--timeout <seconds>", "how long to wait", "300")
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const config = configOf(cmd, opts);
      const timeoutMs = 1000 * Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new CliExit(EXIT.USAGE, `--timeout ${String(opts.timeout)}: want a whole number of seconds above 0`);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      const chain = await openAnchoringChainForCli(config, () => undefined).catch((e) => {
        ledger.close();
        throw e;
      });
      // Never anchor anywhere but the pinned chain, contract and ledger (pinned here when no
      // `serve` ran yet, as its first start does).
      await ensureLedgerPin(ledger, chain, createSecurityRecorder(ledger, ledger.name)).catch(async (e) => {
        await chain.close();
        ledger.close();
        if (e instanceof StoreError && e.code === "LEDGER_PIN_MISMATCH")
          throw new CliExit(EXIT.FAILED, `${e.code}: ${e.message}`);
        throw e;
      });
      const lease = createLease(ledger.db, "anchorer", leaseHolder("cli"), Math.max(60_000, timeoutMs));
      const done: AnchorRow[] = [];
      let latestAnchor: AnchorRow | undefined;
      try {
        const before = new Set(ledger.epochs.unconfirmed().map((e) => e.epoch));
        const deadline = Date.now() + timeoutMs;
        if (lease.acquire()) {
          const anchorer = ledgerAnchorer(ledger, chain, {
            confirmations: config.confirmations,
            waitTimeoutMs: timeoutMs,
            stuckTimeoutMs: config.anchorStuckMs,
            maxFeePerGas: config.anchorMaxFeeWei,
          });
          done.push(...(await anchorer.anchorPending()));
        } else {
          // The running server anchors: wait until what was sealed when we started is final.
          const notFinal = () => [...before].filter((e) => !ledger.epochs.anchorOf(e)?.finalAt);
          while (notFinal().length) {
            if (Date.now() > deadline)
              throw new CliExit(
                EXIT.RETRY,
                `the running server has not anchored epoch(s) ${notFinal().join(", ")} within ${opts.timeout} s`,
              );
            await new Promise((r) => setTimeout(r, 200));
          }
          for (const e of before) done.push(ledger.epochs.anchorOf(e)!);
        }
        const last = ledger.epochs.latest();
        latestAnchor = last && ledger.epochs.anchorOf(last.epoch);
      } finally {
        lease.release();
        await chain.close();
        ledger.close();
      }
      const text = done.map((a) => `anchored epoch ${a.epoch}: tx ${a.txHash}, block ${a.blockNumber} ${a.blockHash}`);
      if (!done.length) {
        const latest = latestAnchor;
        text.push(
          latest
            ? `every sealed epoch is anchored; latest: epoch ${latest.epoch}, tx ${latest.txHash}, block ${latest.blockNumber}`
            : "nothing sealed yet: nothing to anchor",
        );
      }
      output(cmd, { anchored: done, latest: latestAnchor ?? null }, text.join("\n"));
    });
}
