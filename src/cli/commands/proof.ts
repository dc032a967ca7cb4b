/** `proof <eventId> [-o file]`: writes the portable proof bundle of a confirmed event. */
import fs from "node:fs";
import { Command } from "commander";
import { bundleToJSON } from "../../core";
import { openLedger } from "../../service/app/ledger";
import { buildProof } from "../../service/proof/proof";
import { PinError } from "../../service/security/pin-check";
import { readDeployment } from "../../chain/deploy";
import { configOf } from "../context";
import { CliExit, EXIT } from "../exit";

/** True when something (a file, a directory, a link, even a dangling one) is at `p`. */
function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Registers `proof`. */
export function proofCommand(): Command {
  return new Command("proof")
    .description("write the proof bundle of an event (once its epoch's anchor is confirmed)")
    .argument("<eventId>", "the event's id")
    .option(
      "-o, --output <file>",
      "write to this file instead of standard output (never over an existing file or through a symbolic link)",
    )
    .option("--force", "overwrite the -o file, or write where a symbolic link points")
    .action((eventId: string, opts: { output?: string; force?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      // Refused before any work: an existing file (or link, even a dangling one) at -o (issue 12 item 7).
      if (opts.output && !opts.force && lexists(opts.output))
        throw new CliExit(EXIT.USAGE, `${opts.output} exists: pass --force to overwrite it`);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      try {
        const ev = ledger.events.getById(eventId);
        if (!ev) throw new CliExit(EXIT.USAGE, `unknown event id: ${eventId}`);
        let r: ReturnType<typeof buildProof>;
        try {
          r = buildProof(ledger, ev, readDeployment(config.dataDir));
        } catch (e) {
          // No bundle for an epoch the ledger cannot show as its own: an integrity failure.
          if (e instanceof PinError)
            throw new CliExit(
              EXIT.FAILED,
              `FAIL no proof of event ${eventId}: ${e.findings.map((f) => `${f.code} ${f.message}`).join("; ")}`,
            );
          throw e;
        }
        if (!r.ok)
          throw new CliExit(
            EXIT.RETRY,
            `no proof yet: event ${eventId} is ${r.position.status}; it gets one once its epoch is anchored and confirmed`,
          );
        const text = bundleToJSON(r.bundle);
        if (opts.output) {
          try {
            // O_CREAT|O_EXCL: fails on anything already there, a symbolic link included, without following it.
            fs.writeFileSync(opts.output, text, { flag: opts.force ? "w" : "wx" });
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "EEXIST")
              throw new CliExit(EXIT.USAGE, `${opts.output} exists: pass --force to overwrite it`);
            throw e;
          }
          if (cmd.optsWithGlobals().json)
            process.stdout.write(
              JSON.stringify({
                eventId,
                file: opts.output,
                epoch: r.bundle.epoch,
                leafIndex: r.bundle.leafIndex,
                treeSize: r.bundle.treeSize,
              }) + "\n",
            );
          else
            process.stderr.write(
              `wrote proof of event ${eventId} (epoch ${r.bundle.epoch}, leaf ${r.bundle.leafIndex} of ${r.bundle.treeSize}) to ${opts.output}\n`,
            );
        } else process.stdout.write(text);
      } finally {
        ledger.close();
      }
    });
}
