/**
 * Ledger receipts: what the ledger promises an MES at ingestion, signed with the ledger's receipt key
 * (like a Certificate Transparency SCT). Two formats:
 *
 * - version 1 (no `mediaType`): one Ed25519 signature per receipt over the RFC 8785 form of the
 *   receipt without `signature`. No longer issued for ingested events; still verified.
 * - version 2 (`mediaType` RECEIPT_MEDIA_TYPE_V2): one signature per commit group, as transparency-log
 *   checkpoints do. The receipts committed together are the leaves of an RFC 9162 tree; the ledger
 *   signs the group header (ledger, keyId, anchorBy, size, root) once, and each receipt carries its
 *   leaf index, the group size, the root, its audit path and that one signature.
 *
 * What is hashed and signed (version 2), all strings UTF-8:
 *   leaf    = SHA-256(0x00 ‖ "gxp-ledger receipt leaf v2\n" ‖ JCS({id, leafHash, receivedAt, seq}))
 *   message = "gxp-ledger receipt group v2\n" ‖ JCS({anchorBy, keyId, ledger, root, size})
 * The labels separate both domains from each other, from ledger records (whose leaves hash JSON that
 * starts with "{") and from version 1 messages (which are JSON, so start with "{").
 *
 * Pure: the signature itself is checked by a callback (the Node adapter uses node:crypto Ed25519).
 */
import Ajv from "ajv";
import { canonicalBytes } from "../canonical";
import { ProofError, ReceiptError } from "../errors";
import { bytesEqual, concatBytes, fromHex, toHex, utf8 } from "../hex";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { inclusionProofFromLevels, rootFromInclusionProof } from "../merkle/inclusion";
import { buildLevels } from "../merkle/tree";
import { base64urlDecode } from "./base64url";
import { LEDGER_NAME_PATTERN } from "../ledger-name";
import { issuesOfAjv } from "../schema-issues";

/** Media type of version 2 receipts (version 1 receipts carry no media type). */
export const RECEIPT_MEDIA_TYPE_V2 = "application/vnd.gxp-ledger.receipt+json;version=2";
/** Domain label prefixed to a version 2 receipt leaf before hashing. */
export const RECEIPT_LEAF_LABEL = "gxp-ledger receipt leaf v2\n";
/** Domain label prefixed to a version 2 group header before signing. */
export const RECEIPT_GROUP_LABEL = "gxp-ledger receipt group v2\n";

/** What one receipt leaf commits to: the event's place in the ledger. */
export interface ReceiptEntry {
  id: string;
  seq: number;
  /** The ledger record's leaf hash, `0x` hex. */
  leafHash: string;
  receivedAt: string;
}

/** What the ledger signs once per commit group (version 2). */
export interface ReceiptGroupHeader {
  ledger: string;
  /** SHA-256 of the receipt key's SPKI DER, hex without 0x. */
  keyId: string;
  /** The latest time by which the ledger promises every event of the group is anchored. */
  anchorBy: string;
  size: number;
  /** RFC 9162 root of the group's receipt leaves, `0x` hex. */
  root: string;
}

/** A version 1 receipt: one signature over the receipt itself. */
export interface ReceiptV1 extends ReceiptEntry {
  anchorBy: string;
  ledger: string;
  keyId: string;
  /** Ed25519 over the RFC 8785 form of the receipt without `signature`, base64url. */
  signature: string;
}

/** A receipt's place in its commit group (version 2). */
export interface ReceiptGroupRef {
  index: number;
  size: number;
  root: string;
  /** RFC 9162 §2.1.3 inclusion proof of the receipt leaf, leaf level first. */
  auditPath: string[];
}

/** A version 2 receipt. */
export interface ReceiptV2 extends ReceiptEntry {
  mediaType: typeof RECEIPT_MEDIA_TYPE_V2;
  anchorBy: string;
  ledger: string;
  keyId: string;
  group: ReceiptGroupRef;
  /** Ed25519 over receiptGroupMessage(group header), base64url. */
  signature: string;
  /** Bulk replies only: whether this event had been stored before. Reply metadata, not signed. */
  duplicate?: boolean;
}

/** Any receipt this ledger has issued. */
export type Receipt = ReceiptV1 | ReceiptV2;

const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const time = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" };
const common = {
  id: { type: "string", minLength: 1, maxLength: 128 },
  seq: uint,
  leafHash: hash32,
  receivedAt: time,
  anchorBy: time,
  ledger: { type: "string", pattern: LEDGER_NAME_PATTERN },
  keyId: { type: "string", pattern: "^[0-9a-f]{64}$" },
  // An Ed25519 signature is 64 bytes: 86 base64url characters without padding.
  signature: { type: "string", pattern: "^[A-Za-z0-9_-]{86}$" },
};

/** JSON Schema of a version 1 receipt. */
export const RECEIPT_SCHEMA_V1 = {
  $id: "urn:gxp-ledger:schema:receipt:1",
  type: "object",
  required: ["id", "seq", "leafHash", "receivedAt", "anchorBy", "ledger", "keyId", "signature"],
  additionalProperties: false,
  properties: common,
} as const;

/** JSON Schema of a version 2 receipt. */
export const RECEIPT_SCHEMA_V2 = {
  $id: "urn:gxp-ledger:schema:receipt:2",
  type: "object",
  required: ["mediaType", "id", "seq", "leafHash", "receivedAt", "anchorBy", "ledger", "keyId", "group", "signature"],
  additionalProperties: false,
  properties: {
    mediaType: { const: RECEIPT_MEDIA_TYPE_V2 },
    ...common,
    group: {
      type: "object",
      required: ["index", "size", "root", "auditPath"],
      additionalProperties: false,
      properties: {
        index: uint,
        size: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        root: hash32,
        auditPath: { type: "array", maxItems: 64, items: hash32 },
      },
    },
    duplicate: { type: "boolean" },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateV1 = ajv.compile(RECEIPT_SCHEMA_V1);
const validateV2 = ajv.compile(RECEIPT_SCHEMA_V2);

/**
 * Parses and validates a receipt by its version: a `mediaType` of version 2, or none for version 1.
 * @throws ReceiptError RECEIPT_VERSION_UNSUPPORTED for another media type; RECEIPT_SCHEMA_INVALID
 *   listing every bad field
 */
export function receiptFromJSON(input: unknown): Receipt {
  let obj = input;
  if (typeof input === "string") {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new ReceiptError("RECEIPT_SCHEMA_INVALID", `receipt is not JSON: ${(e as Error).message}`, {
        issues: [{ path: "/", message: "is not JSON" }],
      });
    }
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new ReceiptError("RECEIPT_SCHEMA_INVALID", "receipt is not a JSON object", {
      issues: [{ path: "/", message: "is not an object" }],
    });
  }
  const mt = (obj as { mediaType?: unknown }).mediaType;
  if (mt !== undefined && mt !== RECEIPT_MEDIA_TYPE_V2) {
    throw new ReceiptError(
      "RECEIPT_VERSION_UNSUPPORTED",
      `unsupported receipt media type ${JSON.stringify(mt)}: want ${RECEIPT_MEDIA_TYPE_V2} or none (version 1)`,
      { got: mt },
    );
  }
  const validate = mt === undefined ? validateV1 : validateV2;
  if (!validate(obj)) {
    const issues = issuesOfAjv(validate.errors);
    throw new ReceiptError(
      "RECEIPT_SCHEMA_INVALID",
      `invalid receipt: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      { issues },
    );
  }
  return obj as Receipt;
}

/** True for a version 2 receipt. */
export function isReceiptV2(r: Receipt): r is ReceiptV2 {
  return (r as ReceiptV2).mediaType === RECEIPT_MEDIA_TYPE_V2;
}

/** The bytes a version 2 receipt leaf hashes (after the RFC 9162 0x00 prefix). */
export function receiptLeafBytes(e: ReceiptEntry): Uint8Array {
  return concatBytes(
    utf8(RECEIPT_LEAF_LABEL),
    canonicalBytes({ id: e.id, seq: e.seq, leafHash: e.leafHash, receivedAt: e.receivedAt }),
  );
}

/** The RFC 9162 leaf hash of a version 2 receipt entry. */
export function receiptLeafHash(e: ReceiptEntry, hasher: Hasher = rfc9162): Uint8Array {
  return hasher.hashLeaf(receiptLeafBytes(e));
}

/** The exact bytes the ledger signs for a commit group (version 2). */
export function receiptGroupMessage(h: ReceiptGroupHeader): Uint8Array {
  return concatBytes(
    utf8(RECEIPT_GROUP_LABEL),
    canonicalBytes({ ledger: h.ledger, keyId: h.keyId, anchorBy: h.anchorBy, size: h.size, root: h.root }),
  );
}

/** The exact bytes the ledger signed for a version 1 receipt: its RFC 8785 form without `signature`. */
export function receiptV1Message(r: Omit<ReceiptV1, "signature">): Uint8Array {
  return canonicalBytes({
    id: r.id,
    seq: r.seq,
    leafHash: r.leafHash,
    receivedAt: r.receivedAt,
    anchorBy: r.anchorBy,
    ledger: r.ledger,
    keyId: r.keyId,
  });
}

/** The tree of a commit group: every level over the receipt leaves, root last. */
export interface ReceiptTree {
  levels: Uint8Array[][];
  size: number;
  root: string;
}

/**
 * Builds the RFC 9162 tree over the receipt leaves of `entries`, in order (seq order).
 * Precondition: at least one entry.
 */
export function buildReceiptTree(entries: readonly ReceiptEntry[], hasher: Hasher = rfc9162): ReceiptTree {
  if (entries.length === 0) throw new RangeError("a receipt group needs at least one receipt");
  const levels = buildLevels(
    hasher,
    entries.map((e) => receiptLeafHash(e, hasher)),
  );
  return { levels, size: entries.length, root: toHex(levels[levels.length - 1][0]) };
}

// Hex of each tree node, made once per tree: the receipts of a group share most of their paths.
const hexOfNodes = new WeakMap<ReceiptTree, string[][]>();

/** The group reference (index, size, root, audit path) of leaf `index` of a receipt tree. */
export function receiptGroupRef(tree: ReceiptTree, index: number): ReceiptGroupRef {
  let hex = hexOfNodes.get(tree);
  if (!hex) hexOfNodes.set(tree, (hex = tree.levels.map(() => [])));
  const memo = hex;
  const nodes: [number, number][] = [];
  inclusionProofFromLevels(tree.size, index, (level, i) => {
    nodes.push([level, i]);
    return tree.levels[level][i];
  });
  const auditPath = nodes.map(([level, i]) => (memo[level][i] ??= toHex(tree.levels[level][i])));
  return { index, size: tree.size, root: tree.root, auditPath };
}

/** Checks a signature over `message`; true when it verifies. */
export type SignatureCheck = (message: Uint8Array, signature: Uint8Array) => boolean;

const notVerified = (
  code: "RECEIPT_KEY_MISMATCH" | "RECEIPT_PATH_INVALID" | "RECEIPT_ROOT_MISMATCH" | "RECEIPT_SIGNATURE_INVALID",
  what: string,
  info: Record<string, unknown> = {},
) => new ReceiptError(code, `receipt does not verify: ${what}`, info);

/**
 * Verifies a receipt of either version: schema, signing key, and for version 2 the receipt leaf's
 * audit path to the group root (index, size and path length checked before hashing, RFC 9162
 * §2.1.3.2), then the signature over the signed bytes. Returns the parsed receipt.
 * @param keyId the key id of the ledger's receipt public key
 * @param checkSignature checks an Ed25519 signature with that key
 * @throws ReceiptError RECEIPT_SCHEMA_INVALID, RECEIPT_VERSION_UNSUPPORTED, RECEIPT_KEY_MISMATCH,
 *   RECEIPT_PATH_INVALID, RECEIPT_ROOT_MISMATCH, RECEIPT_SIGNATURE_INVALID
 */
export function verifyReceiptWith(
  input: unknown,
  keyId: string,
  checkSignature: SignatureCheck,
  hasher: Hasher = rfc9162,
): Receipt {
  const r = receiptFromJSON(input);
  if (r.keyId !== keyId)
    throw notVerified("RECEIPT_KEY_MISMATCH", `signed by key ${r.keyId}, want this ledger's key ${keyId}`, {
      got: r.keyId,
      want: keyId,
    });
  const signature = base64urlDecode(r.signature);
  if (!signature)
    throw new ReceiptError("RECEIPT_SCHEMA_INVALID", "invalid receipt: /signature is not canonical base64url", {
      issues: [{ path: "/signature", message: "is not canonical base64url" }],
    });
  let message: Uint8Array;
  if (isReceiptV2(r)) {
    const g = r.group;
    let root: Uint8Array;
    try {
      root = rootFromInclusionProof(hasher, g.index, g.size, receiptLeafHash(r, hasher), g.auditPath.map(fromHex));
    } catch (e) {
      if (!(e instanceof ProofError)) throw e;
      throw notVerified("RECEIPT_PATH_INVALID", `audit path: ${e.message}`, { cause: e.code, ...e.info });
    }
    if (!bytesEqual(root, fromHex(g.root))) {
      throw notVerified(
        "RECEIPT_ROOT_MISMATCH",
        `the receipt leaf and audit path lead to root ${toHex(root)}, want the group root ${g.root}`,
        { got: toHex(root), want: g.root },
      );
    }
    message = receiptGroupMessage({
      ledger: r.ledger,
      keyId: r.keyId,
      anchorBy: r.anchorBy,
      size: g.size,
      root: g.root,
    });
  } else {
    message = receiptV1Message(r);
  }
  if (!checkSignature(message, signature)) {
    throw notVerified(
      "RECEIPT_SIGNATURE_INVALID",
      "the signature is not the ledger's over the signed bytes: the receipt was altered or not signed by this ledger",
    );
  }
  return r;
}
