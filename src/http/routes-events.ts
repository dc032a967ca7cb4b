/** Writing events: POST /v1/events and POST /v1/events:bulk (role mes). */
import { FastifyInstance, FastifyReply } from "fastify";
import { DEFAULT_BULK_BODY_MAX_BYTES } from "../service/app/config";
import { AppDeps } from "./app";
import { routeSchemas } from "./openapi";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

const MES = ["mes"] as const;

/** Registers the write routes. */
export function eventRoutes(app: FastifyInstance, deps: AppDeps): void {
  const bulkMax = deps.bulkMax ?? 1000;

  // Receipt version 2 (src/core/receipt/receipt.ts), signed at commit. A replay answers the stored
  // receipt; an event committed without a receipt group has none (409 RECEIPT_NOT_STORED), never a
  // new signature. The route schemas document (src/http/openapi.ts); the core validates.
  const schemas = routeSchemas(bulkMax);
  app.post(
    "/v1/events",
    {
      config: { roles: MES },
      schema: schemas.postEvent,
    },
    async (req, reply) => {
      // A late post (?late=true&reason=…) fills a gap flagged for the event's source, in its own transaction.
      const q = req.query as { late?: string; reason?: string };
      if (q.late !== undefined) {
        const reason = (q.reason ?? "").trim();
        if (q.late !== "true" || reason.length < 3 || reason.length > 1000) {
          return (reply as unknown as FastifyReply)
            .code(400)
            .type(PROBLEM_MEDIA_TYPE)
            .send(
              problem(
                400,
                "LATE_REASON_REQUIRED",
                "Invalid late post",
                "a late post is ?late=true&reason=<why the event is late, 3 to 1000 characters>",
              ),
            );
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
      schema: schemas.postEventsBulk,
    },
    async (req, reply) => {
      const body = req.body as { events?: unknown } | unknown[];
      const events = Array.isArray(body) ? body : (body as { events?: unknown })?.events;
      if (!Array.isArray(events) || events.length === 0) {
        return reply
          .code(400)
          .type(PROBLEM_MEDIA_TYPE)
          .send(
            problem(400, "BULK_INVALID", "Invalid bulk request", 'send {"events": [ …one or more events… ]}', [
              { path: "/events", message: "must be a non-empty array" },
            ]),
          );
      }
      if (events.length > bulkMax) {
        return reply
          .code(413)
          .type(PROBLEM_MEDIA_TYPE)
          .send(
            problem(
              413,
              "BULK_TOO_LARGE",
              "Too many events",
              `${events.length} events: at most ${bulkMax} per bulk request`,
              [{ path: "/events", message: `must hold at most ${bulkMax} events` }],
            ),
          );
      }
      const results = await deps.ingestor.submit(events, req.client, { bulk: true });
      deps.metrics?.eventsAccepted.inc(results.filter((r) => !r.duplicate).length);
      return reply
        .code(results.every((r) => r.duplicate) ? 200 : 201)
        .send({ receipts: results.map((r) => ({ ...r.receipt, duplicate: r.duplicate })) });
    },
  );
}
