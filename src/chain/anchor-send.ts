/**
 * Sending one epoch's anchor transaction and waiting until one of ours is mined (issue 6, chain
 * faults): a transaction sent before (an earlier round, before a crash) is used rather than a new
 * one; one not mined within the stuck timeout is replaced with the same nonce and higher fees; when
 * ethers v6 reports TRANSACTION_REPLACED, a replacement that is our own anchor call is the anchor
 * (recorded), anything else under our nonce is not (the anchor is sent again).
 */
import { JsonRpcProvider, Signer, TransactionReceipt, TransactionRequest, TransactionResponse, isError } from "ethers";
import { toHex } from "../core";
import { EpochStore, EpochRow, AnchorTxRow } from "../store/epoch-store";
import { ChainError } from "./errors";
import { anchorInterface } from "./contract";
import { capFees, feesOf, isOurAnchorTx, replacementFees, TxFees } from "./anchor-tx";

/** What the sender works with. */
export interface AnchorSenderDeps {
  epochs: EpochStore;
  signer: Signer;
  provider: JsonRpcProvider;
  contract: string;
  ledgerId: string;
  /** The whole call's budget, for messages. */
  timeoutMs: number;
  stuckTimeoutMs: number;
  /** Ceiling per gas for a replacement's fees (wei); none by default. */
  maxFeePerGas?: bigint;
  log: (level: "info" | "warn", msg: string, info?: Record<string, unknown>) => void;
  observe?: (what: "replaced" | "superseded") => void;
  now: () => Date;
}

/** The sender. */
export interface AnchorSender {
  /**
   * Gets the anchor of `ep` mined: returns the receipt of whichever of our transactions was mined
   * (status 1, on a canonical block or fresh), for the caller to check and record.
   * @throws ChainError CHAIN_ANCHOR_FAILED when reverted or not mined before `deadline`
   */
  send(ep: EpochRow, deadline: number): Promise<TransactionReceipt>;
}

/** Builds the sender. */
export function createAnchorSender(d: AnchorSenderDeps): AnchorSender {
  const { log, now, contract } = d;
  const stuckMs = d.stuckTimeoutMs;
  const timeout = d.timeoutMs;

  /** True when `receipt`'s block is the chain's block at that height now. */
  async function canonical(receipt: { blockNumber: number; blockHash: string }): Promise<boolean> {
    const block = await d.provider.getBlock(receipt.blockNumber);
    return !!block && block.hash === receipt.blockHash;
  }

  /**
   * Sends the anchor call, with the replaced tx's nonce and higher fees when replacing; records the
   * tx before waiting. Undefined when a replacement of a tx the node still holds would need fees above
   * the ceiling (a replacement within it would be refused as underpriced): nothing is sent then.
   */
  async function broadcast(
    ep: EpochRow,
    data: string,
    replacing?: { row: AnchorTxRow; resp?: TransactionResponse },
  ): Promise<{ row: AnchorTxRow; resp: TransactionResponse } | undefined> {
    const req: TransactionRequest = { to: contract, data };
    if (replacing) {
      const old: TxFees | undefined = replacing.resp
        ? feesOf(replacing.resp)
        : replacing.row.maxFeePerGas != null && replacing.row.maxPriorityFeePerGas != null
          ? {
              maxFeePerGas: BigInt(replacing.row.maxFeePerGas),
              maxPriorityFeePerGas: BigInt(replacing.row.maxPriorityFeePerGas),
            }
          : replacing.row.gasPrice != null
            ? { gasPrice: BigInt(replacing.row.gasPrice) }
            : undefined;
      const { fees, capped } = capFees(replacementFees(old, await d.provider.getFeeData()), d.maxFeePerGas);
      if (capped && replacing.resp) return undefined;
      Object.assign(req, fees, {
        nonce: replacing.row.nonce,
        gasLimit: replacing.resp?.gasLimit,
        type: fees.maxFeePerGas != null ? 2 : 0,
      });
    }
    const resp = await d.signer.sendTransaction(req);
    const row: AnchorTxRow = {
      epoch: ep.epoch,
      txHash: resp.hash,
      nonce: resp.nonce,
      sentAt: now().toISOString(),
      maxFeePerGas: resp.maxFeePerGas?.toString() ?? null,
      maxPriorityFeePerGas: resp.maxPriorityFeePerGas?.toString() ?? null,
      gasPrice: resp.type === 2 ? null : (resp.gasPrice?.toString() ?? null),
      replaces: replacing?.row.txHash ?? null,
    };
    d.epochs.recordAnchorTx(row);
    if (replacing) {
      d.observe?.("replaced");
      const msg = replacing.resp
        ? "anchor tx not mined in time: replaced with the same nonce and higher fees"
        : "anchor tx unknown to the node (dropped from its pool, or by a reorganisation): sent again with the same nonce and higher fees";
      log("warn", msg, {
        epoch: ep.epoch,
        replaced: replacing.row.txHash,
        txHash: resp.hash,
        nonce: resp.nonce,
        stuckAfterMs: stuckMs,
        maxFeePerGas: row.maxFeePerGas,
        maxPriorityFeePerGas: row.maxPriorityFeePerGas,
        gasPrice: row.gasPrice,
      });
    } else {
      log("info", "anchor tx sent", { epoch: ep.epoch, txHash: resp.hash, nonce: resp.nonce });
    }
    return { row, resp };
  }

  async function send(ep: EpochRow, deadline: number): Promise<TransactionReceipt> {
    const data = anchorInterface.encodeFunctionData("anchor", [
      d.ledgerId,
      ep.epoch,
      toHex(ep.root),
      ep.size,
      ep.firstSeq,
    ]);
    const from = await d.signer.getAddress();
    const sent = d.epochs.anchorTxs(ep.epoch);
    // A transaction sent before (before a crash, or an earlier round) may be mined: use it, never send twice.
    for (const tx of [...sent].reverse()) {
      const r = await d.provider.getTransactionReceipt(tx.txHash);
      // A node may still serve the receipt of a transaction whose block was dropped: check the block.
      if (r && r.status === 1 && (await canonical(r))) return r;
    }
    // Or still in flight: its nonce not used yet. Wait on the newest one sent with that nonce.
    const startBlock = await d.provider.getBlockNumber();
    const used = await d.provider.getTransactionCount(from, "latest");
    const live = sent.filter((t) => t.nonce >= used);
    let cur: { row: AnchorTxRow; resp?: TransactionResponse };
    if (live.length) {
      const row = live[live.length - 1];
      const resp = await d.provider.getTransaction(row.txHash);
      // Unknown to the node (dropped from its pool): left without resp, so it is re-sent below.
      cur = { row, resp: resp ? resp.replaceableTransaction(startBlock) : undefined };
      log("info", "waiting on an anchor tx sent earlier", {
        epoch: ep.epoch,
        txHash: row.txHash,
        nonce: row.nonce,
        known: !!resp,
      });
    } else {
      cur = (await broadcast(ep, data))!;
    }
    let atCeiling = false;
    for (;;) {
      const stuckIn = Date.parse(cur.row.sentAt) + stuckMs - now().getTime();
      if (!cur.resp || (stuckIn <= 0 && !atCeiling)) {
        try {
          const next = await broadcast(ep, data, cur);
          if (next) cur = next;
          else {
            atCeiling = true;
            log(
              "warn",
              "anchor tx stuck, but a replacement would pay more than the fee ceiling (LEDGER_ANCHOR_MAX_FEE_GWEI): waiting on it",
              {
                epoch: ep.epoch,
                txHash: cur.row.txHash,
                maxFeePerGas: d.maxFeePerGas?.toString(),
              },
            );
          }
        } catch (e) {
          // The nonce was used meanwhile (the transaction we meant to replace was mined): wait on it.
          if (isError(e, "NONCE_EXPIRED") && cur.resp) {
            log("info", "anchor tx mined while it was being replaced", { epoch: ep.epoch, txHash: cur.row.txHash });
            cur = { row: { ...cur.row, sentAt: now().toISOString() }, resp: cur.resp };
            continue;
          }
          throw e;
        }
        continue;
      }
      const waitMs = atCeiling ? deadline - Date.now() : Math.min(stuckIn, deadline - Date.now());
      if (waitMs <= 0) {
        throw new ChainError(
          "CHAIN_ANCHOR_FAILED",
          `anchor tx ${cur.row.txHash} of epoch ${ep.epoch} not mined within ${timeout} ms: it is kept and awaited again on the next round`,
          { epoch: ep.epoch },
        );
      }
      try {
        const receipt = await cur.resp.wait(1, waitMs);
        if (receipt) return receipt;
      } catch (e) {
        if (isError(e, "TIMEOUT")) continue; // stuck: replaced at the top of the loop, or the deadline passed
        if (isError(e, "CALL_EXCEPTION"))
          throw new ChainError("CHAIN_ANCHOR_FAILED", `anchor tx ${cur.row.txHash} for epoch ${ep.epoch} reverted`, {
            epoch: ep.epoch,
          });
        if (!isError(e, "TRANSACTION_REPLACED")) throw e;
        const rep = e.replacement;
        if (isOurAnchorTx(rep, { from, nonce: cur.row.nonce, contract, data })) {
          d.epochs.recordAnchorTx({
            epoch: ep.epoch,
            txHash: rep.hash,
            nonce: rep.nonce,
            sentAt: now().toISOString(),
            ...feeColumns(feesOf(rep)),
            replaces: cur.row.txHash,
          });
          log(
            "info",
            "anchor tx was replaced by our own anchor call (same nonce, same calldata): the replacement is the anchor",
            {
              epoch: ep.epoch,
              replaced: cur.row.txHash,
              txHash: rep.hash,
              reason: e.reason,
            },
          );
          return e.receipt;
        }
        // Someone else used our nonce (another tool holding the anchorer key): the epoch is not
        // anchored by it; send the anchor again under the next nonce.
        log("warn", "anchor tx was replaced by a transaction that is not this anchor: sending the anchor again", {
          epoch: ep.epoch,
          replaced: cur.row.txHash,
          by: rep.hash,
          reason: e.reason,
        });
        cur = (await broadcast(ep, data))!;
      }
    }
  }

  return { send };
}

function feeColumns(f: TxFees): Pick<AnchorTxRow, "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice"> {
  return {
    maxFeePerGas: f.maxFeePerGas?.toString() ?? null,
    maxPriorityFeePerGas: f.maxPriorityFeePerGas?.toString() ?? null,
    gasPrice: f.gasPrice?.toString() ?? null,
  };
}
