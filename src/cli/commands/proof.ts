/** `proof <eventId> [-o file]`: writes the portable proof bundle of a confirmed event. */
import fs from "node:fs";
import { Command } from "commander";
import { bundleToJSON } from "../../core";
import { openLedger } from "../../service/ledger";
import { buildProof } from "../../service/proof";
import { PinError } from "../../service/pin-check";
import { readDeployment } from "../../chain/deploy";
import { configOf } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `proof`. */
export function proofCommand(): Command {
  return new Command("proof")
    .description("write the proof bundle of an event (once its epoch's anchor is confirmed)")
    .argument("<eventId>", "the event's id")
    .option("-o, --output <file>", "write to this file instead of standard output")
    .action((eventId: string, opts: { output?: string }, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      try {
        const ev = ledger.events.getById(eventId);
        if (!ev) throw new CliExit(EXIT.USAGE, `unknown event id: ${eventId}`);
        let r: ReturnType<typeof buildProof>;
        try {
          r = buildProof(ledger, ev, readDeployment(config.dataDir));
        } catch (e) {
          // No bundle for an epoch the ledger cannot show as its own: an integrity failure.
          if (e instanceof PinError) throw new CliExit(EXIT.FAILED, `FAIL no proof of event ${eventId}: ${e.findings.map((f) => `${f.code} ${f.message}`).join("; ")}`);
          throw e;
        }
        if (!r.ok) throw new CliExit(EXIT.RETRY, `no proof yet: event ${eventId} is ${r.position.status}; it gets one once its epoch is anchored and confirmed`);
        const text = bundleToJSON(r.bundle);
        if (opts.output) {
          fs.writeFileSync(opts.output, text);
          if (cmd.optsWithGlobals().json) process.stdout.write(JSON.stringify({ eventId, file: opts.output, epoch: r.bundle.epoch, leafIndex: r.bundle.leafIndex, treeSize: r.bundle.treeSize }) + "\n");
          else process.stderr.write(`wrote proof of event ${eventId} (epoch ${r.bundle.epoch}, leaf ${r.bundle.leafIndex} of ${r.bundle.treeSize}) to ${opts.output}\n`);
        } else process.stdout.write(text);
      } finally {
        ledger.close();
      }
    });
}
