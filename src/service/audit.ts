/**
 * `audit`: re-verifies the whole ledger and reports every finding, not just the first, each naming
 * the event, epoch or anchor involved. Local checks first (so tampering is named with the chain
 * down), in one read transaction (a consistent snapshot while the server writes):
 *
 * - every event's leaf recomputed from its stored record bytes, H(0x00 ‖ record) (RFC 9162 §2.1.1),
 *   against its stored leaf hash, and the record's own `seq` and event id against its row;
 * - sequence numbers gap-free from 0, epochs contiguous (epoch n+1 starts where n ends);
 * - every batch chain unbroken: each record's batchLink continues the batch's previous event;
 * - every epoch: its stored level-0 tiles against its events' leaf hashes, every stored tree level
 *   against the levels rebuilt from those tiles, and the root rebuilt from its events' recomputed
 *   leaves against the stored root;
 *
 * then, through `AuditChain`, every epoch's anchored root, tree size and first sequence number, no
 * anchored epoch missing locally, and every recorded anchor tx present in its recorded block.
 *
 * The event scan reads raw rows in chunks and never parses JSON: the canonical form (RFC 8785
 * §3.2.3: members sorted) puts `batchLink` first and `seq` last but `submittedBy`, so the fields
 * audit needs are read by position and compared as strings.
 */
import { JsonRpcProvider } from "ethers";
import { anchorContract } from "../chain/contract";
import { hash as oneShotHash } from "node:crypto";
import { Db } from "../store/sqlite";
import { HASH_LENGTH, toHex } from "../core";
import { nodeHasher } from "../crypto/node-hasher";
import { TILE_WIDTH } from "../store/epoch-store";
import { Ledger } from "./ledger";

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
export interface AuditChain {
  /** The ledger's next epoch and next sequence number on chain. */
  ledgerState(): Promise<{ nextEpoch: bigint; nextSeq: bigint }>;
  /** The anchor of an epoch, or undefined when the contract has none. */
  getAnchor(epoch: number): Promise<{ root: string; treeSize: bigint; firstSeq: bigint } | undefined>;
  /** The receipt of a transaction, or null when the chain does not know it. */
  getReceipt(txHash: string): Promise<{ blockHash: string; blockNumber: number } | null>;
}

/** The audit's report. */
export interface AuditReport {
  events: number;
  epochs: number;
  anchors: number;
  /** Every finding, local ones first. */
  findings: AuditFinding[];
  /** Whether the chain was checked: `unreachable` leaves only the local checks done. */
  chain: "checked" | "unreachable" | "skipped" | "nothing-anchored";
  /** Why the chain was unreachable or skipped. */
  chainError?: string;
  /** Time of the local checks and their throughput. */
  localMs: number;
  eventsPerSecond: number;
}

/** Options of an audit. */
export interface AuditOptions {
  /** Opens the chain; omitted: chain checks skipped. May throw (the audit records `unreachable`). */
  chain?: () => Promise<AuditChain>;
  /** Why `chain` is omitted (reported as chainError). */
  chainSkipped?: string;
  /** Called every `progressEvery` events and at the end with (events checked, events expected). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

const BATCH_HEAD = '{"batchLink":{"batchSeq":';
const PREV_NULL = ',"prevLeafHash":null}';
const PREV_HASH = ',"prevLeafHash":"0x';
const SEQ_KEY = '"seq":';
const CHUNK = 1_000;

interface EpochDb {
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

/** 0x01 ‖ left ‖ right, reused for every interior node (RFC 9162 §2.1.1). */
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_LENGTH, 0x01);

/** RFC 9162 levels bottom-up, the odd last node carried up (the layout the sealer stores). */
function levelsOf(leaves: Buffer[]): Buffer[][] {
  const levels = [leaves];
  let cur = leaves;
  while (cur.length > 1) {
    const next: Buffer[] = new Array(Math.ceil(cur.length / 2));
    for (let i = 0; i + 1 < cur.length; i += 2) {
      cur[i].copy(NODE_INPUT, 1);
      cur[i + 1].copy(NODE_INPUT, 1 + HASH_LENGTH);
      next[i >> 1] = oneShotHash("sha256", NODE_INPUT, "buffer") as unknown as Buffer;
    }
    if (cur.length % 2 === 1) next[next.length - 1] = cur[cur.length - 1];
    levels.push(next);
    cur = next;
  }
  return levels;
}

const rootOf = (levels: Buffer[][]): Buffer => (levels[0].length === 0 ? (nodeHasher.emptyRoot() as Buffer) : levels[levels.length - 1][0]);

/**
 * The local checks: events, sequence, batch chains, epochs and their trees. Synchronous, in one read
 * transaction. Returns the findings and the recomputed root of each epoch.
 */
export function auditLocal(db: Db, opts: Pick<AuditOptions, "onProgress" | "progressEvery"> = {}): { findings: AuditFinding[]; events: number; epochs: EpochDb[]; roots: Map<number, Buffer> } {
  const findings: AuditFinding[] = [];
  const roots = new Map<number, Buffer>();
  let events = 0;
  let epochs: EpochDb[] = [];
  db.transaction(() => {
    epochs = (db.prepare("SELECT epoch, first_seq, size, root FROM epochs ORDER BY epoch").raw().all() as [number, number, number, Buffer][]).map(
      ([epoch, firstSeq, size, root]) => ({ epoch, firstSeq, size, root }),
    );
    const qTiles = db.prepare<[number]>("SELECT level, tile, hashes FROM epoch_tiles WHERE epoch = ? ORDER BY level, tile").raw();
    const total = db.prepare("SELECT count(*) FROM events").pluck().get() as number;
    const every = opts.progressEvery ?? 10_000;

    // Epoch ranges: numbered 0, 1, … and each starting where the previous ended.
    let expectFirst = 0;
    epochs.forEach((e, i) => {
      if (e.epoch !== i || e.firstSeq !== expectFirst) {
        findings.push({ code: "EPOCH_RANGE_BROKEN", epoch: e.epoch, message: `epoch ${e.epoch}: covers seq ${e.firstSeq}..${e.firstSeq + e.size - 1} but epoch ${i} should start at seq ${expectFirst}` });
      }
      expectFirst = e.firstSeq + e.size;
    });
    const sealedEnd = expectFirst;
    // An epoch claiming more events than are stored cannot be rebuilt (and must not make us allocate
    // its claimed size): named, then left out of the per-epoch checks.
    epochs = epochs.filter((e) => {
      if (e.size <= total) return true;
      findings.push({ code: "EPOCH_RANGE_BROKEN", epoch: e.epoch, message: `epoch ${e.epoch}: claims ${e.size} events, only ${total} are stored` });
      return false;
    });

    // Per epoch in progress: stored and recomputed leaf hashes by index.
    let ei = 0;
    let cur: { e: EpochDb; stored: (Buffer | undefined)[]; computed: (Buffer | undefined)[]; ids: (string | undefined)[] } | undefined;
    const closeEpoch = () => {
      if (cur) checkEpoch(cur.e, cur.stored, cur.computed, cur.ids, qTiles.all(cur.e.epoch) as [number, number, Buffer][], findings, roots);
      cur = undefined;
    };
    const openEpochFor = (seq: number) => {
      while (ei < epochs.length && epochs[ei].firstSeq + epochs[ei].size <= seq) {
        if (!cur || cur.e !== epochs[ei]) {
          closeEpoch();
          cur = { e: epochs[ei], stored: new Array(epochs[ei].size), computed: new Array(epochs[ei].size), ids: new Array(epochs[ei].size) };
        }
        closeEpoch();
        ei++;
      }
      if (ei < epochs.length && epochs[ei].firstSeq <= seq && (!cur || cur.e !== epochs[ei])) {
        closeEpoch();
        const e = epochs[ei];
        cur = { e, stored: new Array(e.size), computed: new Array(e.size), ids: new Array(e.size) };
      }
    };

    const batches = new Map<string, { batchSeq: number; leaf: Buffer; seq: number; eventId: string }>();
    let expectSeq = 0;
    // One one-shot SHA-256 per event over "\0" + record, UTF-8 encoded by node:crypto: the bytes
    // 0x00 ‖ record exactly (the same SHA-256 as src/crypto/node-hasher.ts, without a streaming
    // context per call). Reading the record as text keeps the checks below on V8 strings.
    // Raw rows in chunks of CHUNK rows (keyset pagination on seq): one native call per chunk
    // instead of one per row, and no walk over an empty range an edited seq may open.
    const rows = db.prepare<[number, number]>("SELECT seq, event_id, batch_id, batch_seq, record, leaf_hash FROM events WHERE seq >= ? ORDER BY seq LIMIT ?").raw();
    type Row = [number, string, string | null, number | null, string, Buffer];
    for (let chunk = rows.all(Number.MIN_SAFE_INTEGER, CHUNK) as Row[]; chunk.length > 0; chunk = chunk.length < CHUNK ? [] : (rows.all(chunk[chunk.length - 1][0] + 1, CHUNK) as Row[])) {
      for (const row of chunk) {
        const [seq, eventId, batchId, batchSeq, rec, stored] = row;
        events++;
        if (seq !== expectSeq) {
          findings.push({ code: "SEQUENCE_GAP", seq: expectSeq, message: seq > expectSeq ? `events seq ${expectSeq}..${seq - 1} are missing (next stored is ${eventId}, seq ${seq}): deleted` : `event ${eventId} has seq ${seq} out of order` });
        }
        expectSeq = seq + 1;
        const leaf = oneShotHash("sha256", "\0" + rec, "buffer") as unknown as Buffer;
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
            const wantSeq = prev ? prev.batchSeq + 1 : 0;
            const wantPrev = prev ? prev.leaf.toString("hex") : null;
            if (link.batchSeq !== wantSeq || link.prevLeafHash !== wantPrev) {
              findings.push({
                code: "BATCH_CHAIN_BROKEN",
                seq,
                eventId,
                batchId: bid,
                message: `batch ${bid}: event ${eventId} (seq ${seq}) links as #${link.batchSeq} after ${link.prevLeafHash === null ? "nothing" : `0x${link.prevLeafHash}`}, but the batch's previous stored event is ${prev ? `${prev.eventId} (seq ${prev.seq}) #${prev.batchSeq} with leaf 0x${wantPrev}` : "none"}: a batch event was deleted, inserted, reordered or altered`,
              });
            }
            batches.set(bid, { batchSeq: link.batchSeq, leaf, seq, eventId });
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
        if (opts.onProgress && events % every === 0) opts.onProgress(events, total);
      }
    }
    openEpochFor(Number.MAX_SAFE_INTEGER);
    closeEpoch();
    if (expectSeq < sealedEnd) {
      findings.push({ code: "SEQUENCE_GAP", seq: expectSeq, message: `events seq ${expectSeq}..${sealedEnd - 1} are missing at the end of the sealed range: deleted` });
    }
    opts.onProgress?.(events, total);
  })();
  return { findings, events, epochs, roots };
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

/**
 * Audits the whole ledger: the local checks, then the chain (when `opts.chain` is given and some
 * epoch is sealed). Never throws for a chain that cannot be reached: the report says `unreachable`.
 */
export async function auditLedger(ledger: Ledger, opts: AuditOptions = {}): Promise<AuditReport> {
  const t0 = performance.now();
  const local = auditLocal(ledger.db, opts);
  const localMs = performance.now() - t0;
  const findings = local.findings;
  const anchored = local.epochs.map((e) => ({ e, a: ledger.epochs.anchorOf(e.epoch) }));
  const report: AuditReport = {
    events: local.events,
    epochs: local.epochs.length,
    anchors: anchored.filter((x) => x.a).length,
    findings,
    chain: "skipped",
    localMs: Math.round(localMs),
    eventsPerSecond: Math.round(local.events / (localMs / 1000 || 1e-9)),
  };
  if (!opts.chain) {
    if (opts.chainSkipped) report.chainError = opts.chainSkipped;
    return report;
  }
  if (local.epochs.length === 0) {
    report.chain = "nothing-anchored";
    return report;
  }
  let chain: AuditChain;
  try {
    chain = await opts.chain();
    await checkChain(chain, anchored, local.roots, findings);
    report.chain = "checked";
  } catch (e) {
    report.chain = "unreachable";
    report.chainError = (e as Error).message;
  }
  return report;
}

async function checkChain(
  chain: AuditChain,
  anchored: { e: EpochDb; a?: { txHash: string; blockHash: string; blockNumber: number } }[],
  roots: Map<number, Buffer>,
  findings: AuditFinding[],
): Promise<void> {
  const state = await chain.ledgerState();
  for (const { e, a } of anchored) {
    const on = await chain.getAnchor(e.epoch);
    if (!on) {
      if (a) findings.push({ code: "ANCHOR_MISSING_ON_CHAIN", epoch: e.epoch, anchorTx: a.txHash, message: `epoch ${e.epoch}: recorded as anchored in tx ${a.txHash} but the contract holds no anchor for it` });
      continue;
    }
    const root = roots.get(e.epoch);
    const onRoot = on.root.toLowerCase();
    if (onRoot !== toHex(e.root) || (root && onRoot !== toHex(root))) {
      findings.push({
        code: "ANCHOR_ROOT_MISMATCH",
        epoch: e.epoch,
        anchorTx: a?.txHash,
        message: `epoch ${e.epoch}: chain holds root ${onRoot}${a ? ` (tx ${a.txHash})` : ""}, the stored root is ${toHex(e.root)}${root ? ` and the root rebuilt from its events is ${toHex(root)}` : ""}: the stored ledger was altered`,
      });
    }
    if (Number(on.treeSize) !== e.size || Number(on.firstSeq) !== e.firstSeq) {
      findings.push({
        code: "ANCHOR_RANGE_MISMATCH",
        epoch: e.epoch,
        anchorTx: a?.txHash,
        message: `epoch ${e.epoch}: chain anchors seq ${on.firstSeq}..${on.firstSeq + on.treeSize - 1n} (${on.treeSize} events), the ledger has seq ${e.firstSeq}..${e.firstSeq + e.size - 1} (${e.size})`,
      });
    }
    if (a) {
      const r = await chain.getReceipt(a.txHash);
      if (!r) findings.push({ code: "ANCHOR_TX_MISSING", epoch: e.epoch, anchorTx: a.txHash, message: `epoch ${e.epoch}: anchor tx ${a.txHash} is not on chain` });
      else if (r.blockHash.toLowerCase() !== a.blockHash.toLowerCase() || r.blockNumber !== a.blockNumber) {
        findings.push({
          code: "ANCHOR_BLOCK_MISMATCH",
          epoch: e.epoch,
          anchorTx: a.txHash,
          message: `epoch ${e.epoch}: anchor tx ${a.txHash} sits in block ${r.blockNumber} ${r.blockHash}, recorded block ${a.blockNumber} ${a.blockHash}`,
        });
      }
    }
  }
  for (let n = anchored.length; n < Number(state.nextEpoch); n++) {
    findings.push({ code: "ANCHOR_EPOCH_MISSING_LOCALLY", epoch: n, message: `epoch ${n} is anchored on chain but not in the ledger: sealed events were deleted (chain expects ${state.nextSeq} events in epochs)` });
  }
}

/** The chain side of an audit over an ethers provider and the anchor contract of `ledgerId`. */
export function auditChainOf(provider: JsonRpcProvider, contractAddress: string, ledgerId: string): AuditChain {
  const contract = anchorContract(contractAddress, provider);
  return {
    ledgerState: async () => {
      const s = await contract.ledgerState(ledgerId);
      return { nextEpoch: s.nextEpoch, nextSeq: s.nextSeq };
    },
    getAnchor: (epoch) => contract.getAnchor(ledgerId, epoch),
    getReceipt: async (txHash) => {
      const r = await provider.getTransactionReceipt(txHash);
      return r && { blockHash: r.blockHash, blockNumber: r.blockNumber };
    },
  };
}
