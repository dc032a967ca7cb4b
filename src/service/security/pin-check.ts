/**
 * The ledger checks itself against its pin (issue 11 item 5): every anchors row a verifier uses must
 * name the pinned chain id, contract and ledger id, chain/deployment.json must name them too, the
 * chain asked must have the pinned genesis block, and every epoch involved must carry a checkpoint
 * whose Ed25519 signature verifies over its stored root, size and first sequence number with a key
 * recorded in ledger_keys. A file-level attacker who rewrites history, re-anchors it in a contract of
 * their own and repoints the anchors rows fails here; so does one who re-seals epochs without the
 * ledger key.
 *
 * The checks are synchronous over the database (the genesis check takes the block hash as a value),
 * so `verify`, `verify-batch`, `audit`, `proof`, `export-batch` and the HTTP reads share them.
 */
import { createPublicKey, KeyObject, verify as edVerify } from "node:crypto";
import { JsonRpcTransport, checkpointMessage, toHex } from "../../core";
import { Deployment } from "../../chain/deploy";
import { Db } from "../../store/sqlite";
import { AnchorRow, EpochRow } from "../../store/epoch-store";
import { currentPin, StoredPin } from "../../store/pin-store";

/** What a pin check found. */
export type PinCheckCode =
  | "LEDGER_PIN_ALTERED"
  | "LEDGER_KEY_NOT_RECORDED"
  | "LEDGER_NOT_PINNED"
  | "ANCHOR_NOT_PINNED"
  | "DEPLOYMENT_NOT_PINNED"
  | "CHAIN_NOT_PINNED"
  | "CHECKPOINT_MISSING"
  | "CHECKPOINT_INVALID";

/** A pin check's codes, and why no proof bundle can be issued: the anchors row names no anchoring account. */
export type PinFindingCode = PinCheckCode | "ANCHORER_UNKNOWN";

/** One pin finding, naming the epoch and anchors row involved. */
export interface PinFinding<C extends PinFindingCode = PinCheckCode> {
  code: C;
  message: string;
  epoch?: number;
  /** The anchors row's id. */
  anchorId?: number;
  anchorTx?: string;
}

/** An integrity failure found by a pin check, for callers that stop at the first (proof, export). */
export class PinError extends Error {
  readonly code: PinFindingCode;
  constructor(readonly findings: PinFinding<PinFindingCode>[]) {
    super(findings.map((f) => f.message).join("; "));
    this.name = "PinError";
    this.code = findings[0].code;
  }
}

/** An anchors row as the pin checks read it (the row id when there is one). */
export type PinnedAnchor = Pick<AnchorRow, "epoch" | "chainId" | "contract" | "ledgerId" | "txHash"> & { id?: number };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A short description of a pin for messages. */
export function pinText(p: Pick<StoredPin, "chainId" | "contract" | "ledgerId" | "ledgerName">): string {
  return `chain ${p.chainId}, contract ${p.contract}, ledger ${p.ledgerName} (${p.ledgerId})`;
}

/**
 * The ledger's pin, or a LEDGER_NOT_PINNED finding when anchors are recorded but no pin is (the pin
 * was deleted, or the anchors were made without the service ever pinning the ledger).
 */
export function pinOrFinding(db: Db): { pin?: StoredPin; finding?: PinFinding } {
  const pin = currentPin(db);
  if (pin) {
    const altered = pinRowsFinding(db);
    return altered ? { finding: altered } : { pin };
  }
  const anchors = db.prepare<[], number>("SELECT count(*) FROM anchors").pluck().get() ?? 0;
  if (anchors === 0) return {};
  return {
    finding: {
      code: "LEDGER_NOT_PINNED",
      message: `the ledger has ${anchors} anchors rows but no pin (ledger_pin is empty): nothing says which chain, contract and ledger id are this ledger's; the pin is recorded at the first start of the service`,
    },
  };
}

/**
 * The pin table is append-only against UPDATE and DELETE, not INSERT: a later row is a re-pin only
 * when it keeps the first pin's chain id, contract and ledger id, is a development pin, and the
 * ledger itself recorded a matching `ledger.repinned` security event (src/service/security/ledger-pin.ts).
 * Any other later row was written into the file.
 */
function pinRowsFinding(db: Db): PinFinding | undefined {
  const rows = db
    .prepare<
      [],
      { id: number; chain_id: string; genesis_hash: string; contract: string; ledger_id: string; development: number }
    >("SELECT id, chain_id, genesis_hash, contract, ledger_id, development FROM ledger_pin ORDER BY id")
    .all();
  const qRepinned = db
    .prepare<[string, string], number>(
      `SELECT 1 FROM events WHERE type = 'security.event' AND client = 'gxp-ledger' AND json_extract(record, '$.event.data.kind') = 'ledger.repinned'
         AND lower(json_extract(record, '$.event.data.genesisHash')) = ? AND lower(json_extract(record, '$.event.data.contract')) = ? LIMIT 1`,
    )
    .pluck();
  const first = rows[0];
  for (const r of rows.slice(1)) {
    const same =
      r.chain_id === first.chain_id &&
      r.contract.toLowerCase() === first.contract.toLowerCase() &&
      r.ledger_id.toLowerCase() === first.ledger_id.toLowerCase();
    if (
      !same ||
      r.development !== 1 ||
      qRepinned.get(r.genesis_hash.toLowerCase(), r.contract.toLowerCase()) === undefined
    ) {
      return {
        code: "LEDGER_PIN_ALTERED",
        message: `ledger_pin row ${r.id} (chain ${r.chain_id}, contract ${r.contract}, ledger id ${r.ledger_id}) is not a recorded re-pin of the first pin (chain ${first.chain_id}, contract ${first.contract}): it was written into the file`,
      };
    }
  }
  return undefined;
}

/**
 * Ledger keys after the first are valid only with the ledger's own `ledger.key.rotated` security
 * event naming them (ledger_keys takes INSERTs like any append-only table).
 */
export function unrecordedKeyIds(db: Db): Set<string> {
  const rows = db.prepare<[], string>("SELECT key_id FROM ledger_keys ORDER BY valid_from, rowid").pluck().all();
  const qRotated = db
    .prepare<[string], number>(
      `SELECT 1 FROM events WHERE type = 'security.event' AND client = 'gxp-ledger' AND json_extract(record, '$.event.data.kind') = 'ledger.key.rotated'
         AND json_extract(record, '$.event.data.keyId') = ? LIMIT 1`,
    )
    .pluck();
  return new Set(rows.slice(1).filter((k) => qRotated.get(k) === undefined));
}

/** Why an anchors row does not name the pinned chain, contract and ledger id, or undefined. */
export function anchorPinFinding(pin: StoredPin, a: PinnedAnchor): PinFinding | undefined {
  const diffs: string[] = [];
  if (a.chainId !== pin.chainId) diffs.push(`chain ${a.chainId} (pinned ${pin.chainId})`);
  if (!same(a.contract, pin.contract)) diffs.push(`contract ${a.contract} (pinned ${pin.contract})`);
  if (!same(a.ledgerId, pin.ledgerId)) diffs.push(`ledger id ${a.ledgerId} (pinned ${pin.ledgerId})`);
  if (!diffs.length) return undefined;
  return {
    code: "ANCHOR_NOT_PINNED",
    epoch: a.epoch,
    anchorId: a.id,
    anchorTx: a.txHash,
    message: `epoch ${a.epoch}: anchors row ${a.id ?? "?"} (tx ${a.txHash}) names ${diffs.join(", ")}: the anchor is not in this ledger's pinned contract`,
  };
}

/** Why chain/deployment.json does not name the pinned chain, contract and ledger id, or undefined. */
export function deploymentPinFinding(
  pin: StoredPin,
  d: Deployment | undefined,
  file = "chain/deployment.json",
): PinFinding | undefined {
  if (!d) return undefined;
  const diffs: string[] = [];
  if (d.chainId !== pin.chainId) diffs.push(`chain ${d.chainId} (pinned ${pin.chainId})`);
  if (!same(d.contract, pin.contract)) diffs.push(`contract ${d.contract} (pinned ${pin.contract})`);
  if (!same(d.ledgerId, pin.ledgerId)) diffs.push(`ledger id ${d.ledgerId} (pinned ${pin.ledgerId})`);
  if (!diffs.length) return undefined;
  return {
    code: "DEPLOYMENT_NOT_PINNED",
    message: `${file} names ${diffs.join(", ")}: it is not this ledger's pinned deployment`,
  };
}

/** Why the chain asked is not the pinned one (its block 0 hash), or undefined. */
export function genesisPinFinding(pin: StoredPin, genesisHash: string | undefined): PinFinding | undefined {
  if (genesisHash && same(genesisHash, pin.genesisHash)) return undefined;
  return {
    code: "CHAIN_NOT_PINNED",
    message: `the chain asked has genesis block ${genesisHash ?? "(none)"}, the pinned chain ${pin.chainId} has ${pin.genesisHash}: it is another chain with the same id`,
  };
}

/**
 * The public key of a recorded ledger key (ledger_keys) by its id, parsed once per lookup; null when
 * the id is not recorded, its key does not parse, or it is a later key without the ledger's own
 * `ledger.key.rotated` event (a row written into the file).
 */
export function recordedKeyLookup(db: Db): (keyId: string) => KeyObject | null {
  const keys = new Map<string, KeyObject | null>();
  const qKey = db.prepare<[string], string>("SELECT public_key FROM ledger_keys WHERE key_id = ?").pluck();
  // A key row written into the file (no rotation recorded by the ledger) verifies nothing.
  const unrecorded = unrecordedKeyIds(db);
  return (keyId) => {
    if (!keys.has(keyId)) {
      const pem = unrecorded.has(keyId) ? undefined : qKey.get(keyId);
      let k: KeyObject | null;
      try {
        k = pem ? createPublicKey(pem) : null;
      } catch {
        k = null;
      }
      keys.set(keyId, k);
    }
    return keys.get(keyId)!;
  };
}

/** Checks checkpoints against the recorded ledger keys; the keys are parsed once per checker. */
export interface CheckpointChecker {
  /** Why an epoch's checkpoint is missing or does not verify, or undefined when it verifies. */
  check(e: Pick<EpochRow, "epoch" | "firstSeq" | "size" | "root">): PinFinding | undefined;
}

/** A checkpoint checker over `db` for the ledger named `ledgerName`. */
export function createCheckpointChecker(db: Db, ledgerName: string): CheckpointChecker {
  const qCp = db.prepare<[number], { ledger: string; key_id: string; signature: Buffer }>(
    "SELECT ledger, key_id, signature FROM epoch_checkpoints WHERE epoch = ?",
  );
  const keyOf = recordedKeyLookup(db);
  return {
    check(e) {
      const cp = qCp.get(e.epoch);
      if (!cp) {
        return {
          code: "CHECKPOINT_MISSING",
          epoch: e.epoch,
          message: `epoch ${e.epoch}: no checkpoint (epoch_checkpoints has no row): nothing shows the ledger key signed this epoch's root`,
        };
      }
      const invalid = (why: string): PinFinding => ({
        code: "CHECKPOINT_INVALID",
        epoch: e.epoch,
        message: `epoch ${e.epoch}: checkpoint signed with key ${cp.key_id}: ${why}`,
      });
      if (cp.ledger !== ledgerName)
        return invalid(`it names ledger ${JSON.stringify(cp.ledger)}, this ledger is ${JSON.stringify(ledgerName)}`);
      const key = keyOf(cp.key_id);
      if (!key) return invalid("that key is not a recorded ledger key (ledger_keys)");
      const message = checkpointMessage({
        ledger: cp.ledger,
        epoch: e.epoch,
        firstSeq: e.firstSeq,
        treeSize: e.size,
        root: toHex(e.root),
        keyId: cp.key_id,
      });
      let ok: boolean;
      try {
        ok = cp.signature.length === 64 && edVerify(null, message, key, cp.signature);
      } catch {
        ok = false;
      }
      return ok
        ? undefined
        : invalid(
            `the signature does not verify over the stored root ${toHex(e.root)}, size ${e.size} and first seq ${e.firstSeq}: the epoch was re-sealed without the ledger key, or the signature was altered`,
          );
    },
  };
}

/**
 * Every pin finding for the epochs `epochs` and their current anchors (those given): the pin present,
 * each anchors row pinned, each epoch's checkpoint valid. `deployment`, when given, is compared too.
 */
export function checkPinned(
  db: Db,
  ledgerName: string,
  epochs: readonly Pick<EpochRow, "epoch" | "firstSeq" | "size" | "root">[],
  anchors: readonly PinnedAnchor[],
  deployment?: Deployment,
): { pin?: StoredPin; findings: PinFinding[] } {
  const findings: PinFinding[] = [];
  const { pin, finding } = pinOrFinding(db);
  if (finding) findings.push(finding);
  if (pin) {
    for (const a of anchors) {
      const f = anchorPinFinding(pin, a);
      if (f) findings.push(f);
    }
    const d = deploymentPinFinding(pin, deployment);
    if (d) findings.push(d);
  }
  const cps = createCheckpointChecker(db, ledgerName);
  for (const e of epochs) {
    const f = cps.check(e);
    if (f) findings.push(f);
  }
  return { pin, findings };
}

/**
 * The hash of block 0 of the chain behind `transport`, lowercase; undefined when it has none.
 * @throws whatever the transport throws (an unreachable chain); Error when the node answers an error
 */
export async function genesisHashOf(transport: JsonRpcTransport): Promise<string | undefined> {
  const a = await transport("eth_getBlockByNumber", ["0x0", false]);
  if ("error" in a) throw new Error(`eth_getBlockByNumber 0: ${a.error.message ?? "error"}`);
  const hash = (a.result as { hash?: unknown } | null)?.hash;
  return typeof hash === "string" ? hash.toLowerCase() : undefined;
}
