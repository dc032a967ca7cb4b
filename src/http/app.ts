/**
 * The HTTP API as a Fastify app. buildApp never listens (src/http/server.ts does), so tests call it
 * in-process with inject(). One error handler maps error codes to statuses and hides 5xx details.
 */
import Fastify, { FastifyBaseLogger, FastifyInstance } from "fastify";
import { EventError, isCoreError } from "../core";
import { StoreError } from "../store/errors";
import { ClientStore } from "../store/clients";
import { Ledger } from "../service/ledger";
import { Ingestor } from "../service/ingest";
import { SecurityRecorder } from "../service/security";
import { installAuth } from "./auth";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";
import { eventRoutes } from "./routes-events";
import { readRoutes } from "./routes-read";

/** What the app needs. */
export interface AppDeps {
  ledger: Ledger;
  ingestor: Ingestor;
  clients: ClientStore;
  security: SecurityRecorder;
  /** Readiness details (anchor lag, last anchoring error). */
  readiness?: () => { ready: boolean; [k: string]: unknown };
  /** A pino logger; none by default (tests). */
  logger?: FastifyBaseLogger;
  bodyLimit?: number;
  /** Most events in one bulk post. */
  bulkMax?: number;
}

const STATUS_OF: Record<string, number> = {
  EVENT_SCHEMA_INVALID: 400,
  EVENT_NOT_CANONICALISABLE: 400,
  EVENT_PAYLOAD_HASH_MISMATCH: 400,
  SOURCE_SIGNATURE_INVALID: 400,
  EVENT_ID_CONFLICT: 409,
  SOURCE_SEQUENCE_NOT_INCREASING: 409,
};

const TITLE_OF: Record<string, string> = {
  SOURCE_SIGNATURE_INVALID: "Source signature refused",
  EVENT_ID_CONFLICT: "Event id already used with different content",
  SOURCE_SEQUENCE_NOT_INCREASING: "sourceSequence does not increase",
};

/** Builds the Fastify app over a ledger. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    genReqId: () => Math.random().toString(36).slice(2, 12),
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
  });

  app.setErrorHandler((err: Error, req, reply) => {
    const code = (err as { code?: string }).code ?? "";
    if (err instanceof EventError || ((isCoreError(err) || err instanceof StoreError) && STATUS_OF[code])) {
      const status = STATUS_OF[code] ?? 400;
      const issues = err instanceof EventError ? err.issues : undefined;
      return reply.code(status).type(PROBLEM_MEDIA_TYPE).send(problem(status, code, TITLE_OF[code] ?? "Invalid event", err.message, issues));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, body too large, wrong content type.
      return reply.code(status).type(PROBLEM_MEDIA_TYPE).send(problem(status, code || "BAD_REQUEST", "Bad request", err.message));
    }
    req.log.error({ err }, "request failed");
    return reply.code(500).type(PROBLEM_MEDIA_TYPE).send(problem(500, "INTERNAL", "Internal error"));
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type(PROBLEM_MEDIA_TYPE).send(problem(404, "NOT_FOUND", "Not found", `${req.method} ${req.url.split("?")[0]} is not a route`)),
  );

  installAuth(app, deps.clients, deps.security);

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = deps.readiness?.() ?? { ready: true };
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  eventRoutes(app, deps);
  readRoutes(app, deps);
  return app;
}
