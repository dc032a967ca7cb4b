/**
 * Building the portable proof bundle of a stored event from the stores alone: the record, its leaf
 * hash, the audit path read from the epoch's tiles (O(log n), no rebuild), and the anchor.
 */
import {
  AnchorClaim,
  PROOF_MEDIA_TYPE_V2,
  ProofBundle,
  base64urlEncode,
  inclusionProofFromLevels,
  spkiOfPem,
  toHex,
} from "../../core";
import { AnchorRow, EpochRow } from "../../store/epoch-store";
import { ledgerNameOf } from "../../chain/contract";
import { Ledger } from "../app/ledger";
import { positionOf, EventPosition } from "./status";
import { StoredEvent } from "../../store/event-store";
import { Deployment } from "../../chain/deploy";
import { checkPinned, PinError } from "../security/pin-check";

/** A bundle, or the status that keeps one from being issued yet. */
export type ProofResult = { ok: true; bundle: ProofBundle } | { ok: false; position: EventPosition };

/** The audit path of a stored event in its epoch, as hashes. */
export function auditPathOf(
  ledger: Ledger,
  ev: StoredEvent,
  epoch: { epoch: number; firstSeq: number; size: number },
): Uint8Array[] {
  return inclusionProofFromLevels(epoch.size, ev.seq - epoch.firstSeq, (level, i) =>
    ledger.epochs.readNode(epoch.epoch, level, i),
  );
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
  const pem = ledger.db
    .prepare<[string], string>("SELECT public_key FROM ledger_keys WHERE key_id = ?")
    .pluck()
    .get(keyId);
  if (!pem) return undefined;
  return spkiOfPem(pem);
}

/**
 * Builds the bundle of a stored event once its epoch's anchor is confirmed. No bundle is issued for
 * an epoch the ledger cannot show as its own: its anchors row (and `deployment`, when given) must
 * name the pinned chain, contract and ledger id, and its checkpoint must verify with a recorded key.
 * @throws PinError LEDGER_NOT_PINNED, ANCHOR_NOT_PINNED, DEPLOYMENT_NOT_PINNED, CHECKPOINT_MISSING,
 *   CHECKPOINT_INVALID, naming the epoch and anchors row; ANCHORER_UNKNOWN when the anchor has no
 *   recorded anchoring account (anchored before the ledger kept it)
 */
export function buildProof(ledger: Ledger, ev: StoredEvent, deployment?: Deployment): ProofResult {
  const position = positionOf(ledger, ev);
  if (position.status !== "confirmed" || !position.epoch || !position.anchor) return { ok: false, position };
  const { epoch, anchor } = position;
  const pinned = checkPinned(ledger.db, ledger.name, [epoch], [anchor], deployment);
  if (pinned.findings.length) throw new PinError(pinned.findings);
  const cp = ledger.epochs.checkpointOf(epoch.epoch)!;
  const publicKey = publicKeyOf(ledger, cp.keyId);
  if (!publicKey)
    throw new PinError([
      {
        code: "CHECKPOINT_INVALID",
        epoch: epoch.epoch,
        message: `epoch ${epoch.epoch}: checkpoint key ${cp.keyId} is not a recorded ledger key`,
      },
    ]);
  if (!anchor.anchorer) {
    throw new PinError([
      {
        code: "ANCHORER_UNKNOWN",
        epoch: epoch.epoch,
        anchorId: anchor.id,
        anchorTx: anchor.txHash,
        message: `the anchor of epoch ${epoch.epoch} (anchors row ${anchor.id}, tx ${anchor.txHash}) has no recorded anchoring account: no bundle can name who anchored it`,
      },
    ]);
  }
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
