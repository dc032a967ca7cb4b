/**
 * What `audit` reports: one finding per thing wrong, named by a code (see audit.ts). Kept apart from the
 * scan so that the chain, receipt and client checks share the type without loading the scan.
 */
// A type only: nothing of pin-check is loaded into audit's worker threads.
import type { PinCheckCode } from "../security/pin-check";

/** What a finding is about. */
export type AuditFindingCode =
  | "EVENT_RECORD_ALTERED"
  | "EVENT_ROW_MISMATCH"
  | "EVENT_RECORD_UNREADABLE"
  | "SEQUENCE_GAP"
  | "EVENT_OUTSIDE_EPOCHS"
  | "EPOCH_RANGE_BROKEN"
  | "EPOCH_EVENT_MISSING"
  | "EPOCH_LEAF_MISMATCH"
  | "EPOCH_TREE_ALTERED"
  | "EPOCH_ROOT_MISMATCH"
  | "BATCH_CHAIN_BROKEN"
  | "ANCHOR_MISSING_ON_CHAIN"
  | "ANCHOR_ROOT_MISMATCH"
  | "ANCHOR_RANGE_MISMATCH"
  | "ANCHOR_EPOCH_MISSING_LOCALLY"
  | "ANCHOR_TX_MISSING"
  | "ANCHOR_BLOCK_MISMATCH"
  | PinCheckCode
  | "RECEIPT_GROUP_ROOT_MISMATCH"
  | "RECEIPT_GROUP_SIGNATURE_INVALID"
  | "RECEIPT_GROUP_EVENT_MISSING"
  | "RECEIPT_GROUP_RANGE_BROKEN"
  | "EVENT_WITHOUT_RECEIPT_GROUP"
  | "CLIENT_NOT_RECORDED"
  | "CLIENT_NOT_AS_RECORDED";

/** One finding: what is wrong, and which event, epoch or anchor it concerns. */
export interface AuditFinding {
  code: AuditFindingCode;
  message: string;
  seq?: number;
  eventId?: string;
  epoch?: number;
  batchId?: string;
  anchorTx?: string;
  /** The anchors row's id, for findings about one. */
  anchorId?: number;
}
