/**
 * The event repository: appends validated events as ledger records in one transaction, and reads
 * them back. Sequence numbers are assigned inside the write transaction (gap-free, in commit order);
 * the caller is told of an event only after its transaction committed.
 */
import {
  REQUIRED_REF,
  signedContentHash,
  SubmittedBy,
  BatchLink,
  GxpEvent,
  Hasher,
  LedgerRecord,
  RECORD_VERSION,
  assertEventText,
  canonicalObjectOfTexts,
  canonicalString,
  canonicalStringChecked,
  canonicalStringOfChecked,
  toHex,
  utf8,
} from "../core";
import { Db } from "./sqlite";
import { StoreError } from "./errors";

/** What the ledger promises at ingestion. */
export interface Receipt {
  id: string;
  seq: number;
  leafHash: string;
  receivedAt: string;
}

/** A receipt plus whether the event had been stored before (idempotent replay). */
export interface AppendResult {
  receipt: Receipt;
  duplicate: boolean;
}

/** A stored row. */
export interface StoredEvent {
  seq: number;
  eventId: string;
  batchId: string | null;
  batchSeq: number | null;
  receivedAt: string;
  record: LedgerRecord;
  recordText: string;
  leafHash: Uint8Array;
}

/** What appending needs from its surroundings: a clock and a salt source (injectable for tests). */
export interface AppendContext {
  hasher: Hasher;
  /** H(0x00 ‖ UTF-8 of a canonical record text); same bytes as hasher.hashLeaf(utf8(text)), without the copy. */
  leafHashOfText?: (text: string) => Uint8Array;
  now: () => Date;
  salt: () => Uint8Array;
}

interface Row {
  client?: string | null;
  seq: number;
  event_id: string;
  batch_id: string | null;
  batch_seq: number | null;
  received_at: string;
  record: string;
  leaf_hash: Buffer;
}

function toStored(r: Row): StoredEvent {
  let record: LedgerRecord;
  try {
    record = JSON.parse(r.record) as LedgerRecord;
  } catch {
    throw new StoreError(
      "RECORD_UNREADABLE",
      `event ${r.event_id} (seq ${r.seq}): the stored record is not JSON: it was altered`,
      { seq: r.seq, eventId: r.event_id },
    );
  }
  return {
    seq: r.seq,
    eventId: r.event_id,
    batchId: r.batch_id,
    batchSeq: r.batch_seq,
    receivedAt: r.received_at,
    record,
    recordText: r.record,
    leafHash: new Uint8Array(r.leaf_hash.buffer, r.leaf_hash.byteOffset, r.leaf_hash.byteLength),
  };
}

/** Who is appending. */
export interface AppendOptions {
  submittedBy?: SubmittedBy;
  /**
   * A late post (issue 12 item 4): each event's sourceSequence must fill a gap flagged for its
   * source (source_gaps) and not be stored yet; recorded in late_events with the reason. Events of a
   * late post that follow the source's last stored number are refused: a late post fills gaps only.
   */
  late?: { reason: string };
  /**
   * The RFC 8785 text of each event, in order, as assertEventText gave it when the event was checked
   * (the ingestor's precheck): the record's text is composed from it (issue 14). Made here when absent.
   */
  eventTexts?: readonly string[];
}

/** An event accepted late, filling a flagged gap of its source. */
export interface LateEvent {
  seq: number;
  eventId: string;
  source: string;
  sourceSequence: number;
  /** The seq of the event after the gap (its source_gaps row). */
  gapSeq: number;
  reason: string;
  client: string | null;
  acceptedAt: string;
}

/** A gap in a source's sourceSequence: accepted, flagged for review. */
export interface SourceGap {
  seq: number;
  eventId: string;
  source: string;
  expected: number;
  got: number;
}

/** The event repository over one database. */
export interface EventStore {
  /**
   * Validates and appends events all-or-nothing in one transaction; returns one result per event.
   * @throws EventError for an invalid event (nothing stored); StoreError EVENT_ID_CONFLICT when an id
   *   is already stored with different content, SOURCE_SEQUENCE_NOT_INCREASING when a source's
   *   sequence number repeats or goes back (nothing stored)
   */
  append(events: readonly unknown[], opts?: AppendOptions): AppendResult[];
  /**
   * Group commit: appends several independent calls in ONE transaction (one fsync), each in its own
   * savepoint, so that one call's refusal (an id conflict, a sequence step back) rolls back only
   * that call. Returns, per call, its results or the error that refused it. Events must already be
   * validated (assertEvent).
   */
  appendGroup(calls: readonly { events: readonly GxpEvent[]; opts: AppendOptions }[]): (AppendResult[] | Error)[];
  /** The source's last stored sourceSequence and the client that wrote it (committed state), if any. */
  lastOfSource(source: string): { sourceSequence: number; client: string | null } | undefined;
  /** Sequence gaps flagged for a source (all sources when omitted). */
  sourceGaps(source?: string): SourceGap[];
  /** Events accepted late, filling flagged gaps, in seq order (all sources when omitted). */
  lateEvents(source?: string): LateEvent[];
  getById(eventId: string): StoredEvent | undefined;
  getBySeq(seq: number): StoredEvent | undefined;
  /** Next sequence number to be assigned (= number of events stored when gap-free). */
  nextSeq(): number;
  /** Events with seq in [from, to), in order. */
  range(from: number, to: number): StoredEvent[];
  /** Up to `limit` events of a batch with batchSeq > `afterBatchSeq`, in batch order. */
  byBatch(batchId: string, afterBatchSeq: number, limit: number): StoredEvent[];
  /** Sequence numbers, ids and leaf hashes of the events with seq in [from, to), in order (no record parsing). */
  leaves(from: number, to: number): { seq: number; eventId: string; leafHash: Uint8Array }[];
}

/** Builds the event repository. */
export function createEventStore(db: Db, ctx: AppendContext): EventStore {
  const qById = db.prepare<[string], Row>("SELECT * FROM events WHERE event_id = ?");
  const qBySeq = db.prepare<[number], Row>("SELECT * FROM events WHERE seq = ?");
  const qMaxSeq = db.prepare("SELECT max(seq) FROM events").pluck();
  const qBatchTail = db.prepare<[string], { batch_seq: number; leaf_hash: Buffer }>(
    "SELECT batch_seq, leaf_hash FROM events WHERE batch_id = ? ORDER BY batch_seq DESC LIMIT 1",
  );
  const qRange = db.prepare<[number, number], Row>("SELECT * FROM events WHERE seq >= ? AND seq < ? ORDER BY seq");
  const qByBatch = db.prepare<[string, number, number], Row>(
    "SELECT * FROM events WHERE batch_id = ? AND batch_seq > ? ORDER BY batch_seq LIMIT ?",
  );
  const qLeaves = db
    .prepare<[number, number], [number, string, Buffer]>(
      "SELECT seq, event_id, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq",
    )
    .raw();
  const ins = db.prepare(
    `INSERT INTO events (seq, event_id, type, source, source_sequence, batch_id, batch_seq, received_at, record, leaf_hash, client)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const recordVersionText = JSON.stringify(RECORD_VERSION);
  const leafHashOfText = ctx.leafHashOfText ?? ((text: string) => ctx.hasher.hashLeaf(utf8(text)));
  // The source's last stored number and who wrote it: one row of the (source, source_sequence) index.
  const qSourceLast = db.prepare<[string], { last: number; client: string | null }>(
    "SELECT source_sequence AS last, client FROM events WHERE source = ? ORDER BY source_sequence DESC LIMIT 1",
  );
  const insGap = db.prepare("INSERT INTO source_gaps (seq, source, expected, got) VALUES (?, ?, ?, ?)");
  // A flagged gap of the source holding n: expected <= n < got.
  const qGapHolding = db.prepare<[string, number, number], { seq: number; expected: number; got: number }>(
    "SELECT seq, expected, got FROM source_gaps WHERE source = ? AND expected <= ? AND got > ? ORDER BY seq LIMIT 1",
  );
  const qSourceSeqStored = db
    .prepare<[string, number], number>("SELECT 1 FROM events WHERE source = ? AND source_sequence = ? LIMIT 1")
    .pluck();
  const insLate = db.prepare(
    "INSERT INTO late_events (seq, source, source_sequence, gap_seq, reason, client, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const qLate = db.prepare<
    [string | null, string | null],
    {
      seq: number;
      event_id: string;
      source: string;
      source_sequence: number;
      gap_seq: number;
      reason: string;
      client: string | null;
      accepted_at: string;
    }
  >(
    "SELECT l.*, e.event_id FROM late_events l JOIN events e ON e.seq = l.seq WHERE ? IS NULL OR l.source = ? ORDER BY l.seq",
  );
  const qGaps = db.prepare<
    [string | null, string | null],
    { seq: number; event_id: string; source: string; expected: number; got: number }
  >(
    "SELECT g.seq, e.event_id, g.source, g.expected, g.got FROM source_gaps g JOIN events e ON e.seq = g.seq WHERE ? IS NULL OR g.source = ? ORDER BY g.seq",
  );

  const nextSeq = (): number => {
    const max = qMaxSeq.get() as number | null;
    return max === null ? 0 : max + 1;
  };

  /*
   * In-memory tails (issue 14): per source its last sourceSequence and that row's client, per batch
   * its last batchSeq and leaf hash, so that an append reads neither from the database. They are
   * kept exact without trusting anyone to tell us of other writers: every entry reflects the rows up
   * to the row `known` (seq and leaf hash; leaf hashes are salted, so no two rows share one). Each
   * append call starts by reading the last row (the one read it always made, for the next seq):
   *   - if it is the last row of our previous call's writes, those writes are in the database (the
   *     call's transaction committed, or the caller's enclosing transaction still holds them): they
   *     join the tails;
   *   - otherwise, if it is not `known`, someone else wrote (another process, the CLI) or our
   *     writes were rolled back: the tails are dropped and rebuilt from the database on demand.
   * A call's own writes stay in its overlay until then; a call that throws (its savepoint rolled
   * back) drops its overlay. A miss reads the database as before.
   */
  interface SourceTail {
    last: number;
    client: string | null;
  }
  interface BatchTail {
    batchSeq: number;
    leafHash: Uint8Array;
  }
  const TAILS_MAX = 100_000;
  const sourceTails = new Map<string, SourceTail>();
  const batchTails = new Map<string, BatchTail>();
  let known: { seq: number; leaf: Buffer | Uint8Array } | undefined;
  let pending:
    { seq: number; leaf: Uint8Array; sources: Map<string, SourceTail>; batches: Map<string, BatchTail> } | undefined;
  const qLastRow = db.prepare<[], { seq: number; leaf_hash: Buffer }>(
    "SELECT seq, leaf_hash FROM events ORDER BY seq DESC LIMIT 1",
  );
  const sameRow = (a: { seq: number; leaf: Uint8Array } | undefined, seq: number, leaf: Buffer): boolean =>
    a !== undefined && a.seq === seq && a.leaf.length === leaf.length && leaf.equals(a.leaf);
  /** Brings the tails up to the database's last row (see above); returns the next seq. */
  const syncTails = (): number => {
    const last = qLastRow.get();
    const p = pending;
    pending = undefined;
    if (!last) {
      sourceTails.clear();
      batchTails.clear();
      known = undefined;
      return 0;
    }
    if (p && sameRow(p, last.seq, last.leaf_hash)) {
      if (sourceTails.size + p.sources.size > TAILS_MAX) sourceTails.clear();
      if (batchTails.size + p.batches.size > TAILS_MAX) batchTails.clear();
      for (const [k, v] of p.sources) sourceTails.set(k, v);
      for (const [k, v] of p.batches) batchTails.set(k, v);
      known = { seq: p.seq, leaf: p.leaf };
    } else if (!sameRow(known, last.seq, last.leaf_hash)) {
      sourceTails.clear();
      batchTails.clear();
      known = { seq: last.seq, leaf: Buffer.from(last.leaf_hash) };
    }
    return last.seq + 1;
  };

  /**
   * A correction, void or signature of an event that belongs to a batch must carry that batch, so
   * that it is part of the batch record and of its hash chain: otherwise QA's review of the batch
   * would never see it (21 CFR 211.192, Annex 11 §9).
   */
  const checkSameBatch = (
    event: GxpEvent,
    rel: string,
    target: { event_id: string; batch_id: string | null },
  ): void => {
    if (target.batch_id !== null && event.batch?.batchId !== target.batch_id) {
      throw new StoreError(
        "REFERENCE_OUTSIDE_BATCH",
        `event ${event.id} (${event.type}) ${rel} event ${target.event_id} of batch ${target.batch_id}: it must carry batch ${target.batch_id}${event.batch ? `, not ${event.batch.batchId}` : ""}`,
        { eventId: event.id, ref: target.event_id, batchId: target.batch_id },
      );
    }
  };

  /**
   * Corrections, voids and signatures must point at stored events (earlier in the same call counts);
   * a signature's contentHash must be the hash the ledger recomputes over what it signs (21 CFR
   * 11.70): SHA-256 of the RFC 8785 array of the signed events' payloadHash values, in order.
   */
  const checkReferences = (event: GxpEvent): void => {
    const rel = REQUIRED_REF[event.type as keyof typeof REQUIRED_REF];
    if (!rel) return;
    // Each referenced row is read once, whether named in refs, in the signed content or both.
    const rows = new Map<string, Row>();
    const stored = (id: string, what: string): Row => {
      let row = rows.get(id);
      if (!row) {
        row = qById.get(id);
        if (!row)
          throw new StoreError("REFERENCED_EVENT_NOT_FOUND", `${what} ${id}, which is not stored`, {
            eventId: event.id,
            ref: id,
          });
        checkSameBatch(event, rel, row);
        rows.set(id, row);
      }
      return row;
    };
    for (const r of event.refs ?? [])
      if (r.rel === rel) stored(r.eventId, `event ${event.id} (${event.type}) ${rel} event`);
    if (event.type !== "signature.applied") return;
    const content = (event.data as { signedContent: { eventIds: string[]; contentHash: string } }).signedContent;
    const signed = content.eventIds.map(
      (id) => (JSON.parse(stored(id, `signature ${event.id} signs event`).record) as LedgerRecord).event,
    );
    const want = signedContentHash(signed);
    if (content.contentHash !== want) {
      throw new StoreError(
        "SIGNATURE_CONTENT_MISMATCH",
        `signature ${event.id}: contentHash ${content.contentHash} is not the hash of the signed events' content (${want})`,
        {
          eventId: event.id,
          got: content.contentHash,
          want,
        },
      );
    }
  };

  const appendTx = db.transaction((events: readonly GxpEvent[], opts: AppendOptions): AppendResult[] => {
    const results: AppendResult[] = [];
    let seq = syncTails();
    // This call's writes: seen by its own later events, joining the tails at the next call (syncTails).
    const sources = new Map<string, SourceTail>();
    const batches = new Map<string, BatchTail>();
    const sourceTail = (source: string): SourceTail | undefined => {
      let t = sources.get(source) ?? sourceTails.get(source);
      if (!t) {
        const row = qSourceLast.get(source);
        if (!row) return undefined;
        t = { last: row.last, client: row.client };
        sourceTails.set(source, t);
      }
      return t;
    };
    const batchTail = (batchId: string): BatchTail | undefined => {
      let t = batches.get(batchId) ?? batchTails.get(batchId);
      if (!t) {
        const row = qBatchTail.get(batchId);
        if (!row) return undefined;
        t = { batchSeq: row.batch_seq, leafHash: row.leaf_hash };
        batchTails.set(batchId, t);
      }
      return t;
    };
    let lastLeaf: Uint8Array | undefined;
    const receivedAt = ctx.now().toISOString();
    const receivedAtText = JSON.stringify(receivedAt);
    const submittedByText = opts.submittedBy ? canonicalStringOfChecked(opts.submittedBy) : undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const eventText = opts.eventTexts?.[i] ?? canonicalStringChecked(event);
      const prior = qById.get(event.id);
      if (prior) {
        const stored = JSON.parse(prior.record) as LedgerRecord;
        // A replay is answered with the original receipt only to the client that submitted it;
        // anyone else learns neither the receipt nor whether its content matched (issue 12).
        const other = opts.submittedBy !== undefined && prior.client !== opts.submittedBy.client;
        if (other || canonicalString(stored.event) !== eventText) {
          throw new StoreError(
            "EVENT_ID_CONFLICT",
            other
              ? `event id ${event.id} is already in use; nothing stored`
              : `event id ${event.id} is already stored with different content`,
            {
              eventId: event.id,
              seq: prior.seq,
            },
          );
        }
        results.push({ receipt: receiptOf(toStored(prior)), duplicate: true });
        continue;
      }
      // Per source, sourceSequence must increase (GXP.md §3.3, Annex 11 §5): a repeat or a step back
      // is refused; a gap is accepted and flagged for review.
      const tail = sourceTail(event.source);
      const last = tail ? tail.last : null;
      let lateGap: { seq: number } | undefined;
      if (opts.late) {
        // A late post only fills a flagged gap, and never a number already stored.
        lateGap =
          last !== null && event.sourceSequence < last
            ? qGapHolding.get(event.source, event.sourceSequence, event.sourceSequence)
            : undefined;
        if (!lateGap) {
          throw new StoreError(
            "LATE_EVENT_NOT_IN_GAP",
            `event ${event.id}: sourceSequence ${event.sourceSequence} of source ${event.source} is in no gap flagged for that source: a late post only fills a flagged gap`,
            {
              eventId: event.id,
              source: event.source,
              got: event.sourceSequence,
            },
          );
        }
        if (qSourceSeqStored.get(event.source, event.sourceSequence) !== undefined) {
          throw new StoreError(
            "LATE_EVENT_ALREADY_STORED",
            `event ${event.id}: sourceSequence ${event.sourceSequence} of source ${event.source} is already stored`,
            {
              eventId: event.id,
              source: event.source,
              got: event.sourceSequence,
            },
          );
        }
      } else if (last !== null && event.sourceSequence <= last) {
        // The last number is told only to the client that wrote it (or to the ledger's own writers).
        const own = opts.submittedBy === undefined || tail?.client === opts.submittedBy.client;
        throw new StoreError(
          "SOURCE_SEQUENCE_NOT_INCREASING",
          own
            ? `event ${event.id}: sourceSequence ${event.sourceSequence} of source ${event.source} does not increase (last stored: ${last})`
            : `event ${event.id}: sourceSequence ${event.sourceSequence} of source ${event.source} does not increase`,
          { eventId: event.id, source: event.source, got: event.sourceSequence, last },
        );
      }
      checkReferences(event);
      let batchLink: BatchLink | undefined;
      if (event.batch) {
        const bt = batchTail(event.batch.batchId);
        batchLink = bt
          ? { batchSeq: bt.batchSeq + 1, prevLeafHash: toHex(bt.leafHash) }
          : { batchSeq: 0, prevLeafHash: null };
      }
      // The record (LedgerRecord: recordVersion, seq, receivedAt, salt, batchLink?, submittedBy?,
      // event) as RFC 8785 text, composed from the event's text: one serialisation per event. The
      // rest of the record is ledger-made strings and integers.
      const members: Record<string, string> = {
        recordVersion: recordVersionText,
        seq: String(seq),
        receivedAt: receivedAtText,
        salt: `"${toHex(ctx.salt())}"`,
        event: eventText,
      };
      if (batchLink) members.batchLink = canonicalStringOfChecked(batchLink);
      if (submittedByText !== undefined) members.submittedBy = submittedByText;
      const text = canonicalObjectOfTexts(members);
      const leafHash = leafHashOfText(text);
      ins.run(
        seq,
        event.id,
        event.type,
        event.source,
        event.sourceSequence,
        event.batch?.batchId ?? null,
        batchLink?.batchSeq ?? null,
        receivedAt,
        text,
        leafHash,
        opts.submittedBy?.client ?? null,
      );
      if (lateGap)
        insLate.run(
          seq,
          event.source,
          event.sourceSequence,
          lateGap.seq,
          opts.late!.reason,
          opts.submittedBy?.client ?? null,
          receivedAt,
        );
      else if (last !== null && event.sourceSequence > last + 1)
        insGap.run(seq, event.source, last + 1, event.sourceSequence);
      // A late event fills a gap below the source's last number: the tail stays.
      if (!lateGap) sources.set(event.source, { last: event.sourceSequence, client: opts.submittedBy?.client ?? null });
      if (event.batch) batches.set(event.batch.batchId, { batchSeq: batchLink!.batchSeq, leafHash: leafHash });
      lastLeaf = leafHash;
      results.push({ receipt: { id: event.id, seq, leafHash: toHex(leafHash), receivedAt }, duplicate: false });
      seq++;
    }
    // Reached only when no event threw: the call's savepoint (or transaction) keeps these rows.
    if (lastLeaf) pending = { seq: seq - 1, leaf: lastLeaf, sources, batches };
    return results;
  });

  // Inside groupTx, each appendTx call runs as a SAVEPOINT (better-sqlite3 nests transactions so).
  const groupTx = db.transaction((calls: readonly { events: readonly GxpEvent[]; opts: AppendOptions }[]) =>
    calls.map((c) => {
      try {
        return appendTx(c.events, c.opts);
      } catch (e) {
        if (e instanceof Error && (e instanceof StoreError || e.name === "EventError")) return e;
        throw e;
      }
    }),
  );

  return {
    append(events, opts = {}) {
      const eventTexts = events.map((e) => assertEventText(e));
      return appendTx.immediate(events as GxpEvent[], { ...opts, eventTexts });
    },
    appendGroup(calls) {
      return groupTx.immediate(calls);
    },
    lastOfSource(source) {
      const row = qSourceLast.get(source);
      return row && { sourceSequence: row.last, client: row.client };
    },
    sourceGaps(source) {
      return qGaps
        .all(source ?? null, source ?? null)
        .map((g) => ({ seq: g.seq, eventId: g.event_id, source: g.source, expected: g.expected, got: g.got }));
    },
    lateEvents(source) {
      return qLate.all(source ?? null, source ?? null).map((l) => ({
        seq: l.seq,
        eventId: l.event_id,
        source: l.source,
        sourceSequence: l.source_sequence,
        gapSeq: l.gap_seq,
        reason: l.reason,
        client: l.client,
        acceptedAt: l.accepted_at,
      }));
    },
    getById(eventId) {
      const r = qById.get(eventId);
      return r && toStored(r);
    },
    getBySeq(seq) {
      const r = qBySeq.get(seq);
      return r && toStored(r);
    },
    nextSeq,
    range(from, to) {
      return qRange.all(from, to).map(toStored);
    },
    byBatch(batchId, afterBatchSeq, limit) {
      return qByBatch.all(batchId, afterBatchSeq, limit).map(toStored);
    },
    leaves(from, to) {
      return qLeaves.all(from, to).map(([seq, eventId, leaf]) => ({
        seq,
        eventId,
        leafHash: new Uint8Array(leaf.buffer, leaf.byteOffset, leaf.byteLength),
      }));
    },
  };
}

/** The receipt of a stored event. */
export function receiptOf(e: StoredEvent): Receipt {
  return { id: e.eventId, seq: e.seq, leafHash: toHex(e.leafHash), receivedAt: e.receivedAt };
}
