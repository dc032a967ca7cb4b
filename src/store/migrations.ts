/**
 * Dated, append-only schema migrations. A migration, once released, is never edited: a change is a
 * new entry. Each runs in its own transaction and is recorded in schema_migrations.
 *
 * Ledger tables (events, epochs, epoch_tiles, anchor_txs, anchors, anchor_finality,
 * anchor_supersessions) are append-only: triggers refuse
 * UPDATE and DELETE, so that a correction can only ever be a new event (21 CFR 11.10(e)). A user with
 * write access to the file can drop the triggers; that is what the Merkle tree and the chain anchor
 * are for.
 */

/** One schema migration. */
export interface Migration {
  /** `YYYY-MM-DD-NN-name`, ordered by string comparison. */
  id: string;
  sql: string;
}

function appendOnly(table: string): string {
  return `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, 'append-only table ${table}: UPDATE refused'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, 'append-only table ${table}: DELETE refused'); END;`;
}

/** All migrations, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: "2026-11-25-01-ledger-core",
    sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- One row per accepted event. seq is the gap-free global sequence number assigned at commit;
-- record is the RFC 8785 canonical JSON of the ledger record; leaf_hash = SHA-256(0x00 || record).
CREATE TABLE events (
  seq             INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL UNIQUE,
  type            TEXT    NOT NULL,
  source          TEXT    NOT NULL,
  source_sequence INTEGER NOT NULL,
  batch_id        TEXT,
  batch_seq       INTEGER,
  received_at     TEXT    NOT NULL,
  record          TEXT    NOT NULL,
  leaf_hash       BLOB    NOT NULL CHECK (length(leaf_hash) = 32)
) STRICT;
CREATE UNIQUE INDEX events_batch ON events (batch_id, batch_seq) WHERE batch_id IS NOT NULL;
CREATE INDEX events_source ON events (source, source_sequence);

-- One row per sealed epoch: an RFC 9162 tree over events [first_seq, first_seq + size).
CREATE TABLE epochs (
  epoch     INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL UNIQUE,
  size      INTEGER NOT NULL CHECK (size > 0),
  root      BLOB    NOT NULL CHECK (length(root) = 32),
  sealed_at TEXT    NOT NULL
) STRICT;

-- Every level of every epoch tree, bottom-up with the odd last node carried up, cut into tiles of
-- up to 256 hashes (one BLOB each), as tile-based transparency logs store them: a proof reads one
-- tile per level.
CREATE TABLE epoch_tiles (
  epoch  INTEGER NOT NULL REFERENCES epochs (epoch),
  level  INTEGER NOT NULL,
  tile   INTEGER NOT NULL,
  hashes BLOB    NOT NULL,
  PRIMARY KEY (epoch, level, tile)
) STRICT, WITHOUT ROWID;

-- Every anchor transaction sent, recorded before waiting for it to be mined, so that a restart
-- knows what may be in flight.
CREATE TABLE anchor_txs (
  id         INTEGER PRIMARY KEY,
  epoch      INTEGER NOT NULL REFERENCES epochs (epoch),
  tx_hash    TEXT    NOT NULL UNIQUE,
  nonce      INTEGER NOT NULL,
  sent_at    TEXT    NOT NULL
) STRICT;

-- Confirmed anchors: where the epoch root sits on chain. A later row for the same epoch (after a
-- reorg re-anchor) supersedes an earlier one; none is ever changed.
CREATE TABLE anchors (
  id              INTEGER PRIMARY KEY,
  epoch           INTEGER NOT NULL REFERENCES epochs (epoch),
  chain_id        TEXT    NOT NULL,
  contract        TEXT    NOT NULL,
  ledger_id       TEXT    NOT NULL,
  tx_hash         TEXT    NOT NULL,
  block_number    INTEGER NOT NULL,
  block_hash      TEXT    NOT NULL,
  block_timestamp INTEGER NOT NULL,
  log_index       INTEGER NOT NULL,
  confirmed_at    TEXT    NOT NULL
) STRICT;
CREATE INDEX anchors_epoch ON anchors (epoch, id);

-- Short-lived leases (who runs the anchorer now). Not ledger data: rows are replaced.
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
${appendOnly("events")}
${appendOnly("epochs")}
${appendOnly("epoch_tiles")}
${appendOnly("anchor_txs")}
${appendOnly("anchors")}
`,
  },
  {
    id: "2026-11-25-02-clients",
    sql: `
-- API clients (MES instances, QA, auditors, administrators). Tokens are stored only as SHA-256
-- hashes. A client is never deleted and its name never reused (21 CFR 11.100(a)); revocation sets
-- revoked_at. Every change here is also recorded as a security.event in the ledger.
CREATE TABLE clients (
  name        TEXT PRIMARY KEY,
  role        TEXT NOT NULL CHECK (role IN ('mes', 'qa', 'auditor', 'admin')),
  token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  signing_alg TEXT CHECK (signing_alg IN ('EIP191', 'EdDSA', 'ES256')),
  signing_key TEXT,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
) STRICT;
CREATE TRIGGER clients_no_delete BEFORE DELETE ON clients
BEGIN SELECT RAISE(ABORT, 'clients are never deleted: revoke instead'); END;
CREATE TRIGGER clients_only_revoke BEFORE UPDATE ON clients
WHEN NEW.name IS NOT OLD.name OR NEW.role IS NOT OLD.role OR NEW.token_hash IS NOT OLD.token_hash
  OR NEW.signing_alg IS NOT OLD.signing_alg OR NEW.signing_key IS NOT OLD.signing_key
  OR NEW.created_at IS NOT OLD.created_at OR OLD.revoked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'clients can only be revoked, once'); END;

-- Which client posted each event (also inside the record as submittedBy).
ALTER TABLE events ADD COLUMN client TEXT;

-- Gaps in a source's sourceSequence: accepted, flagged for review.
CREATE TABLE source_gaps (
  seq       INTEGER PRIMARY KEY REFERENCES events (seq),
  source    TEXT    NOT NULL,
  expected  INTEGER NOT NULL,
  got       INTEGER NOT NULL
) STRICT;
${appendOnly("source_gaps")}
`,
  },
  {
    id: "2026-11-26-01-anchor-history",
    sql: `
-- An anchor row is recorded when its transaction is mined, and is never changed. What happens to it
-- later is appended here (issue 6, chain faults):
--  * anchor_finality: the anchor reached the configured confirmations on a block that was still
--    canonical when checked. Only a final anchor backs a proof bundle.
--  * anchor_supersessions: the anchor no longer holds (a reorganisation dropped its block, or the
--    chain lost it), with the reason; the epoch is anchored again and that is a new anchors row.
-- The current anchor of an epoch is its newest anchors row without a supersession. anchor_id is not
-- a foreign key on purpose: an attacker who drops the triggers and deletes an anchor must be named
-- by audit, not stopped by SQLite.
CREATE TABLE anchor_finality (
  anchor_id     INTEGER PRIMARY KEY,
  confirmations INTEGER,
  head_number   INTEGER,
  final_at      TEXT    NOT NULL
) STRICT;
CREATE TABLE anchor_supersessions (
  anchor_id     INTEGER PRIMARY KEY,
  reason        TEXT    NOT NULL,
  superseded_at TEXT    NOT NULL
) STRICT;
${appendOnly("anchor_finality")}
${appendOnly("anchor_supersessions")}

-- Anchors recorded before this migration were recorded only once they had the configured
-- confirmations, and a later row for an epoch superseded an earlier one: say so explicitly.
INSERT INTO anchor_supersessions (anchor_id, reason, superseded_at)
  SELECT a.id, 'superseded by a later anchor of the same epoch (recorded before anchor history was kept)', a.confirmed_at
  FROM anchors a WHERE EXISTS (SELECT 1 FROM anchors b WHERE b.epoch = a.epoch AND b.id > a.id);
INSERT INTO anchor_finality (anchor_id, confirmations, head_number, final_at)
  SELECT a.id, NULL, NULL, a.confirmed_at
  FROM anchors a WHERE NOT EXISTS (SELECT 1 FROM anchors b WHERE b.epoch = a.epoch AND b.id > a.id);

-- The fees each anchor transaction offered, so that a stuck one can be replaced (same nonce) with
-- fees the node accepts as a replacement, even after a restart; and which transaction it replaced.
ALTER TABLE anchor_txs ADD COLUMN max_fee_per_gas TEXT;
ALTER TABLE anchor_txs ADD COLUMN max_priority_fee_per_gas TEXT;
ALTER TABLE anchor_txs ADD COLUMN gas_price TEXT;
ALTER TABLE anchor_txs ADD COLUMN replaces TEXT;
`,
  },
  {
    id: "2026-11-26-02-receipt-groups",
    sql: `
-- One row per commit group of ingested events (receipt version 2): the events with seq in
-- [first_seq, first_seq + size) are the leaves of an RFC 9162 tree of receipt leaves with this
-- root; the ledger signed the group header (ledger, key_id, anchor_by, size, root) once with its
-- receipt key. Receipts are rebuilt from these rows and the events, byte for byte.
CREATE TABLE receipt_groups (
  first_seq INTEGER PRIMARY KEY REFERENCES events (seq),
  size      INTEGER NOT NULL CHECK (size > 0),
  root      BLOB    NOT NULL CHECK (length(root) = 32),
  anchor_by TEXT    NOT NULL,
  ledger    TEXT    NOT NULL,
  key_id    TEXT    NOT NULL,
  signature BLOB    NOT NULL CHECK (length(signature) = 64)
) STRICT;
${appendOnly("receipt_groups")}
`,
  },
  {
    id: "2026-11-26-10-events-leaf-index",
    sql: `
-- Sealing reads an epoch's leaf hashes in seq order. From the events rows that is a scan of every
-- record (~1.4 KB each: 1.4 GB for a million-event epoch, 2-3 s here); this covering index holds
-- (seq, leaf_hash) alone (~45 bytes a row), so the read is ~0.5 s. Appends go to its right edge.
CREATE INDEX events_leaf ON events (seq, leaf_hash);
`,
  },
  {
    id: "2026-12-04-01-provenance",
    sql: `
-- Whose ledger (issue 11). The account that sent each anchor transaction, as the contract's
-- EpochAnchored log names it (NULL for anchors recorded before the contract logged it).
ALTER TABLE anchors ADD COLUMN anchorer TEXT;

-- The ledger's signature over each sealed epoch's tree head (a checkpoint, as transparency logs
-- sign theirs): Ed25519 by the ledger key over the label "gxp-ledger checkpoint v1", a newline and
-- JCS({epoch, firstSeq, keyId, ledger, root, treeSize}). Written in the sealing transaction; a root in the
-- contract that no checkpoint signed (a pre-empted epoch) fails every verifier.
CREATE TABLE epoch_checkpoints (
  epoch     INTEGER PRIMARY KEY REFERENCES epochs (epoch),
  ledger    TEXT    NOT NULL,
  key_id    TEXT    NOT NULL,
  signature BLOB    NOT NULL CHECK (length(signature) = 64),
  signed_at TEXT    NOT NULL
) STRICT;
${appendOnly("epoch_checkpoints")}

-- The ledger's signing keys (receipts, checkpoints, manifests): the first, then each recorded
-- rotation. A key is valid from valid_from until the next key's valid_from.
CREATE TABLE ledger_keys (
  key_id       TEXT PRIMARY KEY,
  public_key   TEXT NOT NULL,
  valid_from   TEXT NOT NULL,
  rotated_from TEXT,
  reason       TEXT
) STRICT;
${appendOnly("ledger_keys")}
`,
  },
  {
    id: "2026-12-04-02-ledger-pin",
    sql: `
-- The ledger pins itself (issue 11 item 5). The first start of the service records which chain
-- (chain id and the hash of its genesis block), which contract and which ledger id this data
-- directory anchors in; every verifier compares each anchors row and chain/deployment.json with the
-- current pin (the newest row). A new row is only added when a development chain was reset (its old
-- genesis is gone, same contract and ledger id), with the reason.
CREATE TABLE ledger_pin (
  id           INTEGER PRIMARY KEY,
  chain_id     TEXT    NOT NULL,
  genesis_hash TEXT    NOT NULL,
  contract     TEXT    NOT NULL,
  ledger_id    TEXT    NOT NULL,
  ledger_name  TEXT    NOT NULL,
  development  INTEGER NOT NULL CHECK (development IN (0, 1)),
  pinned_at    TEXT    NOT NULL,
  reason       TEXT    NOT NULL
) STRICT;
${appendOnly("ledger_pin")}

-- The ledger key's id registered on chain (registerLedgerKey(ledgerId, keyId), event
-- LedgerKeyRegistered): once per key and pinned chain (a reset development chain forgets it).
CREATE TABLE ledger_key_registrations (
  key_id        TEXT    NOT NULL,
  chain_id      TEXT    NOT NULL,
  genesis_hash  TEXT    NOT NULL,
  contract      TEXT    NOT NULL,
  ledger_id     TEXT    NOT NULL,
  tx_hash       TEXT    NOT NULL,
  block_number  INTEGER NOT NULL,
  registered_at TEXT    NOT NULL,
  PRIMARY KEY (key_id, genesis_hash, contract)
) STRICT;
${appendOnly("ledger_key_registrations")}
`,
  },
  {
    id: "2026-12-04-03-client-scopes",
    sql: `
-- What an API client may write (issue 12 item 3): the sources and sites an mes client is bound to.
-- Append-only: a scope is added (client scope, with its security event), never edited or removed;
-- to narrow a client, revoke it and add a new one. A client with no row here was created before
-- scopes existed: it keeps writing (stopping a running MES interface at an upgrade would lose
-- records) and client list flags it UNSCOPED until an administrator scopes it.
CREATE TABLE client_scopes (
  client   TEXT NOT NULL REFERENCES clients (name),
  kind     TEXT NOT NULL CHECK (kind IN ('source', 'site')),
  value    TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 512),
  added_at TEXT NOT NULL,
  PRIMARY KEY (client, kind, value)
) STRICT;
${appendOnly("client_scopes")}
`,
  },
  {
    id: "2026-12-04-10-late-events",
    sql: `
-- Late events (issue 12 item 4): an event whose sourceSequence fills a gap the ledger flagged for its
-- source (source_gaps), accepted on an explicit late post with a reason. Never a number at or below
-- a stored one of the source that is not in a flagged gap, never one already stored. gap_seq names
-- the flagged gap (the source_gaps row of the event that came after it). The event itself is an
-- ordinary ledger record at the next seq; a security.event (event.late_accepted) records the
-- acceptance and its reason in the ledger, sealed and anchored with it.
CREATE TABLE late_events (
  seq             INTEGER PRIMARY KEY REFERENCES events (seq),
  source          TEXT    NOT NULL,
  source_sequence INTEGER NOT NULL,
  gap_seq         INTEGER NOT NULL REFERENCES source_gaps (seq),
  reason          TEXT    NOT NULL CHECK (length(reason) > 0),
  client          TEXT,
  accepted_at     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX late_events_source ON late_events (source, source_sequence);
${appendOnly("late_events")}
`,
  },
  {
    id: "2026-12-04-20-batch-list",
    sql: `
-- Listing batches (issue 13 item 5). The disposition and QA review events of each batch are found
-- through this index instead of a scan of the batch's events.
CREATE INDEX events_type_batch ON events (type, batch_id) WHERE batch_id IS NOT NULL;

-- What each verification of a batch said (verify-batch, review-batch, GET /v1/batches/{id},
-- batches --verify), so that listing batches can show the last verdict without verifying again. Not
-- ledger data (a verifier's note, never evidence: the verdict is recomputed from the records and the
-- chain each time); append-only all the same.
CREATE TABLE batch_verifications (
  id           INTEGER PRIMARY KEY,
  batch_id     TEXT    NOT NULL,
  verified_at  TEXT    NOT NULL,
  verdict      TEXT    NOT NULL,
  integrity_ok INTEGER NOT NULL CHECK (integrity_ok IN (0, 1)),
  events       INTEGER NOT NULL,
  last_seq     INTEGER NOT NULL,
  report_hash  TEXT    NOT NULL,
  verified_by  TEXT    NOT NULL
) STRICT;
CREATE INDEX batch_verifications_batch ON batch_verifications (batch_id, id);
${appendOnly("batch_verifications")}
`,
  },
];
