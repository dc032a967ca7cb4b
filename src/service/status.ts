/**
 * Where an event stands: pending (not in an epoch yet), sealed (in an epoch not yet anchored),
 * anchored (anchor transaction sent, or mined with fewer than the configured confirmations),
 * confirmed (its epoch's current anchor is final: the configured confirmations on a block that was
 * canonical when checked). Proofs are only issued for confirmed events.
 */
import { Ledger } from "./ledger";
import { EpochRow, StoredAnchor } from "../store/epoch-store";
import { StoredEvent } from "../store/event-store";

/** An event's status. */
export type EventStatus = "pending" | "sealed" | "anchored" | "confirmed";

/** Status with the epoch and anchor behind it. */
export interface EventPosition {
  status: EventStatus;
  epoch?: EpochRow;
  /** The epoch's current anchor, final (confirmed) or not yet (anchored). */
  anchor?: StoredAnchor;
}

/** Works out an event's status from the stores. */
export function positionOf(ledger: Ledger, ev: StoredEvent): EventPosition {
  const epoch = ledger.epochs.containing(ev.seq);
  if (!epoch) return { status: "pending" };
  const anchor = ledger.epochs.anchorOf(epoch.epoch);
  if (anchor) return { status: anchor.finalAt ? "confirmed" : "anchored", epoch, anchor };
  if (ledger.epochs.anchorTxs(epoch.epoch).length > 0) return { status: "anchored", epoch };
  return { status: "sealed", epoch };
}

/** Counts for `status`. */
export interface LedgerSummary {
  events: number;
  pending: number;
  epochs: number;
  anchoredEpochs: number;
  unanchoredEpochs: number;
  latestEpoch?: { epoch: number; firstSeq: number; size: number; sealedAt: string; anchored: boolean };
  oldestPendingReceivedAt: string | null;
}

/** Summarises the ledger. */
export function summarise(ledger: Ledger): LedgerSummary {
  const all = ledger.epochs.all();
  const unanchored = ledger.epochs.unanchored().length;
  const p = ledger.sealer.pending();
  const latest = all[all.length - 1];
  return {
    events: ledger.events.nextSeq(),
    pending: p.count,
    epochs: all.length,
    anchoredEpochs: all.length - unanchored,
    unanchoredEpochs: unanchored,
    latestEpoch: latest && {
      epoch: latest.epoch,
      firstSeq: latest.firstSeq,
      size: latest.size,
      sealedAt: latest.sealedAt,
      anchored: !!ledger.epochs.anchorOf(latest.epoch),
    },
    oldestPendingReceivedAt: p.oldestReceivedAt,
  };
}
