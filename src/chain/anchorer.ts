/**
 * The anchorer: submits sealed epochs to the contract in order, waits for the configured
 * confirmations, and records tx hash, block number, block hash and log index. Idempotent across
 * crashes and restarts: it reads the contract's state before sending, reuses a transaction it sent
 * before a crash, adopts an anchor that is already on chain (after checking it is ours, byte for
 * byte), and re-anchors epochs a chain has lost (a reset development chain). It never sends an
 * epoch the contract already holds and never skips one.
 */
import { JsonRpcProvider, Signer, TransactionReceipt } from "ethers";
import { toHex } from "../core";
import { EpochStore, EpochRow, AnchorRow } from "../store/epoch-store";
import { ChainError } from "./errors";
import { AnchorContract, anchorInterface } from "./contract";

/** What the anchorer works with. */
export interface AnchorerDeps {
  epochs: EpochStore;
  /** The contract bound to the anchorer's signer. */
  contract: AnchorContract;
  signer: Signer;
  provider: JsonRpcProvider;
  chainId: bigint;
  ledgerId: string;
  confirmations: number;
  /** How long to wait for a sent transaction before giving up this round (it is kept and reused). */
  waitTimeoutMs?: number;
  log?: (level: "info" | "warn", msg: string, info?: Record<string, unknown>) => void;
  now?: () => Date;
}

/** The anchorer. */
export interface Anchorer {
  /** Anchors every sealed epoch the chain does not hold yet; returns the anchors recorded. */
  anchorPending(): Promise<AnchorRow[]>;
}

/** Builds the anchorer. */
export function createAnchorer(d: AnchorerDeps): Anchorer {
  const log = d.log ?? (() => undefined);
  const now = d.now ?? (() => new Date());
  const timeout = d.waitTimeoutMs ?? 120_000;

  async function record(ep: EpochRow, receipt: TransactionReceipt): Promise<AnchorRow> {
    const ev = receipt.logs
      .filter((l) => l.address.toLowerCase() === d.contract.address.toLowerCase())
      .map((l) => ({ l, p: anchorInterface.parseLog(l) }))
      .find(({ p }) => p?.name === "EpochAnchored" && p.args.ledgerId === d.ledgerId && Number(p.args.epoch) === ep.epoch);
    if (!ev) throw new ChainError("CHAIN_ANCHOR_FAILED", `tx ${receipt.hash} has no EpochAnchored log for epoch ${ep.epoch}`);
    const block = await d.provider.getBlock(receipt.blockNumber);
    // A receipt from a block that is no longer on the chain (reorg, reset chain) must not be recorded.
    if (!block || block.hash !== receipt.blockHash) {
      throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx ${receipt.hash} is not in block ${receipt.blockNumber} of the current chain`);
    }
    const row: AnchorRow = {
      epoch: ep.epoch,
      chainId: d.chainId.toString(),
      contract: d.contract.address,
      ledgerId: d.ledgerId,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      blockTimestamp: block.timestamp,
      logIndex: ev.l.index,
      confirmedAt: now().toISOString(),
    };
    d.epochs.recordAnchor(row);
    log("info", "epoch anchored", { epoch: ep.epoch, size: ep.size, txHash: row.txHash, blockNumber: row.blockNumber, gasUsed: receipt.gasUsed.toString() });
    return row;
  }

  async function waitFor(hash: string): Promise<TransactionReceipt | null> {
    return d.provider.waitForTransaction(hash, d.confirmations, timeout);
  }

  /** The epoch is already on chain: check it is ours and find the transaction that put it there. */
  async function adopt(ep: EpochRow): Promise<AnchorRow> {
    const onChain = await d.contract.getAnchor(d.ledgerId, ep.epoch);
    const root = toHex(ep.root);
    if (!onChain || onChain.root.toLowerCase() !== root || onChain.treeSize !== BigInt(ep.size) || onChain.firstSeq !== BigInt(ep.firstSeq)) {
      throw new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `chain holds a different anchor for epoch ${ep.epoch}: root ${onChain?.root} size ${onChain?.treeSize}, local root ${root} size ${ep.size}`,
        { epoch: ep.epoch },
      );
    }
    const logs = await d.contract.raw.queryFilter(d.contract.raw.filters.EpochAnchored(d.ledgerId, ep.epoch), Number(onChain.blockNumber), Number(onChain.blockNumber));
    if (logs.length === 0) throw new ChainError("CHAIN_ANCHOR_FAILED", `no EpochAnchored log for epoch ${ep.epoch} in block ${onChain.blockNumber}`);
    const receipt = await waitFor(logs[logs.length - 1].transactionHash);
    if (!receipt) throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx of epoch ${ep.epoch} not confirmed within ${timeout} ms`);
    log("info", "adopted anchor already on chain", { epoch: ep.epoch, txHash: receipt.hash });
    return record(ep, receipt);
  }

  async function send(ep: EpochRow, nextSeq: bigint): Promise<AnchorRow> {
    if (BigInt(ep.firstSeq) !== nextSeq) {
      throw new ChainError("CHAIN_ROOT_CONFLICT", `epoch ${ep.epoch} starts at seq ${ep.firstSeq} but the chain expects ${nextSeq}`, { epoch: ep.epoch });
    }
    // A transaction sent before a crash may still be pending or mined: reuse it, never send twice.
    for (const tx of d.epochs.anchorTxs(ep.epoch).reverse()) {
      const known = await d.provider.getTransaction(tx.txHash);
      if (!known) continue;
      const receipt = await waitFor(tx.txHash);
      if (receipt?.status === 1) return record(ep, receipt);
    }
    const req = await d.contract.raw.anchor.populateTransaction(d.ledgerId, ep.epoch, toHex(ep.root), ep.size, ep.firstSeq);
    const resp = await d.signer.sendTransaction(req);
    d.epochs.recordAnchorTx({ epoch: ep.epoch, txHash: resp.hash, nonce: resp.nonce, sentAt: now().toISOString() });
    log("info", "anchor tx sent", { epoch: ep.epoch, txHash: resp.hash, nonce: resp.nonce });
    const receipt = await resp.wait(d.confirmations, timeout);
    if (!receipt || receipt.status !== 1) throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx ${resp.hash} for epoch ${ep.epoch} failed`);
    return record(ep, receipt);
  }

  return {
    async anchorPending() {
      const done: AnchorRow[] = [];
      for (;;) {
        const state = await d.contract.ledgerState(d.ledgerId);
        if (!state.exists) {
          throw new ChainError("CHAIN_NOT_CONFIGURED", `ledger ${d.ledgerId} is not created in contract ${d.contract.address}`);
        }
        const chainNext = Number(state.nextEpoch);
        const latest = d.epochs.latest();
        if (!latest) return done;
        // The chain's ledger must be this ledger: no epochs we never sealed, and the same root for the
        // newest epoch both hold (another data directory anchoring the same on-chain ledger).
        if (chainNext > latest.epoch + 1) {
          throw new ChainError("CHAIN_ROOT_CONFLICT", `the chain holds ${chainNext} epochs for this ledger but it sealed only ${latest.epoch + 1}: another data directory anchors the same on-chain ledger`);
        }
        if (chainNext > 0 && done.length === 0) {
          const ours = d.epochs.get(chainNext - 1)!;
          const theirs = await d.contract.getAnchor(d.ledgerId, chainNext - 1);
          if (theirs && theirs.root.toLowerCase() !== toHex(ours.root)) {
            throw new ChainError("CHAIN_ROOT_CONFLICT", `the chain holds root ${theirs.root} for epoch ${chainNext - 1}, this ledger's database has ${toHex(ours.root)}: the database was altered, or another data directory anchors the same on-chain ledger; anchoring stopped`);
          }
        }
        // Work item: the oldest epoch without a local anchor, or the chain's next epoch when the
        // chain lost anchors we had recorded (a reset development chain).
        const unanchored = d.epochs.unanchored()[0];
        let target: EpochRow | undefined;
        if (unanchored && unanchored.epoch < chainNext) target = unanchored;
        else if (chainNext <= latest.epoch) {
          target = d.epochs.get(chainNext);
          if (target && d.epochs.anchorOf(chainNext)) {
            log("warn", "chain lost an anchor the ledger had recorded: re-anchoring", { epoch: chainNext });
          }
        }
        if (!target) return done;
        try {
          done.push(target.epoch < chainNext ? await adopt(target) : await send(target, state.nextSeq));
        } catch (e) {
          // Another process (or our own earlier transaction, re-mined) may have anchored it between
          // our read and our send: if the chain now holds it, adopt what is there.
          const after = await d.contract.ledgerState(d.ledgerId);
          if (Number(after.nextEpoch) > target.epoch && !(e instanceof ChainError && e.code === "CHAIN_ROOT_CONFLICT")) {
            log("info", "epoch was anchored meanwhile: adopting it", { epoch: target.epoch, error: (e as Error).message.split("\n")[0] });
            done.push(await adopt(target));
            continue;
          }
          throw e;
        }
      }
    },
  };
}
