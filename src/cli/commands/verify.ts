/**
 * `verify <eventId>`: re-verifies one stored event down to the chain and prints PASS or FAIL naming
 * the event, the epoch, the anchor tx and what did not match (the ledger's pin and the epoch's
 * checkpoint included). Exit 0 verified, 1 failed, 2 unknown
 * id, 3 chain unreachable, 75 not yet anchored.
 */
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { openLedger } from "../../service/app/ledger";
import { openReadChain } from "../../service/app/chain-context";
import { verifyStoredEvent } from "../../service/proof/verify-event";
import { readDeployment } from "../../chain/deploy";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `verify`. */
export function verifyCommand(): Command {
  return new Command("verify")
    .description("verify one stored event: record, epoch tree, audit path and on-chain anchor")
    .argument("<eventId>", "the event's id")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .action(async (eventId: string, opts: Record<string, unknown>, cmd: Command) => {
      const config = configOf(cmd, opts);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      let provider: JsonRpcProvider | undefined;
      try {
        const r = await verifyStoredEvent(
          ledger,
          eventId,
          async () =>
            (provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider),
          config.confirmations,
          readDeployment(config.dataDir),
        );
        if (!r) throw new CliExit(EXIT.USAGE, `unknown event id: ${eventId}`);
        const head =
          r.outcome === "verified"
            ? `PASS event ${eventId} (seq ${r.seq}) verified: epoch ${r.epoch}, anchor tx ${r.anchorTx}`
            : r.outcome === "not-anchored"
              ? r.status === "confirmed"
                ? `NOT YET FINAL event ${eventId} (seq ${r.seq}): its anchor in epoch ${r.epoch} has fewer confirmations than required; integrity so far holds`
                : `NOT YET ANCHORED event ${eventId} (seq ${r.seq}) is ${r.status}${r.epoch !== undefined ? ` in epoch ${r.epoch}` : ""}: integrity so far holds`
              : `FAIL event ${eventId}${r.seq >= 0 ? ` (seq ${r.seq})` : ""}${r.epoch !== undefined ? `, epoch ${r.epoch}` : ""}${r.anchorTx ? `, anchor tx ${r.anchorTx}` : ""}${r.anchorId !== undefined ? `, anchors row ${r.anchorId}` : ""}${r.code ? ` [${r.code}]` : ""}: ${r.checks[r.checks.length - 1].detail}`;
        output(
          cmd,
          r,
          [head, ...r.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.check}: ${c.detail}`)].join("\n"),
        );
        process.exitCode = r.outcome === "verified" ? EXIT.OK : r.outcome === "failed" ? EXIT.FAILED : EXIT.RETRY;
      } finally {
        provider?.destroy();
        ledger.close();
      }
    });
}
