/**
 * Listing batches (issue 13 item 5): each batch the ledger holds events of, with its product, first
 * and last event time, disposition (from its `batch.dispositioned` events), its last signed QA
 * review in the ledger and what its last verification said. Cheap: one pass over the batch index
 * and a few lookups per batch; nothing is verified here.
 */
import { Db } from "./sqlite";
import { StoreError } from "./errors";

/** A batch's disposition: open until a `batch.dispositioned` event says otherwise (the latest one counts). */
export type BatchDisposition = "open" | "released" | "rejected" | "quarantined";

/** Dispositions a listing can filter on. */
export const BATCH_DISPOSITIONS: readonly BatchDisposition[] = ["open", "released", "rejected", "quarantined"];

/** What the last verification of a batch said (a note, never evidence). */
export interface BatchVerificationNote {
  verdict: string;
  integrityOk: boolean;
  verifiedAt: string;
  /** Events of the batch when it was verified. */
  events: number;
  /** False when events were added to the batch after that verification. */
  current: boolean;
  verifiedBy: string;
  reportHash: string;
}

/** The last signed QA review recorded in the ledger for a batch (`batch.review_completed` by a qa client). */
export interface BatchReviewNote {
  eventId: string;
  printedName: string;
  meaning: string;
  signedAt: string;
  verdict: string | null;
}

/** One batch of a listing. */
export interface BatchSummary {
  batchId: string;
  product: string | null;
  productName: string | null;
  lotId: string | null;
  site: string | null;
  events: number;
  /** occurredAt of the batch's first and last event (batch order; QA's signed reviews aside). */
  firstEventAt: string | null;
  lastEventAt: string | null;
  disposition: BatchDisposition | string;
  dispositionAt: string | null;
  review: BatchReviewNote | null;
  /** null: not verified since this ledger version recorded verifications. */
  verification: BatchVerificationNote | null;
  /** Highest ledger seq of the batch's events. */
  lastSeq: number;
}

/** Filters of a listing; all optional. */
export interface BatchFilter {
  status?: BatchDisposition;
  product?: string;
  /** Batch ids starting with this. */
  prefix?: string;
  /** Batches with an event at or after this instant (RFC 3339). */
  from?: string;
  /** Batches with an event at or before this instant (RFC 3339). */
  to?: string;
  /** Only batch ids after this one (the cursor). */
  after?: string;
  limit: number;
}

/** A verification to note. */
export interface VerificationInput {
  batchId: string;
  verdict: string;
  integrityOk: boolean;
  events: number;
  lastSeq: number;
  reportHash: string;
  verifiedBy: string;
  verifiedAt: string;
}

/** The batch listing over one database. */
export interface BatchIndex {
  /** Batches in batch id order, filtered; `limit` at most. */
  list(filter: BatchFilter): BatchSummary[];
  /** Every batch id (for suggestions), in id order. */
  ids(): string[];
  /** Whether the ledger holds an event of the batch. */
  has(batchId: string): boolean;
  /** Notes a verification's outcome. */
  noteVerification(v: VerificationInput): void;
}

interface Row {
  batch_id: string;
  n: number;
  last_seq: number;
  product: string | null;
  product_name: string | null;
  lot_id: string | null;
  site: string | null;
  first_at: string | null;
  last_at: string | null;
  disp: string | null;
  review: string | null;
  v_verdict: string | null;
  v_ok: number | null;
  v_at: string | null;
  v_events: number | null;
  v_last_seq: number | null;
  v_by: string | null;
  v_hash: string | null;
}

const SQL = `
WITH b AS (
  SELECT batch_id, min(batch_seq) AS lo, max(batch_seq) AS hi, count(*) AS n, max(seq) AS last_seq
  FROM events
  WHERE batch_id IS NOT NULL
    AND (@prefix IS NULL OR substr(batch_id, 1, length(@prefix)) = @prefix)
    AND (@after IS NULL OR batch_id > @after)
  GROUP BY batch_id
), s AS (
  SELECT b.batch_id, b.n, b.last_seq,
    json_extract(f.record, '$.event.batch.productCode') AS product,
    json_extract(f.record, '$.event.batch.productName') AS product_name,
    json_extract(f.record, '$.event.batch.lotId') AS lot_id,
    json_extract(f.record, '$.event.site') AS site,
    json_extract(f.record, '$.event.occurredAt') AS first_at,
    json_extract(l.record, '$.event.occurredAt') AS last_at,
    (SELECT json_object('decision', json_extract(d.record, '$.event.data.decision'), 'at', json_extract(d.record, '$.event.occurredAt'))
       FROM events d WHERE d.type = 'batch.dispositioned' AND d.batch_id = b.batch_id ORDER BY d.seq DESC LIMIT 1) AS disp,
    (SELECT json_object('eventId', r.event_id, 'printedName', json_extract(r.record, '$.event.actor.printedName'),
                        'meaning', json_extract(r.record, '$.event.data.meaning'), 'signedAt', json_extract(r.record, '$.event.data.signedAt'),
                        'verdict', json_extract(r.record, '$.event.data.verdict'))
       FROM events r WHERE r.type = 'batch.review_completed' AND r.batch_id = b.batch_id
        AND json_extract(r.record, '$.submittedBy.role') = 'qa' ORDER BY r.seq DESC LIMIT 1) AS review,
    v.verdict AS v_verdict, v.integrity_ok AS v_ok, v.verified_at AS v_at, v.events AS v_events, v.last_seq AS v_last_seq,
    v.verified_by AS v_by, v.report_hash AS v_hash
  FROM b
  LEFT JOIN events f ON f.batch_id = b.batch_id AND f.batch_seq = b.lo
  -- The last event of the MES's record: QA's own reviews (review-batch --sign) have their column.
  LEFT JOIN events l ON l.batch_id = b.batch_id AND l.batch_seq = (
    SELECT x.batch_seq FROM events x WHERE x.batch_id = b.batch_id
       AND NOT (x.type = 'batch.review_completed' AND json_extract(x.record, '$.submittedBy.role') = 'qa')
     ORDER BY x.batch_seq DESC LIMIT 1)
  LEFT JOIN batch_verifications v ON v.id = (SELECT max(id) FROM batch_verifications WHERE batch_id = b.batch_id)
)
SELECT * FROM s
WHERE (@status IS NULL OR coalesce(json_extract(disp, '$.decision'), 'open') = @status)
  AND (@product IS NULL OR product = @product)
  AND (@from IS NULL OR julianday(last_at) >= julianday(@from))
  AND (@to IS NULL OR julianday(first_at) <= julianday(@to))
ORDER BY batch_id
LIMIT @limit`;

function toSummary(r: Row): BatchSummary {
  const disp = r.disp ? (JSON.parse(r.disp) as { decision: string | null; at: string | null }) : undefined;
  const review = r.review ? (JSON.parse(r.review) as BatchReviewNote) : null;
  return {
    batchId: r.batch_id,
    product: r.product,
    productName: r.product_name,
    lotId: r.lot_id,
    site: r.site,
    events: r.n,
    firstEventAt: r.first_at,
    lastEventAt: r.last_at,
    disposition: disp?.decision ?? "open",
    dispositionAt: disp?.at ?? null,
    review,
    verification:
      r.v_verdict === null
        ? null
        : {
            verdict: r.v_verdict,
            integrityOk: r.v_ok === 1,
            verifiedAt: r.v_at!,
            events: r.v_events!,
            current: r.v_last_seq === r.last_seq && r.v_events === r.n,
            verifiedBy: r.v_by!,
            reportHash: r.v_hash!,
          },
    lastSeq: r.last_seq,
  };
}

/** Builds the batch listing. */
export function createBatchIndex(db: Db): BatchIndex {
  const qList = db.prepare<[Record<string, string | number | null>], Row>(SQL);
  const qIds = db
    .prepare<[], string>("SELECT DISTINCT batch_id FROM events WHERE batch_id IS NOT NULL ORDER BY batch_id")
    .pluck();
  const qHas = db.prepare<[string], number>("SELECT 1 FROM events WHERE batch_id = ? LIMIT 1").pluck();
  const ins = db.prepare(
    "INSERT INTO batch_verifications (batch_id, verified_at, verdict, integrity_ok, events, last_seq, report_hash, verified_by) VALUES (@batchId, @verifiedAt, @verdict, @integrityOk, @events, @lastSeq, @reportHash, @verifiedBy)",
  );
  return {
    list(f) {
      if (!Number.isInteger(f.limit) || f.limit < 1)
        throw new StoreError("STORE_QUERY_FAILED", `limit ${f.limit}: want a positive integer`);
      return qList
        .all({
          status: f.status ?? null,
          product: f.product ?? null,
          prefix: f.prefix ?? null,
          from: f.from ?? null,
          to: f.to ?? null,
          after: f.after ?? null,
          limit: f.limit,
        })
        .map(toSummary);
    },
    ids: () => qIds.all(),
    has: (batchId) => qHas.get(batchId) !== undefined,
    noteVerification(v) {
      ins.run({ ...v, integrityOk: v.integrityOk ? 1 : 0 });
    },
  };
}
