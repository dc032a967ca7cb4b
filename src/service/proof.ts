/**
 * Building the portable proof bundle of a stored event from the stores alone: the record, its leaf
 * hash, the audit path read from the epoch's tiles (O(log n), no rebuild), and the anchor.
 */
import { AnchorClaim, PROOF_MEDIA_TYPE_V2, ProofBundle, base64urlEncode, inclusionProofFromLevels, spkiOfEd25519Raw, toHex } from "../core";
import { createPublicKey } from "node:crypto";
import { AnchorRow, EpochRow } from "../store/epoch-store";
import { ledgerNameOf } from "../chain/contract";
import { Ledger } from "./ledger";
import { positionOf, EventPosition } from "./status";
import { StoredEvent } from "../store/event-store";

/** A bundle, or the status that keeps one from being issued yet. */
export type ProofResult = { ok: true; bundle: ProofBundle } | { ok: false; position: EventPosition };

/** The audit path of a stored event in its epoch, as hashes. */
export function auditPathOf(ledger: Ledger, ev: StoredEvent, epoch: { epoch: number; firstSeq: number; size: number }): Uint8Array[] {
  return inclusionProofFromLevels(epoch.size, ev.seq - epoch.firstSeq, (level, i) => ledger.epochs.readNode(epoch.epoch, level, i));
}

/** What the chain must confirm for a stored epoch and its recorded anchor (the bundle's anchor part). */
export function anchorClaimOf(epoch: EpochRow, anchor: AnchorRow): AnchorClaim {
  // Members in RFC 8785 order, here and in buildProof: the bundle's file form is then written by
  // JSON.stringify (bundleForms' sorted path), without a sorting walk.
  return {
    anchor: {
      anchorer: anchor.anchorer ?? "",
      blockHash: anchor.blockHash,
      blockNumber: anchor.blockNumber,
      blockTimestamp: anchor.blockTimestamp,
      chainId: anchor.chainId,
      contract: anchor.contract,
      epoch: epoch.epoch,
      firstSeq: epoch.firstSeq,
      ledgerId: anchor.ledgerId,
      ledgerName: ledgerNameOf(anchor.ledgerId) ?? anchor.ledgerId,
      logIndex: anchor.logIndex,
      txHash: anchor.txHash,
    },
    epoch: epoch.epoch,
    root: toHex(epoch.root),
    treeSize: epoch.size,
  };
}

/** The base64 SPKI of the ledger key with `keyId`, as recorded in ledger_keys. */
function publicKeyOf(ledger: Ledger, keyId: string): string | undefined {
  const pem = ledger.db.prepare<[string], string>("SELECT public_key FROM ledger_keys WHERE key_id = ?").pluck().get(keyId);
  if (!pem) return undefined;
  const der = createPublicKey(pem).export({ type: "spki", format: "der" });
  return spkiOfEd25519Raw(new Uint8Array(der.subarray(der.length - 32)));
}

/**
 * Builds the bundle of a stored event once its epoch's anchor is confirmed.
 * @throws Error when the epoch has no checkpoint signature or its anchor no recorded anchoring
 *   account (sealed or anchored before the ledger kept them): such an epoch cannot be proved as this
 *   ledger's
 */
export function buildProof(ledger: Ledger, ev: StoredEvent): ProofResult {
  const position = positionOf(ledger, ev);
  if (position.status !== "confirmed" || !position.epoch || !position.anchor) return { ok: false, position };
  const { epoch, anchor } = position;
  const cp = ledger.epochs.checkpointOf(epoch.epoch);
  const publicKey = cp && publicKeyOf(ledger, cp.keyId);
  if (!cp || !publicKey) throw new Error(`epoch ${epoch.epoch} has no checkpoint signed by a recorded ledger key: no proof can show it is this ledger's`);
  if (!anchor.anchorer) throw new Error(`the anchor of epoch ${epoch.epoch} (tx ${anchor.txHash}) has no recorded anchoring account`);
  const bundle: ProofBundle = {
    anchor: anchorClaimOf(epoch, anchor).anchor,
    auditPath: auditPathOf(ledger, ev, epoch).map(toHex),
    checkpoint: { keyId: cp.keyId, publicKey, signature: base64urlEncode(cp.signature) },
    epoch: epoch.epoch,
    leafHash: toHex(ev.leafHash),
    leafIndex: ev.seq - epoch.firstSeq,
    mediaType: PROOF_MEDIA_TYPE_V2,
    record: ev.record,
    root: toHex(epoch.root),
    treeSize: epoch.size,
  };
  return { ok: true, bundle };
}
