/** `seal`: closes every pending event into epochs now, whatever the age limit says. */
import { Command } from "commander";
import { openLedger } from "../../service/app/ledger";
import { configOf, output } from "../context";

/** Registers `seal`. */
export function sealCommand(): Command {
  return new Command("seal")
    .description("seal all pending events into epochs now")
    .option("--epoch-max-events <n>", "largest epoch (LEDGER_EPOCH_MAX_EVENTS)")
    .action((opts: Record<string, unknown>, cmd: Command) => {
      const config = configOf(cmd, opts);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      const sealed: { epoch: number; firstSeq: number; size: number; root: string; ms: number }[] = [];
      try {
        for (;;) {
          const r = ledger.sealer.seal(new Date());
          if (!r) break;
          sealed.push({
            epoch: r.epoch.epoch,
            firstSeq: r.epoch.firstSeq,
            size: r.epoch.size,
            root: "0x" + Buffer.from(r.epoch.root).toString("hex"),
            ms: Math.round(r.ms),
          });
        }
      } finally {
        ledger.close();
      }
      output(
        cmd,
        { sealed },
        sealed.length
          ? sealed
              .map(
                (s) =>
                  `sealed epoch ${s.epoch}: ${s.size} event(s), seq ${s.firstSeq}..${s.firstSeq + s.size - 1}, root ${s.root} (${s.ms} ms)`,
              )
              .join("\n")
          : "nothing pending",
      );
    });
}
