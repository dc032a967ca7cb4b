/** Errors of the storage adapter, with stable codes like the core's. */
import { CoreError } from "../core/errors";

/** Codes the store throws. */
export type StoreErrorCode =
  | "STORE_OPEN_FAILED"
  | "STORE_MIGRATION_FAILED"
  | "STORE_QUERY_FAILED"
  | "EVENT_ID_CONFLICT"
  | "EVENT_NOT_FOUND"
  | "EPOCH_NOT_FOUND"
  | "RECORD_UNREADABLE"
  | "RECEIPT_GROUP_MISMATCH"
  | "RECEIPT_NOT_STORED"
  | "LEDGER_NOT_FOUND"
  | "LEDGER_NAME_MISMATCH"
  | "LEDGER_KEY_CHANGED"
  | "LEDGER_KEY_MISSING"
  | "LEDGER_PIN_MISMATCH"
  | "REFERENCED_EVENT_NOT_FOUND"
  | "REFERENCE_OUTSIDE_BATCH"
  | "SIGNATURE_CONTENT_MISMATCH"
  | "SOURCE_SEQUENCE_NOT_INCREASING"
  | "LATE_EVENT_NOT_IN_GAP"
  | "LATE_EVENT_ALREADY_STORED"
  | "SOURCE_SIGNATURE_INVALID"
  | "CLIENT_INVALID"
  | "CLIENT_EXISTS"
  | "CLIENT_NOT_FOUND"
  | "CLIENT_REVOKED"
  | "BACKUP_TARGET_EXISTS"
  | "BACKUP_FAILED"
  | "BACKUP_INVALID"
  | "RESTORE_TARGET_NOT_EMPTY";

/** A storage failure or a refused write. `info.sql` names the statement where one failed. */
export class StoreError extends CoreError<StoreErrorCode> {}
