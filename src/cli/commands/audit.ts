/**
 * `audit`: re-verifies the whole ledger (src/service/audit/audit.ts) and prints every finding with the
 * event, epoch or anchor involved. A progress bar on a terminal (cli-progress, on stderr), plain
 * progress lines otherwise, none with --json. Exit 0 clean, 1 findings, 3 chain unreachable (after
 * every local check was done and reported).
 */
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { openLedger } from "../../service/app/ledger";
import { openReadChain } from "../../service/app/chain-context";
import { auditLedger, auditChainOf, AuditReport } from "../../service/audit/audit";
import { readDeployment } from "../../chain/deploy";
import { ChainError } from "../../chain/errors";
import { ledgerIdOf } from "../../chain/contract";
import { currentPin } from "../../store/pin-store";
import { configOf, jsonOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

interface Bar {
  start(total: number, value: number): void;
  update(value: number): void;
  setTotal(total: number): void;
  stop(): void;
}
// cli-progress ships no types; this is the part of its SingleBar API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cliProgress = require("cli-progress") as {
  SingleBar: new (opts: object, preset: object) => Bar;
  Presets: { shades_classic: object };
};

/** The progress reporter: a bar on a terminal, a line per tenth otherwise. */
function progressOf(quiet: boolean): { onProgress?: (done: number, total: number) => void; stop(): void } {
  if (quiet) return { stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: "audit [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left",
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      onProgress(done, total) {
        if (!started) bar.start(Math.max(total, done), 0);
        started = true;
        bar.setTotal(Math.max(total, done));
        bar.update(done);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let nextTenth = 1;
  return {
    onProgress(done, total) {
      if (total > 0 && done * 10 >= nextTenth * total) {
        process.stderr.write(`audit: ${done}/${total} events checked (${Math.floor((done * 100) / total)}%)\n`);
        nextTenth = Math.floor((done * 10) / total) + 1;
      }
    },
    stop() {},
  };
}

/** The report for people. */
export function auditText(r: AuditReport): string {
  const what = `${r.events} events, ${r.epochs} epochs, ${r.anchors} anchors`;
  const chain =
    r.chain === "checked"
      ? "chain checked"
      : r.chain === "unreachable"
        ? `CHAIN UNREACHABLE, chain checks not done: ${r.chainError}`
        : r.chain === "nothing-anchored"
          ? "nothing sealed, no chain check needed"
          : `chain checks skipped: ${r.chainError ?? "no chain"}`;
  const head = r.findings.length
    ? `AUDIT FAILED: ${r.findings.length} finding${r.findings.length === 1 ? "" : "s"} in ${what}; ${chain}`
    : r.chain === "unreachable"
      ? `AUDIT INCOMPLETE: local checks clean over ${what}; ${chain}`
      : `AUDIT CLEAN: ${what}; ${chain}`;
  const lines = r.findings.map((f) => `  ${f.code} ${f.message}`);
  return [
    head,
    ...lines,
    `local checks: ${r.localMs} ms, ${r.eventsPerSecond} events/s; ${r.receiptGroups} receipt groups checked`,
  ].join("\n");
}

function workersOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CliExit(EXIT.USAGE, `--workers: want an integer 1..64, got ${String(v)}`);
  return n;
}

/** Registers `audit`. */
export function auditCommand(): Command {
  return new Command("audit")
    .description(
      "re-verify the whole ledger: every event, sequence, batch chain, receipt group, epoch tree and root, and every anchor on chain",
    )
    .option("--offline", "skip the chain checks (and say so)")
    .option("--contract <address>", "anchor contract on an external chain (LEDGER_CONTRACT)")
    .option("--ledger <name>", "ledger name on an external chain (LEDGER_NAME)")
    .option(
      "--workers <n>",
      "threads for the local checks, one range of epochs each: this one and n-1 workers (default 1)",
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const config = configOf(cmd, opts);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      let provider: JsonRpcProvider | undefined;
      const progress = progressOf(jsonOf(cmd));
      try {
        const d = readDeployment(config.dataDir);
        // The chain checks ask the pinned contract (never what deployment.json or a flag says,
        // which the pin checks compare instead); an unpinned ledger falls back to them.
        const pin = currentPin(ledger.db);
        if (pin && config.contract && config.contract.toLowerCase() !== pin.contract.toLowerCase()) {
          throw new CliExit(
            EXIT.USAGE,
            `--contract ${config.contract}: this ledger is pinned to contract ${pin.contract} (chain ${pin.chainId}, ledger ${pin.ledgerName})`,
          );
        }
        const contract = pin?.contract ?? config.contract ?? d?.contract;
        const skipped = opts.offline
          ? "--offline"
          : !contract && !config.rpcUrl
            ? "no chain set up in this data directory and no --rpc/--contract given"
            : undefined;
        const report = await auditLedger(ledger, {
          onProgress: progress.onProgress,
          progressEvery: 1000,
          workers: workersOf(opts.workers),
          deployment: d,
          chainSkipped: skipped,
          chain: skipped
            ? undefined
            : async () => {
                if (!contract)
                  throw new ChainError(
                    "CHAIN_NOT_CONFIGURED",
                    "no anchor contract known for this data directory: pass --contract or set LEDGER_CONTRACT",
                  );
                const ledgerId = pin?.ledgerId ?? (d ? d.ledgerId : ledgerIdOf(config.ledgerName));
                const chainId = pin?.chainId ?? d?.chainId;
                provider = (
                  await openReadChain(
                    config.rpcUrl,
                    config.dataDir,
                    chainId ? BigInt(chainId) : undefined,
                    config.chainPort,
                  )
                ).provider;
                return auditChainOf(provider, contract, ledgerId);
              },
        });
        progress.stop();
        output(cmd, report, auditText(report));
        process.exitCode = report.findings.length ? EXIT.FAILED : report.chain === "unreachable" ? EXIT.IO : EXIT.OK;
      } finally {
        progress.stop();
        provider?.destroy();
        ledger.close();
      }
    });
}
