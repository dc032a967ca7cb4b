/**
 * The HTTP API as a Fastify app. buildApp never listens (src/http/server.ts does), so tests call it
 * in-process with inject(). One error handler maps error codes to statuses and hides 5xx details.
 */
import type { BatchReport } from "../core";
import { randomUUID } from "node:crypto";
import Fastify, { FastifyBaseLogger, FastifyInstance, FastifyReply, LogController } from "fastify";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import { EventError, isCoreError } from "../core";
import { StoreError } from "../store/errors";
import { loggableError } from "../service/app/logger";
import { ClientStore } from "../store/clients";
import { Ledger } from "../service/app/ledger";
import { Ingestor } from "../service/ingest/ingest";
import { SecurityRecorder } from "../service/security/security";
import { installAuth } from "./auth";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";
import { eventRoutes } from "./routes-events";
import { installJsonParser, JsonLimits } from "./json-body";
import { Metrics } from "../service/app/metrics";
import { readRoutes } from "./routes-read";
import { installByteQuota, ByteQuota } from "./byte-quota";
import { OPENAPI_VERSION, routeSchemas, sharedSchemas } from "./openapi";
import { refusalIssues } from "./refusal-paths";

/** What the app needs. */
export interface AppDeps {
  ledger: Ledger;
  ingestor: Ingestor;
  clients: ClientStore;
  security: SecurityRecorder;
  /** The batch review with the chain checked (`verify-batch`); without it, anchors cannot be checked (503). */
  batchReview?: (batchId: string) => Promise<BatchReport | undefined>;
  /** Readiness details (anchor lag, last anchoring error). */
  readiness?: () => { ready: boolean; [k: string]: unknown };
  /** A pino logger; none by default (tests). */
  logger?: FastifyBaseLogger;
  /** Largest body of any request but a bulk post, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Most events in one bulk post. */
  bulkMax?: number;
  /** Largest body of a bulk post, in bytes (default 16 MiB). */
  bulkBodyLimit?: number;
  jsonLimits?: JsonLimits;
  /** Requests per client (or per address before authentication) per window. */
  rateLimit?: { max: number; windowMs: number };
  /** Body bytes per client per window (issue 12 item 6); none: not limited. */
  byteQuota?: ByteQuota;
  metrics?: Metrics;
  /** The chain's latest block number, for confirmation counts (undefined when unknown). */
  chainHead?: () => number | undefined;
}

const STATUS_OF: Record<string, number> = {
  EVENT_SCHEMA_INVALID: 400,
  EVENT_NOT_CANONICALISABLE: 400,
  EVENT_PAYLOAD_HASH_MISMATCH: 400,
  SOURCE_SIGNATURE_INVALID: 400,
  EVENT_ID_CONFLICT: 409,
  SOURCE_SEQUENCE_NOT_INCREASING: 409,
  RECEIPT_NOT_STORED: 409,
  LATE_EVENT_NOT_IN_GAP: 409,
  LATE_EVENT_ALREADY_STORED: 409,
  REFERENCED_EVENT_NOT_FOUND: 422,
  REFERENCE_OUTSIDE_BATCH: 422,
  SIGNATURE_CONTENT_MISMATCH: 422,
  // Who may write what (issue 12, src/service/ingest/write-rules.ts).
  EVENT_TYPE_RESERVED: 403,
  SOURCE_RESERVED: 403,
  SOURCE_NOT_ALLOWED: 403,
  SITE_NOT_ALLOWED: 403,
};

const TITLE_OF: Record<string, string> = {
  SOURCE_SIGNATURE_INVALID: "Source signature refused",
  EVENT_ID_CONFLICT: "Event id already used with different content",
  SOURCE_SEQUENCE_NOT_INCREASING: "sourceSequence does not increase",
  RECEIPT_NOT_STORED: "No stored receipt for this event",
  LATE_EVENT_NOT_IN_GAP: "Late event fills no flagged gap of its source",
  LATE_EVENT_ALREADY_STORED: "sourceSequence already stored",
  REFERENCED_EVENT_NOT_FOUND: "Referenced event not stored",
  REFERENCE_OUTSIDE_BATCH: "Reference to an event of another batch record",
  SIGNATURE_CONTENT_MISMATCH: "Signature does not match the signed content",
  // Who may write what (issue 12, src/service/ingest/write-rules.ts).
  EVENT_TYPE_RESERVED: "Event type reserved to the ledger",
  SOURCE_RESERVED: "Source reserved to the ledger",
  SOURCE_NOT_ALLOWED: "Source not allowed for this client",
  SITE_NOT_ALLOWED: "Site not allowed for this client",
};

/** An incoming request id is taken only in this shape: no spaces, quotes or control characters to forge log lines or headers with. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * The request's id: the caller's `x-request-id` when it is sane (a proxy's or the MES's own
 * correlation id), a fresh random one otherwise. Every log line of the request carries it (as
 * `reqId`) and the response returns it in `x-request-id`.
 */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Default largest body of a request but a bulk post, in bytes. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** The bulk route, as Fastify names it. */
const BULK_ROUTE = "/v1/events::bulk";

/** Builds the Fastify app over a ledger. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    genReqId: requestIdOf,
    // A path that does not percent-decode (/v1/events/%zz) is answered before routing: as a problem too.
    frameworkErrors: (err, _req, reply) =>
      (reply as unknown as FastifyReply)
        .code(400)
        .type(PROBLEM_MEDIA_TYPE)
        .send(
          problem(
            400,
            "URL_INVALID",
            "Bad request",
            `the path is not a valid URL: ${(err as { code?: string }).code === "FST_ERR_BAD_URL" ? "bad percent-encoding" : "bad request"}`,
          ),
        ),
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // One line per request (below): at debug for successes (at info, logging them would cost more
    // than ingesting), at info for refusals and errors.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // First hook of all, so refusals (401, 404, 429) and errors carry the id too.
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    done();
  });

  app.setErrorHandler((err: Error, req, reply) => {
    const code = (err as { code?: string }).code ?? "";
    if (req.method === "POST" && req.url.startsWith("/v1/events"))
      deps.metrics?.eventsRejected.inc({ reason: code || "UNKNOWN" });
    if (err instanceof EventError || ((isCoreError(err) || err instanceof StoreError) && STATUS_OF[code])) {
      const status = STATUS_OF[code] ?? 400;
      // A refusal of one event of a bulk post names it by its index (/events/<index>/<field>).
      const issues =
        err instanceof EventError
          ? err.issues
          : refusalIssues(err, code, req.routeOptions.url === BULK_ROUTE ? req.body : undefined);
      return reply
        .code(status)
        .type(PROBLEM_MEDIA_TYPE)
        .send(problem(status, code, TITLE_OF[code] ?? "Invalid event", err.message, issues));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 429) return reply.code(429).type(PROBLEM_MEDIA_TYPE).send(err);
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const limit = req.routeOptions.bodyLimit ?? deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
      return reply
        .code(413)
        .type(PROBLEM_MEDIA_TYPE)
        .send({
          ...problem(
            413,
            "BODY_TOO_LARGE",
            "Body too large",
            `the body is larger than ${limit} bytes, the limit of ${req.method} ${req.url.split("?")[0].slice(0, 200)}`,
          ),
          limit,
        });
    }
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const given = String(req.headers["content-type"] ?? "none").slice(0, 100);
      return reply
        .code(415)
        .type(PROBLEM_MEDIA_TYPE)
        .send({
          ...problem(
            415,
            "BODY_MEDIA_TYPE_UNSUPPORTED",
            "Unsupported media type",
            `Content-Type ${given} is not taken: send application/json`,
          ),
          accept: ["application/json"],
        });
    }
    if (status && status >= 400 && status < 500) {
      // Fastify's other client errors (a Content-Length that is not a number, say).
      return reply
        .code(status)
        .type(PROBLEM_MEDIA_TYPE)
        .send(problem(status, code || "BAD_REQUEST", "Bad request", err.message));
    }
    req.log.error({ err: loggableError(err) }, "request failed");
    return reply
      .code(500)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(500, "INTERNAL", "Internal error"));
  });

  installJsonParser(app, deps.jsonLimits);
  // Validation is the core's (all bad fields at once, RFC 9457); route schemas are for the OpenAPI
  // document, which is generated from the very schema objects the core validates with.
  app.setValidatorCompiler(() => () => true);
  // Responses are JSON.stringify'd as built: how a response is documented never changes its bytes
  // (a schema-driven serializer would drop every member the document does not list).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const bulkMax = deps.bulkMax ?? 1000;
  for (const s of sharedSchemas(bulkMax)) app.addSchema(s);
  void app.register(swagger, {
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: "gxp-ledger API",
        version: "1",
        description:
          "Tamper-evident GxP audit trail: post events, read records, receipts, batches, epochs and proofs. Errors are RFC 9457 problem details (application/problem+json) with a stable `code`. docs/http-api.md describes each endpoint.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "a client token from `gxp-ledger client add` (roles mes, qa, auditor, admin)",
          },
        },
      },
      security: [{ bearer: [] }],
      tags: [{ name: "events" }, { name: "batches" }, { name: "epochs" }, { name: "service" }],
    },
    // Shared schemas keep their names (components/schemas/<$id>), not def-0, def-1, …
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    convertConstToEnum: false,
  });
  void app.register(rateLimit, {
    global: true,
    hook: "preHandler", // after authentication: the limit is per client
    max: deps.rateLimit?.max ?? 50_000,
    timeWindow: deps.rateLimit?.windowMs ?? 10_000,
    keyGenerator: (req) => (req.client ? `client:${req.client.name}` : `ip:${req.ip}`),
    allowList: (req) => !req.routeOptions.config?.roles, // health probes are never limited
    errorResponseBuilder: (_req, ctx) => ({
      ...problem(
        429,
        "RATE_LIMITED",
        "Too many requests",
        `more than ${ctx.max} requests in ${ctx.after}; retry later`,
      ),
      statusCode: 429,
    }),
  });
  // --- Byte quota per client (issue 12 item 6): counted after authentication, refused before storing.
  if (deps.byteQuota) installByteQuota(app, deps.byteQuota);
  // A client that did not authenticate gets no kept-alive socket to sit on (the idle timeout of
  // src/http/server.ts covers sockets that never send a request).
  app.addHook("onSend", (_req, reply, payload, done) => {
    if (reply.statusCode === 401) void reply.header("connection", "close");
    done(null, payload);
  });
  // --- end of the byte quota.
  // Callback-style hooks (no promise per request); a success line is only built when debug is on.
  app.addHook("onResponse", (req, reply, done) => {
    const refused = reply.statusCode >= 400;
    if (!refused && !(req.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.("debug"))
      return done();
    // No body, no headers, no query string: only what identifies the request (reqId is added by
    // req.log); the path only when no route matched.
    const route = req.routeOptions.url;
    const line = {
      method: req.method,
      route,
      path: route ? undefined : req.url.split("?")[0].slice(0, 200),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      client: req.client?.name,
    };
    if (refused) req.log.info(line, "request refused");
    else req.log.debug(line, "request");
    done();
  });
  if (deps.metrics) {
    const m = deps.metrics;
    app.addHook("onResponse", (req, reply, done) => {
      m.requestDuration.observe(
        { method: req.method, route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(404, "NOT_FOUND", "Not found", `${req.method} ${req.url.split("?")[0]} is not a route`)),
  );

  installAuth(app, deps.clients, deps.security);

  // Every route is registered in this plugin, after the swagger plugin, so that each is in the document.
  const schemas = routeSchemas(bulkMax);
  void app.register(async (scoped) => {
    scoped.get("/healthz", { schema: schemas.getHealth }, async () => ({ status: "ok" }));
    scoped.get("/readyz", { schema: schemas.getReadiness }, async (_req, reply) => {
      const r = deps.readiness?.() ?? { ready: true };
      return reply.code(r.ready ? 200 : 503).send(r);
    });
    eventRoutes(scoped, deps);
    readRoutes(scoped, deps);
    scoped.get(
      "/openapi.json",
      { config: { roles: ["mes", "qa", "auditor", "admin"] }, schema: schemas.getOpenApi },
      async () => app.swagger(),
    );
    scoped.get(
      "/metrics",
      { config: { roles: ["admin", "auditor"] }, schema: schemas.getMetrics },
      async (_req, reply) => {
        if (!deps.metrics)
          return reply
            .code(404)
            .type(PROBLEM_MEDIA_TYPE)
            .send(problem(404, "NOT_FOUND", "Not found", "metrics are not enabled"));
        return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    );
  });
  return app;
}
