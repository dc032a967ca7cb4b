/** `status`: events, pending, epochs and anchors at a glance. */
import { Command } from "commander";
import { openLedger } from "../../service/app/ledger";
import { fileModeWarnings, summarise } from "../../service/proof/status";
import { readDeployment } from "../../chain/deploy";
import { currentPin } from "../../store/pin-store";
import { configOf, output } from "../context";

/** Registers `status`. */
export function statusCommand(): Command {
  return new Command("status").description("show the ledger's state").action((_opts: unknown, cmd: Command) => {
    const config = configOf(cmd);
    const ledger = openLedger(config.dataDir, config.seal, undefined, true);
    try {
      const s = summarise(ledger);
      const d = readDeployment(config.dataDir);
      const chain = d
        ? { chainId: d.chainId, contract: d.contract, ledger: d.ledgerName, development: d.development }
        : null;
      const p = currentPin(ledger.db);
      const pin = p
        ? {
            chainId: p.chainId,
            genesisHash: p.genesisHash,
            contract: p.contract,
            ledgerId: p.ledgerId,
            ledger: p.ledgerName,
            pinnedAt: p.pinnedAt,
            development: p.development,
          }
        : null;
      const gaps = ledger.events.sourceGaps();
      const fileModes = fileModeWarnings(config.dataDir);
      const lines = [
        `data directory   ${config.dataDir}`,
        `events           ${s.events} (${s.pending} pending${s.oldestPendingReceivedAt ? `, oldest received ${s.oldestPendingReceivedAt}` : ""})`,
        `epochs           ${s.epochs} sealed, ${s.anchoredEpochs} anchored, ${s.unanchoredEpochs} awaiting anchor`,
        s.latestEpoch
          ? `latest epoch     ${s.latestEpoch.epoch}: seq ${s.latestEpoch.firstSeq}..${s.latestEpoch.firstSeq + s.latestEpoch.size - 1}, sealed ${s.latestEpoch.sealedAt}, ${s.latestEpoch.anchored ? "anchored" : "not anchored"}`
          : "latest epoch     none",
        chain
          ? `chain            ${chain.chainId}, contract ${chain.contract}, ledger ${chain.ledger}${chain.development ? " (embedded development chain)" : ""}`
          : "chain            not set up yet (run `npm start`)",
        pin
          ? `pinned           chain ${pin.chainId} (genesis ${pin.genesisHash}), contract ${pin.contract}, ledger ${pin.ledger}, since ${pin.pinnedAt}`
          : "pinned           not yet (the first `serve` start pins the ledger)",
        gaps.length
          ? `source gaps      ${gaps.length} (accepted, to review):\n${gaps.map((g) => `                 ${g.source}: sourceSequence ${g.expected}..${g.got - 1} missing before event ${g.eventId} (seq ${g.seq})`).join("\n")}`
          : "source gaps      none",
        fileModes.length
          ? `file modes       WARNING: ${fileModes.length} readable or writable by others than the owner:\n${fileModes.map((w) => `                 ${w.file} has mode ${w.mode}, want ${w.want} (chmod ${w.want.slice(1)} ${w.file})`).join("\n")}`
          : "file modes       owner only",
      ];
      output(cmd, { ...s, chain, pin, sourceGaps: gaps, fileModes }, lines.join("\n"));
    } finally {
      ledger.close();
    }
  });
}
