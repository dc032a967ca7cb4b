/**
 * `verify <eventId>`: re-checks one stored event from the bottom up and names the first thing that
 * does not match: the record against its stored leaf hash, the leaf against its epoch tree, the
 * epoch's events against the tree's leaves (a deleted, inserted or altered neighbour), the audit path
 * against the stored root, and the stored root against the root anchored on chain.
 */
import { JsonRpcProvider } from "ethers";
import { bytesEqual, canonicalBytes, isCoreError, rootFromInclusionProof, toHex } from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { verifySourceSig } from "../../crypto/source-sig";
import { createHash } from "node:crypto";
import { anchorContract } from "../../chain/contract";
import { verifyAnchorOnChain } from "../../chain/verify-anchor";
import { ChainError } from "../../chain/errors";
import { safeErrorMessage } from "../../chain/provider";
import { StoreError } from "../../store/errors";
import { Ledger } from "../app/ledger";
import { positionOf, EventStatus } from "./status";
import { anchorClaimOf, auditPathOf } from "./proof";
import { Deployment } from "../../chain/deploy";
import { providerTransport } from "../../chain/verify-anchor";
import {
  anchorPinFinding,
  createCheckpointChecker,
  deploymentPinFinding,
  genesisHashOf,
  genesisPinFinding,
  pinOrFinding,
} from "../security/pin-check";

/** Outcome of verify: verified, failed (tampering found), or not anchored yet. */
export type VerifyOutcome = "verified" | "failed" | "not-anchored";

/** The report `verify` prints. */
export interface VerifyReport {
  outcome: VerifyOutcome;
  eventId: string;
  seq: number;
  status: EventStatus;
  epoch?: number;
  anchorTx?: string;
  /** Each check done, in order, with what it found. */
  checks: { check: string; ok: boolean; detail: string }[];
  /** The code of the failed check. */
  code?: string;
  /** The anchors row involved (its id), when the failed check concerns one. */
  anchorId?: number;
}

/**
 * Verifies a stored event: every local check first, then the chain, which `chain` connects to only
 * when the local checks pass and the event is anchored (so tampering is named even with the chain down).
 * The local checks include the ledger's pin (src/service/security/pin-check.ts): the epoch's checkpoint
 * signature, its anchors row and `deployment` (chain/deployment.json, when given) against the pinned
 * chain, contract and ledger id; the chain asked must have the pinned genesis block.
 * @throws ChainError CHAIN_UNREACHABLE when the chain cannot be asked
 */
export async function verifyStoredEvent(
  ledger: Ledger,
  eventId: string,
  chain: (() => Promise<JsonRpcProvider>) | undefined,
  confirmations = 1,
  deployment?: Deployment,
): Promise<VerifyReport | undefined> {
  try {
    return await verifyUnsafe(ledger, eventId, chain, confirmations, deployment);
  } catch (e) {
    if (e instanceof StoreError && e.code === "RECORD_UNREADABLE") {
      const { seq, eventId: bad } = e.info as { seq: number; eventId: string };
      return {
        outcome: "failed",
        eventId,
        seq: bad === eventId ? seq : -1,
        status: "pending",
        checks: [{ check: "record", ok: false, detail: e.message }],
        code: e.code,
      };
    }
    throw e;
  }
}

async function verifyUnsafe(
  ledger: Ledger,
  eventId: string,
  chain: (() => Promise<JsonRpcProvider>) | undefined,
  confirmations: number,
  deployment: Deployment | undefined,
): Promise<VerifyReport | undefined> {
  const ev = ledger.events.getById(eventId);
  if (!ev) return undefined;
  const pos = positionOf(ledger, ev);
  const report: VerifyReport = {
    outcome: "verified",
    eventId,
    seq: ev.seq,
    status: pos.status,
    epoch: pos.epoch?.epoch,
    anchorTx: pos.anchor?.txHash,
    checks: [],
  };
  const ok = (check: string, detail: string) => report.checks.push({ check, ok: true, detail });
  const fail = (check: string, code: string, detail: string): VerifyReport => {
    report.checks.push({ check, ok: false, detail });
    report.outcome = "failed";
    report.code = code;
    return report;
  };

  // 1. The record as stored hashes to the stored leaf hash and agrees with its row.
  const leaf = nodeHasher.hashLeaf(canonicalBytes(ev.record));
  if (ev.record.seq !== ev.seq || ev.record.event?.id !== ev.eventId) {
    return fail(
      "record",
      "RECORD_ROW_MISMATCH",
      `event ${eventId}: record says seq ${ev.record.seq} id ${ev.record.event?.id}, row says seq ${ev.seq} id ${ev.eventId}`,
    );
  }
  if (!bytesEqual(leaf, ev.leafHash)) {
    return fail(
      "leaf hash",
      "PROOF_LEAF_MISMATCH",
      `event ${eventId} (seq ${ev.seq}): stored record hashes to ${toHex(leaf)} but its stored leaf hash is ${toHex(ev.leafHash)}: the record was altered`,
    );
  }
  ok("leaf hash", `record hashes to its leaf ${toHex(leaf)}`);

  // 1b. The MES's own signature, when its client signs (zero trust in the ledger operator).
  const sb = ev.record.submittedBy;
  if (sb?.signingAlg && sb.signingKey) {
    const keyId =
      sb.signingAlg === "EIP191"
        ? sb.signingKey
        : `sha256:${createHash("sha256").update(Buffer.from(sb.signingKey, "base64")).digest("hex").slice(0, 16)}…`;
    try {
      verifySourceSig(ev.record.event, { alg: sb.signingAlg, key: sb.signingKey });
    } catch (e) {
      return fail("source signature", "SOURCE_SIGNATURE_INVALID", `event ${eventId}: ${(e as Error).message}`);
    }
    ok("source signature", `signed by client ${sb.client} with ${sb.signingAlg} key ${keyId}`);
  } else if (sb) {
    ok("source signature", `none: submitted by client ${sb.client} (role ${sb.role}), which does not sign its events`);
  }
  if (!pos.epoch) {
    report.outcome = "not-anchored";
    ok("epoch", "pending: not sealed into an epoch yet");
    return report;
  }
  const ep = pos.epoch;
  const index = ev.seq - ep.firstSeq;

  // 2. Every event of the epoch is present and matches the epoch tree's leaves.
  const treeLeaves = ledger.epochs.readLeafLevel(ep.epoch);
  const rows = ledger.events.leaves(ep.firstSeq, ep.firstSeq + ep.size);
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  if (treeLeaves.length !== ep.size) {
    return fail(
      "epoch tree",
      "EPOCH_TREE_ALTERED",
      `epoch ${ep.epoch}: tree has ${treeLeaves.length} leaves, epoch says ${ep.size}: stored tree nodes were altered`,
    );
  }
  for (let i = 0; i < ep.size; i++) {
    const seq = ep.firstSeq + i;
    const row = bySeq.get(seq);
    if (!row)
      return fail(
        "epoch completeness",
        "EVENT_MISSING",
        `epoch ${ep.epoch}: event seq ${seq} is missing: it was deleted`,
      );
    if (!bytesEqual(row.leafHash, treeLeaves[i])) {
      return fail(
        "epoch completeness",
        "EVENT_ALTERED",
        `epoch ${ep.epoch}: event ${row.eventId} (seq ${seq}) has leaf ${toHex(row.leafHash)} but the epoch tree has ${toHex(treeLeaves[i])}: the event or the tree was altered`,
      );
    }
  }
  ok("epoch completeness", `all ${ep.size} events of epoch ${ep.epoch} present and matching its tree`);

  // 3. The audit path leads from the leaf to the stored root.
  let root: Uint8Array;
  try {
    root = rootFromInclusionProof(nodeHasher, index, ep.size, leaf, auditPathOf(ledger, ev, ep));
  } catch (e) {
    if (isCoreError(e)) return fail("audit path", e.code, `epoch ${ep.epoch}: ${e.message}`);
    throw e;
  }
  if (!bytesEqual(root, ep.root)) {
    return fail(
      "audit path",
      "PROOF_ROOT_MISMATCH",
      `event ${eventId}: audit path in epoch ${ep.epoch} leads to ${toHex(root)} but the stored epoch root is ${toHex(ep.root)}: a stored tree node was altered`,
    );
  }
  ok("audit path", `leaf ${index} of ${ep.size} leads to root ${toHex(root)}`);

  // 3b. The ledger key signed this epoch's root, size and first seq (a checkpoint).
  const cpProblem = createCheckpointChecker(ledger.db, ledger.name).check(ep);
  if (cpProblem) return fail("checkpoint", cpProblem.code, cpProblem.message);
  ok(
    "checkpoint",
    `epoch ${ep.epoch}'s root is signed by the ledger key ${ledger.epochs.checkpointOf(ep.epoch)!.keyId}`,
  );

  // 3c. The anchor and the deployment file name the pinned chain, contract and ledger id.
  const { pin, finding: noPin } = pinOrFinding(ledger.db);
  if (noPin) return fail("pin", noPin.code, noPin.message);
  if (pin) {
    const problem = (pos.anchor && anchorPinFinding(pin, pos.anchor)) || deploymentPinFinding(pin, deployment);
    if (problem) {
      report.anchorId = problem.anchorId;
      return fail("pin", problem.code, problem.message);
    }
    ok(
      "pin",
      `${pos.anchor ? `anchors row ${pos.anchor.id}` : "no anchor yet"}${deployment ? " and chain/deployment.json" : ""} name the pinned chain ${pin.chainId}, contract ${pin.contract}, ledger ${pin.ledgerName}`,
    );
  }

  if (!pos.anchor) {
    report.outcome = "not-anchored";
    ok("anchor", `epoch ${ep.epoch} is ${pos.status}, not yet confirmed on chain`);
    return report;
  }
  if (!chain) throw new ChainError("CHAIN_UNREACHABLE", "no chain endpoint to check the anchor against");
  const provider = await chain();
  if (pin) {
    const genesis = await genesisHashOf(providerTransport(provider)).catch((e: Error) => {
      throw new ChainError("CHAIN_UNREACHABLE", `cannot read the chain's genesis block: ${safeErrorMessage(e)}`);
    });
    const g = genesisPinFinding(pin, genesis);
    if (g) return fail("chain", g.code, g.message);
  }

  // 4. The chain holds this root for this epoch, from the recorded transaction.
  const a = pos.anchor;
  const onChain = await anchorContract(a.contract, provider)
    .getAnchor(a.ledgerId, ep.epoch)
    .catch((e: Error) => {
      throw new ChainError("CHAIN_UNREACHABLE", `cannot read the anchor of epoch ${ep.epoch}: ${safeErrorMessage(e)}`);
    });
  if (!onChain)
    return fail(
      "chain anchor",
      "PROOF_ANCHOR_MISSING",
      `epoch ${ep.epoch}: contract ${a.contract} holds no anchor (recorded tx ${a.txHash})`,
    );
  if (onChain.root.toLowerCase() !== toHex(root)) {
    return fail(
      "chain anchor",
      "PROOF_ANCHOR_ROOT_MISMATCH",
      `epoch ${ep.epoch}: chain root ${onChain.root} (tx ${a.txHash}) differs from the root ${toHex(root)} recomputed for event ${eventId}: the stored ledger was altered`,
    );
  }
  try {
    const v = await verifyAnchorOnChain(provider, anchorClaimOf(ep, a), { confirmations });
    ok(
      "chain anchor",
      `epoch ${ep.epoch} root anchored in tx ${a.txHash}, block ${v.blockNumber} ${v.blockHash}, ${v.confirmations} confirmation${v.confirmations === 1 ? "" : "s"}`,
    );
  } catch (e) {
    if (e instanceof ChainError && e.code !== "CHAIN_UNREACHABLE") {
      if (e.code === "PROOF_NOT_FINAL") {
        report.outcome = "not-anchored";
        report.checks.push({ check: "chain anchor", ok: false, detail: e.message });
        return report;
      }
      return fail("chain anchor", e.code, `epoch ${ep.epoch} (tx ${a.txHash}): ${e.message}`);
    }
    throw e;
  }
  return report;
}
