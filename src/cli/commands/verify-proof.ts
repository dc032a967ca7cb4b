/**
 * `verify-proof <file>`: verifies a proof bundle with only the bundle, the chain and what the
 * inspector pins (the site's trust profile, `--trust`, or explicit `--contract/--ledger/--anchorer/
 * --ledger-key/--chain-id/--genesis`), never the database. Each step is named; the first that fails
 * says why. `--rpc` may be given several times: every endpoint is asked and all must agree.
 *
 * Exit 0 verified against the pin (or, with --offline, internally consistent), 1 failed (a pinned
 * value differs: named), 2 bad usage, a bad trust profile or a chain with another id, 3 chain
 * unreachable, 6 every check passed but contract, ledger, anchoring account or key was not pinned
 * (UNPINNED: not shown to be the site's ledger), 75 anchor not yet final.
 */
import fs from "node:fs";
import { Command } from "commander";
import { ProofReport, pinSummary, verifyProofOffline } from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { verifyProofOnRpcUrls } from "../../chain/verify-anchor";
import { readDeployment } from "../../chain/deploy";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";
import { PinFlags, addPinOptions, pinOf } from "../pin-options";

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

/** What the report says about the pin, for --json. */
function trustJson(r: ProofReport): unknown {
  const t = r.trust;
  if (!t) return null;
  const pin = t.pin;
  return {
    pinned: pin
      ? {
          source: pin.source,
          organisation: pin.organisation ?? null,
          site: pin.site ?? null,
          fingerprint: pin.fingerprint ?? null,
          chainId: pin.chainId ?? null,
          genesisHash: pin.genesisHash ?? null,
          contract: pin.contract ?? null,
          ledger: pin.ledgerName ?? null,
          anchorers: pin.anchorers?.map((a) => a.address) ?? [],
          keys: pin.keys?.map((k) => k.keyId) ?? [],
        }
      : null,
    matched: t.check.matched,
    unpinned: t.check.unpinned,
    problems: t.check.problems,
  };
}

/**
 * The verdict line and exit code of a report: PASS names whose ledger (organisation, site, ledger,
 * contract, anchoring account, key, profile fingerprint), UNPINNED what was proved and what was not
 * pinned, FAIL the step and its code. For OFFLINE-OK it appends the unchecked anchor step to the report.
 */
export function verdictOf(r: ProofReport, file: string, endpoints: number): { line: string; code: number } {
  const b = r.checked?.bundle;
  const failed = r.steps.find((s) => !s.ok);
  const pin = r.trust?.pin;
  switch (r.verdict) {
    case "PASS": {
      const who = [pin!.organisation, pin!.site].filter(Boolean).join(", ");
      return {
        line:
          `PASS ${file}: event ${b!.record.event.id} is included in epoch ${b!.epoch} of ledger ${b!.anchor.ledgerName}${who ? ` of ${who}` : ""}: ` +
          `contract ${b!.anchor.contract} on chain ${b!.anchor.chainId}, anchored by ${b!.anchor.anchorer}, signed by ledger key ${b!.checkpoint.keyId.slice(0, 16)}…` +
          `${pin!.fingerprint ? ` (trust profile ${pin!.fingerprint})` : " (pinned by the values given)"}${endpoints > 1 ? ` (${endpoints} endpoints agree)` : ""}`,
        code: EXIT.OK,
      };
    }
    case "UNPINNED":
      return {
        line:
          `UNPINNED ${file}: event ${b!.record.event.id} is unchanged and in epoch ${b!.epoch}, whose root is anchored in contract ${b!.anchor.contract} on chain ${b!.anchor.chainId} ` +
          `for ledger ${b!.anchor.ledgerName} by ${b!.anchor.anchorer} and signed by key ${b!.checkpoint.keyId.slice(0, 16)}…; ` +
          `NOT pinned: ${r.trust!.check.unpinned.join(", ")}, so this does NOT show that it is the site's ledger (give --trust site-trust.json)`,
        code: EXIT.UNPINNED,
      };
    case "OFFLINE-OK":
      r.steps.push({
        step: "anchor",
        ok: false,
        detail: "NOT CHECKED (--offline): the root is not yet shown to be anchored",
      });
      return {
        line:
          `OFFLINE-OK ${file}: the bundle is internally consistent${pin ? ` and its claims match the pin (${pin.source})` : ""}; ` +
          `its anchor on chain ${b!.anchor.chainId}${pin?.genesisHash ? " (and the chain's genesis block)" : ""} was NOT checked`,
        code: EXIT.OK,
      };
    case "NOT-FINAL":
      return { line: `NOT-FINAL ${file}: ${failed!.detail}`, code: EXIT.RETRY };
    case "UNREACHABLE":
      return { line: `UNREACHABLE ${file}: ${failed!.detail}`, code: EXIT.IO };
    default:
      return {
        line: `FAIL ${file}: ${failed!.step} check failed: ${failed!.detail}${failed!.code ? ` [${failed!.code}]` : ""}`,
        code: failed!.code === "CHAIN_ID_MISMATCH" ? EXIT.USAGE : EXIT.FAILED,
      };
  }
}

interface VerifyProofOpts extends PinFlags {
  offline?: boolean;
  onchain?: boolean;
  confirmations: string;
}

/** Registers `verify-proof`. */
export function verifyProofCommand(): Command {
  return addPinOptions(
    new Command("verify-proof")
      .description(
        "verify a proof bundle against the chain and the site's trust profile, without the ledger's database; --rpc may be repeated: all endpoints must agree",
      )
      .argument("<file>", "proof bundle (JSON)"),
  )
    .option("--offline", "check everything except the chain")
    .option("--onchain", "also ask the contract's own verifyInclusion view")
    .option("--confirmations <n>", "confirmations required", "1")
    .action(async (file: string, opts: VerifyProofOpts, cmd: Command) => {
      // --contract and --ledger are this command's pins, not the ledger's own configuration.
      const config = configOf(cmd, { contract: undefined, ledger: undefined });
      const confirmations = Number(opts.confirmations);
      if (!Number.isSafeInteger(confirmations) || confirmations < 1)
        throw new CliExit(EXIT.USAGE, `--confirmations ${opts.confirmations}: want a positive integer`);
      const pin = pinOf(opts);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot read ${file}: ${(e as Error).message}`);
      }
      // commander keeps the full command line on the root; it is not in its typings.
      let urls = rpcUrlsOf((rootOf(cmd) as unknown as { rawArgs: string[] }).rawArgs);
      if (urls.length === 0)
        urls = [config.rpcUrl ?? (readDeployment(config.dataDir)?.rpcUrl || `http://127.0.0.1:${config.chainPort}`)];

      const r: ProofReport = opts.offline
        ? verifyProofOffline(text, { hasher: nodeHasher, pin })
        : await verifyProofOnRpcUrls(text, urls, { hasher: nodeHasher, confirmations, onchain: opts.onchain, pin });
      const { line, code } = verdictOf(r, file, urls.length);
      const head = pin
        ? [`pinned: ${pinSummary(pin)}${pin.fingerprint ? "" : ` (${pin.source})`}`]
        : ["pinned: nothing (no --trust given)"];
      if (pin?.development) head.push("DEVELOPMENT ledger (embedded chain, public keys): never for GxP records");
      const lines = [
        line,
        ...head.map((h) => `  ${h}`),
        ...r.steps.map(
          (s) => `  ${s.ok ? "ok  " : "FAIL"} ${s.step}: ${s.detail}${!s.ok && s.code ? ` [${s.code}]` : ""}`,
        ),
      ];
      output(cmd, { verdict: r.verdict, exitCode: code, steps: r.steps, trust: trustJson(r) }, lines.join("\n"));
      process.exitCode = code;
    });
}
