/**
 * Where an event stands: pending (not in an epoch yet), sealed (in an epoch not yet anchored),
 * anchored (anchor transaction sent, or mined with fewer than the configured confirmations),
 * confirmed (its epoch's current anchor is final: the configured confirmations on a block that was
 * canonical when checked). Proofs are only issued for confirmed events.
 */
import fs from "node:fs";
import path from "node:path";
import { Ledger, ledgerDbFile } from "../app/ledger";
import { EpochRow, StoredAnchor } from "../../store/epoch-store";
import { StoredEvent } from "../../store/event-store";

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

/** A ledger file or directory others than its owner may read or write. */
export interface ModeWarning {
  /** The path. */
  file: string;
  /** Its mode, octal (e.g. "0644"). */
  mode: string;
  /** The mode it should have at most ("0600" for files, "0700" for directories). */
  want: string;
}

const octal = (m: number) => "0" + (m & 0o777).toString(8).padStart(3, "0");

/**
 * The files of the data directory whose mode is wider than owner only (issue 12 item 8): the data
 * directory, `keys/` and `chain/` (want 0700); the database with its WAL and SHM files, the private
 * keys, `chain/deployment.json` and the development token (want 0600). Files that do not exist are
 * skipped; symbolic links are judged by what they point to.
 */
export function fileModeWarnings(dataDir: string): ModeWarning[] {
  const db = ledgerDbFile(dataDir);
  const dirs = [
    dataDir,
    path.join(dataDir, "keys"),
    path.join(dataDir, "keys", "retired"),
    path.join(dataDir, "chain"),
  ];
  const privateKeys = (dir: string) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((n) => n.endsWith(".pem") && !n.endsWith(".pub.pem"))
        .map((n) => path.join(dir, n));
    } catch {
      return [];
    }
  };
  const files = [
    db,
    `${db}-wal`,
    `${db}-shm`,
    path.join(dataDir, "chain", "deployment.json"),
    path.join(dataDir, "dev-mes-token"),
    ...privateKeys(path.join(dataDir, "keys")),
    ...privateKeys(path.join(dataDir, "keys", "retired")),
  ];
  const out: ModeWarning[] = [];
  const check = (p: string, want: number) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.mode & 0o077) out.push({ file: p, mode: octal(st.mode), want: octal(want) });
  };
  for (const d of dirs) check(d, 0o700);
  for (const f of files) check(f, 0o600);
  return out;
}
