/**
 * Chain faults against a real local chain (Anvil) and a real SQLite file (issue 6, point 4): a stuck
 * anchor transaction replaced with the same nonce and higher fees; ethers' TRANSACTION_REPLACED for
 * our own replacement and for someone else's; a reorganisation (evm_snapshot / evm_revert) that
 * drops an anchor before it is final, and one that re-mines it elsewhere; proofs only for final
 * anchors.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, Transaction } from "ethers";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { anchorContract, AnchorContract, anchorInterface } from "../../src/chain/contract";
import { createAnchorer, AnchorerDeps } from "../../src/chain/anchorer";
import { verifyAnchorOnChain } from "../../src/chain/verify-anchor";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { pinTo } from "../helpers/pin";
import { buildProof } from "../../src/service/proof/proof";
import { verifyBundle, toHex } from "../../src/core";
import { EpochRow } from "../../src/store/epoch-store";
import { createApiServices } from "../../src/service/app/api";
import { buildApp } from "../../src/http/app";
import { sampleEvents } from "../helpers/events";

/** The ledger's name: the on-chain ledger id and the name its checkpoints sign. */
const LEDGER_NAME = "site-faults";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 50 ms until it is truthy, at most `ms`. */
async function until<T>(f: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(50);
  }
}

describe("createAnchorer under chain faults (real local chain)", function () {
  this.timeout(60_000);
  let dir: string;
  let chain: EmbeddedChain;
  let provider: JsonRpcProvider;
  let chainId: bigint;
  let ledger: Ledger;
  let contract: AnchorContract;
  let ledgerId: string;
  let wallet: HDNodeWallet;
  let logs: { level: string; msg: string; info?: Record<string, unknown> }[];

  const anchorer = (o: Partial<AnchorerDeps> = {}) =>
    createAnchorer({
      epochs: ledger.epochs,
      contract,
      signer: wallet,
      provider,
      chainId,
      ledgerId,
      confirmations: 1,
      waitTimeoutMs: 20_000,
      log: (level, msg, info) => logs.push({ level, msg, info }),
      ...o,
    });
  const sealEvents = (n: number): EpochRow => {
    ledger.events.append(sampleEvents(n));
    return ledger.sealer.seal(new Date())!.epoch;
  };
  const calldataOf = (ep: EpochRow) =>
    anchorInterface.encodeFunctionData("anchor", [ledgerId, ep.epoch, toHex(ep.root), ep.size, ep.firstSeq]);
  const mine = async (n = 1) => {
    for (let i = 0; i < n; i++) await provider.send("evm_mine", []);
  };
  const nonceOf = () => provider.getTransactionCount(wallet.address, "latest");
  /**
   * Mines a block every 100 ms until `p` settles, as a live chain keeps producing blocks: ethers
   * notices a replacement on the next block event, and a block mined before its block poller starts
   * would never be announced on a chain that then stands still.
   */
  const mineWhile = async <T>(p: Promise<T>): Promise<T> => {
    let settled = false;
    const watched = p.finally(() => (settled = true));
    while (!settled) {
      await mine();
      await Promise.race([watched.catch(() => undefined), sleep(100)]);
    }
    return watched;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-faults-"));
    chain = await startEmbeddedChain({ dataDir: dir, port: 0 });
    ({ provider, chainId } = await connect(chain.rpcUrl, { pollingIntervalMs: 50 }));
    wallet = devWallet(DEV_ACCOUNT.anchorer, provider);
    const d = await deployLedger(devWallet(DEV_ACCOUNT.admin, provider), wallet.address, LEDGER_NAME);
    ledgerId = d.ledgerId;
    contract = anchorContract(d.contract, wallet);
    ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 60_000 }, undefined, false, LEDGER_NAME);
    // As serve's first start does: proofs are issued only for anchors in the pinned contract.
    await pinTo(ledger, provider, d);
  });
  beforeEach(() => {
    logs = [];
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(JSON.stringify(logs, null, 1));
    await provider.send("evm_setAutomine", [true]);
  });
  after(async () => {
    ledger?.close();
    provider?.destroy();
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when an anchor tx is not mined within the stuck timeout", () => {
    it("replaces it with the same nonce and fees at least 10 % higher, and records the replacement as the anchor", async () => {
      const ep = sealEvents(3);
      const nonce = await nonceOf();
      await provider.send("evm_setAutomine", [false]);
      const t0 = Date.now();
      const run = anchorer({ stuckTimeoutMs: 800 }).anchorPending();
      const txs = await until(() =>
        ledger.epochs.anchorTxs(ep.epoch).length >= 2 ? ledger.epochs.anchorTxs(ep.epoch) : undefined,
      );
      const replacedAfterMs = Date.now() - t0;
      const done = await mineWhile(run);

      expect(txs).to.have.length(2);
      const [first, second] = txs;
      expect(first.nonce).to.equal(nonce);
      expect(second.nonce).to.equal(nonce);
      expect(second.replaces).to.equal(first.txHash);
      const ratio = (a?: string | null, b?: string | null) => Number((BigInt(a!) * 1000n) / BigInt(b!)) / 1000;
      expect(ratio(second.maxFeePerGas, first.maxFeePerGas)).to.be.at.least(1.1);
      expect(ratio(second.maxPriorityFeePerGas, first.maxPriorityFeePerGas)).to.be.at.least(1.1);
      // The mined transaction is the replacement, with the fees recorded; the original never is.
      const mined = await provider.getTransaction(second.txHash);
      expect(mined?.blockNumber).to.be.a("number");
      expect(mined?.maxFeePerGas?.toString()).to.equal(second.maxFeePerGas);
      expect(await provider.getTransactionReceipt(first.txHash)).to.equal(null);
      expect(done.map((a) => a.txHash)).to.deep.equal([second.txHash]);
      expect(ledger.epochs.anchorOf(ep.epoch)).to.include({ txHash: second.txHash });
      expect(ledger.epochs.anchorOf(ep.epoch)?.finalAt).to.be.a("string");
      expect(await nonceOf()).to.equal(nonce + 1);
      expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(ep.epoch + 1);
      expect(replacedAfterMs).to.be.at.least(800);
      expect(logs.some((l) => l.msg.includes("replaced with the same nonce and higher fees"))).to.equal(true);
      console.log(
        `      replacement sent ${replacedAfterMs} ms after the original (stuck timeout 800 ms); fee cap ×${ratio(second.maxFeePerGas, first.maxFeePerGas)}, tip ×${ratio(second.maxPriorityFeePerGas, first.maxPriorityFeePerGas)}`,
      );
    });
  });

  describe("when a replacement would pay more than the fee ceiling", () => {
    it("does not replace the stuck tx but waits on it, and anchors with it once mined", async () => {
      const ep = sealEvents(2);
      await provider.send("evm_setAutomine", [false]);
      const run = anchorer({ stuckTimeoutMs: 200, maxFeePerGas: 1n }).anchorPending();
      const [first] = await until(() =>
        ledger.epochs.anchorTxs(ep.epoch).length ? ledger.epochs.anchorTxs(ep.epoch) : undefined,
      );
      await sleep(800); // four stuck periods
      const done = await mineWhile(run);
      expect(ledger.epochs.anchorTxs(ep.epoch).map((t) => t.txHash)).to.deep.equal([first.txHash]);
      expect(done.map((x) => x.txHash)).to.deep.equal([first.txHash]);
      expect(logs.filter((l) => l.msg.includes("fee ceiling"))).to.have.length(1);
    });
  });

  describe("when the node dropped an anchor tx from its pool (anvil_dropTransaction)", () => {
    it("sends it again under the same nonce with higher fees, after a restart, instead of using a new nonce", async () => {
      const ep = sealEvents(2);
      const nonce = await nonceOf();
      await provider.send("evm_setAutomine", [false]);
      const run = anchorer({ stuckTimeoutMs: 60_000, waitTimeoutMs: 1500 }).anchorPending();
      const [first] = await until(() =>
        ledger.epochs.anchorTxs(ep.epoch).length ? ledger.epochs.anchorTxs(ep.epoch) : undefined,
      );
      await provider.send("anvil_dropTransaction", [first.txHash]);
      const failed = await run.then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      expect(failed).to.equal("CHAIN_ANCHOR_FAILED"); // the round gives up at its deadline; the tx stays recorded

      // A new process (restart) finds the recorded tx unknown to the node.
      const done = await mineWhile(anchorer({ stuckTimeoutMs: 60_000 }).anchorPending());
      const txs = ledger.epochs.anchorTxs(ep.epoch);
      expect(txs).to.have.length(2);
      expect(txs[1]).to.include({ nonce, replaces: first.txHash });
      expect(
        BigInt(txs[1].maxFeePerGas!) * 1000n >= BigInt(first.maxFeePerGas!) * 1100n,
        "fee cap raised by at least 10 %",
      ).to.equal(true);
      expect(done.map((x) => x.txHash)).to.deep.equal([txs[1].txHash]);
      expect(await nonceOf()).to.equal(nonce + 1);
      expect(logs.some((l) => l.msg.startsWith("anchor tx unknown to the node"))).to.equal(true);
    });
  });

  describe("when ethers reports TRANSACTION_REPLACED", () => {
    it("takes a replacement that is our own anchor call (same nonce, same calldata) as the anchor and records its hash", async () => {
      const ep = sealEvents(2);
      await provider.send("evm_setAutomine", [false]);
      const run = anchorer({ stuckTimeoutMs: 60_000 }).anchorPending();
      const [original] = await until(() =>
        ledger.epochs.anchorTxs(ep.epoch).length ? ledger.epochs.anchorTxs(ep.epoch) : undefined,
      );
      // The replacement a process sent just before it crashed, never recorded: same nonce, same call, higher fees.
      const sent = (await provider.getTransaction(original.txHash))!;
      const rep = await wallet.sendTransaction({
        to: contract.address,
        data: calldataOf(ep),
        nonce: original.nonce,
        maxFeePerGas: (sent.maxFeePerGas! * 3n) / 2n,
        maxPriorityFeePerGas: (sent.maxPriorityFeePerGas! * 3n) / 2n,
        gasLimit: sent.gasLimit,
      });
      const done = await mineWhile(run);

      expect(done.map((a) => a.txHash)).to.deep.equal([rep.hash]);
      const txs = ledger.epochs.anchorTxs(ep.epoch);
      expect(txs.map((t) => t.txHash)).to.deep.equal([original.txHash, rep.hash]);
      expect(txs[1]).to.include({ nonce: original.nonce, replaces: original.txHash });
      const note = logs.find((l) => l.msg.includes("replaced by our own anchor call"));
      expect(note?.info).to.include({ replaced: original.txHash, txHash: rep.hash, reason: "repriced" });
      expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(ep.epoch + 1);
    });

    it("does not take someone else's transaction under our nonce for the anchor: it anchors again under the next nonce", async () => {
      const ep = sealEvents(2);
      await provider.send("evm_setAutomine", [false]);
      const run = anchorer({ stuckTimeoutMs: 60_000 }).anchorPending();
      const [original] = await until(() =>
        ledger.epochs.anchorTxs(ep.epoch).length ? ledger.epochs.anchorTxs(ep.epoch) : undefined,
      );
      const sent = (await provider.getTransaction(original.txHash))!;
      // Another tool holding the anchorer key cancels it: a 0-value transfer to itself, same nonce.
      const cancel = await wallet.sendTransaction({
        to: wallet.address,
        value: 0,
        nonce: original.nonce,
        maxFeePerGas: sent.maxFeePerGas! * 2n,
        maxPriorityFeePerGas: sent.maxPriorityFeePerGas! * 2n,
      });
      const done = await mineWhile(run);
      const txs = ledger.epochs.anchorTxs(ep.epoch);

      expect(txs).to.have.length(2);
      expect(txs[1].nonce).to.equal(original.nonce + 1);
      expect(txs[1].replaces).to.equal(null);
      expect(txs.map((t) => t.txHash)).to.not.include(cancel.hash);
      expect(done.map((a) => a.txHash)).to.deep.equal([txs[1].txHash]);
      expect(logs.find((l) => l.msg.includes("not this anchor"))?.info).to.include({
        by: cancel.hash,
        reason: "cancelled",
      });
      expect((await contract.getAnchor(ledgerId, ep.epoch))?.root).to.equal(toHex(ep.root));
    });
  });

  describe("when a reorganisation drops an anchor before it has the configured confirmations", () => {
    it("issues no proof before the confirmations, supersedes the dropped anchor with the reason, re-anchors the epoch, and proves it once final", async () => {
      const confirmations = 3;
      const a = anchorer({ confirmations });
      // The HTTP proof route over the same ledger, with the chain head as the server's runner sees it.
      const api = createApiServices(ledger, dir, LEDGER_NAME, 660_000);
      const token = api.clients.add("c-auditor", "auditor", undefined, new Date()).token;
      let head = 0;
      const app = buildApp({ ledger, ...api, chainHead: () => head });
      const proofOverHttp = async (id: string) => {
        head = await provider.getBlockNumber();
        const res = await app.inject({
          method: "GET",
          url: `/v1/events/${id}/proof`,
          headers: { authorization: `Bearer ${token}` },
        });
        return {
          code: res.statusCode,
          body: res.json() as { status?: string; confirmations?: number | null; anchor?: { txHash: string } },
        };
      };
      const ep = sealEvents(4);
      const snap = await provider.send("evm_snapshot", []);
      await a.anchorPending({ untilFinal: false });
      const first = ledger.epochs.anchorOf(ep.epoch)!;
      expect(first.finalAt).to.equal(null);
      const ev = ledger.events.getBySeq(ep.firstSeq)!;
      const early = buildProof(ledger, ev);
      expect(early.ok).to.equal(false);
      expect(!early.ok && early.position.status).to.equal("anchored");

      await mine(); // 2 confirmations: still not final
      await a.anchorPending({ untilFinal: false });
      expect(ledger.epochs.anchorOf(ep.epoch)?.finalAt).to.equal(null);
      expect(buildProof(ledger, ev).ok).to.equal(false);
      expect(await proofOverHttp(ev.eventId)).to.deep.include({ code: 202 });
      expect((await proofOverHttp(ev.eventId)).body).to.include({ status: "anchored", confirmations: 2 });

      // The reorganisation: the chain goes back before the anchor and grows past it without it.
      await provider.send("evm_revert", [snap]);
      await mine(2);
      expect((await provider.getBlock(first.blockNumber))?.hash).to.not.equal(first.blockHash);
      expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(ep.epoch);

      await a.anchorPending({ untilFinal: false });
      const history = ledger.epochs.anchorHistory(ep.epoch);
      expect(history).to.have.length(2);
      expect(history[0]).to.include({ txHash: first.txHash, blockHash: first.blockHash, finalAt: null });
      expect(history[0].supersededReason).to.match(/^reorg: block \d+ /);
      expect(history[1].supersededAt).to.equal(null);
      expect(history[1].blockHash).to.not.equal(first.blockHash);
      expect(ledger.epochs.unanchored().map((e) => e.epoch)).to.not.include(ep.epoch);
      expect(ledger.epochs.unconfirmed().map((e) => e.epoch)).to.include(ep.epoch);
      expect(logs.some((l) => l.level === "warn" && l.msg.includes("reorganisation"))).to.equal(true);
      expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(ep.epoch + 1);
      expect(buildProof(ledger, ev).ok).to.equal(false);

      await mine(confirmations - 1);
      await a.anchorPending({ untilFinal: false });
      const current = ledger.epochs.anchorOf(ep.epoch)!;
      expect(current.finalAt).to.be.a("string");
      const proof = buildProof(ledger, ev);
      if (!proof.ok) throw new Error(`no proof once final: ${proof.position.status}`);
      expect(proof.bundle.anchor).to.include({ txHash: current.txHash, blockHash: history[1].blockHash });
      await verifyAnchorOnChain(provider, verifyBundle(proof.bundle), { confirmations });
      const served = await proofOverHttp(ev.eventId);
      expect(served.code).to.equal(200);
      expect(served.body.anchor?.txHash).to.equal(current.txHash);
      await app.close();
    });

    it("adopts the same transaction where the new chain mined it, without sending another", async () => {
      const a = anchorer({ confirmations: 2 });
      const ep = sealEvents(3);
      const snap = await provider.send("evm_snapshot", []);
      await a.anchorPending({ untilFinal: false });
      const first = ledger.epochs.anchorOf(ep.epoch)!;
      const raw = Transaction.from((await provider.getTransaction(first.txHash))!).serialized;
      await provider.send("evm_revert", [snap]);
      await mine(); // another block at the anchor's height
      await provider.send("eth_sendRawTransaction", [raw]); // the tx comes back in a later block
      await until(async () => Number((await contract.ledgerState(ledgerId)).nextEpoch) === ep.epoch + 1);
      const nonceAfter = Transaction.from(raw).nonce + 1;
      expect(await nonceOf()).to.equal(nonceAfter);

      await a.anchorPending({ untilFinal: false });
      const history = ledger.epochs.anchorHistory(ep.epoch);
      expect(history).to.have.length(2);
      expect(history[0].supersededReason).to.match(/^reorg: /);
      expect(history[1]).to.include({ txHash: first.txHash, supersededAt: null });
      expect(history[1].blockNumber).to.equal(first.blockNumber + 1);
      expect(ledger.epochs.anchorTxs(ep.epoch)).to.have.length(1);
      expect(await nonceOf()).to.equal(nonceAfter);
      expect(logs.some((l) => l.msg === "adopted anchor already on chain")).to.equal(true);
    });
  });
});
