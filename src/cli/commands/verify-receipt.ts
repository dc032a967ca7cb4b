/**
 * `verify-receipt <file>`: checks a receipt's signature with the ledger's receipt public key (from
 * the data directory, or --public-key). Exit 0 valid, 1 invalid, 2 bad usage.
 */
import fs from "node:fs";
import { Command } from "commander";
import { receiptPublicKeyFile, verifyReceipt, SignedReceipt } from "../../crypto/receipt-key";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `verify-receipt`. */
export function verifyReceiptCommand(): Command {
  return new Command("verify-receipt")
    .description("verify a receipt's signature with the ledger's receipt key")
    .argument("<file>", "a receipt (JSON) as returned by POST /v1/events")
    .option("--public-key <pem>", "the ledger's receipt public key (default: <data-dir>/keys/receipt-key.pub.pem)")
    .action((file: string, opts: { publicKey?: string }, cmd: Command) => {
      const config = configOf(cmd);
      const keyFile = opts.publicKey ?? receiptPublicKeyFile(config.dataDir);
      let receipt: SignedReceipt;
      let pem: string;
      try {
        receipt = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read receipt ${file}: ${(e as Error).message}`);
      }
      try {
        pem = fs.readFileSync(keyFile, "utf8");
      } catch {
        throw new CliExit(EXIT.USAGE, `no receipt public key at ${keyFile}: pass --public-key`);
      }
      try {
        verifyReceipt(receipt, pem);
      } catch (e) {
        output(cmd, { valid: false, reason: (e as Error).message }, `INVALID receipt ${file}: ${(e as Error).message}`);
        process.exitCode = EXIT.FAILED;
        return;
      }
      output(
        cmd,
        { valid: true, receipt },
        `VALID receipt: event ${receipt.id} accepted as seq ${receipt.seq} at ${receipt.receivedAt}, leaf ${receipt.leafHash}; ledger ${receipt.ledger} promised to anchor it by ${receipt.anchorBy}`,
      );
    });
}
