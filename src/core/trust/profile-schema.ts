/**
 * The published JSON Schema of version 1 trust profiles (docs/trust-profile.schema.json), for
 * readers and other implementations. trustProfileFromJSON checks the same by hand
 * (trustProfileShapeIssues) and needs no schema engine.
 */
import { TRUST_MEDIA_TYPE_V1 } from "./profile";

const time = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$" };
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" };
const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const text = (max: number) => ({ type: "string", minLength: 1, maxLength: max });

/** JSON Schema of a version 1 trust profile (published as docs/trust-profile.schema.json). */
export const TRUST_PROFILE_SCHEMA_V1 = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "urn:gxp-ledger:schema:trust-profile:1",
  title: "gxp-ledger trust profile, version 1",
  description:
    "Whose ledger a proof comes from: chain, contract, ledger id, anchoring accounts and signing keys of one site ledger. See docs/trust-profile.md.",
  type: "object",
  required: [
    "mediaType",
    "organisation",
    "site",
    "ledger",
    "chain",
    "contract",
    "anchorers",
    "keys",
    "issuedAt",
    "development",
  ],
  additionalProperties: false,
  properties: {
    mediaType: { const: TRUST_MEDIA_TYPE_V1 },
    organisation: { description: "The manufacturer, as in the quality agreement.", ...text(200) },
    site: { description: "The site whose ledger this is.", ...text(200) },
    ledger: {
      type: "object",
      required: ["name", "id"],
      additionalProperties: false,
      properties: {
        name: {
          description: "Ledger name, 1-31 characters A-Z a-z 0-9 . _ -",
          type: "string",
          pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$",
        },
        id: { description: "bytes32 ledger id: the name in UTF-8, right-padded with zero bytes.", ...hash32 },
      },
    },
    chain: {
      type: "object",
      required: ["chainId", "genesisHash"],
      additionalProperties: false,
      properties: {
        chainId: { description: "EIP-155 chain id, decimal.", type: "string", pattern: "^[1-9][0-9]{0,77}$" },
        genesisHash: {
          description: "Hash of the chain's block 0: tells apart chains that share a chain id.",
          ...hash32,
        },
      },
    },
    contract: { description: "The GxpAnchor contract, EIP-55.", ...address },
    anchorers: {
      description: "Accounts allowed to anchor this ledger's epochs, with validity periods.",
      type: "array",
      minItems: 1,
      maxItems: 64,
      items: {
        type: "object",
        required: ["address", "validFrom", "validUntil"],
        additionalProperties: false,
        properties: { address, validFrom: time, validUntil: { anyOf: [time, { type: "null" }] } },
      },
    },
    keys: {
      description:
        "The ledger's Ed25519 signing keys (receipts, epoch checkpoints, package manifests), with validity periods.",
      type: "array",
      minItems: 1,
      maxItems: 64,
      items: {
        type: "object",
        required: ["keyId", "algorithm", "publicKey", "validFrom", "validUntil"],
        additionalProperties: false,
        properties: {
          keyId: { type: "string", pattern: "^[0-9a-f]{64}$" },
          algorithm: { const: "Ed25519" },
          publicKey: {
            description: "Base64 of the SubjectPublicKeyInfo DER.",
            type: "string",
            pattern: "^[A-Za-z0-9+/]{59}=$",
          },
          validFrom: time,
          validUntil: { anyOf: [time, { type: "null" }] },
        },
      },
    },
    issuedAt: time,
    development: {
      description: "True for a development ledger (embedded chain, Hardhat's public keys): never for GxP records.",
      type: "boolean",
    },
    signature: {
      type: "object",
      required: ["scheme", "signer", "value"],
      additionalProperties: false,
      properties: {
        scheme: { const: "EIP-191" },
        signer: address,
        value: { type: "string", pattern: "^0x[0-9a-f]{130}$" },
      },
    },
  },
} as const;
