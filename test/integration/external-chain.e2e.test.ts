/**
 * Running against an external EVM JSON-RPC endpoint (--rpc, a contract address and an anchorer key),
 * as a site would against a real chain. The "external" chain here is a separate local Anvil.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { anchorContract } from "../../src/chain/contract";
import { Wallet, parseEther } from "ethers";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

describe("gxp-ledger against an external chain (--rpc, LEDGER_CONTRACT, LEDGER_ANCHOR_KEY)", function () {
  this.timeout(180_000);
  let chainDir: string;
  let dir: string;
  let chain: EmbeddedChain;
  let contract: string;
  let s: Served | undefined;
  // A key of the site's own, as on a real chain: the public test mnemonic's keys are refused there.
  const anchorer = Wallet.createRandom();

  before(async () => {
    chainDir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-extchain-"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-ext-"));
    chain = await startEmbeddedChain({ dataDir: chainDir, port: 0 });
    const { provider } = await connect(chain.rpcUrl);
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    await (await admin.sendTransaction({ to: anchorer.address, value: parseEther("10") })).wait(1);
    const r = await deployLedger(admin, anchorer.address, "DE01");
    // A public development key that holds the anchorer role too: refused all the same.
    const asAdmin = anchorContract(r.contract, admin);
    await (
      await asAdmin.raw.grantRole(await asAdmin.raw.anchorerRole(r.ledgerId), devWallet(DEV_ACCOUNT.anchorer).address)
    ).wait(1);
    contract = r.contract;
    provider.destroy();
  });
  after(async () => {
    await s?.stop();
    await chain?.stop();
    fs.rmSync(chainDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a key of the public Hardhat/Anvil test mnemonic, even one holding the anchorer role, naming the rule and the account, never the key", async () => {
    for (const dev of [devWallet(DEV_ACCOUNT.anchorer), devWallet(19)]) {
      const other = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-ext-dev-"));
      const bad = await cli(
        ["--data-dir", other, "--rpc", chain.rpcUrl, "serve", "--port", "0", "--contract", contract],
        { LEDGER_ANCHOR_KEY: dev.privateKey, LEDGER_NAME: "DE01" },
      );
      fs.rmSync(other, { recursive: true, force: true });
      expect(bad.code, bad.stderr).to.equal(2);
      expect(bad.stderr)
        .to.include("public Hardhat/Anvil test mnemonic")
        .and.include(dev.address)
        .and.include("refused on any chain but the embedded development chain");
      expect(bad.stderr.toLowerCase()).to.not.include(dev.privateKey.slice(2).toLowerCase());
      expect(bad.stdout.toLowerCase()).to.not.include(dev.privateKey.slice(2).toLowerCase());
    }
  });

  it("refuses to start with a key that lacks the ledger's anchorer role, naming the account", async () => {
    const wrong = Wallet.createRandom();
    const env = { LEDGER_ANCHOR_KEY: wrong.privateKey, LEDGER_NAME: "DE01" };
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-ext-bad-"));
    const bad = await cli(
      ["--data-dir", other, "--rpc", chain.rpcUrl, "serve", "--port", "0", "--contract", contract],
      env,
    );
    fs.rmSync(other, { recursive: true, force: true });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include(`account ${wrong.address} lacks the anchorer role of ledger DE01`);
    expect(bad.stderr).to.not.include(wrong.privateKey.slice(2));
  });

  it("anchors on the configured contract and verifies against it; never writes the RPC URL to disk", async () => {
    const env = {
      LEDGER_ANCHOR_KEY: anchorer.privateKey,
      LEDGER_NAME: "DE01",
      LEDGER_RPC_URL: chain.rpcUrl,
      LEDGER_CONFIRMATIONS: "1",
      LEDGER_EPOCH_MAX_AGE_SECONDS: "3600",
    };
    s = await serve(dir, env, ["--contract", contract]);
    // One confirmation on a chain id the ledger has no finality rule for (31337): warned of.
    const warning = s.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.msg.includes("check the chain's finality"));
    expect(warning?.level, s.logs.join("\n")).to.equal(40);
    // No development token on a real chain: an administrator creates the MES client.
    expect(fs.existsSync(path.join(dir, "dev-mes-token"))).to.equal(false);
    const added = await cli(["--data-dir", dir, "--json", "client", "add", "pasx-de01", "--role", "mes"], env);
    expect(added.code, added.stderr).to.equal(0);
    const ev = sampleEvent();
    const res = await fetch(`${s.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${JSON.parse(added.stdout).token}` },
      body: JSON.stringify(ev),
    });
    expect(res.status).to.equal(201);
    expect((await cli(["--data-dir", dir, "seal"], env)).code).to.equal(0);
    const a = await cli(["--data-dir", dir, "anchor", "--contract", contract], env);
    expect(a.code, a.stderr).to.equal(0);
    const v = await cli(["--data-dir", dir, "verify", ev.id as string], env);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    const d = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8"));
    expect(d).to.include({ contract, ledgerName: "DE01", development: false, rpcUrl: "" });
    expect(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8")).to.not.include(chain.rpcUrl);
  });
});
