/** Errors of the chain adapter, with stable codes. */
import { CoreError } from "../core";

/** Codes the chain adapter throws. */
export type ChainErrorCode =
  | "CHAIN_UNREACHABLE"
  | "CHAIN_ID_MISMATCH"
  | "CHAIN_NO_CONTRACT"
  | "CHAIN_NOT_CONFIGURED"
  | "CHAIN_ROOT_CONFLICT"
  | "CHAIN_EPOCH_PREEMPTED"
  | "CHAIN_ANCHOR_FAILED"
  | "CHAIN_EVM_UNSUPPORTED"
  | "CHAIN_ADMIN_REFUSED"
  | "PROOF_ANCHOR_MISSING"
  | "PROOF_ANCHOR_ROOT_MISMATCH"
  | "PROOF_ANCHOR_SIZE_MISMATCH"
  | "PROOF_ANCHOR_SEQ_MISMATCH"
  | "PROOF_BLOCK_MISMATCH"
  | "PROOF_TX_MISMATCH"
  | "PROOF_NOT_FINAL";

/**
 * A chain failure or a proof the chain does not confirm. CHAIN_EPOCH_PREEMPTED is an attack, not a
 * fault: the contract holds, for an epoch this ledger sealed, an anchor this ledger never sent (a
 * stolen or rogue anchorer key); its info names the epoch, the contract, the account, the tx and both
 * roots (see {@link PreemptedEpoch}).
 */
export class ChainError extends CoreError<ChainErrorCode> {}

/** What CHAIN_EPOCH_PREEMPTED's info holds. */
export interface PreemptedEpoch {
  epoch: number;
  contract: string;
  /** The account that anchored the epoch (the EpochAnchored log's anchorer), EIP-55. */
  anchorer: string;
  txHash: string;
  blockNumber: number;
  /** What the contract holds. */
  chainRoot: string;
  chainTreeSize: number;
  chainFirstSeq: number;
  /** What this ledger sealed. */
  ledgerRoot: string;
  ledgerTreeSize: number;
  ledgerFirstSeq: number;
}

/** The pre-empted epoch a CHAIN_EPOCH_PREEMPTED error names, or undefined for any other error. */
export function preemptedEpochOf(e: unknown): PreemptedEpoch | undefined {
  return e instanceof ChainError && e.code === "CHAIN_EPOCH_PREEMPTED"
    ? (e.info as unknown as PreemptedEpoch)
    : undefined;
}

/** True for failures of reaching the chain (exit code 3), as opposed to the chain saying no. */
export function isUnreachable(e: unknown): boolean {
  return e instanceof ChainError && e.code === "CHAIN_UNREACHABLE";
}
