/**
 * Embedded local EVM chain (Foundry Anvil) whose state survives restarts.
 *
 * When no chain is configured the ledger starts Anvil as a child process with
 * `--state <dataDir>/chain/anvil-state.json`, so the blocks, their hashes, the
 * transactions and receipts, and the account/contract state are reloaded on
 * the next start. A proof exported before a restart (tx hash, block number,
 * block hash) still verifies after the restart.
 *
 * Anvil flags used (anvil 1.7.1, from @foundry-rs/anvil):
 *   --host <host> --port <port>     default 127.0.0.1:8545 (port 0 = a free port picked here)
 *   --chain-id 31337
 *   --mnemonic "test test ... junk" Hardhat's PUBLIC test mnemonic (development keys only)
 *   --accounts 10
 *   --state <file>                  load the file if it exists, write it on SIGINT/SIGTERM
 *   --state-interval <s>            also rewrite the whole file every <s> seconds (default 1)
 *   -q                              when opts.log is not given (anvil 1.7.1 has no --silent).
 *                                   With opts.log, stdout is filtered: the start banner (private keys,
 *                                   mnemonic) and the per-request method-name lines are dropped;
 *                                   "Listening on", tx summaries and RPC errors are kept. stderr is
 *                                   always captured (last lines go into start errors).
 *   No --block-time: a block is mined per transaction, so an idle chain does not grow.
 *
 * Size: 6001 blocks (1001 with a transfer) gave a 12.5 MB state file, dumped in ~60-140 ms and loaded
 * in ~200 ms. Anvil rewrites the whole file every interval, even when idle, so a big chain with a
 * 1 s interval means constant disk writes; raise stateIntervalSeconds if that matters (the price is
 * a larger loss window on SIGKILL of anvil).
 *
 * What survives (measured with anvil 1.7.1 on Linux, see the test file):
 *   (a) Graceful stop (SIGTERM or SIGINT) and restart: everything. Block number,
 *       the hashes of genesis, of the tx block and of the latest block,
 *       eth_getTransactionReceipt (byte-identical JSON), eth_getTransactionByHash,
 *       eth_getLogs, contract code, balances. The next block's parentHash is the
 *       old latest hash, so the chain continues rather than forks.
 *   (b) SIGKILL of anvil itself: everything up to the last interval dump is
 *       kept; whatever happened after it is lost. Killed before its first dump,
 *       there is no state file at all and the next start is a NEW chain (new
 *       genesis hash). Careful: the same mnemonic and nonces then give the same
 *       contract address again, so a verifier must compare block hashes, not
 *       only addresses.
 *   Not served after any restart without --preserve-historical-states: state
 *   queries at OLD blocks (eth_getBalance / eth_call with a past block tag fail
 *   with "BlockOutOfRangeError"). Queries at "latest", block headers, receipts,
 *   transactions and logs of old blocks are served. We do NOT pass
 *   --preserve-historical-states: with 6001 blocks it made the state file 1.98 GB
 *   (instead of 12.5 MB), the dump on exit took 41 s and the reload about 70 s
 *   with 6.8 GB RSS. Anchor verification only needs receipts, logs, block hashes
 *   and state at "latest".
 *
 * Anvil writes the state file in place (open with O_TRUNC, write, close; no
 * temporary file, no fsync; seen with strace) and rewrites the whole file every
 * interval even when nothing changed. A kill during that write leaves a
 * truncated file, and anvil then refuses to start ("failed to parse json
 * file"). So before each start the file is parsed; a good file is copied to
 * anvil-state.json.bak, and a broken one is moved aside and replaced by that
 * copy (losing what happened since the previous start), with a warning.
 * Without a good copy, start fails rather than silently making a new chain.
 *
 * Orphans: the child runs in its own process group (detached), so a Ctrl-C
 * aimed at the ledger does not kill the chain under it; the ledger must call
 * stop() on SIGINT/SIGTERM. On a normal process exit a hook sends SIGTERM.
 * If the ledger is SIGKILLed, Anvil keeps running (and keeps dumping); the next
 * start finds it through <dataDir>/chain/anvil.pid (and, on Linux, any anvil
 * whose command line uses the same state file), stops it gracefully so it
 * writes its newest state, then starts a fresh one from the file.
 *
 * Files: this one runs anvil (start, readiness, stop); embedded-chain-state.ts checks and repairs the
 * state file before a start; embedded-chain-orphans.ts finds and stops a leftover anvil.
 */
import { DEV_MNEMONIC_PUBLIC } from "./dev-keys";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { PidFile, removePidFileIfOurs, stopOrphans } from "./embedded-chain-orphans";
import { checkStateFile, writeFileAtomic } from "./embedded-chain-state";

export interface EmbeddedChainOptions {
  dataDir: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 8545; 0 = pick a free port */
  port?: number;
  /** default 1 */
  stateIntervalSeconds?: number;
  log?: (msg: string) => void;
}

export interface EmbeddedChain {
  rpcUrl: string;
  chainId: bigint;
  pid: number;
  stateFile: string;
  /** graceful: SIGTERM so anvil dumps its state, wait for exit, SIGKILL after a timeout */
  stop(): Promise<void>;
}

export const EMBEDDED_CHAIN_ID = 31337n;
/** Hardhat/Foundry PUBLIC test mnemonic. Development keys only: everyone knows them. */
export const EMBEDDED_CHAIN_MNEMONIC = DEV_MNEMONIC_PUBLIC;

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8545;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const STDERR_LINES_KEPT = 40;

/** Resolves true if `p` settles within ms, else false; clears its timer so no stray timer keeps the process alive. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Real path of the anvil executable shipped by the @foundry-rs/anvil npm package (same lookup as its bin.mjs). */
export function anvilBinaryPath(): string {
  const override = process.env.ANVIL_BIN;
  if (override) {
    if (!isExecutable(override)) throw new Error(`ANVIL_BIN=${override} is not an executable file`);
    return override;
  }
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
  const name = process.platform === "win32" ? "anvil.exe" : "anvil";
  const candidates: string[] = [];
  let wrapperDir: string | undefined;
  try {
    wrapperDir = path.dirname(require.resolve("@foundry-rs/anvil/package.json"));
  } catch {
    /* wrapper package not resolvable; try the platform package directly */
  }
  if (arch) {
    const platformPkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
    const searchPaths = wrapperDir ? [wrapperDir, __dirname] : [__dirname];
    for (const from of searchPaths) {
      try {
        candidates.push(require.resolve(`${platformPkg}/bin/${name}`, { paths: [from] }));
      } catch {
        /* not installed there */
      }
    }
  }
  if (wrapperDir) {
    candidates.push(path.join(wrapperDir, name)); // postinstall fallback download location
    candidates.push(path.join(wrapperDir, "..", "dist", name)); // bin.mjs fallback
  }
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new Error(
      `anvil binary not found for ${process.platform}/${process.arch} (looked at: ${candidates.join(", ") || "nothing resolvable"}). ` +
        "Install @foundry-rs/anvil with its optional platform package, or set ANVIL_BIN.",
    );
  }
  return found;
}

export async function startEmbeddedChain(opts: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const log = opts.log ?? (() => undefined);
  const host = opts.host ?? DEFAULT_HOST;
  const requestedPort = opts.port ?? DEFAULT_PORT;
  const interval = opts.stateIntervalSeconds ?? 1;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new Error(`invalid port ${requestedPort}`);
  }
  if (!(interval > 0)) throw new Error(`stateIntervalSeconds must be > 0, got ${interval}`);

  const chainDir = path.join(path.resolve(opts.dataDir), "chain");
  fs.mkdirSync(chainDir, { recursive: true, mode: 0o700 }); // owner only (issue 12 item 8), the data directory too when new
  const stateFile = path.join(chainDir, "anvil-state.json");
  const pidFile = path.join(chainDir, "anvil.pid");
  const bin = anvilBinaryPath();

  await stopOrphans(pidFile, stateFile, log, STOP_TIMEOUT_MS);
  checkStateFile(stateFile, log);

  // With port 0 the free port could be taken between our probe and anvil's bind: retry then.
  const attempts = requestedPort === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort === 0 ? await findFreePort(host) : requestedPort;
    try {
      return await launch({ bin, host, port, interval, stateFile, pidFile, log, quiet: !opts.log });
    } catch (err) {
      if (attempt < attempts && err instanceof AnvilStartError && err.addressInUse) {
        log(`port ${port} was taken before anvil bound it; retrying with another free port`);
        continue;
      }
      throw err;
    }
  }
}

class AnvilStartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
    this.name = "AnvilStartError";
  }
}

async function launch(p: {
  bin: string;
  host: string;
  port: number;
  interval: number;
  stateFile: string;
  pidFile: string;
  log: (msg: string) => void;
  quiet: boolean;
}): Promise<EmbeddedChain> {
  const { bin, host, port, interval, stateFile, pidFile, log, quiet } = p;
  const rpcUrl = `http://${connectHost(host)}:${port}`;
  const args = [
    "--host",
    host,
    "--port",
    String(port),
    "--chain-id",
    EMBEDDED_CHAIN_ID.toString(),
    "--mnemonic",
    EMBEDDED_CHAIN_MNEMONIC,
    "--accounts",
    "10",
    "--state",
    stateFile,
    "--state-interval",
    String(interval),
  ];
  if (quiet) args.push("-q");

  log(`starting anvil on ${host}:${port} with state ${stateFile}${fs.existsSync(stateFile) ? "" : " (new chain)"}`);
  const child = spawn(bin, args, {
    stdio: ["ignore", quiet ? "ignore" : "pipe", "pipe"],
    detached: true,
    env: { ...process.env, NO_COLOR: "1" },
  });

  const stderrTail: string[] = [];
  let spawnError: Error | undefined;
  child.on("error", (e) => (spawnError = e));
  lines(child.stderr!, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
    log(`anvil: ${line}`);
  });
  if (child.stdout) {
    const filter = outputFilter();
    lines(child.stdout, (line) => {
      if (filter(line)) log(`anvil: ${line}`);
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // 'exit' can fire before the last stderr chunk is read: also wait for 'close' when reporting errors.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));

  const failure = (why: string): AnvilStartError => {
    const text = stderrTail.join("\n");
    const inUse = /address already in use|os error 98|EADDRINUSE|os error 48/i.test(text);
    const relevant = stderrTail.filter((l) => /error/i.test(l)).join(" | ") || stderrTail.slice(-3).join(" | ");
    const head = inUse
      ? `embedded chain: port ${port} on ${host} is already in use (anvil: ${relevant})`
      : `embedded chain: anvil failed to start on ${host}:${port}: ${why}${relevant ? ` (anvil: ${relevant})` : ""}`;
    return new AnvilStartError(head, inUse);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let chainId: bigint | undefined;
  while (chainId === undefined) {
    if (spawnError) throw failure(`could not run ${bin}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      await within(closed, 500);
      throw failure(`anvil exited early with ${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}`);
    }
    if (Date.now() > deadline) {
      await killAndWait(child, exited, "SIGKILL", 5000);
      throw failure(`RPC ${rpcUrl} did not answer within ${START_TIMEOUT_MS / 1000} s`);
    }
    chainId = await rpcChainId(rpcUrl, exited);
    if (chainId === undefined) await within(exited, 100);
  }
  if (child.exitCode !== null || child.signalCode !== null) {
    throw failure("anvil exited right after answering (another node on the same port?)");
  }
  if (chainId !== EMBEDDED_CHAIN_ID) {
    await killAndWait(child, exited, "SIGTERM", STOP_TIMEOUT_MS);
    throw failure(`RPC ${rpcUrl} answered chain id ${chainId}, expected ${EMBEDDED_CHAIN_ID}`);
  }

  const pid = child.pid!;
  const record: PidFile = { pid, host, port, rpcUrl, stateFile, startedAt: new Date().toISOString() };
  writeFileAtomic(pidFile, JSON.stringify(record, null, 2) + "\n");
  log(`anvil pid ${pid} ready at ${rpcUrl} (chain id ${chainId})`);

  // If the process exits without calling stop(), still let anvil dump its state.
  const onProcessExit = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
  };
  process.on("exit", onProcessExit);

  let stopping: Promise<void> | undefined;
  child.once("exit", (code, signal) => {
    process.removeListener("exit", onProcessExit);
    if (!stopping) {
      log(
        `anvil pid ${pid} exited unexpectedly (${code !== null ? `code ${code}` : signal}); last stderr: ${stderrTail.slice(-3).join(" | ") || "-"}`,
      );
    }
  });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        log(`stopping anvil pid ${pid} (SIGTERM, state is written on exit)`);
        const graceful = await killAndWait(child, exited, "SIGTERM", STOP_TIMEOUT_MS);
        if (!graceful)
          log(
            `anvil pid ${pid} did not exit within ${STOP_TIMEOUT_MS / 1000} s: SIGKILLed, changes since the last interval dump are lost`,
          );
      }
      process.removeListener("exit", onProcessExit);
      removePidFileIfOurs(pidFile, pid);
    })();
    return stopping;
  };

  return { rpcUrl, chainId, pid, stateFile, stop };
}

/** Sends `signal`, waits up to timeoutMs for exit, then SIGKILLs. Resolves true if it exited before the timeout. */
async function killAndWait(
  child: ChildProcess,
  exited: Promise<void>,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  try {
    child.kill(signal);
  } catch {
    /* already gone */
  }
  const inTime = await within(exited, timeoutMs);
  if (!inTime) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    await within(exited, 5000);
  }
  return inTime;
}

/**
 * eth_chainId over a fresh connection (no keep-alive pool), given up when `cancel` settles.
 * A pooled or half-aborted connection would linger on whatever server holds the port.
 */
function rpcChainId(rpcUrl: string, cancel: Promise<unknown>, timeoutMs = 2000): Promise<bigint | undefined> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    const req = http.request(
      rpcUrl,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), connection: "close" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          try {
            const r = (JSON.parse(text) as { result?: unknown }).result;
            resolve(typeof r === "string" ? BigInt(r) : undefined);
          } catch {
            resolve(undefined);
          }
        });
        res.on("error", () => resolve(undefined));
      },
    );
    const done = () => {
      req.destroy();
      resolve(undefined);
    };
    req.setTimeout(timeoutMs, done);
    req.on("error", () => resolve(undefined));
    void cancel.then(done, done);
    req.end(body);
  });
}

// ---------------------------------------------------------------- misc

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function connectHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return net.isIPv6(host) ? `[${host}]` : host;
}

function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error(`could not find a free port on ${host}`))));
    });
  });
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(line);
    }
  });
  stream.on("end", () => {
    if (buf.trim()) onLine(buf);
    buf = "";
  });
}

/**
 * Filters anvil's stdout for opts.log: drops the start banner (it lists the private keys and the mnemonic;
 * the "Listening on" line is kept), and the bare method-name line anvil prints for every RPC request.
 * Keeps transaction summaries and "RPC request failed" details.
 */
function outputFilter(): (line: string) => boolean {
  let inBanner = true;
  return (line) => {
    const t = line.trim();
    if (inBanner) {
      if (!t.startsWith("Listening on")) return false;
      inBanner = false;
      return true;
    }
    if (/^(eth|net|web3|anvil|evm|debug|trace|txpool|ots|hardhat|erigon)_\w+$/.test(t)) return false;
    // Defence in depth: never pass on something shaped like a listed private key or the mnemonic.
    if (/^Mnemonic:/.test(t) || /^\(\d+\)\s+0x[0-9a-fA-F]{64}$/.test(t)) return false;
    return true;
  };
}
