import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, parseEther } from "ethers";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { anvilBinaryPath, EmbeddedChain, startEmbeddedChain } from "../../src/chain/embedded-chain";

const MNEMONIC = "test test test test test test test test test test test junk";
// Private key of account 0 of the public mnemonic: must never reach the log.
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

function wallet(index: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

describe("embedded chain (anvil)", function () {
  this.timeout(60_000);

  let dataDir: string;
  const chains: EmbeddedChain[] = [];
  const providers: JsonRpcProvider[] = [];

  async function start(extra: { log?: (m: string) => void } = {}): Promise<EmbeddedChain> {
    const chain = await startEmbeddedChain({ dataDir, port: 0, ...extra });
    chains.push(chain);
    return chain;
  }

  function provider(chain: EmbeddedChain): JsonRpcProvider {
    const p = new JsonRpcProvider(chain.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
    p.pollingInterval = 100;
    providers.push(p);
    return p;
  }

  /** Plain ETH transfer from account 0 to account 1; returns what a proof would reference. */
  async function transfer(chain: EmbeddedChain) {
    const p = provider(chain);
    const tx = await wallet(0)
      .connect(p)
      .sendTransaction({ to: wallet(1).address, value: parseEther("1.25") });
    const receipt = await tx.wait();
    expect(receipt?.status).to.equal(1);
    const block = await p.getBlock(receipt!.blockNumber);
    return {
      txHash: tx.hash,
      blockNumber: receipt!.blockNumber,
      blockHash: block!.hash!,
      receiptJson: JSON.stringify(await p.send("eth_getTransactionReceipt", [tx.hash])),
      balance1: await p.getBalance(wallet(1).address),
    };
  }

  async function expectSameChain(chain: EmbeddedChain, before: Awaited<ReturnType<typeof transfer>>) {
    const p = provider(chain);
    expect(await p.getBalance(wallet(1).address)).to.equal(before.balance1);
    expect(JSON.stringify(await p.send("eth_getTransactionReceipt", [before.txHash]))).to.equal(before.receiptJson);
    const receipt = await p.getTransactionReceipt(before.txHash);
    expect(receipt?.blockHash).to.equal(before.blockHash);
    expect((await p.getBlock(before.blockNumber))?.hash).to.equal(before.blockHash);
  }

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-chain-"));
  });

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    for (const c of chains.splice(0)) await c.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds the anvil binary shipped in node_modules", () => {
    const bin = anvilBinaryPath();
    expect(path.basename(bin)).to.match(/^anvil(\.exe)?$/);
    fs.accessSync(bin, fs.constants.X_OK);
  });

  it("starts on a free port and answers with chain id 31337, without logging private keys", async () => {
    const logs: string[] = [];
    const chain = await start({ log: (m) => logs.push(m) });
    const port = Number(new URL(chain.rpcUrl).port);
    expect(port).to.be.greaterThan(0);
    expect(chain.chainId).to.equal(31337n);
    expect((await provider(chain).getNetwork()).chainId).to.equal(31337n);
    expect(chain.stateFile).to.equal(path.join(path.resolve(dataDir), "chain", "anvil-state.json"));
    const pidFile = JSON.parse(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
    expect(pidFile).to.include({ pid: chain.pid, port });
    expect(pidFile.startedAt).to.be.a("string");

    await provider(chain).getBlockNumber();
    expect(logs.join("\n")).to.contain(`Listening on 127.0.0.1:${port}`); // anvil output does reach opts.log
    expect(logs.join("\n")).not.to.match(/anvil: eth_blockNumber$/m); // per-request noise is dropped
    expect(logs.join("\n")).not.to.contain(KEY0);
    expect(logs.join("\n")).not.to.contain("Private Keys");
    expect(logs.join("\n")).not.to.contain(MNEMONIC);
  });

  it("keeps balance, receipt and block hash across a graceful stop and restart", async () => {
    const first = await start();
    const before = await transfer(first);
    const latestBefore = (await provider(first).getBlock("latest"))!;
    await first.stop();
    expect(isAlive(first.pid)).to.equal(false);
    expect(fs.existsSync(path.join(dataDir, "chain", "anvil.pid"))).to.equal(false);
    expect(fs.existsSync(first.stateFile)).to.equal(true);

    const second = await start();
    expect(second.pid).to.not.equal(first.pid);
    await expectSameChain(second, before);

    // The chain continues: the next block builds on the old head.
    const p = provider(second);
    expect(await p.getBlockNumber()).to.equal(latestBefore.number);
    const tx = await wallet(0)
      .connect(p)
      .sendTransaction({ to: wallet(1).address, value: 1n });
    const r = await tx.wait();
    expect((await p.getBlock(r!.blockNumber))!.parentHash).to.equal(latestBefore.hash);
  });

  it("stops an orphaned anvil left running for the same data dir and resumes from its state", async () => {
    const orphan = await start();
    const before = await transfer(orphan);
    // Forget the handle (as if the ledger had been SIGKILLed); no stop(), no interval dump waited for.
    const second = await start();
    expect(isAlive(orphan.pid)).to.equal(false);
    expect(second.pid).to.not.equal(orphan.pid);
    await expectSameChain(second, before);
    const pidFile = JSON.parse(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
    expect(pidFile.pid).to.equal(second.pid);
  });

  it("stops the anvil orphaned by a SIGKILLed ledger process and resumes from its newest state", async () => {
    // A separate Node process starts the chain and is then SIGKILLed: its anvil is reparented and keeps running.
    const script = `
      const { startEmbeddedChain } = require(${JSON.stringify(path.resolve(__dirname, "../../src/chain/embedded-chain"))});
      startEmbeddedChain({ dataDir: ${JSON.stringify(dataDir)}, port: 0, stateIntervalSeconds: 600 })
        .then((c) => console.log(JSON.stringify({ rpcUrl: c.rpcUrl, pid: c.pid })), (e) => { console.error(e); process.exit(1); });
      setInterval(() => {}, 1000);`;
    const ledger = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: path.resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const info = await new Promise<{ rpcUrl: string; pid: number }>((resolve, reject) => {
      let out = "";
      ledger.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]));
      });
      ledger.once("exit", (code) => reject(new Error(`ledger process exited with ${code}`)));
    });
    const orphanChain = { rpcUrl: info.rpcUrl } as EmbeddedChain;
    // With a 600 s interval this tx exists only in the orphan's memory: it survives only if the orphan is stopped gracefully.
    const before = await transfer(orphanChain);
    ledger.kill("SIGKILL");
    await new Promise((r) => ledger.once("exit", r));
    expect(isAlive(info.pid), "anvil outlives its SIGKILLed parent").to.equal(true);

    const second = await start();
    expect(isAlive(info.pid)).to.equal(false);
    await expectSameChain(second, before);
  });

  async function sigkill(chain: EmbeddedChain) {
    process.kill(chain.pid, "SIGKILL");
    while (isAlive(chain.pid)) await new Promise((r) => setTimeout(r, 20));
    await chain.stop(); // only tidies up (pid file) once the process is gone
  }

  it("after a SIGKILL of anvil itself keeps what the last interval dump holds", async () => {
    const first = await startEmbeddedChain({ dataDir, port: 0, stateIntervalSeconds: 1 });
    chains.push(first);
    const before = await transfer(first);
    await new Promise((r) => setTimeout(r, 2200)); // at least one interval dump after the tx
    await sigkill(first);
    await expectSameChain(await start(), before);
  });

  it("after a SIGKILL of anvil itself loses what came after the last dump", async () => {
    // A long interval makes "no dump since the tx" deterministic.
    const first = await startEmbeddedChain({ dataDir, port: 0, stateIntervalSeconds: 600 });
    chains.push(first);
    const kept = await transfer(first);
    await first.stop(); // graceful: dumped on exit
    const second = await startEmbeddedChain({ dataDir, port: 0, stateIntervalSeconds: 600 });
    chains.push(second);
    const lost = await transfer(second);
    await sigkill(second);

    const third = await start();
    await expectSameChain(third, kept);
    const p = provider(third);
    expect(await p.getTransactionReceipt(lost.txHash)).to.equal(null);
    expect(await p.getBlockNumber()).to.equal(kept.blockNumber);
  });

  it("restores the last good state when the state file was truncated by a kill during a dump", async () => {
    const first = await start();
    const before = await transfer(first);
    await first.stop();
    const second = await start(); // parses the file and keeps it as anvil-state.json.bak
    await second.stop();
    const size = fs.statSync(second.stateFile).size;
    fs.truncateSync(second.stateFile, Math.floor(size / 2));

    const logs: string[] = [];
    const third = await start({ log: (m) => logs.push(m) });
    expect(logs.join("\n")).to.match(/WARNING: state file was unreadable/);
    await expectSameChain(third, before);
    const corrupt = fs.readdirSync(path.join(dataDir, "chain")).filter((f) => f.includes(".corrupt-"));
    expect(corrupt).to.have.length(1);
  });

  it("fails with a clear error naming the port when the port is in use", async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      let err: Error | undefined;
      const t0 = Date.now();
      try {
        chains.push(await startEmbeddedChain({ dataDir, port }));
      } catch (e) {
        err = e as Error;
      }
      expect(err, "start should fail").to.be.instanceOf(Error);
      expect(Date.now() - t0, "fails fast on anvil exit").to.be.lessThan(5000);
      expect(err!.message).to.contain(`port ${port}`);
      expect(err!.message).to.match(/already in use/i);
      expect(fs.existsSync(path.join(dataDir, "chain", "anvil.pid"))).to.equal(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
