/**
 * `gxp-ledger chain …` (issue 13 item 1) on two EVM implementations: the embedded chain (Anvil, on a
 * free port) and Hardhat's node (EDR). Each command through the real CLI: deploy, create-ledger,
 * grant-anchorer (to a keystore made by `key new`), fund, show, revoke-anchorer, cost; the chain
 * record each writes; the contract's refusals named by its custom error (a grant by an account that
 * is not the ledger admin, a ledger created twice); a revoked anchorer can no longer anchor.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Wallet, id as keccakId } from "ethers";
import { cliAsync as cli } from "../helpers/process";
import { HARDHAT_NODE, startEvmNode } from "../helpers/evm-nodes";
import { startLocalChain } from "../helpers/local-chain";
import { connect } from "../../src/chain/provider";
import { anchorContract, anchorInterface, ledgerIdOf } from "../../src/chain/contract";
import { devWallet } from "../../src/chain/dev-keys";
import { readKeystore } from "../../src/chain/keystore";
import { ChainRecord } from "../../src/chain/chain-record";
import { ANCHOR_GAS_STEADY_STATE } from "../../src/chain/cost";

interface Chain {
  rpcUrl: string;
  stop(): Promise<void>;
}

const IMPLEMENTATIONS: { name: string; start(): Promise<Chain> }[] = [
  { name: "the embedded chain (Anvil)", start: () => startLocalChain() },
  { name: "Hardhat's node (EDR)", start: () => startEvmNode(HARDHAT_NODE) },
];

for (const impl of IMPLEMENTATIONS) {
  describe(`gxp-ledger chain … on ${impl.name}`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let provider: JsonRpcProvider;
    let dir: string;
    const admin = devWallet(0);
    const stranger = devWallet(2);
    let anchorer: Wallet;
    let env: Record<string, string>;
    const record = () => JSON.parse(fs.readFileSync(path.join(dir, "gxp-chain.json"), "utf8")) as ChainRecord;
    const run = (args: string[], extra: Record<string, string> = {}) =>
      cli(["--rpc", chain.rpcUrl, ...args], { ...env, ...extra });

    before(async () => {
      chain = await impl.start();
      ({ provider } = await connect(chain.rpcUrl, { pollingIntervalMs: 100 }));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-chain-admin-"));
      env = {
        LEDGER_CHAIN_RECORD: path.join(dir, "gxp-chain.json"),
        LEDGER_ADMIN_KEY: admin.privateKey,
        LEDGER_CONTRACT: "",
        LEDGER_ADMIN_KEYSTORE: "",
      };
      fs.writeFileSync(path.join(dir, "anchor.pw"), "anchorer password of the test\n", { mode: 0o600 });
      const made = await cli([
        "key",
        "new",
        "-o",
        path.join(dir, "anchor-key.json"),
        "--password-file",
        path.join(dir, "anchor.pw"),
      ]);
      expect(made.code, made.stderr).to.equal(0);
      anchorer = (await readKeystore(path.join(dir, "anchor-key.json"), "anchorer password of the test")).connect(
        provider,
      );
      expect(made.stdout.trim()).to.equal(anchorer.address);
    });
    after(async () => {
      provider?.destroy();
      await chain?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploy: the contract with the signer as its admin, and a new chain record (refused over an existing one)", async () => {
      const r = await run(["--json", "chain", "deploy"]);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as ChainRecord;
      const rec = record();
      expect(rec).to.deep.include({
        contract: out.contract,
        contractAdmin: admin.address,
        development: true,
        chainId: (await provider.getNetwork()).chainId.toString(),
      });
      expect(rec.genesisHash).to.equal((await provider.getBlock(0))!.hash);
      expect(await provider.getCode(rec.contract)).to.not.equal("0x");
      expect((await provider.getTransactionReceipt(rec.deployed.tx))!.blockNumber).to.equal(rec.deployed.block);
      const again = await run(["chain", "deploy"]);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.include("already records a deployment");
    });

    it("create-ledger: the ledger with its admin, recorded; a second time → GxpAnchorLedgerExists; by a non-admin → AccessControlUnauthorizedAccount", async () => {
      const r = await run(["--json", "chain", "create-ledger", "DE01", "--admin", admin.address]);
      expect(r.code, r.stderr).to.equal(0);
      const c = anchorContract(record().contract, provider);
      expect(await c.raw.hasRole(await c.raw.ledgerAdminRole(ledgerIdOf("DE01")), admin.address)).to.equal(true);
      expect(record().ledgers.map((l) => [l.name, l.id, l.admin, l.created.tx])).to.deep.equal([
        ["DE01", ledgerIdOf("DE01"), admin.address, JSON.parse(r.stdout).tx],
      ]);
      const twice = await run(["chain", "create-ledger", "DE01"]);
      expect([twice.code, twice.stderr]).to.satisfy(
        ([code, err]: [number, string]) => code === 1 && err.includes("GxpAnchorLedgerExists("),
      );
      const byStranger = await run(["chain", "create-ledger", "DE02"], { LEDGER_ADMIN_KEY: stranger.privateKey });
      expect(byStranger.code).to.equal(1);
      expect(byStranger.stderr).to.include(
        `AccessControlUnauthorizedAccount(${stranger.address}, ${"0x" + "0".repeat(64)})`,
      );
    });

    it("grant-anchorer and fund: the keystore account holds the role and anchors; a grant by a non-admin → AccessControlUnauthorizedAccount", async () => {
      const byStranger = await run(["chain", "grant-anchorer", "DE01", stranger.address], {
        LEDGER_ADMIN_KEY: stranger.privateKey,
      });
      expect(byStranger.code).to.equal(1);
      // grantRole needs the anchorer role's admin role: the ledger admin role.
      const role = await anchorContract(record().contract, provider).raw.ledgerAdminRole(ledgerIdOf("DE01"));
      expect(byStranger.stderr, byStranger.stderr).to.include(
        `AccessControlUnauthorizedAccount(${stranger.address}, ${role})`,
      );

      const r = await run(["--json", "chain", "grant-anchorer", "DE01", anchorer.address]);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.include({ account: anchorer.address, changed: true });
      const granted = record().ledgers[0].anchorers;
      expect(granted.map((a) => [a.address, a.granted.by, a.revoked])).to.deep.equal([
        [anchorer.address, admin.address, null],
      ]);
      const again = await run(["chain", "grant-anchorer", "DE01", anchorer.address]);
      expect([again.code, again.stdout]).to.satisfy(
        ([code, out]: [number, string]) => code === 0 && out.includes("already holds"),
      );

      const fund = await run(["chain", "fund", anchorer.address, "0.5"]);
      expect(fund.code, fund.stderr).to.equal(0);
      const c = anchorContract(record().contract, anchorer);
      await (await c.raw.anchor(ledgerIdOf("DE01"), 0, keccakId("root 0"), 5, 0)).wait(1);
      expect((await c.ledgerState(ledgerIdOf("DE01"))).nextEpoch).to.equal(1n);
    });

    it("cost: per anchor, per day and per year at the epoch age, measured or estimated on the contract", async () => {
      const r = await run(["--json", "chain", "cost", "--epoch-max-age", "3600"]);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect([j.gasPerAnchor, j.anchorsPerDay, j.unit]).to.deep.equal([ANCHOR_GAS_STEADY_STATE.toString(), 24, "ETH"]);
      expect(BigInt(j.weiPerAnchor)).to.equal(ANCHOR_GAS_STEADY_STATE * BigInt(j.price.weiPerGas));
      expect(BigInt(j.weiPerAnchor) > 0n).to.equal(true);
      expect([BigInt(j.weiPerDay), BigInt(j.weiPerYear)]).to.deep.equal([
        BigInt(j.weiPerAnchor) * 24n,
        BigInt(j.weiPerAnchor) * 24n * 365n,
      ]);
      const est = await run([
        "--json",
        "chain",
        "cost",
        "--contract",
        record().contract,
        "--ledger",
        "DE01",
        "--anchorer",
        anchorer.address,
      ]);
      expect(est.code, est.stderr).to.equal(0);
      const e = JSON.parse(est.stdout);
      expect(e.gasSource).to.match(/^estimated/);
      expect(Number(e.gasPerAnchor)).to.be.within(70_000, 110_000);
      expect(e.anchorsPerDay).to.equal(1440);
    });

    it("revoke-anchorer: recorded with its block; the account can no longer anchor (AccessControlUnauthorizedAccount)", async () => {
      const r = await run(["--json", "chain", "revoke-anchorer", "DE01", anchorer.address]);
      expect(r.code, r.stderr).to.equal(0);
      const a = record().ledgers[0].anchorers[0];
      expect(a.revoked?.tx).to.equal(JSON.parse(r.stdout).tx);
      expect(a.revoked!.block).to.be.greaterThan(a.granted.block);
      const c = anchorContract(record().contract, anchorer);
      const refused = await c.raw.anchor(ledgerIdOf("DE01"), 1, keccakId("root 1"), 5, 5).then(
        () => undefined,
        // A signer's transaction is estimated by the provider, which does not know the contract's errors: decode them here.
        (e: { data?: string }) => anchorInterface.parseError(e.data ?? "0x"),
      );
      expect(refused?.name).to.equal("AccessControlUnauthorizedAccount");
      expect(refused?.args?.[0]).to.equal(anchorer.address);
      // serve with the revoked account's keystore (given by flag) refuses to start, naming the account.
      const served = await run([
        "--data-dir",
        path.join(dir, "data"),
        "serve",
        "--port",
        "0",
        "--contract",
        record().contract,
        "--ledger",
        "DE01",
        "--anchor-keystore",
        path.join(dir, "anchor-key.json"),
        "--anchor-keystore-password-file",
        path.join(dir, "anchor.pw"),
      ]);
      expect(served.code).to.equal(2);
      expect(served.stderr).to.include(`account ${anchorer.address} lacks the anchorer role of ledger DE01`);
    });

    it("show: the admins, the ledger, its role history, one anchor and the last epoch", async () => {
      const r = await run(["--json", "chain", "show"]);
      expect(r.code, r.stderr).to.equal(0);
      const v = JSON.parse(r.stdout);
      expect(v.contractAdmins).to.deep.equal([admin.address]);
      const [l] = v.ledgers;
      expect([
        l.name,
        l.admins,
        l.anchorers,
        l.anchors,
        l.events,
        l.lastEpoch.epoch,
        l.lastEpoch.root,
        l.lastEpoch.treeSize,
      ]).to.deep.equal(["DE01", [admin.address], [], 1, 5, 0, keccakId("root 0"), 5]);
      expect(
        l.roleHistory.map((h: { event: string; role: string; account: string }) => [h.event, h.role, h.account]),
      ).to.deep.equal([
        ["granted", "ledger admin", admin.address],
        ["granted", "anchorer", anchorer.address],
        ["revoked", "anchorer", anchorer.address],
      ]);
      const text = await run(["chain", "show"]);
      expect(text.stdout)
        .to.include("anchors so far: 1 (5 events)")
        .and.include(`anchorer revoked from ${anchorer.address}`);
    });
  });
}
