/**
 * The local half of `audit` (see audit.ts): a scan of the events in one range of sequence numbers,
 * with the epochs that start in it, and the merge of consecutive ranges' scans. One range is the
 * sequential audit; several ranges cut at epoch boundaries are scanned by worker threads, each on
 * its own read connection (audit-worker.ts), and merged here into the same findings.
 *
 * The scan reads raw rows in chunks and never parses JSON: the canonical form (RFC 8785 §3.2.3:
 * members sorted) puts `batchLink` first and `seq` last but `submittedBy`, so the fields audit
 * needs are read by position and compared as strings. Nothing here imports ethers, so a worker
 * starts fast.
 */
import { HASH_LENGTH, buildLevels, toHex } from "../core";
import { leafHashOfText, nodeHasher } from "../crypto/node-hasher";
import { TILE_WIDTH } from "../store/epoch-store";
import { Db } from "../store/sqlite";

/** What a finding is about. */
export type AuditFindingCode =
  | "EVENT_RECORD_ALTERED"
  | "EVENT_ROW_MISMATCH"
  | "EVENT_RECORD_UNREADABLE"
  | "SEQUENCE_GAP"
  | "EVENT_OUTSIDE_EPOCHS"
  | "EPOCH_RANGE_BROKEN"
  | "EPOCH_EVENT_MISSING"
  | "EPOCH_LEAF_MISMATCH"
  | "EPOCH_TREE_ALTERED"
  | "EPOCH_ROOT_MISMATCH"
  | "BATCH_CHAIN_BROKEN"
  | "ANCHOR_MISSING_ON_CHAIN"
  | "ANCHOR_ROOT_MISMATCH"
  | "ANCHOR_RANGE_MISMATCH"
  | "ANCHOR_EPOCH_MISSING_LOCALLY"
  | "ANCHOR_TX_MISSING"
  | "ANCHOR_BLOCK_MISMATCH";

/** One finding: what is wrong, and which event, epoch or anchor it concerns. */
export interface AuditFinding {
  code: AuditFindingCode;
  message: string;
  seq?: number;
  eventId?: string;
  epoch?: number;
  batchId?: string;
  anchorTx?: string;
}

/** What `audit` reads from the chain (a thin adapter over the contract and the provider). */

const BATCH_HEAD = '{"batchLink":{"batchSeq":';
const PREV_NULL = ',"prevLeafHash":null}';
const PREV_HASH = ',"prevLeafHash":"0x';
const SEQ_KEY = '"seq":';
const CHUNK = 1_000;

/** An epoch row as audit reads it. */
export interface EpochDb {
  epoch: number;
  firstSeq: number;
  size: number;
  root: Buffer;
}

/** Reads the decimal digits at `at` of `s`; value -1 when there are none. */
function intAt(s: string, at: number): { value: number; end: number } {
  let v = 0;
  let i = at;
  for (let c = s.charCodeAt(i); c >= 0x30 && c <= 0x39; c = s.charCodeAt(++i)) v = v * 10 + (c - 0x30);
  return { value: i === at ? -1 : v, end: i };
}

/** The batch link of a canonical record, from its first characters; undefined when it has none. */
function batchLinkOf(rec: string): { batchSeq: number; prevLeafHash: string | null } | undefined | "bad" {
  if (!rec.startsWith(BATCH_HEAD)) return undefined;
  const { value, end } = intAt(rec, BATCH_HEAD.length);
  if (value < 0) return "bad";
  if (rec.startsWith(PREV_NULL, end)) return { batchSeq: value, prevLeafHash: null };
  if (rec.startsWith(PREV_HASH, end)) {
    const at = end + PREV_HASH.length;
    return { batchSeq: value, prevLeafHash: rec.slice(at, at + 64) };
  }
  return "bad";
}

/** RFC 9162 levels bottom-up, the odd last node carried up (the layout the sealer stores). */
const levelsOf = (leaves: Buffer[]): Buffer[][] => buildLevels(nodeHasher, leaves) as Buffer[][];

const rootOf = (levels: Buffer[][]): Buffer => (levels[0].length === 0 ? (nodeHasher.emptyRoot() as Buffer) : levels[levels.length - 1][0]);

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

function batchFinding(bid: string, seq: number, eventId: string, link: { batchSeq: number; prevLeafHash: string | null }, prev: BatchTail | undefined): AuditFinding | undefined {
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
  const all = (db.prepare("SELECT epoch, first_seq, size, root FROM epochs ORDER BY epoch").raw().all() as [number, number, number, Buffer][]).map(
    ([epoch, firstSeq, size, root]) => ({ epoch, firstSeq, size, root }),
  );
  const total = db.prepare("SELECT count(*) FROM events").pluck().get() as number;
  // Epoch ranges: numbered 0, 1, … and each starting where the previous ended.
  let expectFirst = 0;
  all.forEach((e, i) => {
    if (e.epoch !== i || e.firstSeq !== expectFirst) {
      findings.push({ code: "EPOCH_RANGE_BROKEN", epoch: e.epoch, message: `epoch ${e.epoch}: covers seq ${e.firstSeq}..${e.firstSeq + e.size - 1} but epoch ${i} should start at seq ${expectFirst}` });
    }
    expectFirst = e.firstSeq + e.size;
  });
  // Deleted events are named one by one inside their epoch; only a size no real ledger could have
  // (more than twice what is stored) is left out, so that a forged size allocates nothing.
  const epochs = all.filter((e) => {
    if (e.size <= 2 * total + 1024) return true;
    findings.push({ code: "EPOCH_RANGE_BROKEN", epoch: e.epoch, message: `epoch ${e.epoch}: claims ${e.size} events, more than twice the ${total} stored` });
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
  const qTiles = db.prepare<[number]>("SELECT level, tile, hashes FROM epoch_tiles WHERE epoch = ? ORDER BY level, tile").raw();
  let events = 0;

  // Per epoch in progress: stored and recomputed leaf hashes by index.
  let ei = 0;
  let cur: { e: EpochDb; stored: (Buffer | undefined)[]; computed: (Buffer | undefined)[]; ids: (string | undefined)[] } | undefined;
  const closeEpoch = () => {
    if (cur) checkEpoch(cur.e, cur.stored, cur.computed, cur.ids, qTiles.all(cur.e.epoch) as [number, number, Buffer][], findings, roots);
    cur = undefined;
  };
  const fresh = (e: EpochDb) => ({ e, stored: new Array(e.size), computed: new Array(e.size), ids: new Array(e.size) });
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
  const batches = new Map<string, BatchTail>();
  let expectSeq = from === Number.MIN_SAFE_INTEGER ? 0 : from;
  // One one-shot SHA-256 per event over 0x00 ‖ record (leafHashOfText). Raw rows in chunks of CHUNK rows (keyset pagination on seq): one native
  // call per chunk instead of one per row, and no walk over an empty range an edited seq may open.
  const rows = db.prepare<[number, number, number]>("SELECT seq, event_id, batch_id, batch_seq, record, leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT ?").raw();
  type Row = [number, string, string | null, number | null, string, Buffer];
  for (let chunk = rows.all(from, to, CHUNK) as Row[]; chunk.length > 0; chunk = chunk.length < CHUNK ? [] : (rows.all(chunk[chunk.length - 1][0] + 1, to, CHUNK) as Row[])) {
    for (const row of chunk) {
      const [seq, eventId, batchId, batchSeq, rec, stored] = row;
      events++;
      if (seq !== expectSeq) {
        findings.push({ code: "SEQUENCE_GAP", seq: expectSeq, message: seq > expectSeq ? `events seq ${expectSeq}..${seq - 1} are missing (next stored is ${eventId}, seq ${seq}): deleted` : `event ${eventId} has seq ${seq} out of order` });
      }
      expectSeq = seq + 1;
      const leaf = leafHashOfText(rec);
      if (!leaf.equals(stored)) {
        findings.push({ code: "EVENT_RECORD_ALTERED", seq, eventId, message: `event ${eventId} (seq ${seq}): stored record hashes to ${toHex(leaf)} but its stored leaf hash is ${toHex(stored)}: the record was altered` });
      }
      // The record's own seq (top level, after the event and before submittedBy) and event id.
      const k = rec.lastIndexOf(SEQ_KEY);
      const recSeq = k < 0 ? -1 : intAt(rec, k + SEQ_KEY.length).value;
      if (recSeq !== seq || !rec.includes(`"id":${JSON.stringify(eventId)},`)) {
        findings.push({
          code: "EVENT_ROW_MISMATCH",
          seq,
          eventId,
          message: recSeq !== seq ? `event ${eventId}: its record says seq ${recSeq}, its row says seq ${seq}: the sequence number was altered` : `seq ${seq}: its row says event id ${eventId} but its record holds another id`,
        });
      }
      // The batch chain (record.ts): batchSeq counts up from 0, prevLeafHash is the previous event's leaf.
      const link = batchLinkOf(rec);
      if (link === "bad") {
        findings.push({ code: "EVENT_RECORD_UNREADABLE", seq, eventId, message: `event ${eventId} (seq ${seq}): its record's batch link is not in canonical form` });
      } else if (link || batchId !== null) {
        const bid = batchId ?? "(none)";
        if (!link || batchSeq !== link.batchSeq || !rec.includes(`"batch":{"batchId":${JSON.stringify(bid)},`)) {
          findings.push({ code: "EVENT_ROW_MISMATCH", seq, eventId, batchId: bid, message: `event ${eventId} (seq ${seq}): row says batch ${bid} #${batchSeq}, record says ${link ? `#${link.batchSeq}` : "no batch link"}` });
        }
        if (link) {
          const prev = batches.get(bid);
          if (!prev) heads.push({ batchId: bid, batchSeq: link.batchSeq, prevLeafHash: link.prevLeafHash, seq, eventId });
          else {
            const f = batchFinding(bid, seq, eventId, link, prev);
            if (f) findings.push(f);
          }
          batches.set(bid, { batchId: bid, batchSeq: link.batchSeq, leafHex: leaf.toString("hex"), seq, eventId });
        }
      }
      openEpochFor(seq);
      if (cur && seq >= cur.e.firstSeq && seq < cur.e.firstSeq + cur.e.size) {
        const i = seq - cur.e.firstSeq;
        cur.stored[i] = stored;
        cur.computed[i] = leaf;
        cur.ids[i] = eventId;
      } else if (seq < sealedEnd) {
        findings.push({ code: "EVENT_OUTSIDE_EPOCHS", seq, eventId, message: `event ${eventId} (seq ${seq}) lies in the sealed range but in no epoch` });
      }
      if (onCount && events % every === 0) onCount(events);
    }
  }
  openEpochFor(Number.MAX_SAFE_INTEGER);
  closeEpoch();
  const end = Math.min(to, sealedEnd);
  if (expectSeq < end) {
    findings.push({ code: "SEQUENCE_GAP", seq: expectSeq, message: `events seq ${expectSeq}..${end - 1} are missing${end === sealedEnd ? " at the end of the sealed range" : ""}: deleted` });
  }
  onCount?.(events);
  return { findings, events, roots: [...roots], heads, tails: [...batches.values()] };
}

/** Merges consecutive ranges' scans, in order: the batch links across range boundaries are checked here. */
export function mergeScans(scans: ScanResult[], into: LocalAudit): void {
  const tails = new Map<string, BatchTail>();
  for (const s of scans) {
    into.findings.push(...s.findings);
    into.events += s.events;
    for (const [epoch, root] of s.roots) into.roots.set(epoch, Buffer.from(root.buffer, root.byteOffset, root.byteLength));
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
export function auditLocal(db: Db, opts: { onProgress?: (done: number, total: number) => void; progressEvery?: number } = {}): LocalAudit {
  const out: LocalAudit = { findings: [], events: 0, epochs: [], roots: new Map() };
  db.transaction(() => {
    const { epochs, sealedEnd, total } = readEpochs(db, out.findings);
    out.epochs = epochs;
    const onCount = opts.onProgress && ((n: number) => opts.onProgress!(n, total));
    mergeScans([scanRange(db, { epochs, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, sealedEnd }, onCount, opts.progressEvery)], out);
  })();
  return out;
}

/** Checks one epoch: its events against its level-0 tiles, its stored tree, and its root. */
function checkEpoch(
  e: EpochDb,
  stored: (Buffer | undefined)[],
  computed: (Buffer | undefined)[],
  ids: (string | undefined)[],
  tiles: [number, number, Buffer][],
  findings: AuditFinding[],
  roots: Map<number, Buffer>,
): void {
  const byLevel: Buffer[][] = [];
  for (const [level, tile, hashes] of tiles) (byLevel[level] ??= [])[tile] = hashes;
  const tileLeaves: Buffer[] = [];
  for (const t of byLevel[0] ?? []) for (let off = 0; t && off + HASH_LENGTH <= t.length; off += HASH_LENGTH) tileLeaves.push(t.subarray(off, off + HASH_LENGTH));
  if (tileLeaves.length !== e.size) {
    findings.push({ code: "EPOCH_TREE_ALTERED", epoch: e.epoch, message: `epoch ${e.epoch}: its stored tree has ${tileLeaves.length} leaves, the epoch says ${e.size}: stored tree nodes were altered` });
  }
  let leavesAgree = tileLeaves.length === e.size;
  let missing = 0;
  for (let i = 0; i < e.size; i++) {
    const seq = e.firstSeq + i;
    if (!stored[i]) {
      missing++;
      findings.push({ code: "EPOCH_EVENT_MISSING", epoch: e.epoch, seq, message: `epoch ${e.epoch}: event seq ${seq} is missing: it was deleted` });
      leavesAgree = false;
    } else if (tileLeaves[i] && !stored[i]!.equals(tileLeaves[i])) {
      findings.push({
        code: "EPOCH_LEAF_MISMATCH",
        epoch: e.epoch,
        seq,
        eventId: ids[i],
        message: `epoch ${e.epoch}: event ${ids[i]} (seq ${seq}) has leaf ${toHex(stored[i]!)} but the epoch tree has ${toHex(tileLeaves[i])} at index ${i}: the event or the tree was altered`,
      });
    }
    if (leavesAgree && !computed[i]!.equals(tileLeaves[i])) leavesAgree = false;
  }
  // Every stored level against the levels rebuilt from the stored leaves (proofs read these tiles).
  const levels = levelsOf(tileLeaves);
  for (let l = 1; l < levels.length; l++) {
    const want = levels[l];
    const tilesL = byLevel[l] ?? [];
    const wantTiles = Math.ceil(want.length / TILE_WIDTH);
    for (let t = 0; t < Math.max(wantTiles, tilesL.length); t++) {
      const got = tilesL[t];
      const part = want.slice(t * TILE_WIDTH, (t + 1) * TILE_WIDTH);
      if (got && got.length === part.length * HASH_LENGTH && part.every((h, k) => got.compare(h, 0, HASH_LENGTH, k * HASH_LENGTH, (k + 1) * HASH_LENGTH) === 0)) continue;
      const bad = part.findIndex((h, k) => !got || got.length < (k + 1) * HASH_LENGTH || got.compare(h, 0, HASH_LENGTH, k * HASH_LENGTH, (k + 1) * HASH_LENGTH) !== 0);
      findings.push({
        code: "EPOCH_TREE_ALTERED",
        epoch: e.epoch,
        message: `epoch ${e.epoch}: stored tree level ${l} tile ${t} differs from the tree rebuilt from its leaves${bad >= 0 ? ` (first at node ${t * TILE_WIDTH + bad})` : ""}: a stored tree node was altered`,
      });
    }
  }
  const root = leavesAgree ? rootOf(levels) : missing === 0 ? rootOf(levelsOf(computed as Buffer[])) : undefined;
  if (root) roots.set(e.epoch, root);
  if (!root || !root.equals(e.root)) {
    findings.push({
      code: "EPOCH_ROOT_MISMATCH",
      epoch: e.epoch,
      message: `epoch ${e.epoch}: ${root ? `root rebuilt from its events is ${toHex(root)}` : "its root cannot be rebuilt (events missing)"}, stored root is ${toHex(e.root)}`,
    });
  }
}
