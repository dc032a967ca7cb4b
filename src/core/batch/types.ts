/**
 * The batch review: what QA reads before release (21 CFR 211.192, FDA Data Integrity Q&A Q7–Q8,
 * PIC/S PI 041) and what `verify-batch`, `GET /v1/batches/{batchId}` and the regulator package
 * report. The same types serve the ledger (which checks against its database and the chain) and
 * `verify-package` (which checks against the package and the chain).
 */
import { EXIT, ExitCode } from "../exit-codes";
import { LedgerRecord } from "../record";
import type { QaReviewView } from "./qa-review";

/** Report format identifier; bumped only under change control. */
export const BATCH_REPORT_VERSION = "gxp-ledger.batch-report/1";

/** One event of the batch record as the review sees it: the record and its leaf hash (0x hex). */
export interface BatchEntry {
  record: LedgerRecord;
  leafHash: string;
}

/** A sequence gap the ledger flagged for one of the batch's events. */
export interface BatchSourceGap {
  eventId: string;
  source: string;
  expected: number;
  got: number;
}

/** Something wrong or worth a reviewer's eye, naming the events involved. */
export interface Finding {
  /** Stable code, e.g. BATCH_CHAIN_BROKEN, STEP_NOT_TERMINATED. */
  code: string;
  message: string;
  eventIds: string[];
}

/** Outcome of one checklist item. `n/a` when the batch has nothing the item applies to. */
export type ItemStatus = "pass" | "open" | "n/a";

/** One item of the completeness checklist (../shared/domain/GXP.md §4.1). */
export interface ChecklistItem {
  id: string;
  title: string;
  /** The regulation or guidance it comes from. */
  basis: string;
  status: ItemStatus;
  /** Open items: what is missing or wrong. */
  findings: Finding[];
  /** Reviewed exceptions that do not keep the item open (a forced step with its deviation, say). */
  notes: Finding[];
}

/** A signature as 21 CFR 11.50 requires it to be shown: printed name, time and meaning. */
export interface SignatureView {
  eventId: string;
  signatureId?: string;
  printedName: string;
  userId: string;
  role: string;
  meaning: string;
  meaningText?: string;
  signedAt: string;
  timeZone: string;
  signs: string[];
  sequence?: number;
  requiredSignatures?: number;
  /** valid; superseded (a signed event was corrected after); content-mismatch (11.70 link broken). */
  status: "valid" | "superseded" | "re-signed" | "content-mismatch" | "outside-batch";
  detail?: string;
}

/** A correction or void, shown with the original (Annex 11 §8.2, §9). */
export interface CorrectionView {
  eventId: string;
  kind: "corrected" | "voided";
  target: string;
  field?: string;
  originalValue?: unknown;
  previousValue?: unknown;
  newValue?: unknown;
  reason: string;
  by: string;
  authorisedBy?: string;
  at: string;
}

/** One line of the full audit trail. */
export interface TrailEntry {
  batchSeq: number;
  seq: number;
  eventId: string;
  type: string;
  occurredAt: string;
  receivedAt: string;
  actor: string;
  /** The API client that submitted the event (`submittedBy.client` of its record); absent for an import. */
  submittedBy?: string;
  /** The event's source. */
  source: string;
  summary: string;
  flags: string[];
}

/** What the review of the events found, before anything about storage or the chain. */
export interface BatchReview {
  batchId: string;
  product?: string;
  lotId?: string;
  events: number;
  /** Integrity findings that follow from the records themselves (batch chain, signature binding). */
  integrity: Finding[];
  checklist: ChecklistItem[];
  signatures: SignatureView[];
  corrections: CorrectionView[];
  disposition?: { eventId: string; decision: string; at: string; by: string };
  trail: TrailEntry[];
  /** The site of the batch's first event. */
  site?: string;
  /**
   * QA's signed reviews recorded in the ledger (`review-batch --sign`), kept out of the checklist of
   * the MES's record; absent in reports of versions before them.
   */
  reviews?: QaReviewView[];
}

/**
 * Verdicts, each with its exit code: 0 pass, 1 integrity fails, 6 unpinned (a package checked
 * without the site's trust profile or pinned values: unchanged, but not shown to be the site's),
 * 5 not all anchored, 4 open items.
 */
export type BatchVerdict = "PASS" | "INTEGRITY-FAIL" | "UNPINNED" | "NOT-ANCHORED" | "OPEN-ITEMS";

/** Exit code of each verdict. */
export const BATCH_EXIT = {
  PASS: EXIT.OK,
  "INTEGRITY-FAIL": EXIT.FAILED,
  UNPINNED: EXIT.UNPINNED,
  "NOT-ANCHORED": EXIT.NOT_ANCHORED,
  "OPEN-ITEMS": EXIT.OPEN_ITEMS,
} as const satisfies Record<BatchVerdict, ExitCode>;

/** Whose ledger the evidence was checked against (verify-package): the pin, or what was not pinned. */
export interface ProvenanceView {
  pinned: boolean;
  /** What the pin named and matched (organisation, site, contract, ledger, anchoring accounts, key), or why nothing was. */
  detail: string;
  /** What was not pinned. */
  unpinned: string[];
}

/** One integrity check done and what it found. */
export interface IntegrityCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/** The full report. */
export interface BatchReport extends Omit<BatchReview, "integrity"> {
  reportVersion: typeof BATCH_REPORT_VERSION;
  verdict: BatchVerdict;
  exitCode: (typeof BATCH_EXIT)[BatchVerdict];
  generatedAt: string;
  /** Where the evidence came from: the ledger's database or a package. */
  checkedFrom: "ledger" | "package";
  integrity: { ok: boolean; checks: IntegrityCheck[]; findings: Finding[] };
  anchoring: { anchored: number; notAnchored: { eventId: string; status: string }[]; epochs: number[] };
  /** Open findings and reviewed exceptions, flattened: review by exception. */
  exceptions: Finding[];
  /** Whose ledger this is, when checked against a pin (packages); absent for the ledger's own review. */
  provenance?: ProvenanceView;
}
