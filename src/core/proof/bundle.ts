/**
 * The portable proof bundle: everything an inspector needs to check one event against the chain, and
 * nothing of our database. Versioned media type; `bundleFromJSON` validates by version and reports
 * every bad field; `verifyBundle` checks all that can be checked without the chain and returns the
 * claims the chain must confirm (see src/chain/verify-anchor.ts).
 */
import Ajv from "ajv";
import { ProofError, EventError, FieldIssue } from "../errors";
import { fromHex, bytesEqual, toHex } from "../hex";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { rootFromInclusionProof } from "../merkle/inclusion";
import { LedgerRecord, assertRecord, recordLeafHash } from "../record";

/** Media type of version 1 bundles. */
export const PROOF_MEDIA_TYPE_V1 = "application/vnd.gxp-ledger.proof+json;version=1";

/** Where and how an epoch root was anchored. */
export interface AnchorRef {
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

/** A version 1 proof bundle. */
export interface ProofBundle {
  mediaType: typeof PROOF_MEDIA_TYPE_V1;
  record: LedgerRecord;
  leafHash: string;
  epoch: number;
  leafIndex: number;
  treeSize: number;
  auditPath: string[];
  root: string;
  anchor: AnchorRef;
}

const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/** JSON Schema of a version 1 bundle (the record inside is checked by assertRecord). */
export const PROOF_BUNDLE_SCHEMA_V1 = {
  type: "object",
  required: ["mediaType", "record", "leafHash", "epoch", "leafIndex", "treeSize", "auditPath", "root", "anchor"],
  additionalProperties: false,
  properties: {
    mediaType: { const: PROOF_MEDIA_TYPE_V1 },
    record: { type: "object" },
    leafHash: hash32,
    epoch: uint,
    leafIndex: uint,
    treeSize: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    auditPath: { type: "array", maxItems: 64, items: hash32 },
    root: hash32,
    anchor: {
      type: "object",
      required: ["chainId", "contract", "ledgerId", "ledgerName", "epoch", "firstSeq", "txHash", "blockNumber", "blockHash", "blockTimestamp", "logIndex"],
      additionalProperties: false,
      properties: {
        chainId: { type: "string", pattern: "^[1-9][0-9]{0,77}$" },
        contract: { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" },
        ledgerId: hash32,
        ledgerName: { type: "string", minLength: 1, maxLength: 31 },
        epoch: uint,
        firstSeq: uint,
        txHash: hash32,
        blockNumber: uint,
        blockHash: hash32,
        blockTimestamp: uint,
        logIndex: uint,
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateV1 = ajv.compile(PROOF_BUNDLE_SCHEMA_V1);

function schemaFail(issues: FieldIssue[]): never {
  throw new ProofError("PROOF_SCHEMA_INVALID", `invalid proof bundle: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`, { issues });
}

/**
 * Parses and validates a bundle (object or JSON text) by its media type version.
 * @throws ProofError PROOF_SCHEMA_INVALID listing every bad field
 */
export function bundleFromJSON(input: unknown): ProofBundle {
  let obj = input;
  if (typeof input === "string") {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      schemaFail([{ path: "/", message: `is not JSON: ${(e as Error).message}` }]);
    }
  }
  const mt = (obj as { mediaType?: unknown } | null)?.mediaType;
  if (mt !== PROOF_MEDIA_TYPE_V1) {
    schemaFail([{ path: "/mediaType", message: `unsupported media type ${JSON.stringify(mt)}: want ${PROOF_MEDIA_TYPE_V1}` }]);
  }
  if (!validateV1(obj)) {
    schemaFail(
      (validateV1.errors ?? []).map((e) => {
        const p = e.params as Record<string, unknown>;
        const extra = e.keyword === "required" ? `/${p.missingProperty}` : e.keyword === "additionalProperties" ? `/${p.additionalProperty}` : "";
        return { path: `${e.instancePath}${extra}` || "/", message: e.keyword === "additionalProperties" ? "is not a known field" : e.message ?? e.keyword };
      }),
    );
  }
  const b = obj as ProofBundle;
  try {
    assertRecord(b.record);
  } catch (e) {
    if (e instanceof EventError) schemaFail(e.issues.map((i) => ({ path: `/record${i.path}`, message: i.message })));
    throw e;
  }
  if (b.anchor.epoch !== b.epoch) schemaFail([{ path: "/anchor/epoch", message: `is ${b.anchor.epoch}: want the bundle's epoch ${b.epoch}` }]);
  return b;
}

/** Serialises a bundle as pretty JSON (what `gxp-ledger proof` writes). */
export function bundleToJSON(bundle: ProofBundle): string {
  return JSON.stringify(bundle, null, 2) + "\n";
}

/** What the chain must confirm for a bundle that passed the offline checks. */
export interface AnchorClaim {
  anchor: AnchorRef;
  epoch: number;
  root: string;
  treeSize: number;
}

/**
 * Every check of a bundle that needs no chain: schema, the record's leaf hash recomputed from its
 * canonical form, the record's sequence number at the stated leaf index, and the audit path to the
 * stated root.
 * @throws ProofError PROOF_SCHEMA_INVALID, PROOF_LEAF_MISMATCH, PROOF_INDEX_OUT_OF_RANGE,
 *   PROOF_WRONG_LENGTH, PROOF_ROOT_MISMATCH
 */
export function verifyBundle(input: unknown, hasher: Hasher = rfc9162): AnchorClaim {
  const b = bundleFromJSON(input);
  const leaf = recordLeafHash(b.record, hasher);
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
  const root = rootFromInclusionProof(hasher, b.leafIndex, b.treeSize, leaf, b.auditPath.map(fromHex));
  if (!bytesEqual(root, fromHex(b.root))) {
    throw new ProofError("PROOF_ROOT_MISMATCH", `audit path leads to root ${toHex(root)}: bundle says ${b.root}`, {
      got: toHex(root),
      want: b.root,
    });
  }
  return { anchor: b.anchor, epoch: b.epoch, root: b.root, treeSize: b.treeSize };
}
