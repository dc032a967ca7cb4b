/**
 * `verify-batch <batchId>`: QA's review of one batch record against the ledger's database and the
 * chain. Integrity first (every record re-hashed to its leaf, every leaf in its epoch tree, every
 * audit path to its epoch's root, every root against the chain with the configured confirmations,
 * nothing deleted from the ledger since the batch began, the batch chain unbroken, source signatures
 * valid), then the completeness checklist of the pure core.
 */
import {
  BatchEntry,
  BatchReport,
  Finding,
  IntegrityCheck,
  JsonRpcTransport,
  LedgerRecord,
  batchReportOf,
  bytesEqual,
  inclusionProofFromLevels,
  reviewBatch,
  rootFromInclusionProof,
  toHex,
} from "../../core";
import { leafHashOfText, nodeHasher } from "../../crypto/node-hasher";
import { verifySourceSig } from "../../crypto/source-sig";
import { EpochRow, TILE_WIDTH } from "../../store/epoch-store";
import { Ledger } from "../app/ledger";
import { anchorClaimOf } from "../proof/proof";
import { checkEpochAnchors, EpochClaim, plural } from "./epoch-anchors";
import { Deployment } from "../../chain/deploy";
import { checkPinned, genesisHashOf, genesisPinFinding, PinFinding } from "../security/pin-check";

/** Options of verifyBatch. */
export interface VerifyBatchOptions {
  /** The chain to check anchors against; connected only once the local checks ran. */
  chain?: () => Promise<JsonRpcTransport>;
  /** Blocks on top of the anchor block required (the anchor block counts as 1). */
  confirmations: number;
  now?: () => Date;
  /** chain/deployment.json, compared with the ledger's pin when given. */
  deployment?: Deployment;
}

interface Row {
  seq: number;
  event_id: string;
  batch_seq: number;
  record: string;
  leaf_hash: Buffer;
}

/**
 * Verifies one batch record. Returns undefined when the ledger holds no event of the batch.
 * @throws ChainError CHAIN_UNREACHABLE when anchors must be checked and the chain cannot be asked
 *   (only when the local checks found nothing: tampering is reported with the chain down)
 */
export async function verifyBatch(
  ledger: Ledger,
  batchId: string,
  opts: VerifyBatchOptions,
): Promise<BatchReport | undefined> {
  const rows = ledger.db
    .prepare<[string], Row>(
      "SELECT seq, event_id, batch_seq, record, leaf_hash FROM events WHERE batch_id = ? ORDER BY batch_seq, seq",
    )
    .all(batchId);
  if (rows.length === 0) return undefined;
  const findings: Finding[] = [];
  const checks: IntegrityCheck[] = [];
  const entries: BatchEntry[] = [];
  const leafOf = new Map<string, Uint8Array>();

  // 1. Each record as stored hashes to its stored leaf and agrees with its row.
  let altered = 0;
  for (const r of rows) {
    let record: LedgerRecord;
    try {
      record = JSON.parse(r.record) as LedgerRecord;
    } catch {
      findings.push({
        code: "RECORD_UNREADABLE",
        message: `event ${r.event_id} (seq ${r.seq}): the stored record is not JSON: it was altered`,
        eventIds: [r.event_id],
      });
      altered++;
      continue;
    }
    const leaf = new Uint8Array(r.leaf_hash.buffer, r.leaf_hash.byteOffset, r.leaf_hash.byteLength);
    if (!bytesEqual(leafHashOfText(r.record), leaf)) {
      findings.push({
        code: "EVENT_ALTERED",
        message: `event ${r.event_id} (seq ${r.seq}): the stored record does not hash to its leaf ${toHex(leaf)}: the record was altered`,
        eventIds: [r.event_id],
      });
      altered++;
    } else if (record.seq !== r.seq || record.event?.id !== r.event_id) {
      findings.push({
        code: "RECORD_ROW_MISMATCH",
        message: `event ${r.event_id}: record says seq ${record.seq} id ${record.event?.id}, row says seq ${r.seq}`,
        eventIds: [r.event_id],
      });
      altered++;
    }
    leafOf.set(r.event_id, leaf);
    entries.push({ record, leafHash: toHex(leaf) });
  }
  checks.push({
    check: "records",
    ok: altered === 0,
    detail: altered
      ? `${plural(altered, "record")} of ${rows.length} altered`
      : `${plural(rows.length, "record")} hash to their stored leaves`,
  });

  // 2. Nothing deleted from the ledger since the batch's first event (the batch's last events
  //    included, which the batch chain alone cannot show).
  const first = rows.reduce((m, r) => Math.min(m, r.seq), Infinity);
  const last = ledger.events.nextSeq() - 1;
  const count = ledger.db
    .prepare("SELECT count(*) FROM events WHERE seq BETWEEN ? AND ?")
    .pluck()
    .get(first, last) as number;
  if (count !== last - first + 1) {
    const gaps = ledger.db
      .prepare<[number, number], { seq: number; nxt: number }>(
        "SELECT seq, nxt FROM (SELECT seq, lead(seq) OVER (ORDER BY seq) AS nxt FROM events WHERE seq BETWEEN ? AND ?) WHERE nxt > seq + 1 LIMIT 20",
      )
      .all(first, last);
    const missing = gaps.map((g) => (g.nxt - g.seq === 2 ? `${g.seq + 1}` : `${g.seq + 1}–${g.nxt - 1}`)).join(", ");
    findings.push({
      code: "LEDGER_EVENTS_DELETED",
      message: `${plural(last - first + 1 - count, "event")} deleted from the ledger since this batch began (seq ${missing}): some may have belonged to batch ${batchId}`,
      eventIds: [],
    });
  }
  checks.push({
    check: "ledger sequence",
    ok: count === last - first + 1,
    detail:
      count === last - first + 1
        ? `gap-free from seq ${first} to ${last}`
        : `${last - first + 1 - count} missing between seq ${first} and ${last}`,
  });

  // 3. Each leaf is in its epoch's tree and its audit path leads to the epoch's stored root.
  // Only the epochs this batch's events sit in (not every epoch of the ledger); consecutive events
  // mostly share one.
  let cur: EpochRow | undefined;
  const epochOfSeq = (seq: number): EpochRow | undefined =>
    cur && seq >= cur.firstSeq && seq < cur.firstSeq + cur.size ? cur : (cur = ledger.epochs.containing(seq));
  const byEpoch = new Map<number, { epoch: EpochRow; events: Row[] }>();
  const notAnchored: { eventId: string; status: string }[] = [];
  for (const r of rows) {
    const ep = epochOfSeq(r.seq);
    if (!ep) {
      notAnchored.push({ eventId: r.event_id, status: "pending" });
      continue;
    }
    const g = byEpoch.get(ep.epoch) ?? { epoch: ep, events: [] };
    g.events.push(r);
    byEpoch.set(ep.epoch, g);
  }
  let proofsBad = 0;
  let proofsOk = 0;
  for (const { epoch: ep, events } of byEpoch.values()) {
    // The tiles this epoch's proofs need, each read once (a tile holds TILE_WIDTH hashes of a level).
    const tiles = new Map<number, Uint8Array>();
    const read = (level: number, i: number): Uint8Array => {
      const t = Math.floor(i / TILE_WIDTH);
      const key = level * 2 ** 40 + t;
      let tile = tiles.get(key);
      if (!tile) {
        tile = ledger.epochs.readTile(ep.epoch, level, t);
        if (!tile) throw new Error(`tree tile ${level}/${t} is missing`);
        tiles.set(key, tile);
      }
      const off = (i % TILE_WIDTH) * 32;
      if (tile.length < off + 32) throw new Error(`tree node ${level}/${i} is missing`);
      return tile.subarray(off, off + 32);
    };
    for (const r of events) {
      const leaf = leafOf.get(r.event_id);
      if (!leaf) continue;
      const index = r.seq - ep.firstSeq;
      let msg: string | undefined;
      try {
        const treeLeaf = read(0, index);
        if (!bytesEqual(treeLeaf, leaf))
          msg = `event ${r.event_id} (seq ${r.seq}) has leaf ${toHex(leaf)} but epoch ${ep.epoch}'s tree has ${toHex(treeLeaf)}: the event or the tree was altered`;
        else {
          const root = rootFromInclusionProof(
            nodeHasher,
            index,
            ep.size,
            leaf,
            inclusionProofFromLevels(ep.size, index, read),
          );
          if (!bytesEqual(root, ep.root))
            msg = `event ${r.event_id} (seq ${r.seq}): audit path in epoch ${ep.epoch} leads to ${toHex(root)}, not the stored root ${toHex(ep.root)}: a stored tree node was altered`;
        }
      } catch (e) {
        msg = `event ${r.event_id} (seq ${r.seq}), epoch ${ep.epoch}: ${(e as Error).message}`;
      }
      if (msg) {
        proofsBad++;
        findings.push({ code: "EPOCH_PROOF_FAILED", message: msg, eventIds: [r.event_id] });
      } else proofsOk++;
    }
  }
  checks.push({
    check: "epoch proofs",
    ok: proofsBad === 0,
    detail: `${plural(proofsOk, "audit path")} lead to the stored roots of ${plural(byEpoch.size, "epoch")}${proofsBad ? `; ${proofsBad} do not` : ""}${notAnchored.length ? `; ${notAnchored.length} pending, not sealed yet` : ""}`,
  });

  // 4. Source signatures, for clients that sign (zero trust in the ledger operator).
  let signed = 0;
  let badSig = 0;
  for (const e of entries) {
    const sb = e.record.submittedBy;
    if (!sb?.signingAlg || !sb.signingKey) continue;
    signed++;
    try {
      verifySourceSig(e.record.event, { alg: sb.signingAlg, key: sb.signingKey });
    } catch (err) {
      badSig++;
      findings.push({
        code: "SOURCE_SIGNATURE_INVALID",
        message: `event ${e.record.event.id}: ${(err as Error).message}`,
        eventIds: [e.record.event.id],
      });
    }
  }
  checks.push({
    check: "source signatures",
    ok: badSig === 0,
    detail: signed
      ? `${signed - badSig} of ${plural(signed, "signed event")} verify`
      : "no event of this batch was submitted by a signing client",
  });

  // 5. The ledger's pin: every epoch of this batch signed by the ledger key (its checkpoint), every
  //    anchors row used and chain/deployment.json naming the pinned chain, contract and ledger id.
  const sorted = [...byEpoch.values()].sort((x, y) => x.epoch.epoch - y.epoch.epoch);
  const anchorOf = new Map(sorted.map(({ epoch }) => [epoch.epoch, ledger.epochs.anchorOf(epoch.epoch)]));
  const idsOfEpoch = (n: number | undefined) =>
    n === undefined ? [] : (byEpoch.get(n)?.events.map((r) => r.event_id) ?? []);
  const pinned = checkPinned(
    ledger.db,
    ledger.name,
    sorted.map((g) => g.epoch),
    [...anchorOf.values()].filter((a) => a !== undefined),
    opts.deployment,
  );
  const pinFinding = (f: PinFinding): Finding => ({ code: f.code, message: f.message, eventIds: idsOfEpoch(f.epoch) });
  findings.push(...pinned.findings.map(pinFinding));
  const pinCheck: IntegrityCheck = {
    check: "ledger pin",
    ok: pinned.findings.length === 0,
    detail: pinned.findings.length
      ? pinned.findings.map((f) => f.message).join("; ")
      : pinned.pin
        ? `${plural(sorted.length, "epoch")} signed by the ledger key; anchors in the pinned contract ${pinned.pin.contract}, ledger ${pinned.pin.ledgerName}, chain ${pinned.pin.chainId}`
        : `${plural(sorted.length, "epoch")} signed by the ledger key; nothing anchored yet`,
  };
  checks.push(pinCheck);

  // 6. Every epoch's stored root is the one anchored on chain, with the confirmations required, on
  //    the pinned chain (its genesis block).
  const claims: EpochClaim[] = [];
  for (const { epoch, events } of sorted) {
    const anchor = anchorOf.get(epoch.epoch);
    if (anchor) {
      claims.push({ claim: anchorClaimOf(epoch, anchor), eventIds: events.map((r) => r.event_id) });
      continue;
    }
    const status = ledger.epochs.anchorTxs(epoch.epoch).length ? "anchored, not confirmed" : "sealed, not anchored";
    for (const r of events) notAnchored.push({ eventId: r.event_id, status: `${status} (epoch ${epoch.epoch})` });
  }
  const pin = pinned.pin;
  const chain =
    opts.chain && pin
      ? async () => {
          const t = await opts.chain!();
          const g = genesisPinFinding(pin, await genesisHashOf(t));
          if (g) {
            findings.push({ code: g.code, message: g.message, eventIds: [] });
            pinCheck.detail = pinCheck.ok ? g.message : `${pinCheck.detail}; ${g.message}`;
            pinCheck.ok = false;
          }
          return t;
        }
      : opts.chain;
  const chainResult = await checkEpochAnchors(claims, chain, opts.confirmations, findings.length, "of this batch");
  checks.push(chainResult.check);
  findings.push(...chainResult.findings);
  notAnchored.push(...chainResult.notFinal);

  const ids = new Set(rows.map((r) => r.event_id));
  const sourceGaps = ledger.events
    .sourceGaps()
    .filter((g) => ids.has(g.eventId))
    .map((g) => ({ eventId: g.eventId, source: g.source, expected: g.expected, got: g.got }));
  const review = reviewBatch({ batchId, entries, sourceGaps });
  // Late events (issue 12 item 4): flagged in the trail with the gap they fill and the reason.
  const late = new Map(
    ledger.events
      .lateEvents()
      .filter((l) => ids.has(l.eventId))
      .map((l) => [l.eventId, l]),
  );
  for (const t of review.trail) {
    const l = late.get(t.eventId);
    if (l)
      t.flags.push(
        `LATE: sourceSequence ${l.sourceSequence} filled a flagged gap of ${l.source}, accepted ${l.acceptedAt} from ${l.client ?? "?"}: ${l.reason}`,
      );
  }
  const now = (opts.now ?? (() => new Date()))().toISOString();
  return batchReportOf(
    review,
    {
      checks,
      findings,
      anchoring: {
        anchored: rows.length - notAnchored.length,
        notAnchored,
        epochs: [...byEpoch.keys()].sort((a, b) => a - b),
      },
    },
    now,
    "ledger",
  );
}
