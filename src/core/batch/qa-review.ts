/**
 * QA's own review of a batch record, signed and recorded in the ledger as a `batch.review_completed`
 * event (issue 13 item 5): the meaning of the signature, the printed name, the time with its zone
 * (21 CFR 11.50), the verdict, the hash of the report reviewed and the batch head it covered
 * (21 CFR 11.70: the head's leaf hash commits to every earlier event of the batch through the batch
 * chain). Written by a `qa` API client with an Ed25519 key of its own, through the same ingestion as
 * any event (its source signature is verified on ingest and on every verify-batch).
 */
import { canonicalBytes } from "../canonical";
import { GxpEvent } from "../event/types";
import { toHex } from "../hex";
import { sha256Noble } from "../merkle/hasher";
import { BatchEntry, BatchReport, Finding } from "./types";

/** `reviewScope` of a review recorded by `review-batch --sign`. */
export const QA_REVIEW_SCOPE = "ledger-integrity";

/** The meaning of a signature over a review whose integrity verification passed. */
export const INTEGRITY_VERIFIED_MEANING = "reviewed — integrity verified";

/** The head of the batch a review covered: its last event in batch order. */
export interface ReviewedHead {
  batchSeq: number;
  eventId: string;
  leafHash: string;
}

/** A signed QA review of the batch as the report shows it (11.50 manifestation). */
export interface QaReviewView {
  eventId: string;
  printedName: string;
  userId: string;
  role: string;
  meaning: string;
  signedAt: string;
  timeZone: string;
  verdict: string;
  reportHash: string;
  reviewedHead: ReviewedHead;
  /** The API client that recorded it and the scheme its source signature uses. */
  client?: string;
  signingAlg?: string;
  /** valid: the head it names is in the batch with that leaf hash; head-mismatch otherwise. */
  status: "valid" | "head-mismatch" | "unsigned";
  detail?: string;
}

/** SHA-256 of the report's RFC 8785 form (`sha256:` + 64 hex): what a review signs for the report. */
export function reportHashOf(report: BatchReport): string {
  return "sha256:" + toHex(sha256Noble(canonicalBytes(JSON.parse(JSON.stringify(report))))).slice(2);
}

/**
 * Whether an entry is a QA review recorded in the ledger (by a `qa` client) rather than part of the
 * MES's batch record: such reviews are listed on their own and kept out of the MES checklist (a
 * review after release is a review, not a post-disposition change of the record).
 */
export function isQaReview(e: BatchEntry): boolean {
  return e.record.event.type === "batch.review_completed" && e.record.submittedBy?.role === "qa";
}

/** Whether a verdict lets QA sign "integrity verified": integrity holds and every event is anchored. */
export function integrityVerified(report: Pick<BatchReport, "verdict" | "integrity">): boolean {
  return report.integrity.ok && (report.verdict === "PASS" || report.verdict === "OPEN-ITEMS");
}

/**
 * The QA reviews of a batch with their 11.70 link checked: the head each one names must be the
 * batch's event at that batch sequence, with that leaf hash.
 * @returns the views and an integrity finding (REVIEW_HEAD_MISMATCH) per broken link
 */
export function qaReviewsOf(entries: readonly BatchEntry[]): { views: QaReviewView[]; findings: Finding[] } {
  const bySeq = new Map<number, BatchEntry>();
  for (const e of entries) if (e.record.batchLink) bySeq.set(e.record.batchLink.batchSeq, e);
  const views: QaReviewView[] = [];
  const findings: Finding[] = [];
  for (const x of entries.filter(isQaReview)) {
    const ev: GxpEvent = x.record.event;
    const d = ev.data as Record<string, unknown>;
    const head = (d.reviewedHead ?? {}) as Partial<ReviewedHead>;
    const at = typeof head.batchSeq === "number" ? bySeq.get(head.batchSeq) : undefined;
    let status: QaReviewView["status"] = "valid";
    let detail: string | undefined;
    if (!x.record.submittedBy?.signingAlg) {
      status = "unsigned";
      detail = "recorded by a client without a signing key";
    } else if (!at || at.record.event.id !== head.eventId || at.leafHash !== head.leafHash) {
      status = "head-mismatch";
      detail = `names batch head ${head.eventId} (batch sequence ${head.batchSeq}, leaf ${head.leafHash}), but the batch holds ${at ? `${at.record.event.id} with leaf ${at.leafHash}` : "no event"} there`;
      findings.push({
        code: "REVIEW_HEAD_MISMATCH",
        message: `QA review ${ev.id} by ${ev.actor.printedName}: ${detail}: the review is not linked to this record`,
        eventIds: [ev.id],
      });
    }
    views.push({
      eventId: ev.id,
      printedName: ev.actor.printedName,
      userId: ev.actor.userId,
      role: ev.actor.role,
      meaning: String(d.meaning ?? ""),
      signedAt: String(d.signedAt ?? ev.occurredAt),
      timeZone: String(d.timeZone ?? ev.timeZone),
      verdict: String(d.verdict ?? ""),
      reportHash: String(d.reportHash ?? ""),
      reviewedHead: { batchSeq: Number(head.batchSeq), eventId: String(head.eventId), leafHash: String(head.leafHash) },
      ...(x.record.submittedBy ? { client: x.record.submittedBy.client } : {}),
      ...(x.record.submittedBy?.signingAlg ? { signingAlg: x.record.submittedBy.signingAlg } : {}),
      status,
      ...(detail ? { detail } : {}),
    });
  }
  return { views, findings };
}
