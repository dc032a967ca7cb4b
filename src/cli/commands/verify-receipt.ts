/**
 * `verify-receipt <file>`: checks a receipt with the ledger's receipt public key (from the data
 * directory, or --public-key): version 2 (the receipt's audit path to its commit group's root, and
 * the one signature over the group) or version 1 (one signature per receipt). Exit 0 valid,
 * 1 invalid, 2 bad usage.
 */
import fs from "node:fs";
import { Command } from "commander";
import { isReceiptV2 } from "../../core";
import { receiptPublicKeyFile, verifyReceipt, SignedReceipt } from "../../crypto/receipt-key";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `verify-receipt`. */
export function verifyReceiptCommand(): Command {
  return new Command("verify-receipt")
    .description("verify a receipt (its group audit path and signature) with the ledger's receipt key")
    .argument("<file>", "a receipt (JSON) as returned by POST /v1/events")
    .option("--public-key <pem>", "the ledger's receipt public key (default: <data-dir>/keys/receipt-key.pub.pem)")
    .action((file: string, opts: { publicKey?: string }, cmd: Command) => {
      const config = configOf(cmd);
      const keyFile = opts.publicKey ?? receiptPublicKeyFile(config.dataDir);
      let input: unknown;
      let pem: string;
      try {
        input = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read receipt ${file}: ${(e as Error).message}`);
      }
      try {
        pem = fs.readFileSync(keyFile, "utf8");
      } catch {
        throw new CliExit(EXIT.USAGE, `no receipt public key at ${keyFile}: pass --public-key`);
      }
      let receipt: SignedReceipt;
      try {
        receipt = verifyReceipt(input, pem);
      } catch (e) {
        const code = (e as { code?: string }).code;
        output(cmd, { valid: false, code, reason: (e as Error).message }, `INVALID receipt ${file}: ${(e as Error).message}${code ? ` (${code})` : ""}`);
        process.exitCode = EXIT.FAILED;
        return;
      }
      const how = isReceiptV2(receipt) ? `receipt ${receipt.group.index + 1} of a commit group of ${receipt.group.size} signed once` : "version 1 receipt signed alone";
      output(
        cmd,
        { valid: true, receipt },
        `VALID receipt: event ${receipt.id} accepted as seq ${receipt.seq} at ${receipt.receivedAt}, leaf ${receipt.leafHash}; ledger ${receipt.ledger} promised to anchor it by ${receipt.anchorBy} (${how})`,
      );
    });
}
