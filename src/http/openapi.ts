/**
 * The OpenAPI 3.1 document's operations: one route schema per operation (operationId, parameters,
 * every status with its media type) and the problem responses every operation can answer. The shared
 * schemas they reference are in ./openapi-components.ts.
 *
 * The document describes; it never validates nor serialises: see ./openapi-components.ts.
 */
import { PROOF_MEDIA_TYPE_V2 } from "../core";
import { PROBLEM_MEDIA_TYPE } from "./problem";
import { ref, str } from "./openapi-components";

export { sharedSchemas } from "./openapi-components";

/** The OpenAPI version of /openapi.json. */
export const OPENAPI_VERSION = "3.1.0";

/** A problem+json response with this description. */
export const problemOf = (description: string) => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: ref("Problem") } },
});
const json = (description: string, name: string) => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});

/** Problem responses, by status. */
const P = {
  400: problemOf(
    "bad request: every bad field in `errors` (codes EVENT_SCHEMA_INVALID, BODY_INVALID_JSON, BODY_DUPLICATE_KEY, …)",
  ),
  401: problemOf("no token, or an unknown or revoked one (AUTH_REQUIRED, AUTH_INVALID); the connection is closed"),
  403: problemOf("the client's role may not call this (AUTH_FORBIDDEN)"),
  404: problemOf("not found (EVENT_NOT_FOUND, RECEIPT_NOT_FOUND, BATCH_NOT_FOUND, EPOCH_NOT_FOUND, NOT_FOUND)"),
  409: problemOf("conflict"),
  413: problemOf("body too large (BODY_TOO_LARGE, with `limit` in bytes; BULK_TOO_LARGE)"),
  415: problemOf("not application/json (BODY_MEDIA_TYPE_UNSUPPORTED, with `accept`)"),
  422: problemOf(
    "a reference or signed content that does not hold (REFERENCED_EVENT_NOT_FOUND, REFERENCE_OUTSIDE_BATCH, SIGNATURE_CONTENT_MISMATCH)",
  ),
  429: problemOf("too many requests (RATE_LIMITED) or body bytes (BYTE_QUOTA_EXCEEDED); see Retry-After"),
  500: problemOf("internal error (INTERNAL), no details"),
  503: problemOf("unavailable"),
};
/** What every authenticated operation can answer besides its own statuses. */
export const AUTHED = { 401: P[401], 403: P[403], 429: P[429], 500: P[500] };
/** What every write can answer about its body. */
const BODY = { 400: P[400], 413: P[413], 415: P[415] };
/** A path parameter that does not percent-decode. */
const URL_400 = { 400: problemOf("URL_INVALID: the path does not percent-decode") };
const idParam = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", description: "the event's id" } },
};
const pageQuery = {
  type: "object",
  properties: {
    after: {
      type: "integer",
      minimum: 0,
      description: "the last item of the previous page (its `next` link carries it)",
    },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
};

/** The route schema of each operation, by operationId. */
export function routeSchemas(bulkMax: number) {
  return {
    postEvent: {
      operationId: "postEvent",
      summary: "Post one GxP event",
      description:
        "Stored and committed before the answer; the receipt is signed at commit. A replay (same id and content, same client) answers the original receipt with 200.",
      tags: ["events"],
      querystring: {
        type: "object",
        properties: {
          late: {
            type: "string",
            enum: ["true"],
            description: "a late event: its sourceSequence fills a gap flagged for its source (never a stored number)",
          },
          reason: {
            type: "string",
            minLength: 3,
            maxLength: 1000,
            description: "why the event is late (required with late=true)",
          },
        },
      },
      body: ref("Event"),
      response: {
        201: json("stored; the signed receipt", "ReceiptV2"),
        200: json("a replay of a stored event by the client that posted it; its original receipt", "ReceiptV2"),
        ...BODY,
        ...AUTHED,
        403: problemOf(
          "the role may not post (AUTH_FORBIDDEN), or the client may not write this (EVENT_TYPE_RESERVED, SOURCE_RESERVED, SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED)",
        ),
        409: problemOf(
          "EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, LATE_EVENT_NOT_IN_GAP, LATE_EVENT_ALREADY_STORED, RECEIPT_NOT_STORED (a replay of an event stored without a receipt)",
        ),
        422: P[422],
      },
    },
    postEventsBulk: {
      operationId: "postEventsBulk",
      summary: `Post up to ${bulkMax} events, all or nothing`,
      description:
        "One commit; one receipt per event. A refusal stores nothing and names the failing event by its index (`/events/<index>/…` in `errors`).",
      tags: ["events"],
      body: ref("BulkRequest"),
      response: {
        201: json("stored; one signed receipt per event", "BulkReceipts"),
        200: json("every event was a replay: their original receipts", "BulkReceipts"),
        ...BODY,
        400: problemOf("bad request (BULK_INVALID, EVENT_SCHEMA_INVALID naming /events/<index>/<field>, BODY_*)"),
        413: problemOf(
          `body too large (BODY_TOO_LARGE, with \`limit\`) or more than ${bulkMax} events (BULK_TOO_LARGE)`,
        ),
        ...AUTHED,
        403: problemOf(
          "the role may not post, or the client may not write one of the events (EVENT_TYPE_RESERVED, SOURCE_RESERVED, SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED; its index in `errors`)",
        ),
        409: problemOf(
          "EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, RECEIPT_NOT_STORED (the failing event's index in `errors`)",
        ),
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
      response: {
        ...URL_400,
        200: json("the receipt", "Receipt"),
        404: problemOf(
          "EVENT_NOT_FOUND; RECEIPT_NOT_FOUND for an event accepted without a receipt (the ledger's own, CLI appends)",
        ),
        409: problemOf("RECEIPT_GROUP_MISMATCH: the stored receipt group no longer matches its events (run audit)"),
        ...AUTHED,
      },
    },
    getEventProof: {
      operationId: "getEventProof",
      summary: "An event's proof bundle, once its epoch's anchor is final",
      tags: ["events"],
      params: idParam,
      response: {
        ...URL_400,
        200: {
          description: "the proof bundle (docs/proof-format.md): saved as is, it verifies as is",
          content: { [PROOF_MEDIA_TYPE_V2]: { schema: ref("ProofBundle") } },
        },
        202: json("not anchored and final yet: the status, confirmations so far and the promised time", "ProofPending"),
        404: P[404],
        409: problemOf(
          "the ledger cannot show the epoch as its own (ANCHOR_NOT_PINNED, CHECKPOINT_MISSING, …; `findings`)",
        ),
        ...AUTHED,
      },
    },
    getBatchEvents: {
      operationId: "getBatchEvents",
      summary: "A batch's events in batch order, paginated",
      tags: ["batches"],
      params: { type: "object", required: ["batchId"], properties: { batchId: str } },
      querystring: pageQuery,
      response: {
        200: json("one page", "BatchEventsPage"),
        400: problemOf("QUERY_INVALID; URL_INVALID: the path does not percent-decode"),
        404: problemOf("BATCH_NOT_FOUND"),
        ...AUTHED,
      },
    },
    getBatch: {
      operationId: "getBatch",
      summary: "The batch review: verdict, checklist, signatures, changes and trail",
      description: "A verdict is data: 200 whatever it says.",
      tags: ["batches"],
      params: { type: "object", required: ["batchId"], properties: { batchId: str } },
      response: {
        ...URL_400,
        200: json("the report", "BatchReport"),
        404: problemOf("BATCH_NOT_FOUND"),
        503: problemOf("CHAIN_UNREACHABLE: the anchors cannot be checked; see Retry-After"),
        ...AUTHED,
      },
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
      response: {
        200: { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } },
        ...AUTHED,
      },
    },
    getMetrics: {
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      tags: ["service"],
      response: {
        200: { description: "Prometheus text format", content: { "text/plain": { schema: str } } },
        404: problemOf("NOT_FOUND: metrics are not enabled"),
        ...AUTHED,
      },
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
