/**
 * The portable proof bundle: everything an inspector needs to check one event against the chain, and
 * nothing of our database. Versioned media type; `bundleFromJSON` validates by version and reports
 * every bad field; `verifyBundle` checks all that can be checked without the chain and returns the
 * claims the chain must confirm (see src/chain/verify-anchor.ts).
 */
import { ProofError, EventError, FieldIssue } from "../errors";
import { fromHex, bytesEqual, toHex } from "../hex";
import { bundleFileText, bundleForms, firstDifference, isCanonicalBundleText, toChecksumAddress } from "./bundle-text";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { rootFromInclusionProof } from "../merkle/inclusion";
import { LedgerRecord, recordLeafHash, recordLeafHashOfText } from "../record";
import { CheckpointSignature, checkpointSignatureProblem } from "./checkpoint";
import { bundleIssues } from "./bundle-check";

export { ledgerIdOfName } from "./ledger-id";

/**
 * Media type of version 1 bundles: no longer accepted. They name neither the anchoring account nor
 * carry the ledger's checkpoint signature, so they can show that a record is anchored in *some*
 * contract, never whose; a verifier refuses them and says to export the proof again.
 */
export const PROOF_MEDIA_TYPE_V1 = "application/vnd.gxp-ledger.proof+json;version=1";
/** Media type of version 2 bundles (docs/proof-format.md). */
export const PROOF_MEDIA_TYPE_V2 = "application/vnd.gxp-ledger.proof+json;version=2";

/** Where and how an epoch root was anchored. */
export interface AnchorRef {
  /** The account that sent the anchor transaction (EIP-55); the contract's log names it too. */
  anchorer: string;
  chainId: string;
  contract: string;
  ledgerId: string;
  ledgerName: string;
  epoch: number;
  firstSeq: number;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
  logIndex: number;
}

/** A version 2 proof bundle. */
export interface ProofBundle {
  mediaType: typeof PROOF_MEDIA_TYPE_V2;
  /** The record; of its event a verifier knows only that it is a JSON object with a string id (bundleIssues). */
  record: LedgerRecord;
  leafHash: string;
  epoch: number;
  leafIndex: number;
  treeSize: number;
  auditPath: string[];
  root: string;
  anchor: AnchorRef;
  /** The ledger's signature over the epoch's tree head (src/core/proof/checkpoint.ts). */
  checkpoint: CheckpointSignature;
}

function schemaFail(issues: FieldIssue[]): never {
  throw new ProofError(
    "PROOF_SCHEMA_INVALID",
    `invalid proof bundle: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    { issues },
  );
}

/**
 * Parses and validates a bundle by its media type version (bundleIssues: by hand, every bad field;
 * the event only as a JSON object with a string id, never against the current event schema). Given
 * text (a bundle file), also requires the text to be the bundle's file form or compact form
 * (src/core/proof/bundle-text.ts).
 * @throws ProofError PROOF_SCHEMA_INVALID listing every bad field; PROOF_CANONICAL_MISMATCH when the
 *   text is not in canonical form or the record has no RFC 8785 form
 */
export function bundleFromJSON(input: unknown): ProofBundle {
  return parseBundle(input).bundle;
}

/** A validated bundle and, when the fast walk produced it, its record's RFC 8785 text. */
interface ParsedBundle {
  bundle: ProofBundle;
  recordText: string | undefined;
}

function parseBundle(input: unknown): ParsedBundle {
  let obj = input;
  if (typeof input === "string") {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      schemaFail([{ path: "/", message: `is not JSON: ${(e as Error).message}` }]);
    }
  }
  const mt = (obj as { mediaType?: unknown } | null)?.mediaType;
  if (mt === PROOF_MEDIA_TYPE_V1) {
    schemaFail([
      {
        path: "/mediaType",
        message: `is version 1, which names no anchoring account and carries no ledger checkpoint signature, so it cannot show whose ledger it comes from: export the proof again (gxp-ledger proof) to get version 2`,
      },
    ]);
  }
  if (mt !== PROOF_MEDIA_TYPE_V2) {
    schemaFail([
      { path: "/mediaType", message: `unsupported media type ${JSON.stringify(mt)}: want ${PROOF_MEDIA_TYPE_V2}` },
    ]);
  }
  const issues = bundleIssues(obj);
  if (issues.length) schemaFail(issues);
  const b = obj as ProofBundle;
  for (const field of ["contract", "anchorer"] as const) {
    const v = b.anchor[field];
    if (toChecksumAddress(v) !== v) {
      throw new ProofError(
        "PROOF_CANONICAL_MISMATCH",
        `canonical form: ${field} ${v} is not in EIP-55 checksum form (want ${toChecksumAddress(v)})`,
        { got: v, want: toChecksumAddress(v) },
      );
    }
  }
  // One walk gives both byte forms and the record's RFC 8785 text (hashed next, not serialised again).
  const forms = bundleForms(b);
  if (!forms) return { bundle: checkCanonicalText(input, b), recordText: undefined };
  if (typeof input === "string" && input !== forms.file && input !== forms.compact && input !== forms.compact + "\n")
    canonicalMismatch(input, forms.file);
  return { bundle: b, recordText: forms.record };
}

// The canonical form step through bundleFileText's and canonicalString's own checks, for a bundle
// that bundleForms leaves out (a lone surrogate, a value nested too deep, anything but plain JSON).
function checkCanonicalText(input: unknown, b: ProofBundle): ProofBundle {
  try {
    const canonicalText = bundleFileText(b);
    // The compact form is checked with canonicalString, whose limits (depth counted from the bundle)
    // can refuse what the file form took: that too is a canonical form failure, not a later step's.
    if (typeof input === "string" && !isCanonicalBundleText(input, b)) canonicalMismatch(input, canonicalText);
  } catch (e) {
    if (!(e instanceof EventError)) throw e;
    throw new ProofError("PROOF_CANONICAL_MISMATCH", `canonical form: the bundle has no RFC 8785 form: ${e.message}`, {
      issues: e.issues,
    });
  }
  return b;
}

function canonicalMismatch(input: string, canonicalText: string): never {
  const at = firstDifference(input, canonicalText);
  throw new ProofError(
    "PROOF_CANONICAL_MISMATCH",
    `canonical form: the file differs from its canonical form at line ${at.line} (character ${at.offset}): a bundle file must be exactly as \`gxp-ledger proof\` writes it (see docs/proof-format.md)`,
    at,
  );
}

/** Serialises a bundle in its file form (what `gxp-ledger proof` writes). */
export function bundleToJSON(bundle: ProofBundle): string {
  return bundleFileText(bundle);
}

/** What the chain must confirm for a bundle that passed the offline checks (anchor.anchorer included). */
export interface AnchorClaim {
  anchor: AnchorRef;
  epoch: number;
  root: string;
  treeSize: number;
}

/**
 * Every check of a bundle that needs no chain, in order: schema, canonical form, the record's leaf
 * hash recomputed from its RFC 8785 form, the record's sequence number at the stated leaf index, the
 * audit path to the stated root, and the checkpoint signature over the epoch's tree head by the key
 * the bundle names (whether that key is the site's is the pin's business: src/core/trust).
 * @throws ProofError PROOF_SCHEMA_INVALID, PROOF_CANONICAL_MISMATCH, PROOF_LEAF_MISMATCH,
 *   PROOF_INDEX_OUT_OF_RANGE, PROOF_WRONG_LENGTH, PROOF_ROOT_MISMATCH, PROOF_CHECKPOINT_INVALID
 */
export function verifyBundle(input: unknown, hasher: Hasher = rfc9162): AnchorClaim {
  return checkBundle(input, hasher).claim;
}

/** A bundle that passed the offline checks, with the claim the chain must confirm. */
export interface CheckedBundle {
  bundle: ProofBundle;
  claim: AnchorClaim;
}

/**
 * As verifyBundle, returning the parsed bundle too.
 * @throws ProofError as verifyBundle
 */
export function checkBundle(input: unknown, hasher: Hasher = rfc9162): CheckedBundle {
  const { bundle: b, recordText } = parseBundle(input);
  const leaf = recordText === undefined ? recordLeafHash(b.record, hasher) : recordLeafHashOfText(recordText, hasher);
  if (!bytesEqual(leaf, fromHex(b.leafHash))) {
    throw new ProofError(
      "PROOF_LEAF_MISMATCH",
      `leaf hash mismatch for event ${b.record.event.id}: record hashes to ${toHex(leaf)}, bundle says ${b.leafHash}`,
      {
        eventId: b.record.event.id,
        got: toHex(leaf),
        want: b.leafHash,
      },
    );
  }
  if (b.record.seq !== b.anchor.firstSeq + b.leafIndex) {
    throw new ProofError(
      "PROOF_INDEX_OUT_OF_RANGE",
      `record seq ${b.record.seq} is not at leaf index ${b.leafIndex} of an epoch starting at seq ${b.anchor.firstSeq}`,
      {
        seq: b.record.seq,
        leafIndex: b.leafIndex,
        firstSeq: b.anchor.firstSeq,
      },
    );
  }
  checkAuditPath(hasher, b.leafIndex, b.treeSize, leaf, b.auditPath.map(fromHex), fromHex(b.root));
  const problem = checkpointSignatureProblem(checkpointOfBundle(b), b.checkpoint);
  if (problem) {
    throw new ProofError("PROOF_CHECKPOINT_INVALID", `checkpoint signature of epoch ${b.epoch}: ${problem}`, {
      keyId: b.checkpoint.keyId,
    });
  }
  return { bundle: b, claim: { anchor: b.anchor, epoch: b.epoch, root: b.root, treeSize: b.treeSize } };
}

/** The epoch tree head a bundle's checkpoint signature covers. */
export function checkpointOfBundle(b: Pick<ProofBundle, "anchor" | "epoch" | "treeSize" | "root" | "checkpoint">) {
  return {
    ledger: b.anchor.ledgerName,
    epoch: b.epoch,
    firstSeq: b.anchor.firstSeq,
    treeSize: b.treeSize,
    root: b.root,
    keyId: b.checkpoint.keyId,
  };
}

/**
 * The audit path step of a bundle: the path from `leaf` at `leafIndex` of a tree of `treeSize`
 * leaves must lead to `root` (RFC 9162 §2.1.3.2; index, size, hash lengths and path length are
 * checked before any hashing).
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE, PROOF_BAD_HASH_LENGTH, PROOF_WRONG_LENGTH, PROOF_ROOT_MISMATCH
 */
export function checkAuditPath(
  hasher: Hasher,
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  auditPath: Uint8Array[],
  root: Uint8Array,
): void {
  const got = rootFromInclusionProof(hasher, leafIndex, treeSize, leaf, auditPath);
  if (root.length !== got.length || !bytesEqual(got, root)) {
    throw new ProofError("PROOF_ROOT_MISMATCH", `audit path leads to root ${toHex(got)}: bundle says ${toHex(root)}`, {
      got: toHex(got),
      want: toHex(root),
    });
  }
}
