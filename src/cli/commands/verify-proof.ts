/**
 * `verify-proof <file>`: verifies a proof bundle with only the bundle and the chain, never the
 * database. Each step is named; the first that fails says why. `--rpc` may be given several times:
 * every endpoint is asked and all must agree. Exit 0 verified (or, with --offline, internally
 * consistent), 1 failed, 2 bad usage or a chain with another id, 3 chain unreachable, 75 anchor not
 * yet final.
 */
import fs from "node:fs";
import { Command } from "commander";
import { ProofReport, verifyProofOffline } from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { verifyProofOnRpcUrls } from "../../chain/verify-anchor";
import { readDeployment } from "../../chain/deploy";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/**
 * Every `--rpc URL` / `--rpc=URL` on the command line, in order. The root command owns `--rpc` as a
 * single-valued global option (last wins); verify-proof wants them all.
 */
export function rpcUrlsOf(argv: readonly string[]): string[] {
  const urls: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (argv[i] === "--rpc" && i + 1 < argv.length) urls.push(argv[++i]);
    else if (argv[i].startsWith("--rpc=")) urls.push(argv[i].slice("--rpc=".length));
  }
  return urls;
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** Registers `verify-proof`. */
export function verifyProofCommand(): Command {
  return new Command("verify-proof")
    .description("verify a proof bundle against the chain, without the ledger's database; --rpc may be repeated: all endpoints must agree")
    .argument("<file>", "proof bundle (JSON)")
    .option("--offline", "check everything except the chain")
    .option("--onchain", "also ask the contract's own verifyInclusion view")
    .option("--confirmations <n>", "confirmations required", "1")
    .action(async (file: string, opts: { offline?: boolean; onchain?: boolean; confirmations: string }, cmd: Command) => {
      const config = configOf(cmd);
      const confirmations = Number(opts.confirmations);
      if (!Number.isSafeInteger(confirmations) || confirmations < 1) throw new CliExit(EXIT.USAGE, `--confirmations ${opts.confirmations}: want a positive integer`);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read ${file}: ${(e as Error).message}`);
      }
      // commander keeps the full command line on the root; it is not in its typings.
      let urls = rpcUrlsOf((rootOf(cmd) as unknown as { rawArgs: string[] }).rawArgs);
      if (urls.length === 0) urls = [config.rpcUrl ?? (readDeployment(config.dataDir)?.rpcUrl || `http://127.0.0.1:${config.chainPort}`)];

      const r: ProofReport = opts.offline
        ? verifyProofOffline(text, nodeHasher)
        : await verifyProofOnRpcUrls(text, urls, { hasher: nodeHasher, confirmations, onchain: opts.onchain });
      const b = r.checked?.bundle;
      const failed = r.steps.find((s) => !s.ok);
      let verdict: string;
      let code: number;
      switch (r.verdict) {
        case "PASS":
          verdict = `PASS ${file}: event ${b!.record.event.id} is included in epoch ${b!.epoch}, anchored on chain ${b!.anchor.chainId}${urls.length > 1 ? ` (${urls.length} endpoints agree)` : ""}`;
          code = EXIT.OK;
          break;
        case "OFFLINE-OK":
          r.steps.push({ step: "anchor", ok: false, detail: "NOT CHECKED (--offline): the root is not yet shown to be anchored" });
          verdict = `OFFLINE-OK ${file}: the bundle is internally consistent; its anchor on chain ${b!.anchor.chainId} was NOT checked`;
          code = EXIT.OK;
          break;
        case "NOT-FINAL":
          verdict = `NOT-FINAL ${file}: ${failed!.detail}`;
          code = EXIT.RETRY;
          break;
        case "UNREACHABLE":
          verdict = `UNREACHABLE ${file}: ${failed!.detail}`;
          code = EXIT.IO;
          break;
        default:
          verdict = `FAIL ${file}: ${failed!.step} check failed: ${failed!.detail}`;
          code = failed!.code === "CHAIN_ID_MISMATCH" ? EXIT.USAGE : EXIT.FAILED;
      }
      const lines = [verdict, ...r.steps.map((s) => `  ${s.ok ? "ok  " : "FAIL"} ${s.step}: ${s.detail}`)];
      output(cmd, { verdict: r.verdict, steps: r.steps }, lines.join("\n"));
      process.exitCode = code;
    });
}
