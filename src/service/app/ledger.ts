/**
 * The ledger's stores and sealer over one database file: what every entry point (server, CLI)
 * opens first.
 */
import fs from "node:fs";
import path from "node:path";
import { StoreError } from "../../store/errors";
import { leafHashOfText, nodeHasher, randomSalt } from "../../crypto/node-hasher";
import { openDatabase, Db } from "../../store/sqlite";
import { createEventStore, EventStore } from "../../store/event-store";
import { createEpochStore, EpochStore } from "../../store/epoch-store";
import { createSealer, CheckpointSigner, Sealer, SealPolicy, DEFAULT_SEAL_POLICY } from "../../epoch/sealer";
import { loadReceiptKey, ReceiptKey, receiptKeyFile } from "../../crypto/receipt-key";
import { currentLedgerKey } from "../../store/pin-store";

/** An open ledger. */
export interface Ledger {
  db: Db;
  events: EventStore;
  epochs: EpochStore;
  sealer: Sealer;
  /** The ledger's name (its on-chain ledger id is this name as bytes32). */
  name: string;
  close(): void;
}

/** Path of the SQLite file in a data directory. */
export function ledgerDbFile(dataDir: string): string {
  return path.join(dataDir, "ledger.sqlite");
}

/**
 * Opens the ledger in `dataDir`, creating it unless `mustExist` (commands that only read or work on
 * an existing ledger must not create an empty one in a mistyped directory). The ledger's name is
 * recorded in the database on first open (`ledgerName`, else "default"); a later open that gives
 * another name is refused, one that gives none uses the recorded name.
 * Sealed epochs are signed (checkpoints) with the data directory's ledger key, loaded on first seal.
 * @throws StoreError LEDGER_NOT_FOUND when mustExist and there is no ledger; LEDGER_NAME_MISMATCH
 */
export function openLedger(
  dataDir: string,
  policy: SealPolicy = DEFAULT_SEAL_POLICY,
  now: () => Date = () => new Date(),
  mustExist = false,
  ledgerName?: string,
): Ledger {
  if (mustExist && !fs.existsSync(ledgerDbFile(dataDir))) {
    throw new StoreError(
      "LEDGER_NOT_FOUND",
      `no ledger in ${dataDir} (no ${path.basename(ledgerDbFile(dataDir))}): check --data-dir / LEDGER_DATA_DIR`,
    );
  }
  if (!fs.existsSync(dataDir)) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // owner only (issue 12 item 8)
  const db = openDatabase(ledgerDbFile(dataDir));
  const name = ledgerNameOfDb(db, ledgerName);
  let key: ReceiptKey | undefined;
  const ledgerKey = () => (key ??= loadLedgerKey(db, dataDir, now));
  const signer: CheckpointSigner = {
    ledger: name,
    keyId: () => ledgerKey().keyId,
    sign: (message) => new Uint8Array(Buffer.from(ledgerKey().signStatement(message), "base64url")),
  };
  return {
    db,
    events: createEventStore(db, { hasher: nodeHasher, leafHashOfText, now, salt: randomSalt }),
    epochs: createEpochStore(db),
    sealer: createSealer(db, policy, signer),
    name,
    close: () => db.close(),
  };
}

/**
 * Records the data directory's ledger key in ledger_keys the first time it signs. A key that differs
 * from the recorded current key is refused: a changed key needs a recorded rotation.
 * @throws StoreError LEDGER_KEY_CHANGED
 */
export function recordLedgerKey(db: Db, key: ReceiptKey, now: () => Date): ReceiptKey {
  const current = db
    .prepare<[], string>("SELECT key_id FROM ledger_keys ORDER BY valid_from DESC, rowid DESC LIMIT 1")
    .pluck()
    .get();
  if (current === undefined) {
    db.prepare("INSERT OR IGNORE INTO ledger_keys (key_id, public_key, valid_from) VALUES (?, ?, ?)").run(
      key.keyId,
      key.publicKeyPem,
      now().toISOString(),
    );
  } else if (current !== key.keyId) {
    throw new StoreError(
      "LEDGER_KEY_CHANGED",
      `the ledger key in keys/receipt-key.pem (${key.keyId}) is not the ledger's recorded key (${current}): refusing to sign; restore the key, or rotate it with a recorded rotation (gxp-ledger key rotate)`,
    );
  }
  return key;
}

/**
 * The data directory's ledger key, checked against ledger_keys: the recorded current key, or (on
 * the very first use) a new key, recorded. Every signer (checkpoints, receipts, manifests) loads the
 * key through here, so no process signs with a key the ledger has not recorded.
 * @throws StoreError LEDGER_KEY_MISSING when ledger_keys has a key but keys/receipt-key.pem is gone
 *   (never silently replaced by a new one); LEDGER_KEY_CHANGED when the file holds another key
 */
export function loadLedgerKey(db: Db, dataDir: string, now: () => Date = () => new Date()): ReceiptKey {
  const current = currentLedgerKey(db);
  if (current && !fs.existsSync(receiptKeyFile(dataDir))) {
    throw new StoreError(
      "LEDGER_KEY_MISSING",
      `the ledger key is missing (no keys/receipt-key.pem) while the ledger's recorded key is ${current.keyId}: refusing to start; restore the key from a backup, or rotate it with a recorded rotation (gxp-ledger key rotate --reason ...)`,
      { keyId: current.keyId },
    );
  }
  return recordLedgerKey(db, loadReceiptKey(dataDir), now);
}

/** The name recorded in the database, recording `given` on first open. */
function ledgerNameOfDb(db: Db, given: string | undefined): string {
  const stored = db.prepare<[], string>("SELECT value FROM meta WHERE key = 'ledger_name'").pluck().get();
  if (stored === undefined) {
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_name', ?)").run(given ?? "default");
    return db.prepare<[], string>("SELECT value FROM meta WHERE key = 'ledger_name'").pluck().get()!;
  }
  if (given !== undefined && stored !== given) {
    db.close();
    throw new StoreError(
      "LEDGER_NAME_MISMATCH",
      `the ledger in this data directory is named ${JSON.stringify(stored)}, not ${JSON.stringify(given)}: check --ledger / LEDGER_NAME`,
    );
  }
  return stored;
}
