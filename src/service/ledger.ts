/**
 * The ledger's stores and sealer over one database file: what every entry point (server, CLI)
 * opens first.
 */
import fs from "node:fs";
import path from "node:path";
import { StoreError } from "../store/errors";
import { leafHashOfText, nodeHasher, randomSalt } from "../crypto/node-hasher";
import { openDatabase, Db } from "../store/sqlite";
import { createEventStore, EventStore } from "../store/event-store";
import { createEpochStore, EpochStore } from "../store/epoch-store";
import { createSealer, Sealer, SealPolicy, DEFAULT_SEAL_POLICY } from "../epoch/sealer";

/** An open ledger. */
export interface Ledger {
  db: Db;
  events: EventStore;
  epochs: EpochStore;
  sealer: Sealer;
  close(): void;
}

/** Path of the SQLite file in a data directory. */
export function ledgerDbFile(dataDir: string): string {
  return path.join(dataDir, "ledger.sqlite");
}

/**
 * Opens the ledger in `dataDir`, creating it unless `mustExist` (commands that only read or work on
 * an existing ledger must not create an empty one in a mistyped directory).
 * @throws StoreError LEDGER_NOT_FOUND when mustExist and there is no ledger
 */
export function openLedger(dataDir: string, policy: SealPolicy = DEFAULT_SEAL_POLICY, now: () => Date = () => new Date(), mustExist = false): Ledger {
  if (mustExist && !fs.existsSync(ledgerDbFile(dataDir))) {
    throw new StoreError("LEDGER_NOT_FOUND", `no ledger in ${dataDir} (no ${path.basename(ledgerDbFile(dataDir))}): check --data-dir / LEDGER_DATA_DIR`);
  }
  const db = openDatabase(ledgerDbFile(dataDir));
  return {
    db,
    events: createEventStore(db, { hasher: nodeHasher, leafHashOfText, now, salt: randomSalt }),
    epochs: createEpochStore(db),
    sealer: createSealer(db, policy),
    close: () => db.close(),
  };
}
