/**
 * The anchorer and the on-chain verification against a real local chain (Anvil) and a real SQLite
 * file: order, idempotency across crashes, adopting anchors sent by another process, re-anchoring
 * what a chain lost, and every way the chain can disagree with a proof.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { anchorContract, AnchorContract } from "../../src/chain/contract";
import { createAnchorer } from "../../src/chain/anchorer";
import { verifyAnchorOnChain } from "../../src/chain/verify-anchor";
import { ChainError } from "../../src/chain/errors";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { pinTo } from "../helpers/pin";
import { buildProof } from "../../src/service/proof/proof";
import { verifyBundle, toHex } from "../../src/core";
import { sampleEvents } from "../helpers/events";

/** The ledger's name: the on-chain ledger id and the name its checkpoints sign. */
const LEDGER_NAME = "site-test";

describe("createAnchorer (real local chain)", function () {
  this.timeout(120_000);
  let dir: string;
  let chain: EmbeddedChain;
  let provider: JsonRpcProvider;
  let chainId: bigint;
  let ledger: Ledger;
  let contract: AnchorContract;
  let ledgerId: string;

  const anchorer = () =>
    createAnchorer({
      epochs: ledger.epochs,
      contract,
      signer: devWallet(DEV_ACCOUNT.anchorer, provider),
      provider,
      chainId,
      ledgerId,
      confirmations: 1,
    });

  const sealEvents = (n: number) => {
    ledger.events.append(sampleEvents(n));
    return ledger.sealer.seal(new Date())!.epoch;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-anchorer-"));
    chain = await startEmbeddedChain({ dataDir: dir, port: 0 });
    ({ provider, chainId } = await connect(chain.rpcUrl, { pollingIntervalMs: 100 }));
    const anchorerWallet = devWallet(DEV_ACCOUNT.anchorer, provider);
    const d = await deployLedger(devWallet(DEV_ACCOUNT.admin, provider), anchorerWallet.address, LEDGER_NAME);
    ledgerId = d.ledgerId;
    contract = anchorContract(d.contract, anchorerWallet);
    ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 60_000 }, undefined, false, LEDGER_NAME);
    // As serve's first start does: proofs are issued only for anchors in the pinned contract.
    await pinTo(ledger, provider, d);
  });
  after(async () => {
    ledger?.close();
    provider?.destroy();
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("anchors sealed epochs in order and records tx, block and log", async () => {
    const e0 = sealEvents(3);
    const e1 = sealEvents(5);
    const done = await anchorer().anchorPending();
    expect(done.map((a) => a.epoch)).to.deep.equal([0, 1]);
    const on1 = await contract.getAnchor(ledgerId, 1);
    expect(on1?.root).to.equal(toHex(e1.root));
    expect(on1?.firstSeq).to.equal(BigInt(e0.size));
    const receipt = await provider.getTransactionReceipt(done[1].txHash);
    expect(receipt?.blockHash).to.equal(done[1].blockHash);
    expect(await anchorer().anchorPending()).to.deep.equal([]);
  });

  it("adopts an epoch another process already anchored instead of sending it again", async () => {
    const ep = sealEvents(2);
    // Someone else (a second ledger process) anchors it first.
    const other = anchorContract(contract.address, devWallet(DEV_ACCOUNT.anchorer, provider));
    const tx = await other.raw.anchor(ledgerId, ep.epoch, toHex(ep.root), ep.size, ep.firstSeq);
    await tx.wait(1);
    const nonceBefore = await provider.getTransactionCount(devWallet(DEV_ACCOUNT.anchorer).address);
    const done = await anchorer().anchorPending();
    expect(done).to.have.length(1);
    expect(done[0].txHash).to.equal(tx.hash);
    expect(await provider.getTransactionCount(devWallet(DEV_ACCOUNT.anchorer).address)).to.equal(nonceBefore);
  });

  it("after a crash between sending and recording, reuses the sent transaction", async () => {
    const ep = sealEvents(4);
    const signer = devWallet(DEV_ACCOUNT.anchorer, provider);
    const req = await contract.raw.anchor.populateTransaction(ledgerId, ep.epoch, toHex(ep.root), ep.size, ep.firstSeq);
    // Stop mining so the tx stays pending, as if the process died right after sending it.
    await provider.send("evm_setAutomine", [false]);
    const sent = await signer.sendTransaction(req);
    ledger.epochs.recordAnchorTx({
      epoch: ep.epoch,
      txHash: sent.hash,
      nonce: sent.nonce,
      sentAt: new Date().toISOString(),
    });
    const run = anchorer().anchorPending();
    await new Promise((r) => setTimeout(r, 300));
    await provider.send("evm_mine", []);
    await provider.send("evm_setAutomine", [true]);
    const done = await run;
    expect(done.map((a) => a.txHash)).to.deep.equal([sent.hash]);
    expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(ep.epoch + 1);
  });

  it("re-anchors epochs a chain lost (reset development chain) and never skips one", async () => {
    const snap = await provider.send("evm_snapshot", []);
    const a = sealEvents(2);
    const b = sealEvents(2);
    const first = await anchorer().anchorPending();
    expect(first.map((x) => x.epoch)).to.deep.equal([a.epoch, b.epoch]);
    await provider.send("evm_revert", [snap]); // the chain forgets both anchors
    expect(Number((await contract.ledgerState(ledgerId)).nextEpoch)).to.equal(a.epoch);
    const again = await anchorer().anchorPending();
    expect(again.map((x) => x.epoch)).to.deep.equal([a.epoch, b.epoch]);
    expect(ledger.epochs.anchorOf(b.epoch)?.txHash).to.equal(again[1].txHash);
  });

  describe("verifyAnchorOnChain", () => {
    const claimOf = () => {
      const ev = ledger.events.getBySeq(0)!;
      const r = buildProof(ledger, ev);
      if (!r.ok) throw new Error("event 0 should be confirmed");
      return { bundle: r.bundle, claim: verifyBundle(r.bundle) };
    };
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).to.be.instanceOf(ChainError);
        return (e as ChainError).code;
      }
      return "no error";
    };

    it("confirms a good claim, and the contract's own verifyInclusion agrees", async () => {
      const { bundle, claim } = claimOf();
      const v = await verifyAnchorOnChain(provider, claim, {
        onchain: { leafHash: bundle.leafHash, leafIndex: bundle.leafIndex, auditPath: bundle.auditPath },
      });
      expect(v.onchainInclusion).to.equal(true);
    });
    it("refuses a chain whose id differs from the bundle's", async () => {
      const { claim } = claimOf();
      expect(
        await code(verifyAnchorOnChain(provider, { ...claim, anchor: { ...claim.anchor, chainId: "1" } })),
      ).to.equal("CHAIN_ID_MISMATCH");
    });
    it("names a root the chain does not hold, a wrong size, a missing epoch, a wrong block and a wrong tx", async () => {
      const { claim } = claimOf();
      expect(await code(verifyAnchorOnChain(provider, { ...claim, root: "0x" + "11".repeat(32) }))).to.equal(
        "PROOF_ANCHOR_ROOT_MISMATCH",
      );
      expect(await code(verifyAnchorOnChain(provider, { ...claim, treeSize: claim.treeSize + 1 }))).to.equal(
        "PROOF_ANCHOR_SIZE_MISMATCH",
      );
      expect(await code(verifyAnchorOnChain(provider, { ...claim, epoch: 999 }))).to.equal("PROOF_ANCHOR_MISSING");
      expect(
        await code(
          verifyAnchorOnChain(provider, { ...claim, anchor: { ...claim.anchor, blockHash: "0x" + "22".repeat(32) } }),
        ),
      ).to.equal("PROOF_BLOCK_MISMATCH");
      expect(
        await code(
          verifyAnchorOnChain(provider, { ...claim, anchor: { ...claim.anchor, txHash: "0x" + "33".repeat(32) } }),
        ),
      ).to.equal("PROOF_TX_MISMATCH");
    });
    it("says not final when fewer confirmations than required", async () => {
      const { claim } = claimOf();
      expect(await code(verifyAnchorOnChain(provider, claim, { confirmations: 10_000 }))).to.equal("PROOF_NOT_FINAL");
    });
  });
});
