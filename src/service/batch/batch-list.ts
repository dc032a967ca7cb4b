/**
 * QA's list of batches (`gxp-ledger batches`, `GET /v1/batches`) and the notes it shows of each
 * batch's last verification; the "did you mean" for an unknown batch id.
 */
import { BatchReport, reportHashOf, suggestBatchIds } from "../../core";
import {
  BATCH_DISPOSITIONS,
  BatchDisposition,
  BatchFilter,
  BatchSummary,
  createBatchIndex,
} from "../../store/batch-index";
import { Ledger } from "../app/ledger";

/** A page of batches and the cursor of the next page (null on the last). */
export interface BatchPage {
  batches: BatchSummary[];
  next: string | null;
}

/** Query of a listing as a caller gives it (strings from a URL or flags). */
export interface BatchQuery {
  status?: string;
  product?: string;
  prefix?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** A query that cannot be run; `field` names the bad one. */
export class BatchQueryError extends Error {
  readonly code = "QUERY_INVALID";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The cursor of the page after `batchId`: opaque to callers. */
export function cursorOf(batchId: string): string {
  return Buffer.from(JSON.stringify({ after: batchId }), "utf8").toString("base64url");
}

function afterOf(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof v.after === "string") return v.after;
  } catch {
    /* reported below */
  }
  throw new BatchQueryError("cursor", "cursor is not one this ledger gave out");
}

/** An instant for the store: a date alone means its start (from) or end (to), in UTC. */
function instantOf(field: "from" | "to", v: string): string {
  if (!RFC3339.test(v) || Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v))) {
    throw new BatchQueryError(
      field,
      `${field} ${JSON.stringify(v.slice(0, 40))}: want an RFC 3339 date or date-time with offset (2026-11-20 or 2026-11-20T06:00:00Z)`,
    );
  }
  if (v.length === 10) return field === "from" ? `${v}T00:00:00Z` : `${v}T23:59:59.999Z`;
  return v;
}

/**
 * Lists batches, filtered and paged (batch id order).
 * @throws BatchQueryError QUERY_INVALID naming the bad field
 */
export function listBatches(ledger: Ledger, q: BatchQuery, maxLimit = 1000): BatchPage {
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    throw new BatchQueryError("limit", `limit must be an integer from 1 to ${maxLimit}`);
  if (q.status !== undefined && !BATCH_DISPOSITIONS.includes(q.status as BatchDisposition)) {
    throw new BatchQueryError(
      "status",
      `status ${JSON.stringify(q.status.slice(0, 40))}: want one of ${BATCH_DISPOSITIONS.join(", ")}`,
    );
  }
  const filter: BatchFilter = {
    limit: limit + 1,
    ...(q.status !== undefined ? { status: q.status as BatchDisposition } : {}),
    ...(q.product !== undefined ? { product: q.product } : {}),
    ...(q.prefix !== undefined ? { prefix: q.prefix } : {}),
    ...(q.from !== undefined ? { from: instantOf("from", q.from) } : {}),
    ...(q.to !== undefined ? { to: instantOf("to", q.to) } : {}),
    ...(q.cursor !== undefined ? { after: afterOf(q.cursor) } : {}),
  };
  const rows = createBatchIndex(ledger.db).list(filter);
  const batches = rows.slice(0, limit);
  return { batches, next: rows.length > limit ? cursorOf(batches[batches.length - 1].batchId) : null };
}

/**
 * Notes what a verification of a batch said, for the listing. A note that cannot be written (a
 * read-only file, a busy database) is not an error of the verification: it is skipped.
 * @returns whether the note was written
 */
export function noteVerification(ledger: Ledger, report: BatchReport, verifiedBy: string): boolean {
  try {
    createBatchIndex(ledger.db).noteVerification({
      batchId: report.batchId,
      verdict: report.verdict,
      integrityOk: report.integrity.ok,
      events: report.events,
      lastSeq: report.trail.reduce((m, t) => Math.max(m, t.seq), -1),
      reportHash: reportHashOf(report),
      verifiedBy,
      verifiedAt: report.generatedAt,
    });
    return true;
  } catch {
    return false;
  }
}

/** Close batch ids the ledger holds for an id it does not. */
export function suggestionsFor(ledger: Ledger, batchId: string, limit = 5): string[] {
  return suggestBatchIds(batchId, createBatchIndex(ledger.db).ids(), limit);
}

/** "no batch 'X'; did you mean A, B?" (or just "no batch 'X' in this ledger"). */
export function unknownBatchMessage(ledger: Ledger, batchId: string): string {
  const s = suggestionsFor(ledger, batchId);
  return s.length
    ? `no batch '${batchId}'; did you mean ${s.join(", ")}?`
    : `no batch '${batchId}' in this ledger (gxp-ledger batches lists them)`;
}
