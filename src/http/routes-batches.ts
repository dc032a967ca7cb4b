/**
 * `GET /v1/batches`: QA's list of batches (issue 13 item 5), filtered and paged, with the same rows
 * as `gxp-ledger batches`. Cheap: nothing is verified here; `verification` is what the last
 * verification of the batch said (`GET /v1/batches/{batchId}` verifies).
 */
import { FastifyInstance } from "fastify";
import { BATCH_DISPOSITIONS } from "../store/batch-index";
import { BatchQueryError, listBatches } from "../service/batch/batch-list";
import { AppDeps } from "./app";
import { AUTHED, problemOf } from "./openapi";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

const LIST_ROLES = ["qa", "auditor", "admin"] as const;
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, "null"], ...extra });

/** One batch of the listing (the response schema; also what fastify serialises with). */
export const BATCH_SUMMARY_SCHEMA = {
  type: "object",
  required: [
    "batchId",
    "product",
    "productName",
    "lotId",
    "site",
    "events",
    "firstEventAt",
    "lastEventAt",
    "disposition",
    "dispositionAt",
    "review",
    "verification",
    "lastSeq",
  ],
  properties: {
    batchId: { type: "string" },
    product: nullable("string", { description: "product code of the batch's first event" }),
    productName: nullable("string"),
    lotId: nullable("string"),
    site: nullable("string"),
    events: { type: "integer", minimum: 1 },
    firstEventAt: nullable("string", {
      format: "date-time",
      description: "occurredAt of the batch's first event (batch order)",
    }),
    lastEventAt: nullable("string", {
      format: "date-time",
      description: "occurredAt of the batch's last event (batch order)",
    }),
    disposition: {
      type: "string",
      description: `open until a batch.dispositioned event; then its decision (${BATCH_DISPOSITIONS.join(", ")})`,
    },
    dispositionAt: nullable("string", { format: "date-time" }),
    review: {
      type: ["object", "null"],
      description: "the last QA review signed in the ledger (review-batch --sign), or null",
      required: ["eventId", "printedName", "meaning", "signedAt", "verdict"],
      properties: {
        eventId: { type: "string" },
        printedName: { type: "string" },
        meaning: { type: "string" },
        signedAt: { type: "string", format: "date-time" },
        verdict: nullable("string"),
      },
    },
    verification: {
      type: ["object", "null"],
      description: "what the last verification of the batch said (a note, not evidence), or null: not verified",
      required: ["verdict", "integrityOk", "verifiedAt", "events", "current", "verifiedBy", "reportHash"],
      properties: {
        verdict: { type: "string", enum: ["PASS", "INTEGRITY-FAIL", "UNPINNED", "NOT-ANCHORED", "OPEN-ITEMS"] },
        integrityOk: { type: "boolean" },
        verifiedAt: { type: "string", format: "date-time" },
        events: { type: "integer", description: "events of the batch when verified" },
        current: { type: "boolean", description: "false when events were added to the batch after that verification" },
        verifiedBy: { type: "string" },
        reportHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
      },
    },
    lastSeq: { type: "integer", description: "highest ledger sequence number of the batch's events" },
  },
} as const;

/** Registers `GET /v1/batches`. */
export function batchListRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/v1/batches",
    {
      config: { roles: LIST_ROLES },
      schema: {
        operationId: "listBatches",
        tags: ["batches"],
        summary: "List batches: product, first and last event, disposition, last QA review and last verdict",
        querystring: {
          type: "object",
          properties: {
            status: {
              type: "string",
              enum: [...BATCH_DISPOSITIONS],
              description: "disposition: open (none yet), released, rejected, quarantined",
            },
            product: { type: "string", description: "product code" },
            prefix: { type: "string", description: "batch ids starting with this" },
            from: { type: "string", description: "batches with an event at or after this RFC 3339 date or date-time" },
            to: { type: "string", description: "batches with an event at or before this RFC 3339 date or date-time" },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: "string", description: "the `next` of the previous page" },
          },
        },
        response: {
          200: {
            description: "a page of batches in batch id order",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["batches", "next"],
                  properties: {
                    batches: { type: "array", items: BATCH_SUMMARY_SCHEMA },
                    next: nullable("string", { description: "URL of the next page, null on the last" }),
                  },
                },
              },
            },
          },
          400: problemOf("QUERY_INVALID: a bad filter, named"),
          ...AUTHED,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const limit = q.limit === undefined ? undefined : Number(q.limit);
      try {
        const page = listBatches(deps.ledger, {
          ...(q.status !== undefined ? { status: q.status } : {}),
          ...(q.product !== undefined ? { product: q.product } : {}),
          ...(q.prefix !== undefined ? { prefix: q.prefix } : {}),
          ...(q.from !== undefined ? { from: q.from } : {}),
          ...(q.to !== undefined ? { to: q.to } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        const keep = new URLSearchParams(
          Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== "cursor"),
        );
        if (page.next) keep.set("cursor", page.next);
        return { batches: page.batches, next: page.next ? `/v1/batches?${keep.toString()}` : null };
      } catch (e) {
        if (e instanceof BatchQueryError)
          return reply
            .code(400)
            .type(PROBLEM_MEDIA_TYPE)
            .send(problem(400, "QUERY_INVALID", "Invalid query", `${e.field}: ${e.message}`));
        throw e;
      }
    },
  );
}
