/**
 * The review of one batch record, from its events alone, and the verdict once storage and chain
 * checks are added. Pure: the ledger (database + chain) and `verify-package` (package + chain) both
 * feed it the records they verified.
 */
import { GxpEvent } from "../event/types";
import { checkBatchChain } from "./chain";
import { evaluateChecklist } from "./checklist";
import { foldCorrections } from "./corrections";
import { reviewSignatures } from "./signatures";
import { isQaReview, qaReviewsOf } from "./qa-review";
import {
  BATCH_EXIT,
  BATCH_REPORT_VERSION,
  BatchEntry,
  BatchReport,
  BatchReview,
  BatchSourceGap,
  BatchVerdict,
  Finding,
  IntegrityCheck,
  TrailEntry,
} from "./types";

/** What the review needs. */
export interface BatchReviewInput {
  batchId: string;
  /** The batch's events in the order the evidence lists them (store batch order, or the package's). */
  entries: readonly BatchEntry[];
  sourceGaps?: readonly BatchSourceGap[];
}

const fmt = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** A one-line summary of an event for the audit trail. */
export function summarizeEvent(e: GxpEvent): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case "parameter.recorded":
      return `${fmt(d.name)} = ${fmt(d.value)} ${fmt(d.unit)}${d.withinLimits === false ? " OUT OF LIMITS" : ""}`;
    case "material.dispensed":
      return `${fmt(d.materialId)} lot ${fmt(d.lotId)}: ${fmt(d.netQuantity)} ${fmt(d.unit)} (target ${fmt(d.targetQuantity)})`;
    case "material.charged":
      return `lot ${fmt(d.lotId)}: ${fmt(d.quantity)} ${fmt(d.unit)} into ${fmt(d.destinationUnit)}`;
    case "ipc.result_recorded":
      return `${fmt(d.testCode)}: ${fmt(d.result)}${d.unit ? ` ${fmt(d.unit)}` : ""} (${d.passed ? "pass" : "FAIL"})`;
    case "signature.applied":
      return `${fmt(d.meaning)} by ${e.actor.printedName} at ${fmt(d.signedAt)} over ${(d.signedContent as { eventIds: string[] }).eventIds.length} event(s)`;
    case "record.corrected":
      return `${e.refs?.find((r) => r.rel === "corrects")?.eventId}${fmt(d.field)}: ${fmt(d.previousValue)} → ${fmt(d.newValue)}`;
    case "record.voided":
      return `voids ${e.refs?.find((r) => r.rel === "voids")?.eventId}`;
    case "deviation.opened":
    case "deviation.closed":
      return `${fmt(d.deviationId)}${d.classification ? ` (${fmt(d.classification)})` : ""}`;
    case "batch.state_changed":
      return `${fmt(d.from)} → ${fmt(d.to)}`;
    case "batch.dispositioned":
      return `${fmt(d.decision)}`;
    default: {
      const step =
        d.stepInstanceId !== undefined ? `step ${fmt(d.stepInstanceId)}${d.outcome ? ` ${fmt(d.outcome)}` : ""}` : "";
      const where = e.context?.phase ?? e.context?.operation ?? e.context?.unitProcedure;
      return [where, step].filter(Boolean).join(" ");
    }
  }
}

/** Reviews the batch from its records: batch chain, corrections, signatures and checklist. */
export function reviewBatch(input: BatchReviewInput): BatchReview {
  const entries = [...input.entries];
  const chain = checkBatchChain(input.batchId, entries);
  // Everything after the chain check reads the events in the records' own batch order.
  const ordered = entries
    .filter((e) => e.record.event.batch?.batchId === input.batchId)
    .sort((a, b) => (a.record.batchLink?.batchSeq ?? a.record.seq) - (b.record.batchLink?.batchSeq ?? b.record.seq));
  // QA's own signed reviews (review-batch --sign) are listed on their own; the checklist is about the
  // MES's batch record.
  const mes = ordered.filter((e) => !isQaReview(e));
  const qa = qaReviewsOf(ordered);
  const events = mes.map((e) => e.record.event);
  const fold = foldCorrections(events);
  const signatures = reviewSignatures(events, fold);
  const submitters = mes.map((e) => e.record.submittedBy?.client);
  const checklist = evaluateChecklist({
    batchId: input.batchId,
    events,
    fold,
    signatures,
    sourceGaps: input.sourceGaps ?? [],
    submitters,
  });

  const dispIndex = ordered.findIndex((e) => e.record.event.type === "batch.dispositioned" && !isQaReview(e));
  const disp = dispIndex >= 0 ? ordered[dispIndex].record.event : undefined;
  const correctedBy = fold.byTarget;
  const trail: TrailEntry[] = ordered.map((x, i) => {
    const e = x.record.event;
    const flags: string[] = [];
    if (fold.voided.has(e.id)) flags.push("voided");
    else if (correctedBy.has(e.id)) flags.push("corrected");
    if (isQaReview(x)) flags.push("qa-review");
    else if (dispIndex >= 0 && i > dispIndex) flags.push("post-disposition");
    if (e.type === "parameter.recorded" && (e.data as { withinLimits?: boolean }).withinLimits === false)
      flags.push("out-of-limits");
    return {
      batchSeq: x.record.batchLink?.batchSeq ?? -1,
      seq: x.record.seq,
      eventId: e.id,
      type: e.type,
      occurredAt: e.occurredAt,
      receivedAt: x.record.receivedAt,
      actor: `${e.actor.printedName} (${e.actor.role})`,
      ...(x.record.submittedBy ? { submittedBy: x.record.submittedBy.client } : {}),
      source: e.source,
      summary: summarizeEvent(e),
      flags,
    };
  });
  const first = events.find((e) => e.batch)?.batch;
  return {
    batchId: input.batchId,
    ...(first?.productCode
      ? { product: first.productName ? `${first.productCode} ${first.productName}` : first.productCode }
      : {}),
    ...(first?.lotId ? { lotId: first.lotId } : {}),
    events: entries.length,
    integrity: [...chain, ...signatures.integrity, ...qa.findings],
    checklist,
    signatures: signatures.views,
    corrections: fold.views,
    ...(disp
      ? {
          disposition: {
            eventId: disp.id,
            decision: String((disp.data as { decision?: unknown }).decision),
            at: disp.occurredAt,
            by: `${disp.actor.printedName} (${disp.actor.role})`,
          },
        }
      : {}),
    trail,
    ...(events[0]?.site ? { site: events[0].site } : {}),
    reviews: qa.views,
  };
}

const isBindingFinding = (f: Finding): boolean =>
  f.code === "SIGNATURE_CONTENT_MISMATCH" || f.code === "REVIEW_HEAD_MISMATCH";

/** What the storage and chain checks found, to be combined with the review. */
export interface EvidenceChecks {
  checks: IntegrityCheck[];
  findings: Finding[];
  anchoring: BatchReport["anchoring"];
  /** Whose ledger, when the evidence was checked against a pin (a package); unpinned makes the verdict UNPINNED. */
  provenance?: BatchReport["provenance"];
}

/**
 * The report and its verdict: integrity failures first (exit 1), then evidence not pinned to the
 * site's ledger (exit 6, packages only), then events not yet anchored with
 * the configured confirmations (exit 5), then open checklist items (exit 4), else PASS (exit 0).
 */
export function batchReportOf(
  review: BatchReview,
  evidence: EvidenceChecks,
  generatedAt: string,
  checkedFrom: BatchReport["checkedFrom"],
): BatchReport {
  const integrityFindings = [...evidence.findings, ...review.integrity];
  const checks: IntegrityCheck[] = [
    ...evidence.checks,
    {
      check: "batch chain",
      ok: !review.integrity.some((f) => f.code.startsWith("BATCH_")),
      detail: review.integrity.some((f) => f.code.startsWith("BATCH_"))
        ? review.integrity
            .filter((f) => f.code.startsWith("BATCH_"))
            .map((f) => f.message)
            .join("; ")
        : `unbroken from batch sequence 0 to ${review.events - 1}`,
    },
    {
      check: "signature binding",
      ok: !review.integrity.some(isBindingFinding),
      detail: review.integrity.some(isBindingFinding)
        ? review.integrity
            .filter(isBindingFinding)
            .map((f) => f.message)
            .join("; ")
        : `${review.signatures.filter((s) => s.status !== "outside-batch").length} signature content hash(es) recomputed and matching${review.reviews?.length ? `; ${review.reviews.length} QA review(s) linked to the batch head they name` : ""}`,
    },
  ];
  const open = review.checklist.some((c) => c.status === "open");
  const verdict: BatchVerdict = integrityFindings.length
    ? "INTEGRITY-FAIL"
    : evidence.provenance && !evidence.provenance.pinned
      ? "UNPINNED"
      : evidence.anchoring.notAnchored.length
        ? "NOT-ANCHORED"
        : open
          ? "OPEN-ITEMS"
          : "PASS";
  return {
    reportVersion: BATCH_REPORT_VERSION,
    verdict,
    exitCode: BATCH_EXIT[verdict],
    generatedAt,
    checkedFrom,
    ...review,
    integrity: { ok: integrityFindings.length === 0, checks, findings: integrityFindings },
    anchoring: evidence.anchoring,
    exceptions: [...integrityFindings, ...review.checklist.flatMap((c) => [...c.findings, ...c.notes])],
    ...(evidence.provenance ? { provenance: evidence.provenance } : {}),
  };
}
