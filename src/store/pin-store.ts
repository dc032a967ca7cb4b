/**
 * The ledger's pin and keys: which chain, contract and ledger id this data directory anchors in
 * (ledger_pin), the ledger's signing keys and their rotations (ledger_keys), and each key's
 * registration on chain (ledger_key_registrations). All three tables are append-only.
 */
import { Db } from "./sqlite";

/** What the ledger pinned at its first start. */
export interface LedgerPin {
  chainId: string;
  /** Hash of the chain's block 0, `0x` lowercase hex. */
  genesisHash: string;
  /** EIP-55 or lowercase; compared case-insensitively. */
  contract: string;
  /** bytes32 hex of the ledger's name. */
  ledgerId: string;
  ledgerName: string;
  development: boolean;
}

/** A recorded pin row. */
export interface StoredPin extends LedgerPin {
  id: number;
  pinnedAt: string;
  reason: string;
}

/** A ledger key as recorded in ledger_keys. */
export interface LedgerKeyRow {
  keyId: string;
  publicKeyPem: string;
  validFrom: string;
  rotatedFrom: string | null;
  reason: string | null;
}

/** A key's registration on chain. */
export interface KeyRegistration {
  keyId: string;
  chainId: string;
  genesisHash: string;
  contract: string;
  ledgerId: string;
  txHash: string;
  blockNumber: number;
  registeredAt: string;
}

interface PinDbRow {
  id: number;
  chain_id: string;
  genesis_hash: string;
  contract: string;
  ledger_id: string;
  ledger_name: string;
  development: number;
  pinned_at: string;
  reason: string;
}

const toPin = (r: PinDbRow): StoredPin => ({
  id: r.id,
  chainId: r.chain_id,
  genesisHash: r.genesis_hash,
  contract: r.contract,
  ledgerId: r.ledger_id,
  ledgerName: r.ledger_name,
  development: r.development === 1,
  pinnedAt: r.pinned_at,
  reason: r.reason,
});

/** The current pin (the newest row), if the ledger was ever pinned. */
export function currentPin(db: Db): StoredPin | undefined {
  const r = db.prepare<[], PinDbRow>("SELECT * FROM ledger_pin ORDER BY id DESC LIMIT 1").get();
  return r && toPin(r);
}

/** Appends a pin row (the first pin, or a recorded re-pin); returns its id. */
export function insertPin(db: Db, pin: LedgerPin, at: string, reason: string): number {
  return Number(
    db
      .prepare(
        "INSERT INTO ledger_pin (chain_id, genesis_hash, contract, ledger_id, ledger_name, development, pinned_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        pin.chainId,
        pin.genesisHash.toLowerCase(),
        pin.contract,
        pin.ledgerId.toLowerCase(),
        pin.ledgerName,
        pin.development ? 1 : 0,
        at,
        reason,
      ).lastInsertRowid,
  );
}

interface KeyDbRow {
  key_id: string;
  public_key: string;
  valid_from: string;
  rotated_from: string | null;
  reason: string | null;
}
const toKey = (r: KeyDbRow): LedgerKeyRow => ({
  keyId: r.key_id,
  publicKeyPem: r.public_key,
  validFrom: r.valid_from,
  rotatedFrom: r.rotated_from,
  reason: r.reason,
});

/** Every recorded ledger key, oldest first. */
export function ledgerKeys(db: Db): LedgerKeyRow[] {
  return db
    .prepare<[], KeyDbRow>(
      "SELECT key_id, public_key, valid_from, rotated_from, reason FROM ledger_keys ORDER BY valid_from, rowid",
    )
    .all()
    .map(toKey);
}

/** The current ledger key (the newest), if any. */
export function currentLedgerKey(db: Db): LedgerKeyRow | undefined {
  const r = db
    .prepare<[], KeyDbRow>(
      "SELECT key_id, public_key, valid_from, rotated_from, reason FROM ledger_keys ORDER BY valid_from DESC, rowid DESC LIMIT 1",
    )
    .get();
  return r && toKey(r);
}

/** Records a ledger key: the first one, or a rotation (`rotatedFrom` and `reason` set). */
export function insertLedgerKey(db: Db, k: LedgerKeyRow): void {
  db.prepare(
    "INSERT INTO ledger_keys (key_id, public_key, valid_from, rotated_from, reason) VALUES (?, ?, ?, ?, ?)",
  ).run(k.keyId, k.publicKeyPem, k.validFrom, k.rotatedFrom, k.reason);
}

/** A row of ledger_key_registrations. */
interface KeyRegistrationRow {
  key_id: string;
  chain_id: string;
  genesis_hash: string;
  contract: string;
  ledger_id: string;
  tx_hash: string;
  block_number: number;
  registered_at: string;
}

const registrationOf = (r: KeyRegistrationRow): KeyRegistration => ({
  keyId: r.key_id,
  chainId: r.chain_id,
  genesisHash: r.genesis_hash,
  contract: r.contract,
  ledgerId: r.ledger_id,
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  registeredAt: r.registered_at,
});

/** The registration of `keyId` under the pin `pin`, if recorded. */
export function keyRegistration(
  db: Db,
  keyId: string,
  pin: Pick<LedgerPin, "genesisHash" | "contract">,
): KeyRegistration | undefined {
  const r = db
    .prepare<[string, string, string], KeyRegistrationRow>(
      "SELECT * FROM ledger_key_registrations WHERE key_id = ? AND genesis_hash = ? AND lower(contract) = lower(?)",
    )
    .get(keyId, pin.genesisHash.toLowerCase(), pin.contract);
  return r && registrationOf(r);
}

/** Every registration of `keyId`, oldest first. */
export function keyRegistrations(db: Db, keyId: string): KeyRegistration[] {
  return db
    .prepare<[string], KeyRegistrationRow>(
      "SELECT * FROM ledger_key_registrations WHERE key_id = ? ORDER BY registered_at, rowid",
    )
    .all(keyId)
    .map(registrationOf);
}

/** Records a key's registration on chain (once per key and pin). */
export function insertKeyRegistration(db: Db, r: KeyRegistration): void {
  db.prepare(
    "INSERT OR IGNORE INTO ledger_key_registrations (key_id, chain_id, genesis_hash, contract, ledger_id, tx_hash, block_number, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  ).run(
    r.keyId,
    r.chainId,
    r.genesisHash.toLowerCase(),
    r.contract,
    r.ledgerId.toLowerCase(),
    r.txHash,
    r.blockNumber,
    r.registeredAt,
  );
}
