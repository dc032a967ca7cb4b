/**
 * verify-batch benchmark (issue 4: a 10,000-event batch spread over 20 epochs in under 2 s): a
 * generated batch record padded to N events, interleaved with another batch's events, sealed into 20
 * epochs and anchored on the embedded chain (Anvil). Timed: the whole review in this process
 * (every record re-hashed, every leaf and audit path, deletion check, 20 anchors checked on chain,
 * batch chain, signatures, checklist), and the real CLI `verify-batch --json` end to end (process
 * start and chain connection included). Medians of RUNS runs with min-max; the reference in the same
 * run is the bare cost of reading the batch's rows and hashing each record once.
 * Usage: ts-node bench/batch.ts [events=10000] [runs=5] (the CLI part needs `npm run build`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger } from "../src/service/app/ledger";
import { verifyBatch } from "../src/service/batch/batch-verify";
import { startEmbeddedChain } from "../src/chain/embedded-chain";
import { connect } from "../src/chain/provider";
import { deployLedger } from "../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../src/chain/dev-keys";
import { anchorContract } from "../src/chain/contract";
import { createAnchorer } from "../src/chain/anchorer";
import { providerTransport } from "../src/chain/verify-anchor";
import { leafHashOfText } from "../src/crypto/node-hasher";
import { generateBatch } from "../test/helpers/batch-fixture";
import { sampleEvents } from "../test/helpers/events";
import { median } from "./lib/stats";

const N = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 5);
const EPOCHS = 20;

const fmt = (xs: number[]) =>
  `${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))}, ${xs.length} runs)`;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-bench-batch-"));
  const chain = await startEmbeddedChain({ dataDir: dir, port: 0 });
  try {
    const { provider, chainId } = await connect(chain.rpcUrl, { pollingIntervalMs: 50 });
    const anchorerWallet = devWallet(DEV_ACCOUNT.anchorer, provider);
    const d = await deployLedger(devWallet(DEV_ACCOUNT.admin, provider), anchorerWallet.address, "bench-batch");
    const fx = generateBatch({ batchId: "B-BENCH-10K", events: N, start: new Date(Date.now() - 3 * 86_400_000) });
    const other = sampleEvents(Math.ceil(fx.events.length / 10), "B-OTHER").map((e, i) => ({
      ...e,
      source: "urn:mes:bench:line2",
      sourceSequence: i + 1,
    }));
    const total = fx.events.length + other.length;
    const ledger = openLedger(dir, { maxEvents: Math.ceil(total / EPOCHS), maxAgeMs: 60_000 });
    const t0 = performance.now();
    for (let i = 0; i < fx.events.length; i += 500) {
      ledger.events.append(fx.events.slice(i, i + 500));
      ledger.events.append(other.slice(i / 10, i / 10 + 50));
    }
    while (ledger.sealer.seal(new Date()));
    const loadMs = performance.now() - t0;
    await createAnchorer({
      epochs: ledger.epochs,
      contract: anchorContract(d.contract, anchorerWallet),
      signer: anchorerWallet,
      provider,
      chainId,
      ledgerId: d.ledgerId,
      confirmations: 1,
    }).anchorPending();

    const inProcess: number[] = [];
    const reference: number[] = [];
    let epochs = 0;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const report = await verifyBatch(ledger, "B-BENCH-10K", {
        confirmations: 1,
        chain: async () => providerTransport(provider),
      });
      inProcess.push(performance.now() - t);
      if (!report || report.verdict !== "PASS" || report.events !== fx.events.length)
        throw new Error(
          `unexpected verdict ${report?.verdict}: ${JSON.stringify(report?.integrity.findings.slice(0, 2))}`,
        );
      epochs = report.anchoring.epochs.length;
      const u = performance.now();
      const rows = ledger.db
        .prepare("SELECT record, leaf_hash FROM events WHERE batch_id = ? ORDER BY batch_seq")
        .raw()
        .all("B-BENCH-10K") as [string, Buffer][];
      for (const [text, leaf] of rows) if (!leafHashOfText(text).equals(leaf)) throw new Error("leaf mismatch");
      reference.push(performance.now() - u);
    }
    ledger.close();
    const cli: number[] = [];
    const bin = path.resolve(__dirname, "../bin/gxp-ledger.js");
    const built = fs.existsSync(path.resolve(__dirname, "../dist/cli/main.js"));
    for (let r = 0; built && r < RUNS; r++) {
      const t = performance.now();
      const out = spawnSync(
        process.execPath,
        [
          bin,
          "--data-dir",
          dir,
          "--rpc",
          chain.rpcUrl,
          "--json",
          "verify-batch",
          "B-BENCH-10K",
          "--confirmations",
          "1",
        ],
        { encoding: "utf8", maxBuffer: 1 << 28 },
      );
      cli.push(performance.now() - t);
      if (out.status !== 0) throw new Error(`verify-batch exited ${out.status}: ${out.stderr}`);
    }
    provider.destroy();
    console.log(
      `node ${process.version}, ${os.cpus().length} x ${os.cpus()[0].model}, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
    );
    console.log(
      `batch of ${fx.events.length} events (+ ${other.length} of another batch) in ${epochs} epochs, anchored on Anvil; loaded and sealed in ${Math.round(loadMs)} ms`,
    );
    console.log(`verifyBatch in process (integrity + 20 chain anchors + checklist): ${fmt(inProcess)}`);
    console.log(`reference, same run: reading the batch's rows and hashing each record once: ${fmt(reference)}`);
    if (built)
      console.log(`gxp-ledger verify-batch --json (process start, chain connection, JSON output): ${fmt(cli)}`);
    else console.log("CLI not built: run `npm run build` for its figure");
  } finally {
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
