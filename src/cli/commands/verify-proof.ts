/**
 * `verify-proof <file>`: verifies a proof bundle with only the bundle and the chain, never the
 * database. Each step is named; the first that fails says why. Exit 0 verified, 1 failed, 2 bad
 * usage, 3 chain unreachable, 75 anchor not yet final.
 */
import fs from "node:fs";
import { Command } from "commander";
import { isCoreError, verifyBundle, bundleFromJSON, AnchorClaim } from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { verifyAnchorOnChain } from "../../chain/verify-anchor";
import { ChainError } from "../../chain/errors";
import { openReadChain } from "../../service/chain-context";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `verify-proof`. */
export function verifyProofCommand(): Command {
  return new Command("verify-proof")
    .description("verify a proof bundle against the chain, without the ledger's database")
    .argument("<file>", "proof bundle (JSON)")
    .option("--offline", "check everything except the chain")
    .option("--onchain", "also ask the contract's own verifyInclusion view")
    .option("--confirmations <n>", "confirmations required", "1")
    .action(async (file: string, opts: { offline?: boolean; onchain?: boolean; confirmations: string }, cmd: Command) => {
      const config = configOf(cmd);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read ${file}: ${(e as Error).message}`);
      }
      const steps: { step: string; ok: boolean; detail: string }[] = [];
      const report = (verdict: string, code: number) => {
        const lines = [verdict, ...steps.map((s) => `  ${s.ok ? "ok  " : "FAIL"} ${s.step}: ${s.detail}`)];
        output(cmd, { verdict: verdict.split(" ")[0], steps }, lines.join("\n"));
        process.exitCode = code;
      };
      let claim: AnchorClaim;
      try {
        claim = verifyBundle(text, nodeHasher);
      } catch (e) {
        if (!isCoreError(e)) throw e;
        const step = { PROOF_SCHEMA_INVALID: "schema", PROOF_LEAF_MISMATCH: "leaf hash", PROOF_ROOT_MISMATCH: "audit path" }[e.code as string] ?? "audit path";
        steps.push({ step, ok: false, detail: `${e.code}: ${e.message}` });
        return report(`FAIL ${file}: ${step} check failed`, EXIT.FAILED);
      }
      const b = bundleFromJSON(text);
      steps.push({ step: "schema", ok: true, detail: b.mediaType });
      steps.push({ step: "leaf hash", ok: true, detail: `record of event ${b.record.event.id} (seq ${b.record.seq}) hashes to ${b.leafHash}` });
      steps.push({ step: "audit path", ok: true, detail: `leaf ${b.leafIndex} of ${b.treeSize} leads to root ${b.root}` });
      if (opts.offline) {
        steps.push({ step: "chain", ok: false, detail: "NOT CHECKED (--offline): the root is not yet shown to be anchored" });
        return report(`OFFLINE-OK ${file}: the bundle is internally consistent; its anchor on chain ${b.anchor.chainId} was NOT checked`, EXIT.OK);
      }
      const { provider } = await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort);
      try {
        const v = await verifyAnchorOnChain(provider, claim, {
          confirmations: Number(opts.confirmations),
          onchain: opts.onchain ? { leafHash: b.leafHash, leafIndex: b.leafIndex, auditPath: b.auditPath } : undefined,
        });
        steps.push({ step: "anchor", ok: true, detail: `contract ${v.contract} on chain ${v.chainId} holds root ${b.root} and size ${b.treeSize} for epoch ${b.epoch} of ledger ${b.anchor.ledgerName}` });
        steps.push({ step: "block", ok: true, detail: `tx ${b.anchor.txHash} is in block ${v.blockNumber} ${v.blockHash}, ${v.confirmations} confirmations` });
        if (opts.onchain) {
          steps.push({ step: "on-chain inclusion", ok: !!v.onchainInclusion, detail: v.onchainInclusion ? "contract verifyInclusion returned true" : "contract verifyInclusion returned false" });
          if (!v.onchainInclusion) return report(`FAIL ${file}: the contract's verifyInclusion disagrees`, EXIT.FAILED);
        }
        return report(`PASS ${file}: event ${b.record.event.id} is included in epoch ${b.epoch}, anchored on chain ${v.chainId}`, EXIT.OK);
      } catch (e) {
        if (e instanceof ChainError && e.code !== "CHAIN_UNREACHABLE") {
          steps.push({ step: e.code === "CHAIN_ID_MISMATCH" ? "chain id" : "anchor", ok: false, detail: `${e.code}: ${e.message}` });
          return report(`FAIL ${file}: ${e.message}`, e.code === "PROOF_NOT_FINAL" ? EXIT.RETRY : e.code === "CHAIN_ID_MISMATCH" ? EXIT.USAGE : EXIT.FAILED);
        }
        throw e;
      } finally {
        provider.destroy();
      }
    });
}
