/**
 * The HTTP API as a Fastify app. buildApp never listens (src/http/server.ts does), so tests call it
 * in-process with inject(). One error handler maps error codes to statuses and hides 5xx details.
 */
import Fastify, { FastifyBaseLogger, FastifyInstance } from "fastify";
import { EventError, isCoreError } from "../core";
import { StoreError } from "../store/errors";
import { Ledger } from "../service/ledger";
import { buildProof } from "../service/proof";
import { positionOf } from "../service/status";
import { receiptOf } from "../store/event-store";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

/** What the app needs. */
export interface AppDeps {
  ledger: Ledger;
  /** Readiness details (anchor lag, last anchoring error). */
  readiness?: () => { ready: boolean; [k: string]: unknown };
  /** A pino logger; none by default (tests). */
  logger?: FastifyBaseLogger;
  bodyLimit?: number;
}

const STATUS_OF: Record<string, number> = {
  EVENT_SCHEMA_INVALID: 400,
  EVENT_NOT_CANONICALISABLE: 400,
  EVENT_PAYLOAD_HASH_MISMATCH: 400,
  EVENT_ID_CONFLICT: 409,
};

/** Builds the Fastify app over a ledger. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // A client may send any id: keep requests traceable in logs without trusting it.
    genReqId: () => Math.random().toString(36).slice(2, 12),
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
  });
  const { ledger } = deps;

  app.setErrorHandler((err: Error, req, reply) => {
    const code = (err as { code?: string }).code ?? "";
    if (err instanceof EventError || (isCoreError(err) && STATUS_OF[code])) {
      const issues = err instanceof EventError ? err.issues : undefined;
      return reply.code(STATUS_OF[code] ?? 400).type(PROBLEM_MEDIA_TYPE).send(problem(STATUS_OF[code] ?? 400, code, "Invalid event", err.message, issues));
    }
    if (err instanceof StoreError && err.code === "EVENT_ID_CONFLICT") {
      return reply.code(409).type(PROBLEM_MEDIA_TYPE).send(problem(409, err.code, "Event id already used with different content", err.message));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, body too large, wrong content type.
      return reply.code(status).type(PROBLEM_MEDIA_TYPE).send(problem(status, code || "BAD_REQUEST", "Bad request", (err as Error).message));
    }
    req.log.error({ err }, "request failed");
    return reply.code(500).type(PROBLEM_MEDIA_TYPE).send(problem(500, "INTERNAL", "Internal error"));
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type(PROBLEM_MEDIA_TYPE).send(problem(404, "NOT_FOUND", "Not found", `${req.method} ${req.url.split("?")[0]} is not a route`)),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = deps.readiness?.() ?? { ready: true };
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  app.post("/v1/events", async (req, reply) => {
    // The append commits (WAL, synchronous=FULL) before it returns: the reply is sent after the commit.
    const [result] = ledger.events.append([req.body]);
    return reply.code(result.duplicate ? 200 : 201).send(result.receipt);
  });

  const notFound = (id: string) => problem(404, "EVENT_NOT_FOUND", "Unknown event", `no event with id ${id}`);

  app.get<{ Params: { id: string } }>("/v1/events/:id", async (req, reply) => {
    const ev = ledger.events.getById(req.params.id);
    if (!ev) return reply.code(404).type(PROBLEM_MEDIA_TYPE).send(notFound(req.params.id));
    const pos = positionOf(ledger, ev);
    return {
      ...receiptOf(ev),
      status: pos.status,
      epoch: pos.epoch?.epoch ?? null,
      anchor: pos.anchor ? { txHash: pos.anchor.txHash, blockNumber: pos.anchor.blockNumber, chainId: pos.anchor.chainId, contract: pos.anchor.contract } : null,
      record: ev.record,
    };
  });

  app.get<{ Params: { id: string } }>("/v1/events/:id/proof", async (req, reply) => {
    const ev = ledger.events.getById(req.params.id);
    if (!ev) return reply.code(404).type(PROBLEM_MEDIA_TYPE).send(notFound(req.params.id));
    const r = buildProof(ledger, ev);
    if (!r.ok) return reply.code(202).send({ id: ev.eventId, status: r.position.status, epoch: r.position.epoch?.epoch ?? null });
    return reply.type("application/vnd.gxp-ledger.proof+json; version=1").send(r.bundle);
  });

  return app;
}
