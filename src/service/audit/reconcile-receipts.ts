/**
 * `verify-receipts`: an MES reconciles its archive of receipts against the ledger and the chain
 * (issue 12 item 5). The receipts are what the ledger signed at commit, held outside the ledger's
 * files, so they show what a file-level attacker did before anchoring: a record edited (its leaf
 * recomputed), the newest events deleted, the database rolled back to a backup.
 *
 * For each receipt: its signature with the key `keyFor` gives (the site's pinned key, or the
 * ledger's recorded one); the event at its seq is the receipt's event with the receipt's leaf (the
 * record hashes to it) and receivedAt; its epoch verifies down to the chain (verify-event.ts, once
 * per epoch) and the anchor block is no later than the receipt's anchorBy. An event not yet anchored
 * is pending while its anchorBy lies ahead, overdue after.
 */
import { JsonRpcProvider } from "ethers";
import { bytesEqual, fromHex, Receipt, toHex } from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { verifyReceipt } from "../../crypto/receipt-key";
import { Deployment } from "../../chain/deploy";
import { Ledger } from "../app/ledger";
import { positionOf } from "../proof/status";
import { verifyStoredEvent, VerifyReport } from "../proof/verify-event";

/** What became of one receipt. */
export type ReceiptStatus =
  "reconciled" | "pending" | "invalid" | "missing" | "changed" | "overdue" | "late" | "failed";

/** One receipt's reconciliation. */
export interface ReceiptLine {
  /** Where the receipt came from: `file` or `file:line`. */
  source: string;
  id?: string;
  seq?: number;
  status: ReceiptStatus;
  code?: string;
  detail: string;
  epoch?: number;
  anchorTx?: string;
}

/** A receipt as read from the archive, or why it could not be read. */
export interface ArchivedReceipt {
  source: string;
  receipt?: unknown;
  error?: string;
}

/** The key to check a receipt with, or why there is none (a key the site does not pin). */
export type KeyFor = (r: Receipt) => { pem: string } | { code: string; detail: string };

/** Options of a reconciliation. */
export interface ReconcileOptions {
  keyFor: KeyFor;
  /** Checks the receipt's claims (ledger, key validity) against the site's pin; a problem or undefined. */
  checkReceipt?: (r: Receipt) => { code: string; detail: string } | undefined;
  /** Checks the anchor (chain, contract, anchoring account) against the site's pin; a problem or undefined. */
  checkAnchor?: (
    r: Receipt,
    a: { chainId: string; contract: string; anchorer: string | null; blockTimestamp: number },
  ) => { code: string; detail: string } | undefined;
  chain?: () => Promise<JsonRpcProvider>;
  confirmations?: number;
  deployment?: Deployment;
  now?: () => number;
}

/** The reconciliation's report. */
export interface ReconcileReport {
  lines: ReceiptLine[];
  counts: Record<ReceiptStatus, number>;
}

/** Statuses that mean the archive and the ledger disagree, or a promise was broken. */
export const FAILED_STATUSES: readonly ReceiptStatus[] = ["invalid", "missing", "changed", "overdue", "late", "failed"];

/**
 * Reconciles `receipts` against `ledger` (and the chain through `opts.chain`).
 * @throws ChainError CHAIN_UNREACHABLE when an anchored epoch's chain cannot be asked
 */
export async function reconcileReceipts(
  ledger: Ledger,
  receipts: readonly ArchivedReceipt[],
  opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const now = opts.now ?? Date.now;
  const epochVerdicts = new Map<number, VerifyReport>();
  const lines: ReceiptLine[] = [];
  for (const a of receipts) lines.push(await one(a));
  const counts = {
    reconciled: 0,
    pending: 0,
    invalid: 0,
    missing: 0,
    changed: 0,
    overdue: 0,
    late: 0,
    failed: 0,
  } as Record<ReceiptStatus, number>;
  for (const l of lines) counts[l.status]++;
  return { lines, counts };

  async function one(a: ArchivedReceipt): Promise<ReceiptLine> {
    if (a.error !== undefined)
      return { source: a.source, status: "invalid", code: "RECEIPT_SCHEMA_INVALID", detail: a.error };
    const raw = a.receipt as { id?: unknown; seq?: unknown; keyId?: unknown } | null;
    const base = {
      source: a.source,
      id: typeof raw?.id === "string" ? raw.id : undefined,
      seq: typeof raw?.seq === "number" ? raw.seq : undefined,
    };
    // 1. The receipt verifies with a key the site pins.
    let r: Receipt;
    try {
      const key = opts.keyFor(raw as Receipt);
      if (!("pem" in key)) return { ...base, status: "invalid", code: key.code, detail: key.detail };
      r = verifyReceipt(a.receipt, key.pem);
    } catch (e) {
      return { ...base, status: "invalid", code: (e as { code?: string }).code, detail: (e as Error).message };
    }
    const p = opts.checkReceipt?.(r);
    if (p) return { ...base, status: "invalid", code: p.code, detail: p.detail };
    // 2. The ledger holds the receipt's event, unchanged, at the receipt's seq.
    const ev = ledger.events.getBySeq(r.seq);
    if (!ev) {
      const moved = ledger.events.getById(r.id);
      return {
        ...base,
        status: "missing",
        code: "RECEIPT_EVENT_MISSING",
        detail: moved
          ? `event ${r.id}: the ledger has no event at seq ${r.seq}; it holds the id at seq ${moved.seq}`
          : `event ${r.id} (seq ${r.seq}) is not in the ledger: it was deleted, or the database was rolled back`,
      };
    }
    if (ev.eventId !== r.id) {
      return {
        ...base,
        status: "changed",
        code: "RECEIPT_EVENT_CHANGED",
        detail: `seq ${r.seq} holds event ${ev.eventId}, the receipt is for event ${r.id}: the ledger's history was rewritten (or rolled back and written again)`,
      };
    }
    const leaf = toHex(nodeHasher.hashLeaf(Buffer.from(ev.recordText, "utf8")));
    if (leaf !== r.leafHash || !bytesEqual(ev.leafHash, fromHex(r.leafHash)) || ev.receivedAt !== r.receivedAt) {
      return {
        ...base,
        status: "changed",
        code: "RECEIPT_EVENT_CHANGED",
        detail: `event ${r.id} (seq ${r.seq}): the receipt signs leaf ${r.leafHash} received ${r.receivedAt}; the stored record hashes to ${leaf}, stored leaf ${toHex(ev.leafHash)}, received ${ev.receivedAt}: the record was altered`,
      };
    }
    // 3. Anchored, and by the promised time.
    const promised = Date.parse(r.anchorBy);
    const pos = positionOf(ledger, ev);
    const notYet = (why: string): ReceiptLine =>
      now() > promised
        ? {
            ...base,
            status: "overdue",
            code: "ANCHOR_PROMISE_MISSED",
            epoch: pos.epoch?.epoch,
            detail: `event ${r.id} (seq ${r.seq}): ${why}, and the ledger promised to anchor it by ${r.anchorBy}`,
          }
        : {
            ...base,
            status: "pending",
            epoch: pos.epoch?.epoch,
            detail: `event ${r.id} (seq ${r.seq}): ${why}; promised by ${r.anchorBy}`,
          };
    if (!pos.epoch || !pos.anchor)
      return notYet(
        pos.epoch ? `epoch ${pos.epoch.epoch} is ${pos.status}, not anchored yet` : "not sealed into an epoch yet",
      );
    const anchor = pos.anchor;
    const ap = opts.checkAnchor?.(r, {
      chainId: anchor.chainId,
      contract: anchor.contract,
      anchorer: anchor.anchorer ?? null,
      blockTimestamp: anchor.blockTimestamp,
    });
    if (ap)
      return {
        ...base,
        status: "failed",
        code: ap.code,
        epoch: pos.epoch.epoch,
        anchorTx: anchor.txHash,
        detail: `epoch ${pos.epoch.epoch} (tx ${anchor.txHash}): ${ap.detail}`,
      };
    // One full check per epoch (every event of it against its tree, root, checkpoint, pin, chain):
    // then each receipt's leaf, equal to its stored leaf, is in the anchored tree.
    let v = epochVerdicts.get(pos.epoch.epoch);
    if (!v) {
      v = (await verifyStoredEvent(ledger, ev.eventId, opts.chain, opts.confirmations ?? 1, opts.deployment))!;
      epochVerdicts.set(pos.epoch.epoch, v);
    }
    const at = { epoch: pos.epoch.epoch, anchorTx: anchor.txHash };
    if (v.outcome === "failed")
      return {
        ...base,
        ...at,
        status: "failed",
        code: v.code,
        detail: `epoch ${pos.epoch.epoch} does not verify: ${v.checks[v.checks.length - 1].detail}`,
      };
    if (v.outcome === "not-anchored") {
      if (anchor.blockTimestamp * 1000 <= promised)
        return {
          ...base,
          ...at,
          status: "pending",
          detail: `event ${r.id} (seq ${r.seq}): anchored in tx ${anchor.txHash} before ${r.anchorBy}, not yet final`,
        };
      return notYet(`its anchor (tx ${anchor.txHash}) is not final`);
    }
    const anchoredAt = new Date(anchor.blockTimestamp * 1000).toISOString();
    if (anchor.blockTimestamp * 1000 > promised) {
      return {
        ...base,
        ...at,
        status: "late",
        code: "ANCHORED_AFTER_PROMISE",
        detail: `event ${r.id} (seq ${r.seq}): anchored in epoch ${pos.epoch.epoch} at ${anchoredAt} (tx ${anchor.txHash}), after the promised ${r.anchorBy}`,
      };
    }
    return {
      ...base,
      ...at,
      status: "reconciled",
      detail: `event ${r.id} (seq ${r.seq}) unchanged, anchored in epoch ${pos.epoch.epoch} at ${anchoredAt} (tx ${anchor.txHash}), by ${r.anchorBy}`,
    };
  }
}
