/**
 * The local half of `audit` (see audit.ts): a scan of the events in one range of sequence numbers,
 * with the epochs that start in it, and the merge of consecutive ranges' scans. One range is the
 * sequential audit; several ranges cut at epoch boundaries are scanned by this thread and worker
 * threads, each on its own read connection (audit-worker.ts), and merged here into the same findings.
 *
 * The scan reads each chunk of events in one statement, its records as one blob, and never parses a
 * record: the canonical form (RFC 8785 §3.2.3: members sorted) puts `batchLink` first and `seq` last
 * but `submittedBy`, so the fields audit needs are found by position and compared as bytes
 * (audit-record-bytes.ts). Each epoch's leaves are kept back to back and compared with its tiles as
 * whole buffers; only a difference is walked hash by hash to name every finding (audit-epoch.ts).
 * Nothing here imports ethers or the core's index, so a worker starts fast.
 */
// The core's modules, not its index (which loads the event schemas: ~0.25 s more per worker thread).
import { HASH_LENGTH } from "../../core/merkle/hasher";
import { toHex } from "../../core/hex";
import { sha256OneShot } from "../../crypto/node-hasher";
import { Db } from "../../store/sqlite";
import { checkEpoch, EpochDb, EpochLeaves } from "./audit-epoch";
import { AuditFinding } from "./audit-findings";
import { batchLinkOf, hexAt, holds, intAt, latin1Of, linkText, SEQ_KEY } from "./audit-record-bytes";

/** Events per chunk read (one statement, one row). */
const CHUNK = 1_000;

/** The first link of a batch seen in a range: checked against the previous range's tail on merge. */
export interface BatchHead {
  batchId: string;
  batchSeq: number;
  prevLeafHash: string | null;
  seq: number;
  eventId: string;
}

/** The last event of a batch seen in a range. */
export interface BatchTail {
  batchId: string;
  batchSeq: number;
  leafHex: string;
  seq: number;
  eventId: string;
}

/** What to scan: events with seq in [from, to), the epochs starting there, where sealing ends. */
export interface ScanInput {
  epochs: EpochDb[];
  from: number;
  to: number;
  sealedEnd: number;
}

/** One range's scan. */
export interface ScanResult {
  findings: AuditFinding[];
  events: number;
  roots: [number, Uint8Array][];
  heads: BatchHead[];
  tails: BatchTail[];
}

/** The result of the local checks. */
export interface LocalAudit {
  findings: AuditFinding[];
  events: number;
  epochs: EpochDb[];
  roots: Map<number, Buffer>;
}

function batchFinding(
  bid: string,
  seq: number,
  eventId: string,
  link: { batchSeq: number; prevLeafHash: string | null },
  prev: BatchTail | undefined,
): AuditFinding | undefined {
  const wantSeq = prev ? prev.batchSeq + 1 : 0;
  const wantPrev = prev ? prev.leafHex : null;
  if (link.batchSeq === wantSeq && link.prevLeafHash === wantPrev) return undefined;
  return {
    code: "BATCH_CHAIN_BROKEN",
    seq,
    eventId,
    batchId: bid,
    message: `batch ${bid}: event ${eventId} (seq ${seq}) links as #${link.batchSeq} after ${link.prevLeafHash === null ? "nothing" : `0x${link.prevLeafHash}`}, but the batch's previous stored event is ${prev ? `${prev.eventId} (seq ${prev.seq}) #${prev.batchSeq} with leaf 0x${wantPrev}` : "none"}: a batch event was deleted, inserted, reordered or altered`,
  };
}

/**
 * Reads the epochs and checks their numbering and ranges. Epochs that claim far more events than are
 * stored are named and left out (they cannot be rebuilt, and must not make us allocate their size).
 */
export function readEpochs(db: Db, findings: AuditFinding[]): { epochs: EpochDb[]; sealedEnd: number; total: number } {
  const all = (
    db.prepare("SELECT epoch, first_seq, size, root FROM epochs ORDER BY epoch").raw().all() as [
      number,
      number,
      number,
      Buffer,
    ][]
  ).map(([epoch, firstSeq, size, root]) => ({ epoch, firstSeq, size, root }));
  const total = db.prepare("SELECT count(*) FROM events").pluck().get() as number;
  // Epoch ranges: numbered 0, 1, … and each starting where the previous ended.
  let expectFirst = 0;
  all.forEach((e, i) => {
    if (e.epoch !== i || e.firstSeq !== expectFirst) {
      findings.push({
        code: "EPOCH_RANGE_BROKEN",
        epoch: e.epoch,
        message: `epoch ${e.epoch}: covers seq ${e.firstSeq}..${e.firstSeq + e.size - 1} but epoch ${i} should start at seq ${expectFirst}`,
      });
    }
    expectFirst = e.firstSeq + e.size;
  });
  // Deleted events are named one by one inside their epoch; only a size no real ledger could have
  // (more than twice what is stored) is left out, so that a forged size allocates nothing.
  const epochs = all.filter((e) => {
    if (e.size <= 2 * total + 1024) return true;
    findings.push({
      code: "EPOCH_RANGE_BROKEN",
      epoch: e.epoch,
      message: `epoch ${e.epoch}: claims ${e.size} events, more than twice the ${total} stored`,
    });
    return false;
  });
  return { epochs, sealedEnd: expectFirst, total };
}

/**
 * Scans the events with seq in [from, to): leaves, rows, sequence, batch links within the range,
 * and every epoch of `epochs` (those starting in the range). Call inside a read transaction.
 */
export function scanRange(db: Db, input: ScanInput, onCount?: (events: number) => void, every = 10_000): ScanResult {
  const { epochs, from, to, sealedEnd } = input;
  const findings: AuditFinding[] = [];
  const roots = new Map<number, Buffer>();
  // One statement per epoch for its tiles (every level, in order).
  const qTiles = db
    .prepare<[number]>("SELECT level, tile, hashes FROM epoch_tiles WHERE epoch = ? ORDER BY level, tile")
    .raw();
  let events = 0;

  // The epoch in progress: its events' stored and recomputed leaf hashes back to back by index.
  let ei = 0;
  let cur: EpochLeaves | undefined;
  const closeEpoch = () => {
    if (cur) checkEpoch(cur, qTiles.all(cur.e.epoch) as [number, number, Buffer][], findings, roots);
    cur = undefined;
  };
  const fresh = (e: EpochDb): EpochLeaves => ({
    e,
    stored: Buffer.alloc(e.size * HASH_LENGTH),
    computed: Buffer.alloc(e.size * HASH_LENGTH),
    present: new Uint8Array(e.size),
    count: 0,
    ids: new Array(e.size),
    odd: new Map(),
  });
  const openEpochFor = (seq: number) => {
    while (ei < epochs.length && epochs[ei].firstSeq + epochs[ei].size <= seq) {
      if (!cur || cur.e !== epochs[ei]) {
        closeEpoch();
        cur = fresh(epochs[ei]);
      }
      closeEpoch();
      ei++;
    }
    if (ei < epochs.length && epochs[ei].firstSeq <= seq && (!cur || cur.e !== epochs[ei])) {
      closeEpoch();
      cur = fresh(epochs[ei]);
    }
  };

  const heads: BatchHead[] = [];
  const batches = new Map<string, { batchId: string; batchSeq: number; leaf: Buffer; seq: number; eventId: string }>();
  let expectSeq = from === Number.MIN_SAFE_INTEGER ? 0 : from;
  // One statement and one row per chunk of up to CHUNK events (keyset pagination on seq: no walk over
  // an empty range an edited seq may open): the rows' small columns and lengths as one JSON array,
  // the records as one blob 0x00 ‖ record0 ‖ 0x00 ‖ record1 …, so that each event's leaf input of
  // RFC 9162 §2.1.1 (0x00 ‖ record) is a slice of it, hashed as it lies, and the stored leaf hashes
  // as one blob. Offsets come from the lengths, never from searching the bytes. The three aggregates
  // take the ordered subquery's rows in one pass, so they agree row by row; the order itself is
  // checked below (an ORDER BY inside each aggregate sorts the chunk again: 3× slower). Reading rows one by
  // one (one JS array and string per row, the record decoded from UTF-8 and encoded again to hash
  // it) cost more than hashing them.
  const qChunk = db
    .prepare<[number, number, number]>(
      `SELECT json_group_array(json_array(seq, event_id, batch_id, batch_seq, length(CAST(coalesce(record, '') AS BLOB)), length(coalesce(leaf_hash, X'')))),
            CAST(X'00' || group_concat(coalesce(record, ''), char(0)) AS BLOB),
            CAST(group_concat(coalesce(leaf_hash, X''), '') AS BLOB)
       FROM (SELECT seq, event_id, batch_id, batch_seq, record, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT ?)`,
    )
    .raw();
  type Row = [number, string, string | null, number | null, number, number];
  const idHint = { at: 0 };
  const batchHint = { at: 0 };
  let next = from;
  for (;;) {
    const [json, bytes, leaves] = qChunk.get(next, to, CHUNK) as [string, Buffer | null, Buffer | null];
    const chunk = JSON.parse(json) as Row[];
    if (chunk.length === 0) break;
    // Needles need spelling as UTF-8 bytes only when some id in the chunk is not ASCII.
    const spell = /[\u0080-\uffff]|\\u/.test(json) ? latin1Of : (x: string) => x;
    // `at`: this record's 0x00 in `bytes`; `lat`: its stored leaf hash in `leaves`.
    let at = 0;
    let lat = 0;
    let last = next - 1;
    for (const [seq, eventId, batchId, batchSeq, recLength, leafLength] of chunk) {
      const start = at + 1;
      const end = start + recLength;
      const storedEnd = lat + leafLength;
      if (seq <= last) throw new Error(`audit: SQLite returned seq ${seq} after ${last} in one chunk`);
      last = seq;
      events++;
      if (seq !== expectSeq) {
        findings.push({
          code: "SEQUENCE_GAP",
          seq: expectSeq,
          message:
            seq > expectSeq
              ? `events seq ${expectSeq}..${seq - 1} are missing (next stored is ${eventId}, seq ${seq}): deleted`
              : `event ${eventId} has seq ${seq} out of order`,
        });
      }
      expectSeq = seq + 1;
      const leaf = sha256OneShot(bytes!.subarray(at, end));
      if (leaf.compare(leaves!, lat, storedEnd) !== 0) {
        findings.push({
          code: "EVENT_RECORD_ALTERED",
          seq,
          eventId,
          message: `event ${eventId} (seq ${seq}): stored record hashes to ${toHex(leaf)} but its stored leaf hash is ${toHex(leaves!.subarray(lat, storedEnd))}: the record was altered`,
        });
      }
      // The record's own seq (top level, after the event and before submittedBy) and event id.
      const k = bytes!.lastIndexOf(SEQ_KEY, end - SEQ_KEY.length);
      const recSeq = k < start ? -1 : intAt(bytes!, k + SEQ_KEY.length).value;
      if (recSeq !== seq || !holds(bytes!, start, end, spell(`"id":${JSON.stringify(eventId)},`), idHint)) {
        findings.push({
          code: "EVENT_ROW_MISMATCH",
          seq,
          eventId,
          message:
            recSeq !== seq
              ? `event ${eventId}: its record says seq ${recSeq}, its row says seq ${seq}: the sequence number was altered`
              : `seq ${seq}: its row says event id ${eventId} but its record holds another id`,
        });
      }
      // The batch chain (record.ts): batchSeq counts up from 0, prevLeafHash is the previous event's leaf.
      const link = batchLinkOf(bytes!, start, end);
      if (link === "bad") {
        findings.push({
          code: "EVENT_RECORD_UNREADABLE",
          seq,
          eventId,
          message: `event ${eventId} (seq ${seq}): its record's batch link is not in canonical form`,
        });
      } else if (link || batchId !== null) {
        const bid = batchId ?? "(none)";
        if (
          !link ||
          batchSeq !== link.batchSeq ||
          !holds(bytes!, start, end, spell(`"batch":{"batchId":${JSON.stringify(bid)},`), batchHint)
        ) {
          findings.push({
            code: "EVENT_ROW_MISMATCH",
            seq,
            eventId,
            batchId: bid,
            message: `event ${eventId} (seq ${seq}): row says batch ${bid} #${batchSeq}, record says ${link ? `#${link.batchSeq}` : "no batch link"}`,
          });
        }
        if (link) {
          const prev = batches.get(bid);
          if (!prev) heads.push({ batchId: bid, ...linkText(bytes!, end, link), seq, eventId });
          else if (
            link.batchSeq !== prev.batchSeq + 1 ||
            link.prevAt < 0 ||
            !hexAt(bytes!, link.prevAt, end, prev.leaf)
          ) {
            const f = batchFinding(bid, seq, eventId, linkText(bytes!, end, link), tailOf(prev));
            if (f) findings.push(f);
          }
          batches.set(bid, { batchId: bid, batchSeq: link.batchSeq, leaf, seq, eventId });
        }
      }
      openEpochFor(seq);
      if (cur && seq >= cur.e.firstSeq && seq < cur.e.firstSeq + cur.e.size) {
        const i = seq - cur.e.firstSeq;
        if (leafLength === HASH_LENGTH) leaves!.copy(cur.stored, i * HASH_LENGTH, lat, storedEnd);
        else cur.odd.set(i, Buffer.from(leaves!.subarray(lat, storedEnd)));
        cur.computed.set(leaf, i * HASH_LENGTH);
        cur.present[i] = 1;
        cur.count++;
        cur.ids[i] = eventId;
      } else if (seq < sealedEnd) {
        findings.push({
          code: "EVENT_OUTSIDE_EPOCHS",
          seq,
          eventId,
          message: `event ${eventId} (seq ${seq}) lies in the sealed range but in no epoch`,
        });
      }
      if (onCount && events % every === 0) onCount(events);
      at = end;
      lat = storedEnd;
    }
    if (chunk.length < CHUNK) break;
    next = chunk[chunk.length - 1][0] + 1;
  }
  openEpochFor(Number.MAX_SAFE_INTEGER);
  closeEpoch();
  const end = Math.min(to, sealedEnd);
  if (expectSeq < end) {
    findings.push({
      code: "SEQUENCE_GAP",
      seq: expectSeq,
      message: `events seq ${expectSeq}..${end - 1} are missing${end === sealedEnd ? " at the end of the sealed range" : ""}: deleted`,
    });
  }
  onCount?.(events);
  return { findings, events, roots: [...roots], heads, tails: [...batches.values()].map(tailOf) };
}

/** A batch's last event as the merge reads it. */
const tailOf = (t: { batchId: string; batchSeq: number; leaf: Buffer; seq: number; eventId: string }): BatchTail => ({
  batchId: t.batchId,
  batchSeq: t.batchSeq,
  leafHex: t.leaf.toString("hex"),
  seq: t.seq,
  eventId: t.eventId,
});

/** Merges consecutive ranges' scans, in order: the batch links across range boundaries are checked here. */
export function mergeScans(scans: ScanResult[], into: LocalAudit): void {
  const tails = new Map<string, BatchTail>();
  for (const s of scans) {
    into.findings.push(...s.findings);
    into.events += s.events;
    for (const [epoch, root] of s.roots)
      into.roots.set(epoch, Buffer.from(root.buffer, root.byteOffset, root.byteLength));
    for (const h of s.heads) {
      const f = batchFinding(h.batchId, h.seq, h.eventId, h, tails.get(h.batchId));
      if (f) into.findings.push(f);
    }
    for (const t of s.tails) tails.set(t.batchId, t);
  }
}

/**
 * The local checks, sequentially: events, sequence, batch chains, epochs and their trees, in one
 * read transaction. Returns the findings and the recomputed root of each epoch.
 */
export function auditLocal(
  db: Db,
  opts: { onProgress?: (done: number, total: number) => void; progressEvery?: number } = {},
): LocalAudit {
  const out: LocalAudit = { findings: [], events: 0, epochs: [], roots: new Map() };
  db.transaction(() => {
    const { epochs, sealedEnd, total } = readEpochs(db, out.findings);
    out.epochs = epochs;
    const onCount = opts.onProgress && ((n: number) => opts.onProgress!(n, total));
    mergeScans(
      [
        scanRange(
          db,
          { epochs, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, sealedEnd },
          onCount,
          opts.progressEvery,
        ),
      ],
      out,
    );
  })();
  return out;
}
