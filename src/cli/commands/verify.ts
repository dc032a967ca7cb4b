/**
 * `verify <eventId>`: re-verifies one stored event down to the chain and prints PASS or FAIL naming
 * the event, the epoch, the anchor tx and what did not match. Exit 0 verified, 1 failed, 2 unknown
 * id, 3 chain unreachable, 75 not yet anchored.
 */
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { openLedger } from "../../service/ledger";
import { openReadChain } from "../../service/chain-context";
import { verifyStoredEvent } from "../../service/verify-event";
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
      const ledger = openLedger(config.dataDir, config.seal);
      let provider: JsonRpcProvider | undefined;
      try {
        const ev = ledger.events.getById(eventId);
        if (!ev) throw new CliExit(EXIT.USAGE, `unknown event id: ${eventId}`);
        if (ledger.epochs.containing(ev.seq) && ledger.epochs.anchorOf(ledger.epochs.containing(ev.seq)!.epoch)) {
          provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider;
        }
        const r = (await verifyStoredEvent(ledger, eventId, provider, config.confirmations))!;
        const head =
          r.outcome === "verified"
            ? `PASS event ${eventId} (seq ${r.seq}) verified: epoch ${r.epoch}, anchor tx ${r.anchorTx}`
            : r.outcome === "not-anchored"
              ? `NOT YET ANCHORED event ${eventId} (seq ${r.seq}) is ${r.status}${r.epoch !== undefined ? ` in epoch ${r.epoch}` : ""}: integrity so far holds`
              : `FAIL event ${eventId} (seq ${r.seq})${r.epoch !== undefined ? `, epoch ${r.epoch}` : ""}${r.anchorTx ? `, anchor tx ${r.anchorTx}` : ""}: ${r.checks[r.checks.length - 1].detail}`;
        output(cmd, r, [head, ...r.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.check}: ${c.detail}`)].join("\n"));
        process.exitCode = r.outcome === "verified" ? EXIT.OK : r.outcome === "failed" ? EXIT.FAILED : EXIT.RETRY;
      } finally {
        provider?.destroy();
        ledger.close();
      }
    });
}
