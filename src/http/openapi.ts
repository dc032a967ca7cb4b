/**
 * The OpenAPI 3.1 document's pieces: shared schemas (components/schemas, added to Fastify with
 * addSchema and referenced as `Name#`), the problem responses every operation can answer, and one
 * route schema per operation (operationId, parameters, every status with its media type).
 *
 * The document describes; it never validates nor serialises. Events are validated by the core
 * (src/core/event/validate.ts, ajv over EVENT_SCHEMA), and app.ts installs a validator compiler that
 * accepts everything and a serializer that is JSON.stringify, so the bytes on the wire never depend on
 * how a response is documented. The documented Event schema is EVENT_SCHEMA itself, without its `$id`
 * and with `data` spelled as an object that admits any members (the JSON Schema default, stated so
 * that generators do not read an empty object): the same instances pass and fail.
 */
import { EVENT_SCHEMA, PROOF_BUNDLE_SCHEMA_V2, PROOF_MEDIA_TYPE_V2, RECEIPT_SCHEMA_V1, RECEIPT_SCHEMA_V2 } from "../core";
import { PROBLEM_MEDIA_TYPE } from "./problem";

/** The OpenAPI version of /openapi.json. */
export const OPENAPI_VERSION = "3.1.0";

type Json = Record<string, unknown>;

/** A deep copy without the `$id` and `$schema` keywords (a component's name is its identity in the document). */
function documented<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(documented) as T;
  if (schema === null || typeof schema !== "object") return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) if (k !== "$id" && k !== "$schema") out[k] = documented(v);
  return out as T;
}

const ref = (name: string) => ({ $ref: `${name}#` });
const hash32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" };
const uint = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const utcMs = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" };
const str = { type: "string" };
const nullable = (s: Json) => ({ anyOf: [s, { type: "null" }] });

const event = documented(EVENT_SCHEMA) as unknown as Json;
(event.properties as Json).data = { type: "object", additionalProperties: true, description: "the type's own fields (src/core/event/data-schemas.ts)" };

const receiptV2 = documented(RECEIPT_SCHEMA_V2) as unknown as Json;
const finding = { type: "object", required: ["code", "message", "eventIds"], properties: { code: str, message: str, eventIds: { type: "array", items: str } } };
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
        findings: { description: "409 of a proof: what keeps the ledger from showing the epoch as its own", type: "array", items: { type: "object" } },
      },
    },
    Event: event,
    BulkRequest: { type: "object", required: ["events"], properties: { events: { type: "array", minItems: 1, maxItems: bulkMax, items: ref("Event") } } },
    ReceiptV1: documented(RECEIPT_SCHEMA_V1) as unknown as Json,
    ReceiptV2: receiptV2,
    Receipt: { description: "a receipt as issued: version 2 (mediaType set) since group commit; version 1 for older events", oneOf: [ref("ReceiptV2"), ref("ReceiptV1")] },
    BulkReceipts: {
      type: "object",
      required: ["receipts"],
      properties: {
        receipts: {
          description: "one receipt per posted event, in order; `duplicate` is true for an event stored before (reply metadata, not signed)",
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
        batchLink: { type: "object", required: ["batchSeq", "prevLeafHash"], properties: { batchSeq: uint, prevLeafHash: nullable(hash32) } },
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
      properties: { id: str, seq: uint, leafHash: hash32, receivedAt: utcMs, status: eventStatus, epoch: nullable(uint), anchor: nullable(anchorRef), record: ref("LedgerRecord") },
    },
    ProofBundle: { ...(documented(PROOF_BUNDLE_SCHEMA_V2) as unknown as Json), description: "the proof bundle, version 2 (docs/proof-format.md, docs/proof.schema.json)" },
    ProofPending: {
      description: "the event's epoch is not anchored and final yet",
      type: "object",
      required: ["id", "status", "epoch", "confirmations", "expectedAnchorBy"],
      properties: { id: str, status: eventStatus, epoch: nullable(uint), confirmations: nullable(uint), expectedAnchorBy: str },
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
            properties: { batchSeq: uint, seq: uint, id: str, type: str, leafHash: hash32, status: eventStatus, record: ref("LedgerRecord") },
          },
        },
        next: { description: "the next page's path, or null on the last page", ...nullable(str) },
      },
    },
    BatchReport: {
      description: "the batch review, as `verify-batch --json` prints it (docs/batch-review.md)",
      type: "object",
      required: ["reportVersion", "batchId", "verdict", "exitCode", "generatedAt", "checkedFrom", "events", "integrity", "anchoring", "checklist", "signatures", "corrections", "trail", "exceptions"],
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
            checks: { type: "array", items: { type: "object", required: ["check", "ok", "detail"], properties: { check: str, ok: { type: "boolean" }, detail: str } } },
            findings: { type: "array", items: finding },
          },
        },
        anchoring: {
          type: "object",
          required: ["anchored", "notAnchored", "epochs"],
          properties: {
            anchored: uint,
            notAnchored: { type: "array", items: { type: "object", required: ["eventId", "status"], properties: { eventId: str, status: str } } },
            epochs: { type: "array", items: uint },
          },
        },
        checklist: {
          type: "array",
          items: {
            type: "object",
            required: ["id", "title", "basis", "status", "findings", "notes"],
            properties: { id: str, title: str, basis: str, status: { enum: ["pass", "open", "n/a"] }, findings: { type: "array", items: finding }, notes: { type: "array", items: finding } },
          },
        },
        signatures: {
          type: "array",
          items: {
            type: "object",
            required: ["eventId", "printedName", "userId", "role", "meaning", "signedAt", "timeZone", "signs", "status"],
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
          items: { type: "object", required: ["eventId", "kind", "target", "reason", "by", "at"], properties: { eventId: str, kind: { enum: ["corrected", "voided"] }, target: str, reason: str, by: str, at: str } },
        },
        disposition: { type: "object", required: ["eventId", "decision", "at", "by"], properties: { eventId: str, decision: str, at: str, by: str } },
        trail: {
          type: "array",
          items: {
            type: "object",
            required: ["batchSeq", "seq", "eventId", "type", "occurredAt", "receivedAt", "actor", "source", "summary", "flags"],
            properties: { batchSeq: uint, seq: uint, eventId: str, type: str, occurredAt: str, receivedAt: str, actor: str, submittedBy: str, source: str, summary: str, flags: { type: "array", items: str } },
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
          required: ["chainId", "contract", "txHash", "blockNumber", "blockHash", "blockTimestamp", "confirmedAt", "confirmations"],
          properties: {
            chainId: str,
            contract: str,
            txHash: hash32,
            blockNumber: uint,
            blockHash: hash32,
            blockTimestamp: uint,
            confirmedAt: nullable(str),
            confirmations: { description: "as of the server's last look at the chain; null when unknown", ...nullable(uint) },
          },
        }),
        status: { enum: ["sealed", "anchored", "confirmed"] },
      },
    },
    EpochPage: {
      type: "object",
      required: ["epochs", "next"],
      properties: { epochs: { type: "array", items: ref("Epoch") }, next: { description: "the next page's path, or null on the last page", ...nullable(str) } },
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

const problemOf = (description: string) => ({ description, content: { [PROBLEM_MEDIA_TYPE]: { schema: ref("Problem") } } });
const json = (description: string, name: string) => ({ description, content: { "application/json": { schema: ref(name) } } });

/** Problem responses, by status. */
const P = {
  400: problemOf("bad request: every bad field in `errors` (codes EVENT_SCHEMA_INVALID, BODY_INVALID_JSON, BODY_DUPLICATE_KEY, …)"),
  401: problemOf("no token, or an unknown or revoked one (AUTH_REQUIRED, AUTH_INVALID); the connection is closed"),
  403: problemOf("the client's role may not call this (AUTH_FORBIDDEN)"),
  404: problemOf("not found (EVENT_NOT_FOUND, RECEIPT_NOT_FOUND, BATCH_NOT_FOUND, EPOCH_NOT_FOUND, NOT_FOUND)"),
  409: problemOf("conflict"),
  413: problemOf("body too large (BODY_TOO_LARGE, with `limit` in bytes; BULK_TOO_LARGE)"),
  415: problemOf("not application/json (BODY_MEDIA_TYPE_UNSUPPORTED, with `accept`)"),
  422: problemOf("a reference or signed content that does not hold (REFERENCED_EVENT_NOT_FOUND, REFERENCE_OUTSIDE_BATCH, SIGNATURE_CONTENT_MISMATCH)"),
  429: problemOf("too many requests (RATE_LIMITED) or body bytes (BYTE_QUOTA_EXCEEDED); see Retry-After"),
  500: problemOf("internal error (INTERNAL), no details"),
  503: problemOf("unavailable"),
};
/** What every authenticated operation can answer besides its own statuses. */
const AUTHED = { 401: P[401], 403: P[403], 429: P[429], 500: P[500] };
/** What every write can answer about its body. */
const BODY = { 400: P[400], 413: P[413], 415: P[415] };
/** A path parameter that does not percent-decode. */
const URL_400 = { 400: problemOf("URL_INVALID: the path does not percent-decode") };
const idParam = { type: "object", required: ["id"], properties: { id: { type: "string", description: "the event's id" } } };
const pageQuery = {
  type: "object",
  properties: {
    after: { type: "integer", minimum: 0, description: "the last item of the previous page (its `next` link carries it)" },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
};

/** The route schema of each operation, by operationId. */
export function routeSchemas(bulkMax: number) {
  return {
    postEvent: {
      operationId: "postEvent",
      summary: "Post one GxP event",
      description: "Stored and committed before the answer; the receipt is signed at commit. A replay (same id and content, same client) answers the original receipt with 200.",
      tags: ["events"],
      querystring: {
        type: "object",
        properties: {
          late: { type: "string", enum: ["true"], description: "a late event: its sourceSequence fills a gap flagged for its source (never a stored number)" },
          reason: { type: "string", minLength: 3, maxLength: 1000, description: "why the event is late (required with late=true)" },
        },
      },
      body: ref("Event"),
      response: {
        201: json("stored; the signed receipt", "ReceiptV2"),
        200: json("a replay of a stored event by the client that posted it; its original receipt", "ReceiptV2"),
        ...BODY,
        ...AUTHED,
        403: problemOf("the role may not post (AUTH_FORBIDDEN), or the client may not write this (EVENT_TYPE_RESERVED, SOURCE_RESERVED, SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED)"),
        409: problemOf("EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, LATE_EVENT_NOT_IN_GAP, LATE_EVENT_ALREADY_STORED, RECEIPT_NOT_STORED (a replay of an event stored without a receipt)"),
        422: P[422],
      },
    },
    postEventsBulk: {
      operationId: "postEventsBulk",
      summary: `Post up to ${bulkMax} events, all or nothing`,
      description: "One commit; one receipt per event. A refusal stores nothing and names the failing event by its index (`/events/<index>/…` in `errors`).",
      tags: ["events"],
      body: ref("BulkRequest"),
      response: {
        201: json("stored; one signed receipt per event", "BulkReceipts"),
        200: json("every event was a replay: their original receipts", "BulkReceipts"),
        ...BODY,
        400: problemOf("bad request (BULK_INVALID, EVENT_SCHEMA_INVALID naming /events/<index>/<field>, BODY_*)"),
        413: problemOf(`body too large (BODY_TOO_LARGE, with \`limit\`) or more than ${bulkMax} events (BULK_TOO_LARGE)`),
        ...AUTHED,
        403: problemOf("the role may not post, or the client may not write one of the events (EVENT_TYPE_RESERVED, SOURCE_RESERVED, SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED; its index in `errors`)"),
        409: problemOf("EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, RECEIPT_NOT_STORED (the failing event's index in `errors`)"),
        422: P[422],
      },
    },
    getEvent: {
      operationId: "getEvent",
      summary: "An event's stored record and status",
      tags: ["events"],
      params: idParam,
      response: { ...URL_400, 200: json("the record", "EventView"), 404: P[404], ...AUTHED },
    },
    getEventReceipt: {
      operationId: "getEventReceipt",
      summary: "An event's signed receipt, the bytes signed at commit",
      tags: ["events"],
      params: idParam,
      response: { ...URL_400,
        200: json("the receipt", "Receipt"),
        404: problemOf("EVENT_NOT_FOUND; RECEIPT_NOT_FOUND for an event accepted without a receipt (the ledger's own, CLI appends)"),
        409: problemOf("RECEIPT_GROUP_MISMATCH: the stored receipt group no longer matches its events (run audit)"),
        ...AUTHED,
      },
    },
    getEventProof: {
      operationId: "getEventProof",
      summary: "An event's proof bundle, once its epoch's anchor is final",
      tags: ["events"],
      params: idParam,
      response: { ...URL_400,
        200: { description: "the proof bundle (docs/proof-format.md): saved as is, it verifies as is", content: { [PROOF_MEDIA_TYPE_V2]: { schema: ref("ProofBundle") } } },
        202: json("not anchored and final yet: the status, confirmations so far and the promised time", "ProofPending"),
        404: P[404],
        409: problemOf("the ledger cannot show the epoch as its own (ANCHOR_NOT_PINNED, CHECKPOINT_MISSING, …; `findings`)"),
        ...AUTHED,
      },
    },
    getBatchEvents: {
      operationId: "getBatchEvents",
      summary: "A batch's events in batch order, paginated",
      tags: ["batches"],
      params: { type: "object", required: ["batchId"], properties: { batchId: str } },
      querystring: pageQuery,
      response: { 200: json("one page", "BatchEventsPage"), 400: problemOf("QUERY_INVALID; URL_INVALID: the path does not percent-decode"), 404: problemOf("BATCH_NOT_FOUND"), ...AUTHED },
    },
    getBatch: {
      operationId: "getBatch",
      summary: "The batch review: verdict, checklist, signatures, changes and trail",
      description: "A verdict is data: 200 whatever it says.",
      tags: ["batches"],
      params: { type: "object", required: ["batchId"], properties: { batchId: str } },
      response: { ...URL_400, 200: json("the report", "BatchReport"), 404: problemOf("BATCH_NOT_FOUND"), 503: problemOf("CHAIN_UNREACHABLE: the anchors cannot be checked; see Retry-After"), ...AUTHED },
    },
    listEpochs: {
      operationId: "listEpochs",
      summary: "Epochs (anchored Merkle trees), paginated",
      tags: ["epochs"],
      querystring: pageQuery,
      response: { 200: json("one page", "EpochPage"), 400: problemOf("QUERY_INVALID"), ...AUTHED },
    },
    getEpoch: {
      operationId: "getEpoch",
      summary: "One epoch: root, size, sequence range, anchor and status",
      tags: ["epochs"],
      params: { type: "object", required: ["n"], properties: { n: { type: "integer", minimum: 0 } } },
      response: { ...URL_400, 200: json("the epoch", "Epoch"), 404: problemOf("EPOCH_NOT_FOUND"), ...AUTHED },
    },
    getOpenApi: {
      operationId: "getOpenApi",
      summary: "This document",
      tags: ["service"],
      response: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } }, ...AUTHED },
    },
    getMetrics: {
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      tags: ["service"],
      response: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: str } } }, 404: problemOf("NOT_FOUND: metrics are not enabled"), ...AUTHED },
    },
    getHealth: {
      operationId: "getHealth",
      summary: "Liveness",
      tags: ["service"],
      security: [],
      response: { 200: json("alive", "Health"), 500: P[500] },
    },
    getReadiness: {
      operationId: "getReadiness",
      summary: "Readiness",
      tags: ["service"],
      security: [],
      response: { 200: json("ready", "Readiness"), 503: json("not ready: `reasons`", "Readiness"), 500: P[500] },
    },
  };
}
