/**
 * Pre-empted epochs (issue 11, point 4) against a real local chain (Anvil) and a real SQLite file: a
 * second account holding the ledger's anchorer role (a stolen or rogue anchorer key) anchors a forged
 * root for the ledger's next epoch before the ledger does. The anchorer stops with
 * CHAIN_EPOCH_PREEMPTED naming that account; the runner reports it as an attack (error log with
 * security: true, one security event per epoch, a metric) and /readyz stays 503 naming it. The other
 * conflicts stay CHAIN_ROOT_CONFLICT: a chain holding more epochs than the ledger sealed, and an epoch
 * whose anchor this ledger sent itself but whose root its database no longer holds.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ContractFactory, HDNodeWallet, JsonRpcProvider } from "ethers";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger, Deployment } from "../../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { anchorContract } from "../../src/chain/contract";
import { createAnchorer } from "../../src/chain/anchorer";
import { ChainError, PreemptedEpoch } from "../../src/chain/errors";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { ChainContext } from "../../src/service/app/chain-context";
import { startRunner, PREEMPTED_KIND } from "../../src/service/app/runner";
import { readinessOf } from "../../src/service/app/readiness";
import { createMetrics } from "../../src/service/app/metrics";
import { createApiServices } from "../../src/service/app/api";
import { buildApp } from "../../src/http/app";
import { toHex } from "../../src/core";
import { EpochRow } from "../../src/store/epoch-store";
import { sampleEvents } from "../helpers/events";
import { tamper } from "../helpers/tamper";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FORGED_ROOT = "0x" + "f0".repeat(32);

/** The code and info of the error `p` rejects with ("no error" when it resolves). */
async function failureOf(p: Promise<unknown>): Promise<{ code: string; info: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ChainError);
    return { code: (e as ChainError).code, info: (e as ChainError).info };
  }
  return { code: "no error", info: {} };
}

describe("pre-empted epochs (real local chain)", function () {
  this.timeout(120_000);
  let chain: EmbeddedChain;
  let chainDir: string;
  let provider: JsonRpcProvider;
  let chainId: bigint;
  let ours: HDNodeWallet;
  let rogue: HDNodeWallet;
  const dirs: string[] = [];
  const ledgers: Ledger[] = [];

  /** A fresh data directory and on-chain ledger `name`, anchored by `ours`, with `rogue` granted its anchorer role too. */
  async function site(name: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-preempt-"));
    dirs.push(dir);
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    const d = await deployLedger(admin, ours.address, name);
    const asAdmin = anchorContract(d.contract, admin);
    await (await asAdmin.raw.grantRole(await asAdmin.raw.anchorerRole(d.ledgerId), rogue.address)).wait(1);
    const ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 60_000 }, undefined, false, name);
    ledgers.push(ledger);
    const contract = anchorContract(d.contract, ours);
    const seal = (n: number): EpochRow => {
      ledger.events.append(sampleEvents(n));
      return ledger.sealer.seal(new Date())!.epoch;
    };
    const anchorer = () =>
      createAnchorer({
        epochs: ledger.epochs,
        contract,
        signer: ours,
        provider,
        chainId,
        ledgerId: d.ledgerId,
        confirmations: 1,
        waitTimeoutMs: 20_000,
      });
    /** The rogue account anchors `root` as the chain's next epoch of this ledger; returns its tx hash. */
    const preempt = async (root: string, size: number): Promise<string> => {
      const state = await contract.ledgerState(d.ledgerId);
      const tx = await anchorContract(d.contract, rogue).raw.anchor(
        d.ledgerId,
        state.nextEpoch,
        root,
        size,
        state.nextSeq,
      );
      await tx.wait(1);
      return tx.hash;
    };
    const context: ChainContext = {
      provider,
      chainId,
      signer: ours,
      contract,
      ledgerId: d.ledgerId,
      deployment: {
        chainId: chainId.toString(),
        contract: d.contract,
        ledgerName: name,
        ledgerId: d.ledgerId,
        rpcUrl: "",
        deployTx: d.deployTx,
        deployBlock: d.deployBlock,
        admin: admin.address,
        anchorer: ours.address,
        development: true,
      } as Deployment,
      async close() {},
    };
    return { dir, ledger, contract, ledgerId: d.ledgerId, seal, anchorer, preempt, context };
  }

  before(async () => {
    chainDir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-preempt-chain-"));
    chain = await startEmbeddedChain({ dataDir: chainDir, port: 0 });
    ({ provider, chainId } = await connect(chain.rpcUrl, { pollingIntervalMs: 50 }));
    ours = devWallet(DEV_ACCOUNT.anchorer, provider);
    rogue = devWallet(7, provider);
  });
  after(async () => {
    for (const l of ledgers) l.close();
    provider?.destroy();
    await chain?.stop();
    for (const d of [chainDir, ...dirs]) fs.rmSync(d, { recursive: true, force: true });
  });

  describe("createAnchorer", () => {
    it("records our own anchors with our account as the anchorer", async () => {
      const s = await site("PRE-OWN");
      s.seal(3);
      const done = await s.anchorer().anchorPending();
      expect(done.map((a) => a.anchorer)).to.deep.equal([ours.address]);
    });

    it("throws CHAIN_EPOCH_PREEMPTED naming the rogue account, its tx and both roots when another anchorer anchors a forged root for the next sealed epoch first, and sends nothing", async () => {
      const s = await site("PRE-NEXT");
      s.seal(2);
      await s.anchorer().anchorPending();
      const ep = s.seal(4);
      const tx = await s.preempt(FORGED_ROOT, ep.size);
      const nonce = await provider.getTransactionCount(ours.address);
      const f = await failureOf(s.anchorer().anchorPending());
      expect(f.code).to.equal("CHAIN_EPOCH_PREEMPTED");
      expect(f.info).to.deep.include({
        epoch: ep.epoch,
        contract: s.contract.address,
        anchorer: rogue.address,
        txHash: tx,
        chainRoot: FORGED_ROOT,
        ledgerRoot: toHex(ep.root),
        ledgerTreeSize: ep.size,
        ledgerFirstSeq: ep.firstSeq,
      });
      expect(await provider.getTransactionCount(ours.address)).to.equal(nonce);
      expect(s.ledger.epochs.anchorOf(ep.epoch)).to.equal(undefined);
      // Every later call says the same: anchoring stays stopped.
      expect((await failureOf(s.anchorer().anchorPending())).code).to.equal("CHAIN_EPOCH_PREEMPTED");
    });

    it("throws CHAIN_EPOCH_PREEMPTED for the same root with another size (the anchor is root, size and first seq)", async () => {
      const s = await site("PRE-SIZE");
      const ep = s.seal(5);
      await s.preempt(toHex(ep.root), ep.size + 1);
      const f = await failureOf(s.anchorer().anchorPending());
      expect(f.code).to.equal("CHAIN_EPOCH_PREEMPTED");
      expect(f.info).to.deep.include({
        epoch: ep.epoch,
        anchorer: rogue.address,
        chainTreeSize: ep.size + 1,
        ledgerTreeSize: ep.size,
      });
    });

    it("keeps CHAIN_ROOT_CONFLICT while the chain holds more epochs than the ledger sealed, and says CHAIN_EPOCH_PREEMPTED once the ledger seals that epoch", async () => {
      const s = await site("PRE-AHEAD");
      s.seal(2);
      await s.anchorer().anchorPending();
      await s.preempt(FORGED_ROOT, 3);
      expect((await failureOf(s.anchorer().anchorPending())).code).to.equal("CHAIN_ROOT_CONFLICT");
      s.seal(3);
      const f = await failureOf(s.anchorer().anchorPending());
      expect(f.code).to.equal("CHAIN_EPOCH_PREEMPTED");
      expect(f.info).to.deep.include({ epoch: 1, anchorer: rogue.address });
    });

    it("says CHAIN_ROOT_CONFLICT, not pre-empted, when our own anchor holds a root the database no longer has", async () => {
      const s = await site("PRE-ALTERED");
      const ep = s.seal(3);
      await s.anchorer().anchorPending();
      tamper(s.ledger, "UPDATE epochs SET root = ? WHERE epoch = ?", Buffer.alloc(32, 0xab), ep.epoch);
      const f = await failureOf(s.anchorer().anchorPending());
      expect(f.code).to.equal("CHAIN_ROOT_CONFLICT");
      expect(f.info).to.deep.include({ epoch: ep.epoch, txHash: s.ledger.epochs.anchorOf(ep.epoch)!.txHash });
    });
  });

  describe("when the EpochAnchored log of an anchor we sent names another account", () => {
    /**
     * A look-alike contract at the configured address: it keeps an anchor like GxpAnchor but its log
     * names 0x…dEaD as the anchorer. The ledger must not record such an anchor as its own, nor adopt it.
     */
    const MISNAMING_SOURCE = `// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;
contract MisnamingAnchor {
    struct Anchor { bytes32 root; uint64 treeSize; uint64 firstSeq; uint64 timestamp; uint64 blockNumber; }
    event EpochAnchored(bytes32 indexed ledgerId, uint64 indexed epoch, address indexed anchorer, bytes32 root, uint64 treeSize, uint64 firstSeq);
    uint64 private _nextEpoch;
    uint64 private _nextSeq;
    mapping(uint64 => Anchor) private _anchors;
    function ledgerState(bytes32) external view returns (bool, uint64, uint64) { return (true, _nextEpoch, _nextSeq); }
    function getAnchor(bytes32, uint64 epoch) external view returns (Anchor memory) { return _anchors[epoch]; }
    function anchor(bytes32 ledgerId, uint64 epoch, bytes32 root, uint64 treeSize, uint64 firstSeq) external {
        _anchors[epoch] = Anchor(root, treeSize, firstSeq, uint64(block.timestamp), uint64(block.number));
        _nextEpoch = epoch + 1;
        _nextSeq = firstSeq + treeSize;
        emit EpochAnchored(ledgerId, epoch, address(0xdEaD), root, treeSize, firstSeq);
    }
}`;

    it("throws CHAIN_ANCHOR_FAILED naming both accounts, records nothing and does not adopt it", async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const solc = require("solc") as { compile(input: string): string };
      const out = JSON.parse(
        solc.compile(
          JSON.stringify({
            language: "Solidity",
            sources: { "M.sol": { content: MISNAMING_SOURCE } },
            settings: { evmVersion: "shanghai", outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
          }),
        ),
      ) as { contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
      const c = out.contracts["M.sol"].MisnamingAnchor;
      const deployed = await new ContractFactory(
        c.abi as never,
        c.evm.bytecode.object,
        devWallet(DEV_ACCOUNT.admin, provider),
      ).deploy();
      await deployed.waitForDeployment();
      const s = await site("PRE-MISNAMED");
      const ep = s.seal(2);
      const contract = anchorContract(await deployed.getAddress(), ours);
      const f = await failureOf(
        createAnchorer({
          epochs: s.ledger.epochs,
          contract,
          signer: ours,
          provider,
          chainId,
          ledgerId: s.ledgerId,
          confirmations: 1,
          waitTimeoutMs: 20_000,
        }).anchorPending(),
      );
      expect(f.code).to.equal("CHAIN_ANCHOR_FAILED");
      expect(f.info).to.include({
        epoch: ep.epoch,
        anchorer: "0x000000000000000000000000000000000000dEaD",
        expected: ours.address,
      });
      expect(s.ledger.epochs.anchorOf(ep.epoch)).to.equal(undefined);
    });
  });

  describe("startRunner and readiness", () => {
    it("logs an error with security: true, records exactly one security event, counts the epoch once and keeps /readyz at 503 with a SECURITY reason", async () => {
      const s = await site("PRE-RUN");
      s.seal(2);
      await s.anchorer().anchorPending();
      const ep = s.seal(3);
      const tx = await s.preempt(FORGED_ROOT, ep.size);
      const logs: { level: string; msg: string; info?: Record<string, unknown> }[] = [];
      const metrics = createMetrics(s.ledger);
      const run = (m = metrics) =>
        startRunner(s.ledger, s.context, {
          tickMs: 3_600_000,
          confirmations: 1,
          log: (level, msg, info) => logs.push({ level, msg, info }),
          metrics: m,
          anchorRetryMaxMs: 20,
        });
      const runner = run();
      try {
        await runner.tick();
        await sleep(40); // past the backoff delay: the next tick anchors again
        await runner.tick();
        await sleep(40);
        await runner.tick();
      } finally {
        await runner.stop();
      }
      const attempts = logs.filter(
        (l) => l.level === "error" && l.info?.security === true && l.info?.epoch === ep.epoch && l.info?.txHash === tx,
      );
      expect(attempts.length).to.be.at.least(3);
      expect(attempts[0].info).to.include({
        anchorer: rogue.address,
        chainRoot: FORGED_ROOT,
        ledgerRoot: toHex(ep.root),
      });

      const securityEvents = () =>
        (s.ledger.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[])
          .map((r) => JSON.parse(r).event.data as { kind: string } & PreemptedEpoch)
          .filter((d) => d.kind === PREEMPTED_KIND);
      expect(securityEvents()).to.have.length(1);
      expect(securityEvents()[0]).to.include({
        epoch: ep.epoch,
        contract: s.contract.address,
        anchorer: rogue.address,
        txHash: tx,
        chainRoot: FORGED_ROOT,
        ledgerRoot: toHex(ep.root),
      });
      expect(await metrics.registry.getSingleMetricAsString("gxp_ledger_epochs_preempted_total")).to.match(
        /^gxp_ledger_epochs_preempted_total 1$/m,
      );

      expect(runner.preemptedEpochs().map((p) => [p.epoch, p.anchorer])).to.deep.equal([[ep.epoch, rogue.address]]);
      const ready = readinessOf(s.ledger, runner, 3_600_000);
      expect(ready.ready).to.equal(false);
      expect(ready.reasons[0]).to.match(
        new RegExp(
          `^SECURITY: epoch ${ep.epoch} pre-empted in contract ${s.contract.address} by account ${rogue.address} \\(tx ${tx}\\)`,
        ),
      );
      const api = createApiServices(s.ledger, s.dir, s.ledger.name, 3_600_000);
      const app = buildApp({ ledger: s.ledger, ...api, readiness: () => readinessOf(s.ledger, runner, 3_600_000) });
      const res = await app.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).to.equal(503);
      expect(JSON.stringify(res.json())).to.include(`SECURITY: epoch ${ep.epoch} pre-empted`);
      await app.close();

      // A restart finds the same epoch again: /readyz names it, but the ledger holds one security event.
      const again = run(createMetrics(s.ledger));
      try {
        await again.tick();
      } finally {
        await again.stop();
      }
      expect(again.preemptedEpochs().map((p) => p.epoch)).to.deep.equal([ep.epoch]);
      expect(securityEvents()).to.have.length(1);
    });

    it("reports an outage, not an attack, for a root conflict: no security event and no SECURITY reason", async () => {
      const s = await site("PRE-CONFLICT");
      s.seal(2);
      await s.anchorer().anchorPending();
      await s.preempt(FORGED_ROOT, 3);
      const logs: { level: string; info?: Record<string, unknown> }[] = [];
      const runner = startRunner(s.ledger, s.context, {
        tickMs: 3_600_000,
        confirmations: 1,
        log: (level, _msg, info) => logs.push({ level, info }),
      });
      try {
        await runner.tick();
      } finally {
        await runner.stop();
      }
      expect(runner.lastError()).to.be.a("string");
      expect(runner.preemptedEpochs()).to.deep.equal([]);
      expect(logs.some((l) => l.info?.security === true)).to.equal(false);
      expect(s.ledger.db.prepare("SELECT count(*) FROM events WHERE type = 'security.event'").pluck().get()).to.equal(
        0,
      );
      const ready = readinessOf(s.ledger, runner, 3_600_000);
      expect(ready.ready).to.equal(false);
      expect(ready.reasons.some((r) => r.startsWith("SECURITY"))).to.equal(false);
    });
  });
});
