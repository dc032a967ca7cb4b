/**
 * The published JSON Schema of version 2 proof bundles, for readers and for other implementations.
 * The verifiers' own check is hand-written (src/core/proof/bundle-check.ts) and needs no schema engine.
 */
import { PROOF_MEDIA_TYPE_V2 } from "./bundle";

const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/**
 * JSON Schema of a version 2 bundle: the schema published as docs/proof.schema.json (a test keeps
 * the two identical). Verifiers do not run it: checkBundle checks the same by hand (bundleIssues,
 * which a test holds to this schema) plus the record's own rules.
 */
export const PROOF_BUNDLE_SCHEMA_V2 = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "urn:gxp-ledger:schema:proof-bundle:2",
  title: "gxp-ledger proof bundle, version 2",
  description:
    "One ledger record, its RFC 9162 audit path to an epoch root, the ledger's signature over that epoch's tree head, and where and by whom that root is anchored on an EVM chain. See docs/proof-format.md.",
  type: "object",
  required: [
    "mediaType",
    "record",
    "leafHash",
    "epoch",
    "leafIndex",
    "treeSize",
    "auditPath",
    "root",
    "anchor",
    "checkpoint",
  ],
  additionalProperties: false,
  properties: {
    mediaType: { description: "Media type and format version.", const: PROOF_MEDIA_TYPE_V2 },
    record: {
      description:
        "The ledger record: the event as posted plus what the ledger set. Its leaf hash is SHA-256(0x00 || RFC 8785 canonical JSON of this object).",
      type: "object",
      required: ["recordVersion", "seq", "receivedAt", "salt", "event"],
      properties: {
        recordVersion: { const: "gxp-ledger.record/1" },
        seq: uint,
        receivedAt: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" },
        salt: hash32,
        batchLink: {
          type: "object",
          required: ["batchSeq", "prevLeafHash"],
          properties: { batchSeq: uint, prevLeafHash: { anyOf: [hash32, { type: "null" }] } },
        },
        event: {
          description: "The GxP event as posted (see the event schema).",
          type: "object",
          required: ["id"],
          properties: { id: { type: "string" } },
        },
      },
    },
    leafHash: { description: "SHA-256(0x00 || canonical record bytes).", ...hash32 },
    epoch: { description: "The epoch (anchored tree) the record is in.", ...uint },
    leafIndex: {
      description: "0-based position of the record in the epoch's tree: record.seq - anchor.firstSeq.",
      ...uint,
    },
    treeSize: {
      description: "Number of leaves of the epoch's tree.",
      type: "integer",
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    },
    auditPath: {
      description: "RFC 9162 §2.1.3 inclusion proof, leaf level first.",
      type: "array",
      maxItems: 64,
      items: hash32,
    },
    root: { description: "The epoch's RFC 9162 Merkle tree hash.", ...hash32 },
    anchor: {
      description: "Where and by whom the root was anchored: the verifier reads it back from the chain.",
      type: "object",
      required: [
        "anchorer",
        "chainId",
        "contract",
        "ledgerId",
        "ledgerName",
        "epoch",
        "firstSeq",
        "txHash",
        "blockNumber",
        "blockHash",
        "blockTimestamp",
        "logIndex",
      ],
      additionalProperties: false,
      properties: {
        anchorer: {
          description:
            "The account that sent the anchor transaction, in EIP-55 checksum form; the EpochAnchored log names it too.",
          type: "string",
          pattern: "^0x[0-9a-fA-F]{40}$",
        },
        chainId: { description: "EIP-155 chain id, decimal.", type: "string", pattern: "^[1-9][0-9]{0,77}$" },
        contract: {
          description: "Address of the GxpAnchor contract, in EIP-55 checksum form.",
          type: "string",
          pattern: "^0x[0-9a-fA-F]{40}$",
        },
        ledgerId: { description: "bytes32 ledger id: ledgerName as UTF-8, right-padded with zero bytes.", ...hash32 },
        ledgerName: {
          description: "The ledger's name (one per site).",
          type: "string",
          pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$",
        },
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
      description:
        "The ledger's Ed25519 signature over the epoch's tree head: 'gxp-ledger checkpoint v1\\n' followed by the RFC 8785 form of {epoch, firstSeq, keyId, ledger, root, treeSize}.",
      type: "object",
      required: ["keyId", "publicKey", "signature"],
      additionalProperties: false,
      properties: {
        keyId: {
          description: "SHA-256 of the key's SubjectPublicKeyInfo DER, lowercase hex.",
          type: "string",
          pattern: "^[0-9a-f]{64}$",
        },
        publicKey: {
          description: "The Ed25519 public key: base64 of its SubjectPublicKeyInfo DER.",
          type: "string",
          pattern: "^[A-Za-z0-9+/]{59}=$",
        },
        signature: {
          description: "Ed25519 signature, base64url without padding.",
          type: "string",
          pattern: "^[A-Za-z0-9_-]{86}$",
        },
      },
    },
  },
} as const;
