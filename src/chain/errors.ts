/** Errors of the chain adapter, with stable codes. */
import { CoreError } from "../core";

/** Codes the chain adapter throws. */
export type ChainErrorCode =
  | "CHAIN_UNREACHABLE"
  | "CHAIN_ID_MISMATCH"
  | "CHAIN_NO_CONTRACT"
  | "CHAIN_NOT_CONFIGURED"
  | "CHAIN_ROOT_CONFLICT"
  | "CHAIN_ANCHOR_FAILED"
  | "CHAIN_EVM_UNSUPPORTED"
  | "PROOF_ANCHOR_MISSING"
  | "PROOF_ANCHOR_ROOT_MISMATCH"
  | "PROOF_ANCHOR_SIZE_MISMATCH"
  | "PROOF_ANCHOR_SEQ_MISMATCH"
  | "PROOF_BLOCK_MISMATCH"
  | "PROOF_TX_MISMATCH"
  | "PROOF_NOT_FINAL";

/** A chain failure or a proof the chain does not confirm. */
export class ChainError extends CoreError<ChainErrorCode> {}

/** True for failures of reaching the chain (exit code 3), as opposed to the chain saying no. */
export function isUnreachable(e: unknown): boolean {
  return e instanceof ChainError && e.code === "CHAIN_UNREACHABLE";
}
