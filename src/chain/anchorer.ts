/**
 * The anchorer: submits sealed epochs to the contract in order, records each anchor when its
 * transaction is mined, and marks it final once it has the configured confirmations on a block that
 * is still canonical. Idempotent across crashes and restarts: it reads the contract's state before
 * sending, reuses a transaction it sent before a crash, adopts an anchor that is already on chain
 * (after checking it is ours, byte for byte), and re-anchors epochs a chain has lost (a reset
 * development chain, a reorganisation). It never sends an epoch the contract already holds and never
 * skips one.
 *
 * Chain faults (issue 6; sending and replacing in anchor-send.ts):
 *  - a transaction not mined within `stuckTimeoutMs` of being sent is replaced: same nonce, each fee
 *    raised by 12.5 % (anchor-tx.ts), recorded with the hash it replaces;
 *  - while waiting on one of our transactions, ethers v6 throws TRANSACTION_REPLACED when another
 *    transaction took its nonce; when that one is our own anchor call (a replacement sent before a
 *    crash, or the original our replacement lost to) it is the anchor, and its hash is recorded;
 *  - an anchor that is not final yet is checked on every call: when its block is no longer the
 *    chain's block at that height, the anchor is superseded (kept, with the reason) and the epoch
 *    is anchored again (or the transaction adopted where the new chain mined it).
 *
 * Whose anchor (issue 11): the contract's EpochAnchored log names the account that anchored. An
 * anchor this ledger sent must name this ledger's signer. When the contract holds, for an epoch this
 * ledger sealed, a root, size or first sequence number other than the sealed one, the epoch's log
 * decides what happened: put there by a transaction this ledger never sent, the epoch was pre-empted
 * (a stolen or rogue anchorer key: CHAIN_EPOCH_PREEMPTED, an attack to report); put there by one of
 * this ledger's own transactions, the database changed since (CHAIN_ROOT_CONFLICT).
 */
import { JsonRpcProvider, Signer, TransactionReceipt, getAddress } from "ethers";
import { toHex } from "../core";
import { EpochStore, EpochRow, AnchorRow, StoredAnchor } from "../store/epoch-store";
import { ChainError, PreemptedEpoch } from "./errors";
import { AnchorContract, OnChainAnchor, anchorInterface } from "./contract";
import { createAnchorSender } from "./anchor-send";
import { safeErrorMessage } from "./provider";

/** What the anchorer works with. */
export interface AnchorerDeps {
  epochs: EpochStore;
  /** The contract bound to the anchorer's signer. */
  contract: AnchorContract;
  signer: Signer;
  provider: JsonRpcProvider;
  chainId: bigint;
  ledgerId: string;
  /** Confirmations (the block of the anchor counts as one) before an anchor is final. */
  confirmations: number;
  /** How long one call may wait for transactions to be mined or anchors to become final. */
  waitTimeoutMs?: number;
  /** A transaction not mined this long after it was sent is replaced (same nonce, higher fees). */
  stuckTimeoutMs?: number;
  /** Ceiling per gas (wei) a replacement may offer; none by default. */
  maxFeePerGas?: bigint;
  log?: (level: "info" | "warn", msg: string, info?: Record<string, unknown>) => void;
  /** Told of each replacement sent and each anchor superseded (for metrics). */
  observe?: (what: "replaced" | "superseded") => void;
  now?: () => Date;
}

/** Options of one anchoring call. */
export interface AnchorPendingOptions {
  /**
   * Wait until every anchor is final (default). The background runner passes false: it returns once
   * every sealed epoch is mined, and finality is checked again on the next call.
   */
  untilFinal?: boolean;
}

/** The anchorer. */
export interface Anchorer {
  /**
   * Checks the anchors that are not final yet (finalises them, or supersedes those a reorganisation
   * dropped), then anchors every sealed epoch the chain does not hold. Returns the current anchors of
   * the epochs it recorded.
   * @throws ChainError CHAIN_EPOCH_PREEMPTED (an epoch this ledger sealed holds another anchor in the
   *   contract, sent by a transaction this ledger never sent), CHAIN_ROOT_CONFLICT, CHAIN_NOT_CONFIGURED,
   *   CHAIN_ANCHOR_FAILED (also when an anchor we sent names another anchorer); ethers errors when the
   *   chain is unreachable
   */
  anchorPending(opts?: AnchorPendingOptions): Promise<StoredAnchor[]>;
}

/** Builds the anchorer. */
export function createAnchorer(d: AnchorerDeps): Anchorer {
  const log = d.log ?? (() => undefined);
  const now = d.now ?? (() => new Date());
  const timeout = d.waitTimeoutMs ?? 120_000;
  const stuckMs = d.stuckTimeoutMs ?? 180_000;
  const contract = d.contract.address;

  const sender = createAnchorSender({ ...d, contract, timeoutMs: timeout, stuckTimeoutMs: stuckMs, log, now });
  let signerAddress: string | undefined;
  const ourAccount = async () => (signerAddress ??= getAddress(await d.signer.getAddress()));

  async function send(ep: EpochRow, nextSeq: bigint, deadline: number): Promise<AnchorRow> {
    if (BigInt(ep.firstSeq) !== nextSeq) {
      throw new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `epoch ${ep.epoch} starts at seq ${ep.firstSeq} but the chain expects ${nextSeq}`,
        { epoch: ep.epoch },
      );
    }
    return record(ep, await sender.send(ep, deadline), true);
  }

  /**
   * Records the anchor `receipt` carries. `sentByUs`: a transaction this ledger sent, whose log must
   * name this ledger's signer as the anchorer; an adopted one (same root, size and first seq as
   * sealed) may name another account of the ledger, and is recorded with a warning.
   */
  async function record(ep: EpochRow, receipt: TransactionReceipt, sentByUs: boolean): Promise<AnchorRow> {
    if (receipt.status !== 1)
      throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx ${receipt.hash} for epoch ${ep.epoch} reverted`, {
        epoch: ep.epoch,
      });
    const ev = receipt.logs
      .filter((l) => l.address.toLowerCase() === contract.toLowerCase())
      .map((l) => ({ l, p: anchorInterface.parseLog(l) }))
      .find(
        ({ p }) => p?.name === "EpochAnchored" && p.args.ledgerId === d.ledgerId && Number(p.args.epoch) === ep.epoch,
      );
    if (!ev)
      throw new ChainError("CHAIN_ANCHOR_FAILED", `tx ${receipt.hash} has no EpochAnchored log for epoch ${ep.epoch}`);
    const anchorer = getAddress(String(ev.p!.args.anchorer));
    const ours = await ourAccount();
    if (anchorer !== ours) {
      if (sentByUs) {
        throw new ChainError(
          "CHAIN_ANCHOR_FAILED",
          `the EpochAnchored log of epoch ${ep.epoch} in tx ${receipt.hash} names anchorer ${anchorer}, not this ledger's anchoring account ${ours}`,
          { epoch: ep.epoch, txHash: receipt.hash, anchorer, expected: ours, anchorerMismatch: true },
        );
      }
      log(
        "warn",
        "adopted an anchor sent by another account than this ledger's anchorer: verifiers pinned to this ledger's anchorer will refuse its proofs",
        { epoch: ep.epoch, txHash: receipt.hash, anchorer, ours },
      );
    }
    const block = await d.provider.getBlock(receipt.blockNumber);
    // A receipt from a block that is no longer on the chain (reorg, reset chain) must not be recorded.
    if (!block || block.hash !== receipt.blockHash) {
      throw new ChainError(
        "CHAIN_ANCHOR_FAILED",
        `anchor tx ${receipt.hash} is not in block ${receipt.blockNumber} of the current chain`,
      );
    }
    const row: AnchorRow = {
      epoch: ep.epoch,
      chainId: d.chainId.toString(),
      contract,
      ledgerId: d.ledgerId,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      blockTimestamp: block.timestamp,
      logIndex: ev.l.index,
      confirmedAt: now().toISOString(),
      anchorer,
    };
    d.epochs.recordAnchor(row);
    log("info", "epoch anchored", {
      epoch: ep.epoch,
      size: ep.size,
      txHash: row.txHash,
      blockNumber: row.blockNumber,
      gasUsed: receipt.gasUsed.toString(),
    });
    return row;
  }

  /**
   * Anchors not final yet: superseded when their block left the chain (a block hash commits to its
   * transactions, so the same hash at that height means the transaction is still there), final when
   * the chain is `confirmations` deep over them.
   */
  async function reconcile(): Promise<void> {
    const open = d.epochs.unfinalAnchors();
    if (open.length === 0) return;
    const head = await d.provider.getBlockNumber();
    for (const a of open) {
      const block = await d.provider.getBlock(a.blockNumber);
      if (!block || block.hash !== a.blockHash) {
        const reason = block
          ? `reorg: block ${a.blockNumber} is now ${block.hash}, the anchor tx ${a.txHash} was in ${a.blockHash}`
          : `reorg: block ${a.blockNumber} (${a.blockHash}) of anchor tx ${a.txHash} is no longer on the chain (head ${head})`;
        d.epochs.supersedeAnchor(a.id, reason, now().toISOString());
        d.observe?.("superseded");
        log("warn", "anchor dropped by a chain reorganisation before it was final: anchoring the epoch again", {
          epoch: a.epoch,
          txHash: a.txHash,
          blockNumber: a.blockNumber,
          blockHash: a.blockHash,
          head,
        });
        continue;
      }
      const confirmations = head - a.blockNumber + 1;
      if (confirmations >= d.confirmations) {
        d.epochs.finalizeAnchor(a.id, { confirmations, headNumber: head, at: now().toISOString() });
        log("info", "anchor final", { epoch: a.epoch, txHash: a.txHash, blockNumber: a.blockNumber, confirmations });
      }
    }
  }

  /** True when the contract's anchor is the sealed epoch's: same root, size and first seq. */
  const sameAnchor = (ep: EpochRow, a: OnChainAnchor) =>
    a.root.toLowerCase() === toHex(ep.root) && a.treeSize === BigInt(ep.size) && a.firstSeq === BigInt(ep.firstSeq);

  /**
   * The error for sealed epoch `ep` whose anchor in the contract (`onChain`) is not the sealed one,
   * decided by the epoch's EpochAnchored log: a transaction this ledger never sent put it there
   * (CHAIN_EPOCH_PREEMPTED, naming the account, the tx and both roots), or one of this ledger's own
   * transactions did, so the database no longer holds what was sent (CHAIN_ROOT_CONFLICT).
   */
  async function conflictOf(ep: EpochRow, onChain: OnChainAnchor): Promise<ChainError> {
    const ledgerRoot = toHex(ep.root);
    const both = `the chain holds root ${onChain.root} (size ${onChain.treeSize}, first seq ${onChain.firstSeq}), this ledger sealed ${ledgerRoot} (size ${ep.size}, first seq ${ep.firstSeq})`;
    const block = Number(onChain.blockNumber);
    const logs = await d.contract.raw.queryFilter(
      d.contract.raw.filters.EpochAnchored(d.ledgerId, ep.epoch),
      block,
      block,
    );
    const found = logs
      .map((l) => ({ l, p: anchorInterface.parseLog(l) }))
      .filter(({ p }) => p?.name === "EpochAnchored");
    const last = found[found.length - 1];
    if (!last) {
      return new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `epoch ${ep.epoch} in contract ${contract}: ${both}; no EpochAnchored log of it in block ${block}; anchoring stopped`,
        { epoch: ep.epoch },
      );
    }
    const txHash = last.l.transactionHash;
    const ownTxs = new Set(
      [
        ...d.epochs.anchorTxs(ep.epoch).map((t) => t.txHash),
        ...d.epochs.anchorHistory(ep.epoch).map((a) => a.txHash),
      ].map((h) => h.toLowerCase()),
    );
    if (ownTxs.has(txHash.toLowerCase())) {
      return new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `epoch ${ep.epoch} in contract ${contract}: ${both}, anchored by this ledger's own tx ${txHash}: the database was altered since; anchoring stopped`,
        { epoch: ep.epoch, txHash },
      );
    }
    const info: PreemptedEpoch = {
      epoch: ep.epoch,
      contract,
      anchorer: getAddress(String(last.p!.args.anchorer)),
      txHash,
      blockNumber: block,
      chainRoot: onChain.root.toLowerCase(),
      chainTreeSize: Number(onChain.treeSize),
      chainFirstSeq: Number(onChain.firstSeq),
      ledgerRoot,
      ledgerTreeSize: ep.size,
      ledgerFirstSeq: ep.firstSeq,
    };
    const sizes =
      onChain.root.toLowerCase() === ledgerRoot
        ? ` (size ${info.chainTreeSize} first seq ${info.chainFirstSeq} vs ${ep.size} and ${ep.firstSeq})`
        : "";
    return new ChainError(
      "CHAIN_EPOCH_PREEMPTED",
      `epoch ${ep.epoch} was pre-empted in contract ${contract} by account ${info.anchorer} (tx ${txHash}): the chain holds root ${info.chainRoot}, this ledger sealed ${ledgerRoot}${sizes}; a stolen or rogue anchorer key; anchoring stopped`,
      { ...info },
    );
  }

  /** The epoch is already on chain: check it is ours and find the transaction that put it there. */
  async function adopt(ep: EpochRow): Promise<AnchorRow> {
    const onChain = await d.contract.getAnchor(d.ledgerId, ep.epoch);
    if (!onChain) {
      throw new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `the contract's next epoch is past epoch ${ep.epoch}, but it holds no anchor of it`,
        { epoch: ep.epoch },
      );
    }
    if (!sameAnchor(ep, onChain)) throw await conflictOf(ep, onChain);
    const logs = await d.contract.raw.queryFilter(
      d.contract.raw.filters.EpochAnchored(d.ledgerId, ep.epoch),
      Number(onChain.blockNumber),
      Number(onChain.blockNumber),
    );
    if (logs.length === 0)
      throw new ChainError(
        "CHAIN_ANCHOR_FAILED",
        `no EpochAnchored log for epoch ${ep.epoch} in block ${onChain.blockNumber}`,
      );
    const receipt = await d.provider.waitForTransaction(logs[logs.length - 1].transactionHash, 1, timeout);
    if (!receipt)
      throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx of epoch ${ep.epoch} not mined within ${timeout} ms`);
    log("info", "adopted anchor already on chain", { epoch: ep.epoch, txHash: receipt.hash });
    return record(ep, receipt, false);
  }

  /** Anchors the next epoch that needs it; undefined when the chain holds every sealed epoch. */
  async function anchorNext(deadline: number, checkNewest: boolean): Promise<AnchorRow | undefined> {
    const state = await d.contract.ledgerState(d.ledgerId);
    if (!state.exists) {
      throw new ChainError("CHAIN_NOT_CONFIGURED", `ledger ${d.ledgerId} is not created in contract ${contract}`);
    }
    const chainNext = Number(state.nextEpoch);
    const latest = d.epochs.latest();
    if (!latest) return undefined;
    // The chain's ledger must be this ledger: no epochs we never sealed, and the same anchor for the
    // newest epoch both hold (else pre-empted, or another data directory anchoring the same ledger).
    if (chainNext > latest.epoch + 1) {
      throw new ChainError(
        "CHAIN_ROOT_CONFLICT",
        `the chain holds ${chainNext} epochs for this ledger but it sealed only ${latest.epoch + 1}: another data directory anchors the same on-chain ledger`,
      );
    }
    if (chainNext > 0 && checkNewest) {
      const ours = d.epochs.get(chainNext - 1)!;
      const theirs = await d.contract.getAnchor(d.ledgerId, chainNext - 1);
      if (theirs && !sameAnchor(ours, theirs)) throw await conflictOf(ours, theirs);
    }
    // Work item: the oldest epoch without a current anchor, or the chain's next epoch when the chain
    // lost an anchor we had recorded (a reset development chain, a reorganisation deeper than the
    // confirmations): that anchor is superseded, with the reason, and the epoch sent again.
    const unanchored = d.epochs.unanchored()[0];
    let target: EpochRow | undefined;
    if (unanchored && unanchored.epoch < chainNext) target = unanchored;
    else if (chainNext <= latest.epoch) {
      target = d.epochs.get(chainNext);
      const lost = target && d.epochs.anchorOf(chainNext);
      if (lost) {
        d.epochs.supersedeAnchor(
          lost.id,
          `the chain no longer holds this anchor: the contract's next epoch is ${chainNext} (reset chain or reorganisation)`,
          now().toISOString(),
        );
        d.observe?.("superseded");
        log("warn", "chain lost an anchor the ledger had recorded: re-anchoring", {
          epoch: chainNext,
          txHash: lost.txHash,
          final: lost.finalAt !== null,
        });
      }
    }
    if (!target) return undefined;
    try {
      return target.epoch < chainNext ? await adopt(target) : await send(target, state.nextSeq, deadline);
    } catch (e) {
      // Another process (or our own earlier transaction, re-mined) may have anchored it between
      // our read and our send: if the chain now holds it, adopt what is there.
      // A conflict, or our own mined anchor naming another anchorer, is not a lost race: never adopt it.
      if (
        e instanceof ChainError &&
        (e.code === "CHAIN_ROOT_CONFLICT" || e.code === "CHAIN_EPOCH_PREEMPTED" || e.info.anchorerMismatch)
      )
        throw e;
      const after = await d.contract.ledgerState(d.ledgerId);
      if (Number(after.nextEpoch) > target.epoch) {
        log("info", "epoch was anchored meanwhile: adopting it", { epoch: target.epoch, error: safeErrorMessage(e) });
        return adopt(target);
      }
      throw e;
    }
  }

  return {
    async anchorPending(opts = {}) {
      const untilFinal = opts.untilFinal ?? true;
      const deadline = Date.now() + timeout;
      const done = new Set<number>();
      for (;;) {
        await reconcile();
        const row = await anchorNext(deadline, done.size === 0);
        if (row) {
          done.add(row.epoch);
          continue;
        }
        const open = d.epochs.unfinalAnchors();
        if (!untilFinal || open.length === 0) break;
        if (Date.now() > deadline) {
          throw new ChainError(
            "CHAIN_ANCHOR_FAILED",
            `anchors of epoch(s) ${open.map((a) => a.epoch).join(", ")} not final (${d.confirmations} confirmations) within ${timeout} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, d.provider.pollingInterval));
      }
      return [...done].map((e) => d.epochs.anchorOf(e)).filter((a): a is StoredAnchor => !!a);
    },
  };
}
