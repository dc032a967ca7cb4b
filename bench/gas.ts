/**
 * Gas benchmark: on a fresh embedded Anvil, the gas used by GxpAnchor.anchor for the first epoch and
 * in steady state (epochs of EPOCH_SIZE events), and per event; next to two references deployed on the
 * same chain (bench/contracts/, compiled here with the solc-js build and the exact settings of the
 * GxpAnchor artifact's build-info, outside contracts/ so the deployed artifact is unchanged):
 *   - PerRecordAnchor: one storage slot + one event per event (per-record anchoring), one record per
 *     transaction and RECORDS_PER_TX records per transaction;
 *   - EventOnlyAnchor: the same epoch fields as one event, no storage (the floor).
 * Gas is each mined transaction's receipt gasUsed (21,000 intrinsic and calldata included).
 *
 * Usage: ts-node bench/gas.ts [--runs 5] [--epoch-size 10000]
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ContractFactory, Contract, TransactionResponse } from "ethers";
import { deployLedger } from "../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../src/chain/dev-keys";
import { anchorContract } from "../src/chain/contract";
import { startLocalChain } from "../test/helpers/local-chain";
import { flag, fmt, summarise, Summary, runStandalone } from "./lib/stats";

/** Records per transaction in the batched per-record reference. */
export const RECORDS_PER_TX = 100;

/** Gas figures. */
export interface GasFigures {
  epochSize: number;
  anchorFirst: number;
  anchorSteady: Summary;
  anchorPerEvent: number;
  eventOnlyFirst: number;
  eventOnlySteady: Summary;
  eventOnlyPerEvent: number;
  perRecordSingleTx: Summary;
  perRecordBatched: Summary;
  compiler: string;
}

interface Compiled {
  abi: unknown[];
  bytecode: string;
}

/** Compiles bench/contracts/*.sol with solc-js and the GxpAnchor build's own settings. */
export function compileReferences(): { contracts: Record<string, Compiled>; compiler: string } {
  const root = path.resolve(__dirname, "..");
  const dbg = JSON.parse(
    fs.readFileSync(path.join(root, "artifacts/contracts/GxpAnchor.sol/GxpAnchor.dbg.json"), "utf8"),
  ) as { buildInfo: string };
  const info = JSON.parse(
    fs.readFileSync(path.resolve(root, "artifacts/contracts/GxpAnchor.sol", dbg.buildInfo), "utf8"),
  ) as {
    solcLongVersion: string;
    input: { settings: Record<string, unknown> };
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string; compile(input: string): string };
  if (!info.solcLongVersion.startsWith(solc.version().split("+")[0]))
    throw new Error(`solc-js ${solc.version()} is not the compiler of GxpAnchor (${info.solcLongVersion})`);
  const dir = path.join(__dirname, "contracts");
  const sources = Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".sol"))
      .map((f) => [f, { content: fs.readFileSync(path.join(dir, f), "utf8") }]),
  );
  const settings = { ...info.input.settings, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } };
  const out = JSON.parse(solc.compile(JSON.stringify({ language: "Solidity", sources, settings }))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contracts: Record<string, Compiled> = {};
  for (const file of Object.values(out.contracts))
    for (const [name, c] of Object.entries(file))
      contracts[name] = { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
  const { outputSelection: _o, ...used } = info.input.settings;
  return { contracts, compiler: `solc-js ${solc.version()}, ${JSON.stringify(used)}` };
}

const rnd32 = () => "0x" + crypto.randomBytes(32).toString("hex");

async function gasOf(tx: Promise<TransactionResponse>): Promise<number> {
  const r = await (await tx).wait(1);
  if (!r || r.status !== 1) throw new Error("transaction failed");
  return Number(r.gasUsed);
}

/** Runs the gas benchmark on a fresh embedded chain. */
export async function benchGas(runs: number, epochSize = 10_000): Promise<GasFigures> {
  const { contracts, compiler } = compileReferences();
  const lc = await startLocalChain(20);
  try {
    const provider = lc.provider;
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    const anchorer = devWallet(DEV_ACCOUNT.anchorer, provider);
    const d = await deployLedger(admin, anchorer.address, "bench-gas");
    const gx = anchorContract(d.contract, anchorer).raw;
    const deploy = async (name: string): Promise<Contract> => {
      const c = await new ContractFactory(contracts[name].abi as never, contracts[name].bytecode, admin).deploy();
      await c.waitForDeployment();
      return c as Contract;
    };
    const eventOnly = await deploy("EventOnlyAnchor");
    const perRecord = await deploy("PerRecordAnchor");

    const anchorGas: number[] = [];
    const eventOnlyGas: number[] = [];
    for (let e = 0; e <= runs; e++) {
      const args = [d.ledgerId, e, rnd32(), epochSize, e * epochSize] as const;
      anchorGas.push(await gasOf(gx.anchor(...args)));
      eventOnlyGas.push(await gasOf(eventOnly.connect(admin).getFunction("anchor")(...args)));
    }
    const single: number[] = [];
    const batched: number[] = [];
    for (let r = 0; r < runs; r++) {
      single.push(await gasOf(perRecord.getFunction("anchorRecord")(rnd32())));
      batched.push(
        (await gasOf(perRecord.getFunction("anchorRecords")(Array.from({ length: RECORDS_PER_TX }, rnd32)))) /
          RECORDS_PER_TX,
      );
    }
    const anchorSteady = summarise(anchorGas.slice(1));
    const eventOnlySteady = summarise(eventOnlyGas.slice(1));
    return {
      epochSize,
      anchorFirst: anchorGas[0],
      anchorSteady,
      anchorPerEvent: Math.round((anchorSteady.median / epochSize) * 100) / 100,
      eventOnlyFirst: eventOnlyGas[0],
      eventOnlySteady,
      eventOnlyPerEvent: Math.round((eventOnlySteady.median / epochSize) * 100) / 100,
      perRecordSingleTx: summarise(single),
      perRecordBatched: summarise(batched),
      compiler,
    };
  } finally {
    await lc.stop();
  }
}

/** Human-readable lines of the gas figures. */
export function gasLines(g: GasFigures): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    `gas GxpAnchor.anchor: first ${n(g.anchorFirst)}, steady state ${fmt(g.anchorSteady, "gas")}; per event at ${n(g.epochSize)}-event epochs ${g.anchorPerEvent}`,
    `  reference event-only anchor (floor): first ${n(g.eventOnlyFirst)}, steady ${fmt(g.eventOnlySteady, "gas")}; per event ${g.eventOnlyPerEvent}`,
    `  reference per-record anchoring (1 slot + 1 event per event): one record per tx ${fmt(g.perRecordSingleTx, "gas/event")}; ${RECORDS_PER_TX} per tx ${fmt(g.perRecordBatched, "gas/event")}`,
    `  compiled with ${g.compiler}`,
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runStandalone(() => benchGas(Number(flag(argv, "runs", "5")), Number(flag(argv, "epoch-size", "10000"))), gasLines);
}
