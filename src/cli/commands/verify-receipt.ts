/**
 * `verify-receipt <file>`: checks a receipt with the ledger's receipt key: version 2 (the receipt's
 * audit path to its commit group's root, and the one signature over the group) or version 1 (one
 * signature per receipt). The key is pinned by the site's trust profile (`--trust`: the receipt's key
 * must be one of the site's keys, valid when the receipt was issued, and its ledger the site's) or
 * given as a PEM file (`--public-key`). Without either, the key in the data directory is used and the
 * verdict is UNPINNED: anyone who can write that directory could have replaced the key.
 * Exit 0 valid (pinned), 6 valid but unpinned, 1 invalid, 2 bad usage.
 */
import fs from "node:fs";
import { Command } from "commander";
import { TrustPin, checkReceiptPin, isReceiptV2, pemOfSpki, pinFromProfile, pinSummary, pinnedKey } from "../../core";
import { receiptPublicKeyFile, verifyReceipt, SignedReceipt } from "../../crypto/receipt-key";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";
import { pinnedKeyOfPem, readTrustProfile } from "../pin-options";

/** Registers `verify-receipt`. */
export function verifyReceiptCommand(): Command {
  return new Command("verify-receipt")
    .description(
      "verify a receipt (its group audit path and signature) with the ledger's receipt key, pinned by the site's trust profile",
    )
    .argument("<file>", "a receipt (JSON) as returned by POST /v1/events")
    .option(
      "--trust <file>",
      "the site's trust profile: the receipt must be signed by one of its keys, valid at the receipt's time, for its ledger",
    )
    .option("--public-key <pem>", "pin the ledger's receipt public key (a PEM file from the site)")
    .action((file: string, opts: { trust?: string; publicKey?: string }, cmd: Command) => {
      const config = configOf(cmd);
      if (opts.trust && opts.publicKey) throw new CliExit(EXIT.USAGE, "give --trust or --public-key, not both");
      let input: unknown;
      try {
        input = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read receipt ${file}: ${(e as Error).message}`);
      }
      const invalid = (code: string | undefined, reason: string) => {
        output(
          cmd,
          { valid: false, verdict: "INVALID", code, reason },
          `INVALID receipt ${file}: ${reason}${code ? ` (${code})` : ""}`,
        );
        process.exitCode = EXIT.FAILED;
      };
      let pin: TrustPin | undefined;
      let pem: string;
      const keyId = (input as { keyId?: unknown } | null)?.keyId;
      if (opts.trust) {
        pin = pinFromProfile(readTrustProfile(opts.trust));
        const k = typeof keyId === "string" ? pinnedKey(pin, keyId) : undefined;
        if (!k)
          return invalid(
            "TRUST_KEY_MISMATCH",
            `signed by key ${String(keyId)}, which is not one of the site's keys in ${opts.trust} (${pin.keys!.map((x) => x.keyId.slice(0, 16) + "…").join(", ")})`,
          );
        pem = pemOfSpki(k.publicKey);
      } else if (opts.publicKey) {
        const k = pinnedKeyOfPem(opts.publicKey);
        pin = { source: `the key ${opts.publicKey}`, keys: [k] };
        pem = pemOfSpki(k.publicKey);
      } else {
        try {
          pem = fs.readFileSync(receiptPublicKeyFile(config.dataDir), "utf8");
        } catch {
          throw new CliExit(
            EXIT.USAGE,
            `no receipt public key at ${receiptPublicKeyFile(config.dataDir)}: pass --trust site-trust.json (or --public-key)`,
          );
        }
      }
      let receipt: SignedReceipt;
      try {
        receipt = verifyReceipt(input, pem);
      } catch (e) {
        return invalid((e as { code?: string }).code, (e as Error).message);
      }
      const how = isReceiptV2(receipt)
        ? `receipt ${receipt.group.index + 1} of a commit group of ${receipt.group.size} signed once`
        : "version 1 receipt signed alone";
      const what = `event ${receipt.id} accepted as seq ${receipt.seq} at ${receipt.receivedAt}, leaf ${receipt.leafHash}; ledger ${receipt.ledger} promised to anchor it by ${receipt.anchorBy} (${how})`;
      if (opts.trust) {
        // The key's validity at the receipt's time, and the receipt's ledger against the site's.
        const c = checkReceiptPin(pin!, receipt);
        if (c.problems.length)
          return invalid(
            c.problems[0].code,
            `not the site's ledger (${pin!.source}): ${c.problems.map((p) => p.detail).join("; ")}`,
          );
        output(
          cmd,
          { valid: true, verdict: "VALID", pinned: pin!.source, receipt },
          `VALID receipt (pinned: ${pinSummary(pin!)}, key ${receipt.keyId.slice(0, 16)}…): ${what}`,
        );
        return;
      }
      if (opts.publicKey) {
        output(
          cmd,
          { valid: true, verdict: "VALID", pinned: opts.publicKey, receipt },
          `VALID receipt (pinned key ${receipt.keyId.slice(0, 16)}… from ${opts.publicKey}): ${what}`,
        );
        return;
      }
      output(
        cmd,
        { valid: true, verdict: "UNPINNED", receipt },
        `UNPINNED receipt: the signature verifies with the key in ${receiptPublicKeyFile(config.dataDir)}, but nothing shows that key is the site's (anyone who can write that directory could have replaced it): pass --trust site-trust.json. ${what}`,
      );
      process.exitCode = EXIT.UNPINNED;
    });
}
