/**
 * Error classes of the pure core. Every error carries a stable `code` (tests and callers branch on
 * it, never on the message), a short lowercase message in got/want form, and the values in `info`.
 * No error ever carries a secret.
 */

/** Codes for proof and hashing failures, one per verification step that can fail. */
export type ProofErrorCode =
  | "PROOF_SCHEMA_INVALID"
  | "PROOF_BAD_HASH_LENGTH"
  | "PROOF_INDEX_OUT_OF_RANGE"
  | "PROOF_WRONG_LENGTH"
  | "PROOF_CANONICAL_MISMATCH"
  | "PROOF_LEAF_MISMATCH"
  | "PROOF_ROOT_MISMATCH"
  | "PROOF_CONSISTENCY_INVALID"
  | "PROOF_CHECKPOINT_INVALID";

/** Codes for event and record validation failures. */
export type EventErrorCode =
  "EVENT_SCHEMA_INVALID" | "EVENT_PAYLOAD_HASH_MISMATCH" | "EVENT_NOT_CANONICALISABLE" | "RECORD_INVALID";

/** Codes for receipt verification failures, one per step that can fail. */
export type ReceiptErrorCode =
  | "RECEIPT_SCHEMA_INVALID"
  | "RECEIPT_VERSION_UNSUPPORTED"
  | "RECEIPT_KEY_MISMATCH"
  | "RECEIPT_PATH_INVALID"
  | "RECEIPT_ROOT_MISMATCH"
  | "RECEIPT_SIGNATURE_INVALID";

/** Any error code of the core. */
export type CoreErrorCode = ProofErrorCode | EventErrorCode | ReceiptErrorCode;

/** One bad field: a JSON Pointer into the checked document and what is wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Base class of every error the core throws. */
export class CoreError<C extends string = CoreErrorCode> extends Error {
  readonly code: C;
  readonly info: Record<string, unknown>;
  constructor(code: C, message: string, info: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.info = info;
  }
}

/** A Merkle proof, a hash or a proof bundle failed a check. */
export class ProofError extends CoreError<ProofErrorCode> {}

/** A ledger receipt failed a check. */
export class ReceiptError extends CoreError<ReceiptErrorCode> {}

/** An event or a stored record is malformed; `issues` lists every bad field at once. */
export class EventError extends CoreError<EventErrorCode> {
  readonly issues: FieldIssue[];
  constructor(code: EventErrorCode, message: string, issues: FieldIssue[] = [], info: Record<string, unknown> = {}) {
    super(code, message, { ...info, issues });
    this.issues = issues;
  }
}

/** True when `e` is a core error with the given code. */
export function isCoreError(e: unknown, code?: string): e is CoreError<string> {
  return e instanceof CoreError && (code === undefined || e.code === code);
}
