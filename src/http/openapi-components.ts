/**
 * The OpenAPI 3.1 document's shared schemas (components/schemas): added to Fastify with addSchema and
 * referenced as `Name#` by the route schemas of ./openapi.ts.
 *
 * The document describes; it never validates nor serialises. Events are validated by the core
 * (src/core/event/validate.ts, ajv over EVENT_SCHEMA), and app.ts installs a validator compiler that
 * accepts everything and a serializer that is JSON.stringify, so the bytes on the wire never depend on
 * how a response is documented. The documented Event schema is EVENT_SCHEMA itself, without its `$id`
 * and with `data` spelled as an object that admits any members (the JSON Schema default, stated so
 * that generators do not read an empty object): the same instances pass and fail.
 */
import { EVENT_SCHEMA, PROOF_BUNDLE_SCHEMA_V2, RECEIPT_SCHEMA_V1, RECEIPT_SCHEMA_V2 } from "../core";

type Json = Record<string, unknown>;

/** A deep copy without the `$id` and `$schema` keywords (a component's name is its identity in the document). */
function documented<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(documented) as T;
  if (schema === null || typeof schema !== "object") return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) if (k !== "$id" && k !== "$schema") out[k] = documented(v);
  return out as T;
}

/** A reference to a shared schema, as Fastify and the swagger plugin resolve it. */
export const ref = (name: string) => ({ $ref: `${name}#` });
const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const utcMs = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" };
export const str = { type: "string" };
const nullable = (s: Json) => ({ anyOf: [s, { type: "null" }] });

const event = documented(EVENT_SCHEMA) as unknown as Json;
(event.properties as Json).data = {
  type: "object",
  additionalProperties: true,
  description: "the type's own fields (src/core/event/data-schemas.ts)",
};

const receiptV2 = documented(RECEIPT_SCHEMA_V2) as unknown as Json;
const finding = {
  type: "object",
  required: ["code", "message", "eventIds"],
  properties: { code: str, message: str, eventIds: { type: "array", items: str } },
};
const anchorRef = {
  type: "object",
  required: ["txHash", "blockNumber", "chainId", "contract"],
  properties: { txHash: hash32, blockNumber: uint, chainId: str, contract: str },
};
const eventStatus = { enum: ["pending", "sealed", "anchored", "confirmed"] };

/**
 * The shared schemas, each with its component name as `$id` (app.ts adds them with addSchema; the
 * swagger plugin names each component by its `$id`).
 */
export function sharedSchemas(bulkMax: number): Json[] {
  const schemas: Record<string, Json> = {
    Problem: {
      description: "RFC 9457 problem details. `code` is stable: clients branch on it, never on `title` or `detail`.",
      type: "object",
      required: ["type", "title", "status", "code"],
      properties: {
        type: { type: "string", format: "uri" },
        title: str,
        status: { type: "integer", minimum: 400, maximum: 599 },
        code: { type: "string", pattern: "^[A-Z][A-Z0-9_]*$" },
        detail: str,
        errors: {
          description: "every bad field, as a JSON Pointer into the request body (a bulk post: /events/<index>/…)",
          type: "array",
          items: { type: "object", required: ["path", "message"], properties: { path: str, message: str } },
        },
        limit: { description: "413: the largest body this route takes, in bytes", type: "integer", minimum: 0 },
        accept: { description: "415: the media types this route takes", type: "array", items: str },
        findings: {
          description: "409 of a proof: what keeps the ledger from showing the epoch as its own",
          type: "array",
          items: { type: "object" },
        },
      },
    },
    Event: event,
    BulkRequest: {
      type: "object",
      required: ["events"],
      properties: { events: { type: "array", minItems: 1, maxItems: bulkMax, items: ref("Event") } },
    },
    ReceiptV1: documented(RECEIPT_SCHEMA_V1) as unknown as Json,
    ReceiptV2: receiptV2,
    Receipt: {
      description: "a receipt as issued: version 2 (mediaType set) since group commit; version 1 for older events",
      oneOf: [ref("ReceiptV2"), ref("ReceiptV1")],
    },
    BulkReceipts: {
      type: "object",
      required: ["receipts"],
      properties: {
        receipts: {
          description:
            "one receipt per posted event, in order; `duplicate` is true for an event stored before (reply metadata, not signed)",
          type: "array",
          items: { allOf: [ref("ReceiptV2"), { required: ["duplicate"] }] },
        },
      },
    },
    LedgerRecord: {
      description: "the stored record: the event as posted and what the ledger set",
      type: "object",
      required: ["recordVersion", "seq", "receivedAt", "salt", "event"],
      properties: {
        recordVersion: { const: "gxp-ledger.record/1" },
        seq: uint,
        receivedAt: utcMs,
        salt: hash32,
        batchLink: {
          type: "object",
          required: ["batchSeq", "prevLeafHash"],
          properties: { batchSeq: uint, prevLeafHash: nullable(hash32) },
        },
        submittedBy: {
          type: "object",
          required: ["client", "role"],
          properties: { client: str, role: str, signingAlg: { enum: ["EIP191", "EdDSA", "ES256"] }, signingKey: str },
        },
        event: ref("Event"),
      },
    },
    EventView: {
      type: "object",
      required: ["id", "seq", "leafHash", "receivedAt", "status", "epoch", "anchor", "record"],
      properties: {
        id: str,
        seq: uint,
        leafHash: hash32,
        receivedAt: utcMs,
        status: eventStatus,
        epoch: nullable(uint),
        anchor: nullable(anchorRef),
        record: ref("LedgerRecord"),
      },
    },
    ProofBundle: {
      ...(documented(PROOF_BUNDLE_SCHEMA_V2) as unknown as Json),
      description: "the proof bundle, version 2 (docs/proof-format.md, docs/proof.schema.json)",
    },
    ProofPending: {
      description: "the event's epoch is not anchored and final yet",
      type: "object",
      required: ["id", "status", "epoch", "confirmations", "expectedAnchorBy"],
      properties: {
        id: str,
        status: eventStatus,
        epoch: nullable(uint),
        confirmations: nullable(uint),
        expectedAnchorBy: str,
      },
    },
    BatchEventsPage: {
      type: "object",
      required: ["batchId", "events", "next"],
      properties: {
        batchId: str,
        events: {
          type: "array",
          items: {
            type: "object",
            required: ["batchSeq", "seq", "id", "type", "leafHash", "status", "record"],
            properties: {
              batchSeq: uint,
              seq: uint,
              id: str,
              type: str,
              leafHash: hash32,
              status: eventStatus,
              record: ref("LedgerRecord"),
            },
          },
        },
        next: { description: "the next page's path, or null on the last page", ...nullable(str) },
      },
    },
    BatchReport: {
      description: "the batch review, as `verify-batch --json` prints it (docs/batch-review.md)",
      type: "object",
      required: [
        "reportVersion",
        "batchId",
        "verdict",
        "exitCode",
        "generatedAt",
        "checkedFrom",
        "events",
        "integrity",
        "anchoring",
        "checklist",
        "signatures",
        "corrections",
        "trail",
        "exceptions",
      ],
      properties: {
        reportVersion: { const: "gxp-ledger.batch-report/1" },
        batchId: str,
        product: str,
        lotId: str,
        verdict: { enum: ["PASS", "INTEGRITY-FAIL", "UNPINNED", "NOT-ANCHORED", "OPEN-ITEMS"] },
        exitCode: { enum: [0, 1, 4, 5, 6] },
        generatedAt: str,
        checkedFrom: { enum: ["ledger", "package"] },
        events: uint,
        integrity: {
          type: "object",
          required: ["ok", "checks", "findings"],
          properties: {
            ok: { type: "boolean" },
            checks: {
              type: "array",
              items: {
                type: "object",
                required: ["check", "ok", "detail"],
                properties: { check: str, ok: { type: "boolean" }, detail: str },
              },
            },
            findings: { type: "array", items: finding },
          },
        },
        anchoring: {
          type: "object",
          required: ["anchored", "notAnchored", "epochs"],
          properties: {
            anchored: uint,
            notAnchored: {
              type: "array",
              items: { type: "object", required: ["eventId", "status"], properties: { eventId: str, status: str } },
            },
            epochs: { type: "array", items: uint },
          },
        },
        checklist: {
          type: "array",
          items: {
            type: "object",
            required: ["id", "title", "basis", "status", "findings", "notes"],
            properties: {
              id: str,
              title: str,
              basis: str,
              status: { enum: ["pass", "open", "n/a"] },
              findings: { type: "array", items: finding },
              notes: { type: "array", items: finding },
            },
          },
        },
        signatures: {
          type: "array",
          items: {
            type: "object",
            required: [
              "eventId",
              "printedName",
              "userId",
              "role",
              "meaning",
              "signedAt",
              "timeZone",
              "signs",
              "status",
            ],
            properties: {
              eventId: str,
              printedName: str,
              userId: str,
              role: str,
              meaning: str,
              signedAt: str,
              timeZone: str,
              signs: { type: "array", items: str },
              status: { enum: ["valid", "superseded", "re-signed", "content-mismatch", "outside-batch"] },
            },
          },
        },
        corrections: {
          type: "array",
          items: {
            type: "object",
            required: ["eventId", "kind", "target", "reason", "by", "at"],
            properties: {
              eventId: str,
              kind: { enum: ["corrected", "voided"] },
              target: str,
              reason: str,
              by: str,
              at: str,
            },
          },
        },
        disposition: {
          type: "object",
          required: ["eventId", "decision", "at", "by"],
          properties: { eventId: str, decision: str, at: str, by: str },
        },
        trail: {
          type: "array",
          items: {
            type: "object",
            required: [
              "batchSeq",
              "seq",
              "eventId",
              "type",
              "occurredAt",
              "receivedAt",
              "actor",
              "source",
              "summary",
              "flags",
            ],
            properties: {
              batchSeq: uint,
              seq: uint,
              eventId: str,
              type: str,
              occurredAt: str,
              receivedAt: str,
              actor: str,
              submittedBy: str,
              source: str,
              summary: str,
              flags: { type: "array", items: str },
            },
          },
        },
        exceptions: { type: "array", items: finding },
      },
    },
    Epoch: {
      type: "object",
      required: ["epoch", "root", "size", "firstSeq", "lastSeq", "sealedAt", "anchor", "status"],
      properties: {
        epoch: uint,
        root: hash32,
        size: uint,
        firstSeq: uint,
        lastSeq: { type: "integer", minimum: -1 },
        sealedAt: str,
        anchor: nullable({
          type: "object",
          required: [
            "chainId",
            "contract",
            "txHash",
            "blockNumber",
            "blockHash",
            "blockTimestamp",
            "confirmedAt",
            "confirmations",
          ],
          properties: {
            chainId: str,
            contract: str,
            txHash: hash32,
            blockNumber: uint,
            blockHash: hash32,
            blockTimestamp: uint,
            confirmedAt: nullable(str),
            confirmations: {
              description: "as of the server's last look at the chain; null when unknown",
              ...nullable(uint),
            },
          },
        }),
        status: { enum: ["sealed", "anchored", "confirmed"] },
      },
    },
    EpochPage: {
      type: "object",
      required: ["epochs", "next"],
      properties: {
        epochs: { type: "array", items: ref("Epoch") },
        next: { description: "the next page's path, or null on the last page", ...nullable(str) },
      },
    },
    Health: { type: "object", required: ["status"], properties: { status: { const: "ok" } } },
    Readiness: {
      description: "readiness; 503 lists the `reasons`",
      type: "object",
      required: ["ready"],
      properties: { ready: { type: "boolean" }, reasons: { type: "array", items: str } },
    },
  };
  return Object.entries(schemas).map(([name, s]) => ({ $id: name, ...s }));
}
