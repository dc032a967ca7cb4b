/** Writing events: POST /v1/events and POST /v1/events:bulk (role mes). */
import { FastifyInstance, FastifyReply } from "fastify";
import { EVENT_SCHEMA } from "../core";
import { DEFAULT_BULK_BODY_MAX_BYTES } from "../service/app/config";
import { AppDeps } from "./app";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

const MES = ["mes"] as const;

/** Registers the write routes. */
export function eventRoutes(app: FastifyInstance, deps: AppDeps): void {
  const bulkMax = deps.bulkMax ?? 1000;

  // Receipt version 2 (src/core/receipt/receipt.ts), signed at commit. A replay answers the stored
  // receipt; an event committed without a receipt group has none (409 RECEIPT_NOT_STORED), never a
  // new signature.
  const str = { type: "string" };
  const receipt = {
    type: "object",
    properties: {
      mediaType: str,
      id: str,
      seq: { type: "integer" },
      leafHash: str,
      receivedAt: str,
      anchorBy: str,
      ledger: str,
      keyId: str,
      group: {
        type: "object",
        description: "the receipt's place in its commit group: leaf index, group size, group root and RFC 9162 audit path",
        properties: { index: { type: "integer" }, size: { type: "integer" }, root: str, auditPath: { type: "array", items: str } },
      },
      signature: { ...str, description: "Ed25519 by the ledger's receipt key over the group header, base64url" },
    },
  };
  app.post(
    "/v1/events",
    {
      config: { roles: MES },
      schema: {
        summary: "Post one GxP event",
        querystring: {
          type: "object",
          properties: {
            late: { type: "string", enum: ["true"], description: "a late event: its sourceSequence fills a gap flagged for its source (never a stored number)" },
            reason: { type: "string", minLength: 3, maxLength: 1000, description: "why the event is late (required with late=true)" },
          },
        },
        body: EVENT_SCHEMA,
        response: { 201: { description: "stored; signed receipt", ...receipt }, 200: { description: "replay of a stored event; its original receipt", ...receipt } },
      },
    },
    async (req, reply) => {
      // A late post (?late=true&reason=…) fills a gap flagged for the event's source, in its own transaction.
      const q = req.query as { late?: string; reason?: string };
      if (q.late !== undefined) {
        const reason = (q.reason ?? "").trim();
        if (q.late !== "true" || reason.length < 3 || reason.length > 1000) {
          return (reply as unknown as FastifyReply).code(400).type(PROBLEM_MEDIA_TYPE).send(problem(400, "LATE_REASON_REQUIRED", "Invalid late post", "a late post is ?late=true&reason=<why the event is late, 3 to 1000 characters>"));
        }
        const [r] = deps.ingestor.ingestLate([req.body], req.client!, reason);
        if (!r.duplicate) deps.metrics?.eventsAccepted.inc();
        return reply.code(r.duplicate ? 200 : 201).send(r.receipt);
      }
      // Group commit: the promise resolves after the shared transaction is on disk (WAL, synchronous=FULL).
      const [r] = await deps.ingestor.submit([req.body], req.client);
      if (!r.duplicate) deps.metrics?.eventsAccepted.inc();
      return reply.code(r.duplicate ? 200 : 201).send(r.receipt);
    },
  );

  // "::" escapes the colon of the custom method ":bulk" (Google AIP-136 style).
  app.post(
    "/v1/events::bulk",
    {
      bodyLimit: deps.bulkBodyLimit ?? DEFAULT_BULK_BODY_MAX_BYTES,
      config: { roles: MES },
      schema: {
        summary: `Post up to ${bulkMax} events, all or nothing`,
        body: { type: "object", required: ["events"], properties: { events: { type: "array", minItems: 1, maxItems: bulkMax, items: EVENT_SCHEMA } } },
      },
    },
    async (req, reply) => {
      const body = req.body as { events?: unknown } | unknown[];
      const events = Array.isArray(body) ? body : (body as { events?: unknown })?.events;
      if (!Array.isArray(events) || events.length === 0) {
        return reply.code(400).type(PROBLEM_MEDIA_TYPE).send(problem(400, "BULK_INVALID", "Invalid bulk request", "send {\"events\": [ …one or more events… ]}", [{ path: "/events", message: "must be a non-empty array" }]));
      }
      if (events.length > bulkMax) {
        return reply.code(413).type(PROBLEM_MEDIA_TYPE).send(problem(413, "BULK_TOO_LARGE", "Too many events", `${events.length} events: at most ${bulkMax} per bulk request`, [{ path: "/events", message: `must hold at most ${bulkMax} events` }]));
      }
      const results = await deps.ingestor.submit(events, req.client, { bulk: true });
      deps.metrics?.eventsAccepted.inc(results.filter((r) => !r.duplicate).length);
      return reply.code(results.every((r) => r.duplicate) ? 200 : 201).send({ receipts: results.map((r) => ({ ...r.receipt, duplicate: r.duplicate })) });
    },
  );
}
