/**
 * Anchor transactions as transactions: the fees of a replacement and whether a transaction that
 * took our nonce is our own anchor. Pure functions over ethers' types, no I/O.
 */
import { FeeData, TransactionResponse } from "ethers";

/**
 * How much a replacement raises each fee, in per mille: 12.5 %. Geth, Erigon and Besu refuse a
 * replacement that raises the tip and the fee cap by less than 10 % (txpool `PriceBump`); some
 * providers want a little more, so the common wallet figure of 12.5 % is used.
 */
export const FEE_BUMP_PER_MILLE = 1125n;

/** Fees of a transaction: EIP-1559 (maxFeePerGas, maxPriorityFeePerGas) or legacy (gasPrice). */
export interface TxFees {
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
}

const bump = (x: bigint): bigint => (x * FEE_BUMP_PER_MILLE + 999n) / 1000n;
const max = (...xs: (bigint | null | undefined)[]): bigint =>
  xs.reduce<bigint>((m, x) => (x != null && x > m ? x : m), 0n);

/**
 * The fees of a replacement for a transaction that offered `old`: each fee raised by 12.5 %, and
 * never below what the node suggests now (`now`). With `old` unknown, the node's suggestion raised
 * by 12.5 % (the old transaction may still sit in another node's pool at about that price).
 */
export function replacementFees(old: TxFees | undefined, now: FeeData): TxFees {
  if (old?.maxFeePerGas != null && old.maxPriorityFeePerGas != null) {
    const tip = max(bump(old.maxPriorityFeePerGas), now.maxPriorityFeePerGas);
    return { maxPriorityFeePerGas: tip, maxFeePerGas: max(bump(old.maxFeePerGas), now.maxFeePerGas, tip) };
  }
  if (old?.gasPrice != null) return { gasPrice: max(bump(old.gasPrice), now.gasPrice) };
  if (now.maxFeePerGas != null && now.maxPriorityFeePerGas != null) {
    return { maxPriorityFeePerGas: bump(now.maxPriorityFeePerGas), maxFeePerGas: bump(now.maxFeePerGas) };
  }
  return { gasPrice: bump(now.gasPrice ?? 1n) };
}

/**
 * Clamps fees to a ceiling per gas (the operator's LEDGER_ANCHOR_MAX_FEE_GWEI): the fee cap or gas
 * price at most `cap`, the tip at most the fee cap. `capped` says whether anything was lowered.
 */
export function capFees(fees: TxFees, cap: bigint | undefined): { fees: TxFees; capped: boolean } {
  if (cap === undefined) return { fees, capped: false };
  const low = (x?: bigint) => (x !== undefined && x > cap ? cap : x);
  const out: TxFees = {
    maxFeePerGas: low(fees.maxFeePerGas),
    maxPriorityFeePerGas: low(fees.maxPriorityFeePerGas),
    gasPrice: low(fees.gasPrice),
  };
  const capped =
    out.maxFeePerGas !== fees.maxFeePerGas ||
    out.maxPriorityFeePerGas !== fees.maxPriorityFeePerGas ||
    out.gasPrice !== fees.gasPrice;
  for (const k of Object.keys(out) as (keyof TxFees)[]) if (out[k] === undefined) delete out[k];
  return { fees: out, capped };
}

/** The fees a sent transaction offered. */
export function feesOf(
  tx: Pick<TransactionResponse, "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice" | "type">,
): TxFees {
  return tx.type === 2 && tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null
    ? { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas }
    : { gasPrice: tx.gasPrice ?? undefined };
}

/**
 * True when `tx` is our anchor call under our nonce: from our account, with the nonce we used, to the
 * contract, with exactly the calldata of this epoch's anchor and no value. Such a transaction, mined
 * in place of the one we waited on, is our own replacement (or the original our replacement lost to).
 */
export function isOurAnchorTx(
  tx: Pick<TransactionResponse, "from" | "nonce" | "to" | "data" | "value">,
  want: { from: string; nonce: number; contract: string; data: string },
): boolean {
  return (
    tx.from.toLowerCase() === want.from.toLowerCase() &&
    tx.nonce === want.nonce &&
    (tx.to ?? "").toLowerCase() === want.contract.toLowerCase() &&
    tx.data.toLowerCase() === want.data.toLowerCase() &&
    tx.value === 0n
  );
}
