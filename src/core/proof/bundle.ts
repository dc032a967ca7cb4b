/**
 * The portable proof bundle: everything an inspector needs to check one event against the chain, and
 * nothing of our database. Versioned media type; `bundleFromJSON` validates by version and reports
 * every bad field; `verifyBundle` checks all that can be checked without the chain and returns the
 * claims the chain must confirm (see src/chain/verify-anchor.ts).
 */
import Ajv from "ajv";
import { ProofError, EventError, FieldIssue } from "../errors";
import { fromHex, bytesEqual, toHex, utf8 } from "../hex";
import { LEDGER_NAME_PATTERN } from "../ledger-name";
import { bundleFileText, bundleForms, firstDifference, isCanonicalBundleText, toChecksumAddress } from "./bundle-text";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { rootFromInclusionProof } from "../merkle/inclusion";
import { LedgerRecord, assertRecord, recordLeafHash, recordLeafHashOfText } from "../record";
import { CheckpointSignature, checkpointSignatureProblem } from "./checkpoint";
import { issuesOfAjv } from "../schema-issues";

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

const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/**
 * JSON Schema of a version 2 bundle: the schema published as docs/proof.schema.json (a test keeps
 * the two identical). The record's own rules beyond its shape are checked by assertRecord.
 */
export const PROOF_BUNDLE_SCHEMA_V2 = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "urn:gxp-ledger:schema:proof-bundle:2",
  title: "gxp-ledger proof bundle, version 2",
  description:
    "One ledger record, its RFC 9162 audit path to an epoch root, the ledger's signature over that epoch's tree head, and where and by whom that root is anchored on an EVM chain. See docs/proof-format.md.",
  type: "object",
  required: ["mediaType", "record", "leafHash", "epoch", "leafIndex", "treeSize", "auditPath", "root", "anchor", "checkpoint"],
  additionalProperties: false,
  properties: {
    mediaType: { description: "Media type and format version.", const: PROOF_MEDIA_TYPE_V2 },
    record: {
      description: "The ledger record: the event as posted plus what the ledger set. Its leaf hash is SHA-256(0x00 || RFC 8785 canonical JSON of this object).",
      type: "object",
      required: ["recordVersion", "seq", "receivedAt", "salt", "event"],
      properties: {
        recordVersion: { const: "gxp-ledger.record/1" },
        seq: uint,
        receivedAt: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" },
        salt: hash32,
        batchLink: { type: "object", required: ["batchSeq", "prevLeafHash"], properties: { batchSeq: uint, prevLeafHash: { anyOf: [hash32, { type: "null" }] } } },
        event: { description: "The GxP event as posted (see the event schema).", type: "object", required: ["id"], properties: { id: { type: "string" } } },
      },
    },
    leafHash: { description: "SHA-256(0x00 || canonical record bytes).", ...hash32 },
    epoch: { description: "The epoch (anchored tree) the record is in.", ...uint },
    leafIndex: { description: "0-based position of the record in the epoch's tree: record.seq - anchor.firstSeq.", ...uint },
    treeSize: { description: "Number of leaves of the epoch's tree.", type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    auditPath: { description: "RFC 9162 §2.1.3 inclusion proof, leaf level first.", type: "array", maxItems: 64, items: hash32 },
    root: { description: "The epoch's RFC 9162 Merkle tree hash.", ...hash32 },
    anchor: {
      description: "Where and by whom the root was anchored: the verifier reads it back from the chain.",
      type: "object",
      required: ["anchorer", "chainId", "contract", "ledgerId", "ledgerName", "epoch", "firstSeq", "txHash", "blockNumber", "blockHash", "blockTimestamp", "logIndex"],
      additionalProperties: false,
      properties: {
        anchorer: { description: "The account that sent the anchor transaction, in EIP-55 checksum form; the EpochAnchored log names it too.", type: "string", pattern: "^0x[0-9a-fA-F]{40}$" },
        chainId: { description: "EIP-155 chain id, decimal.", type: "string", pattern: "^[1-9][0-9]{0,77}$" },
        contract: { description: "Address of the GxpAnchor contract, in EIP-55 checksum form.", type: "string", pattern: "^0x[0-9a-fA-F]{40}$" },
        ledgerId: { description: "bytes32 ledger id: ledgerName as UTF-8, right-padded with zero bytes.", ...hash32 },
        ledgerName: { description: "The ledger's name (one per site).", type: "string", pattern: LEDGER_NAME_PATTERN },
        epoch: { description: "Same as the bundle's epoch.", ...uint },
        firstSeq: { description: "Sequence number of the epoch's first record.", ...uint },
        txHash: { description: "The anchoring transaction.", ...hash32 },
        blockNumber: { description: "Block that holds the anchoring transaction.", ...uint },
        blockHash: { description: "Hash of that block.", ...hash32 },
        blockTimestamp: { description: "Timestamp of that block (Unix seconds).", ...uint },
        logIndex: { description: "Block-wide index of the EpochAnchored log.", ...uint },
      },
    },
    checkpoint: {
      description: "The ledger's Ed25519 signature over the epoch's tree head: 'gxp-ledger checkpoint v1\\n' followed by the RFC 8785 form of {epoch, firstSeq, keyId, ledger, root, treeSize}.",
      type: "object",
      required: ["keyId", "publicKey", "signature"],
      additionalProperties: false,
      properties: {
        keyId: { description: "SHA-256 of the key's SubjectPublicKeyInfo DER, lowercase hex.", type: "string", pattern: "^[0-9a-f]{64}$" },
        publicKey: { description: "The Ed25519 public key: base64 of its SubjectPublicKeyInfo DER.", type: "string", pattern: "^[A-Za-z0-9+/]{59}=$" },
        signature: { description: "Ed25519 signature, base64url without padding.", type: "string", pattern: "^[A-Za-z0-9_-]{86}$" },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateV2 = ajv.compile(PROOF_BUNDLE_SCHEMA_V2);

function schemaFail(issues: FieldIssue[]): never {
  throw new ProofError("PROOF_SCHEMA_INVALID", `invalid proof bundle: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`, { issues });
}

/** bytes32 id of a ledger name: its UTF-8 bytes right-padded with zeros (Solidity `bytes32("DE01")`). */
export function ledgerIdOfName(name: string): string {
  const bytes = utf8(name);
  if (bytes.length > 31) throw new RangeError(`ledger name ${JSON.stringify(name)} is longer than 31 bytes`);
  const word = new Uint8Array(32);
  word.set(bytes);
  return toHex(word);
}

/**
 * Parses and validates a bundle by its media type version. Given text (a bundle file), also
 * requires the text to be the bundle's file form or compact form (src/core/proof/bundle-text.ts).
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
    schemaFail([{ path: "/mediaType", message: `unsupported media type ${JSON.stringify(mt)}: want ${PROOF_MEDIA_TYPE_V2}` }]);
  }
  if (!validateV2(obj)) {
    schemaFail(issuesOfAjv(validateV2.errors));
  }
  const b = obj as ProofBundle;
  try {
    assertRecord(b.record);
  } catch (e) {
    if (e instanceof EventError) schemaFail(e.issues.map((i) => ({ path: `/record${i.path}`, message: i.message })));
    throw e;
  }
  if (b.anchor.epoch !== b.epoch) schemaFail([{ path: "/anchor/epoch", message: `is ${b.anchor.epoch}: want the bundle's epoch ${b.epoch}` }]);
  if (ledgerIdOfName(b.anchor.ledgerName) !== b.anchor.ledgerId) {
    schemaFail([{ path: "/anchor/ledgerId", message: `is ${b.anchor.ledgerId}: want ${ledgerIdOfName(b.anchor.ledgerName)}, the bytes32 of ledgerName ${JSON.stringify(b.anchor.ledgerName)}` }]);
  }
  for (const field of ["contract", "anchorer"] as const) {
    const v = b.anchor[field];
    if (toChecksumAddress(v) !== v) {
      throw new ProofError("PROOF_CANONICAL_MISMATCH", `canonical form: ${field} ${v} is not in EIP-55 checksum form (want ${toChecksumAddress(v)})`, { got: v, want: toChecksumAddress(v) });
    }
  }
  // One walk gives both byte forms and the record's RFC 8785 text (hashed next, not serialised again).
  const forms = bundleForms(b);
  if (!forms) return { bundle: checkCanonicalText(input, b), recordText: undefined };
  if (typeof input === "string" && input !== forms.file && input !== forms.compact && input !== forms.compact + "\n") canonicalMismatch(input, forms.file);
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
    throw new ProofError("PROOF_CANONICAL_MISMATCH", `canonical form: the bundle has no RFC 8785 form: ${e.message}`, { issues: e.issues });
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
    throw new ProofError("PROOF_LEAF_MISMATCH", `leaf hash mismatch for event ${b.record.event.id}: record hashes to ${toHex(leaf)}, bundle says ${b.leafHash}`, {
      eventId: b.record.event.id,
      got: toHex(leaf),
      want: b.leafHash,
    });
  }
  if (b.record.seq !== b.anchor.firstSeq + b.leafIndex) {
    throw new ProofError("PROOF_INDEX_OUT_OF_RANGE", `record seq ${b.record.seq} is not at leaf index ${b.leafIndex} of an epoch starting at seq ${b.anchor.firstSeq}`, {
      seq: b.record.seq,
      leafIndex: b.leafIndex,
      firstSeq: b.anchor.firstSeq,
    });
  }
  checkAuditPath(hasher, b.leafIndex, b.treeSize, leaf, b.auditPath.map(fromHex), fromHex(b.root));
  const problem = checkpointSignatureProblem(checkpointOfBundle(b), b.checkpoint);
  if (problem) {
    throw new ProofError("PROOF_CHECKPOINT_INVALID", `checkpoint signature of epoch ${b.epoch}: ${problem}`, { keyId: b.checkpoint.keyId });
  }
  return { bundle: b, claim: { anchor: b.anchor, epoch: b.epoch, root: b.root, treeSize: b.treeSize } };
}

/** The epoch tree head a bundle's checkpoint signature covers. */
export function checkpointOfBundle(b: Pick<ProofBundle, "anchor" | "epoch" | "treeSize" | "root" | "checkpoint">) {
  return { ledger: b.anchor.ledgerName, epoch: b.epoch, firstSeq: b.anchor.firstSeq, treeSize: b.treeSize, root: b.root, keyId: b.checkpoint.keyId };
}

/**
 * The audit path step of a bundle: the path from `leaf` at `leafIndex` of a tree of `treeSize`
 * leaves must lead to `root` (RFC 9162 §2.1.3.2; index, size, hash lengths and path length are
 * checked before any hashing).
 * @throws ProofError PROOF_INDEX_OUT_OF_RANGE, PROOF_BAD_HASH_LENGTH, PROOF_WRONG_LENGTH, PROOF_ROOT_MISMATCH
 */
export function checkAuditPath(hasher: Hasher, leafIndex: number, treeSize: number, leaf: Uint8Array, auditPath: Uint8Array[], root: Uint8Array): void {
  const got = rootFromInclusionProof(hasher, leafIndex, treeSize, leaf, auditPath);
  if (root.length !== got.length || !bytesEqual(got, root)) {
    throw new ProofError("PROOF_ROOT_MISMATCH", `audit path leads to root ${toHex(got)}: bundle says ${toHex(root)}`, {
      got: toHex(got),
      want: toHex(root),
    });
  }
}
