/**
 * Other EVM implementations than the embedded Anvil, started as child processes on a free loopback
 * port for the chain-independence tests: Hardhat's node (EDR, built on revm) and Ganache (built on
 * ethereumjs, not revm). DEVELOPMENT KEYS ONLY: both are given Hardhat's public test mnemonic.
 *
 * Both mine a block every second, with no block per transaction (automine off), like a real chain
 * with a block time: a transaction waits for the next block, and confirmations grow with time.
 */
import { spawn, ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { DEV_MNEMONIC_PUBLIC } from "../../src/chain/dev-keys";

const ROOT = path.resolve(__dirname, "../..");

/** A running node. */
export interface EvmNode {
  name: string;
  /** The execution engine underneath, for the report. */
  engine: string;
  rpcUrl: string;
  chainId: bigint;
  /** web3_clientVersion. */
  clientVersion: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** How to start one implementation. */
export interface EvmNodeKind {
  name: string;
  engine: string;
  chainId: bigint;
  /** What its web3_clientVersion says. */
  clientVersion: RegExp;
  /** The line it prints once its own socket listens on `port`: another node that took the port is not taken for it. */
  listening(port: number): RegExp;
  /** node arguments (script and flags) for a node on 127.0.0.1:port. */
  args(port: number): string[];
  /** JSON-RPC calls to make once it answers (e.g. to switch to interval mining). */
  setup?: { method: string; params: unknown[] }[];
}

/** Block time of the test chains, in ms. */
export const BLOCK_TIME_MS = 1000;

/** Hardhat 2's node: EDR, on revm. Chain id 31337 (from the Hardhat defaults; hardhat.config.ts sets none). */
export const HARDHAT_NODE: EvmNodeKind = {
  name: "hardhat-node",
  engine: "EDR (revm)",
  chainId: 31337n,
  clientVersion: /^HardhatNetwork\//,
  listening: (port) => new RegExp(`^Started HTTP and WebSocket JSON-RPC server at http://127\\.0\\.0\\.1:${port}/`),
  args: (port) => [
    require.resolve("hardhat/internal/cli/bootstrap.js"),
    "node",
    "--hostname",
    "127.0.0.1",
    "--port",
    String(port),
  ],
  // Hardhat's node has no block-time flag: interval mining is switched on over RPC.
  setup: [
    { method: "evm_setAutomine", params: [false] },
    { method: "evm_setIntervalMining", params: [BLOCK_TIME_MS] },
  ],
};

/** Ganache 7: ethereumjs. Its default chain id 1337, unlike Anvil's and Hardhat's 31337. */
export const GANACHE: EvmNodeKind = {
  name: "ganache",
  engine: "ethereumjs",
  chainId: 1337n,
  clientVersion: /^Ganache\//,
  listening: (port) => new RegExp(`^RPC Listening on 127\\.0\\.0\\.1:${port}$`),
  args: (port) => [
    require.resolve("ganache/dist/node/cli.js"),
    "--server.host",
    "127.0.0.1",
    "--server.port",
    String(port),
    "--chain.hardfork",
    "shanghai", // PUSH0: the contract is compiled for shanghai
    "--chain.chainId",
    "1337",
    "--wallet.mnemonic",
    DEV_MNEMONIC_PUBLIC,
    "--wallet.totalAccounts",
    "5",
    "--miner.blockTime",
    String(BLOCK_TIME_MS / 1000),
    "--logging.quiet",
  ],
};

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One JSON-RPC call; rejects on an error answer. */
export async function rpc(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `kind` on a free loopback port and waits until it answers as itself (60 s at most). The port
 * is free when picked but may be taken before the node binds it: then another port is tried.
 * Its stdout is read for the listening line only and never kept: both print the development private
 * keys in their start banner.
 */
export async function startEvmNode(kind: EvmNodeKind): Promise<EvmNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind, await freePort());
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 3) throw e;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(kind: EvmNodeKind, port: number): Promise<EvmNode> {
  const rpcUrl = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(process.execPath, kind.args(port), {
    cwd: ROOT,
    // Hardhat colours its output when CI is set (picocolors), even into a pipe: ask for none, and strip
    // any escape codes that still come, before matching the listening line.
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let listening = false;
  const listeningLine = kind.listening(port);
  readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
    if (listeningLine.test(stripVTControlCharacters(line).trim())) listening = true;
  });
  const stderr: string[] = [];
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => {
    stderr.push(...d.split("\n").filter(Boolean));
    stderr.splice(0, stderr.length - 20);
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const stop = async () => {
    if (!alive()) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  let clientVersion = "";
  while (!listening || !kind.clientVersion.test(clientVersion)) {
    if (!alive()) {
      await new Promise((r) => setTimeout(r, 100)); // let the last stderr chunk arrive
      const why = stderr.slice(-5).join(" | ");
      if (/EADDRINUSE|address already in use/i.test(why)) throw new PortTaken(why);
      throw new Error(`${kind.name} exited (${proc.exitCode ?? proc.signalCode}) before answering: ${why}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${kind.name} did not answer on ${rpcUrl} within 60 s: ${stderr.slice(-5).join(" | ")}`);
    }
    if (listening) clientVersion = await rpc(rpcUrl, "web3_clientVersion", [], 1000).then(String, () => "");
    if (!listening || !kind.clientVersion.test(clientVersion)) await sleep(200);
  }
  try {
    const id = BigInt((await rpc(rpcUrl, "eth_chainId")) as string);
    if (id !== kind.chainId) throw new Error(`${kind.name} on ${rpcUrl} answered chain id ${id}, want ${kind.chainId}`);
    for (const c of kind.setup ?? []) await rpc(rpcUrl, c.method, c.params);
    return { name: kind.name, engine: kind.engine, rpcUrl, chainId: kind.chainId, clientVersion, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
