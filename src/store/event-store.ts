/**
 * The event repository: appends validated events as ledger records in one transaction, and reads
 * them back. Sequence numbers are assigned inside the write transaction (gap-free, in commit order);
 * the caller is told of an event only after its transaction committed.
 */
import {
  BatchLink,
  GxpEvent,
  Hasher,
  LedgerRecord,
  RECORD_VERSION,
  assertEvent,
  canonicalString,
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
  now: () => Date;
  salt: () => Uint8Array;
}

interface Row {
  seq: number;
  event_id: string;
  batch_id: string | null;
  batch_seq: number | null;
  received_at: string;
  record: string;
  leaf_hash: Buffer;
}

function toStored(r: Row): StoredEvent {
  return {
    seq: r.seq,
    eventId: r.event_id,
    batchId: r.batch_id,
    batchSeq: r.batch_seq,
    receivedAt: r.received_at,
    record: JSON.parse(r.record) as LedgerRecord,
    recordText: r.record,
    leafHash: new Uint8Array(r.leaf_hash.buffer, r.leaf_hash.byteOffset, r.leaf_hash.byteLength),
  };
}

/** The event repository over one database. */
export interface EventStore {
  /**
   * Validates and appends events all-or-nothing in one transaction; returns one result per event.
   * @throws EventError for an invalid event (nothing stored); StoreError EVENT_ID_CONFLICT when an id
   *   is already stored with different content (nothing stored)
   */
  append(events: readonly unknown[]): AppendResult[];
  getById(eventId: string): StoredEvent | undefined;
  getBySeq(seq: number): StoredEvent | undefined;
  /** Next sequence number to be assigned (= number of events stored when gap-free). */
  nextSeq(): number;
  /** Events with seq in [from, to), in order. */
  range(from: number, to: number): StoredEvent[];
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
  const ins = db.prepare(
    `INSERT INTO events (seq, event_id, type, source, source_sequence, batch_id, batch_seq, received_at, record, leaf_hash)
     VALUES (@seq, @eventId, @type, @source, @sourceSequence, @batchId, @batchSeq, @receivedAt, @record, @leafHash)`,
  );

  const nextSeq = (): number => {
    const max = qMaxSeq.get() as number | null;
    return max === null ? 0 : max + 1;
  };

  const appendTx = db.transaction((events: readonly GxpEvent[]): AppendResult[] => {
    const results: AppendResult[] = [];
    let seq = nextSeq();
    const receivedAt = ctx.now().toISOString();
    for (const event of events) {
      const prior = qById.get(event.id);
      if (prior) {
        const stored = JSON.parse(prior.record) as LedgerRecord;
        if (canonicalString(stored.event) !== canonicalString(event)) {
          throw new StoreError("EVENT_ID_CONFLICT", `event id ${event.id} is already stored with different content`, {
            eventId: event.id,
            seq: prior.seq,
          });
        }
        results.push({ receipt: receiptOf(toStored(prior)), duplicate: true });
        continue;
      }
      let batchLink: BatchLink | undefined;
      if (event.batch) {
        const tail = qBatchTail.get(event.batch.batchId);
        batchLink = tail
          ? { batchSeq: tail.batch_seq + 1, prevLeafHash: toHex(tail.leaf_hash) }
          : { batchSeq: 0, prevLeafHash: null };
      }
      const record: LedgerRecord = {
        recordVersion: RECORD_VERSION,
        seq,
        receivedAt,
        salt: toHex(ctx.salt()),
        ...(batchLink ? { batchLink } : {}),
        event,
      };
      const text = canonicalString(record);
      const leafHash = ctx.hasher.hashLeaf(utf8(text));
      ins.run({
        seq,
        eventId: event.id,
        type: event.type,
        source: event.source,
        sourceSequence: event.sourceSequence,
        batchId: event.batch?.batchId ?? null,
        batchSeq: batchLink?.batchSeq ?? null,
        receivedAt,
        record: text,
        leafHash,
      });
      results.push({ receipt: { id: event.id, seq, leafHash: toHex(leafHash), receivedAt }, duplicate: false });
      seq++;
    }
    return results;
  });

  return {
    append(events) {
      for (const e of events) assertEvent(e);
      return appendTx.immediate(events as GxpEvent[]);
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
  };
}

/** The receipt of a stored event. */
export function receiptOf(e: StoredEvent): Receipt {
  return { id: e.eventId, seq: e.seq, leafHash: toHex(e.leafHash), receivedAt: e.receivedAt };
}
