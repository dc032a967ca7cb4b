/**
 * `key new` writes a new account key (the anchorer's, the ledger admin's) to an encrypted JSON keystore
 * and prints only its address. `key show` and `key rotate`: the ledger key (it signs receipts, epoch checkpoints and package
 * manifests). `rotate` keeps the old key in keys/retired/<keyId>.pem, makes a new one, records the
 * rotation (ledger_keys and a security event) and registers the new key id on chain when the chain
 * can be reached (else the next `serve` start does). Run it with the service stopped: the service
 * holds the key it started with. The private key is never printed.
 */
import fs from "node:fs";
import { Command } from "commander";
import { openLedger } from "../../service/app/ledger";
import { rotateLedgerKey } from "../../service/security/ledger-key";
import { createSecurityRecorder, cliActor } from "../../service/security/security";
import { openAnchoringChainForCli } from "../../service/app/chain-context";
import { keyRegistrar, registerLedgerKeyOnChain } from "../../service/security/ledger-pin";
import { currentPin, keyRegistrations, ledgerKeys } from "../../store/pin-store";
import { leaseHolder, createLease } from "../../store/lease";
import { safeErrorMessage } from "../../chain/provider";
import { configOf, jsonOf, output } from "../context";
import { passwordOf, writeNewKeystore } from "../../chain/keystore";
import { CliExit, EXIT } from "../exit";

/** Registers `key` with its subcommands. */
export function keyCommand(): Command {
  const key = new Command("key").description(
    "the ledger key: show it, rotate it with a recorded rotation; new account keys in encrypted keystores",
  );

  key
    .command("show")
    .description("show the ledger keys: key id, public key (PEM), validity, on-chain registration")
    .action((_opts: Record<string, unknown>, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      try {
        const keys = ledgerKeys(ledger.db);
        const view = keys.map((k, i) => ({
          keyId: k.keyId,
          current: i === keys.length - 1,
          validFrom: k.validFrom,
          validUntil: keys[i + 1]?.validFrom ?? null,
          rotatedFrom: k.rotatedFrom,
          reason: k.reason,
          publicKeyPem: k.publicKeyPem,
          registrations: keyRegistrations(ledger.db, k.keyId).map((r) => ({
            txHash: r.txHash,
            blockNumber: r.blockNumber,
            chainId: r.chainId,
            contract: r.contract,
            registeredAt: r.registeredAt,
          })),
        }));
        const text = view.length
          ? view
              .map((k) =>
                [
                  `${k.current ? "current" : "retired"} key ${k.keyId}`,
                  `  valid from ${k.validFrom}${k.validUntil ? ` until ${k.validUntil}` : ""}${k.rotatedFrom ? `; rotated from ${k.rotatedFrom}${k.reason ? ` (${k.reason})` : ""}` : ""}`,
                  k.registrations.length
                    ? k.registrations
                        .map(
                          (r) =>
                            `  registered on chain ${r.chainId}, contract ${r.contract}: tx ${r.txHash} (block ${r.blockNumber})`,
                        )
                        .join("\n")
                    : "  not registered on chain yet (the next serve start registers it)",
                  k.publicKeyPem.trimEnd(),
                ].join("\n"),
              )
              .join("\n\n")
          : "no ledger key recorded yet: the first start of the service (or the first seal) records it";
        output(cmd, { ledger: ledger.name, keys: view }, text);
      } finally {
        ledger.close();
      }
    });

  key
    .command("rotate")
    .description(
      "replace the ledger key with a new one, keeping the old one in keys/retired/ (run with the service stopped)",
    )
    .option("--reason <text>", "why the key is rotated (recorded)", "rotation by the administrator")
    .option(
      "--allow-unanchored",
      "rotate although sealed epochs are not anchored yet (their proofs then fail the old key's validity)",
    )
    .action(async (opts: { reason: string; allowUnanchored?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      // The service holds the anchorer lease while it runs, and signs with the key it started with.
      const lease = createLease(ledger.db, "anchorer", leaseHolder("cli"), 60_000);
      let text: string[];
      let result: Record<string, unknown>;
      try {
        if (!lease.acquire())
          throw new CliExit(
            EXIT.USAGE,
            "the service is running (it holds the anchorer lease and signs with the current key): stop it, then rotate the key",
          );
        // A checkpoint's key must be valid when its epoch is anchored (verifiers compare the key's
        // validity with the anchor block's time): sealed epochs are anchored before the key changes.
        const open = ledger.epochs.unconfirmed();
        if (open.length && !opts.allowUnanchored) {
          throw new CliExit(
            EXIT.USAGE,
            `${open.length} sealed epoch(s) (from epoch ${open[0].epoch}) are not yet anchored and final: their checkpoints are signed with the current key, and a proof checks that key's validity at the anchor's time; anchor them first (gxp-ledger anchor), then rotate. --allow-unanchored rotates anyway (for a compromised key: those epochs' proofs then fail the key's validity)`,
          );
        }
        const security = createSecurityRecorder(ledger, ledger.name);
        const r = rotateLedgerKey(ledger, config.dataDir, opts.reason, security, cliActor());
        text = [
          `rotated the ledger key: new key ${r.to.keyId}, valid from ${r.validFrom}${r.from ? `, replacing ${r.from}` : ""}`,
          r.retired ? `the old key file is kept in ${r.retired.file}` : "there was no key file to retire",
        ];
        result = {
          keyId: r.to.keyId,
          rotatedFrom: r.from ?? null,
          validFrom: r.validFrom,
          retiredFile: r.retired?.file ?? null,
          registration: null,
        };
        const pin = currentPin(ledger.db);
        if (pin) {
          try {
            const chain = await openAnchoringChainForCli(config, () => undefined);
            try {
              const reg = await registerLedgerKeyOnChain(ledger, pin, r.to.keyId, keyRegistrar(chain), security);
              text.push(`registered on chain ${pin.chainId}, contract ${pin.contract}: tx ${reg.txHash}`);
              result.registration = reg.txHash;
            } finally {
              await chain.close();
            }
          } catch (e) {
            text.push(`not registered on chain now (${safeErrorMessage(e)}): the next serve start registers it`);
          }
        } else text.push("the ledger is not pinned yet: the first serve start pins it and registers the key");
      } finally {
        lease.release();
        ledger.close();
      }
      output(cmd, result, text.join("\n"));
    });
  key
    .command("new")
    .description(
      "make a new account key in an encrypted JSON keystore (mode 600, never over an existing file) and print its address",
    )
    .requiredOption("-o, --output <file>", "the keystore file to write")
    .option("--password-file <file>", "the password (its first line); without one it is asked twice on the terminal")
    .action(async (opts: { output: string; passwordFile?: string }, cmd: Command) => {
      if (fs.existsSync(opts.output))
        throw new CliExit(EXIT.USAGE, `${opts.output} exists: a keystore is never overwritten`);
      const password = await passwordOf(
        { passwordFile: opts.passwordFile, what: `the new keystore ${opts.output}` },
        true,
      );
      const { address } = await writeNewKeystore(opts.output, password);
      // The address alone on stdout (ADDR=$(gxp-ledger key new …)); what was done on stderr.
      if (!jsonOf(cmd))
        process.stderr.write(
          `wrote an encrypted keystore to ${opts.output} (mode 600); keep its password apart from it\n`,
        );
      output(cmd, { file: opts.output, address }, address);
    });
  return key;
}
