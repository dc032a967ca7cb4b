/**
 * Reading: events, receipts, proofs, batches and epochs. qa and auditor read everything; an mes
 * client reads the events and receipts it posted itself.
 */
import { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PROOF_MEDIA_TYPE_V2, bundleToJSON, toHex } from "../core";
import { PinError } from "../service/security/pin-check";
import { buildProof } from "../service/proof/proof";
import { verifyBatch } from "../service/batch/batch-verify";
import { noteVerification } from "../service/batch/batch-list";
import { positionOf } from "../service/proof/status";
import { StoredEvent } from "../store/event-store";
import { StoreError } from "../store/errors";
import { AppDeps } from "./app";
import { routeSchemas } from "./openapi";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";
import { batchListRoutes } from "./routes-batches";

const READERS = ["qa", "auditor"] as const;
const READERS_AND_MES = ["qa", "auditor", "mes"] as const;

function page(q: Record<string, string | undefined>, max = 1000): { after: number; limit: number } | string {
  const after = q.after === undefined ? -1 : Number(q.after);
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(after) || after < -1) return "after must be a non-negative integer";
  if (!Number.isInteger(limit) || limit < 1 || limit > max) return `limit must be an integer from 1 to ${max}`;
  return { after, limit };
}

/** Registers the read routes. */
export function readRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { ledger } = deps;
  const schemas = routeSchemas(deps.bulkMax ?? 1000);
  batchListRoutes(app, deps);
  const qEpochs = ledger.db.prepare<[number, number], { epoch: number }>(
    "SELECT epoch FROM epochs WHERE epoch > ? ORDER BY epoch LIMIT ?",
  );

  const notFound = (reply: FastifyReply, what: string, detail: string) =>
    reply
      .code(404)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(404, `${what}_NOT_FOUND`, "Not found", detail));
  const badQuery = (reply: FastifyReply, detail: string) =>
    reply
      .code(400)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(400, "QUERY_INVALID", "Invalid query", detail));

  /** The stored event, if this caller may see it (an mes client sees only its own). */
  const visible = (req: FastifyRequest<{ Params: { id: string } }>): StoredEvent | undefined => {
    const ev = ledger.events.getById(req.params.id);
    if (!ev) return undefined;
    if (req.client?.role === "mes" && ev.record.submittedBy?.client !== req.client.name) return undefined;
    return ev;
  };

  const epochView = (n: number) => {
    const head = deps.chainHead?.();
    const e = ledger.epochs.get(n);
    if (!e) return undefined;
    const a = ledger.epochs.anchorOf(n);
    return {
      epoch: e.epoch,
      root: toHex(e.root),
      size: e.size,
      firstSeq: e.firstSeq,
      lastSeq: e.firstSeq + e.size - 1,
      sealedAt: e.sealedAt,
      anchor: a
        ? {
            chainId: a.chainId,
            contract: a.contract,
            txHash: a.txHash,
            blockNumber: a.blockNumber,
            blockHash: a.blockHash,
            blockTimestamp: a.blockTimestamp,
            confirmedAt: a.confirmedAt,
            // As of the server's last look at the chain (each background round); null when unknown.
            confirmations: head === undefined ? null : Math.max(0, head - a.blockNumber + 1),
          }
        : null,
      status: a?.finalAt ? "confirmed" : a || ledger.epochs.anchorTxs(n).length ? "anchored" : "sealed",
    };
  };

  app.get<{ Params: { id: string } }>(
    "/v1/events/:id",
    { config: { roles: READERS_AND_MES }, schema: schemas.getEvent },
    async (req, reply) => {
      const ev = visible(req);
      if (!ev) return notFound(reply, "EVENT", `no event with id ${req.params.id}`);
      const pos = positionOf(ledger, ev);
      return {
        id: ev.eventId,
        seq: ev.seq,
        leafHash: toHex(ev.leafHash),
        receivedAt: ev.receivedAt,
        status: pos.status,
        epoch: pos.epoch?.epoch ?? null,
        anchor: pos.anchor
          ? {
              txHash: pos.anchor.txHash,
              blockNumber: pos.anchor.blockNumber,
              chainId: pos.anchor.chainId,
              contract: pos.anchor.contract,
            }
          : null,
        record: ev.record,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/events/:id/receipt",
    { config: { roles: READERS_AND_MES }, schema: schemas.getEventReceipt },
    async (req, reply) => {
      const ev = visible(req);
      if (!ev) return notFound(reply, "EVENT", `no event with id ${req.params.id}`);
      // The stored bytes signed at commit, never a new signature (issue 12 item 5).
      try {
        return deps.ingestor.receiptOf(ev);
      } catch (e) {
        if (e instanceof StoreError && e.code === "RECEIPT_NOT_STORED") {
          return reply
            .code(404)
            .type(PROBLEM_MEDIA_TYPE)
            .send(
              problem(
                404,
                "RECEIPT_NOT_FOUND",
                "Not found",
                `event ${ev.eventId} has no stored receipt: receipts are signed only when an event is accepted over the API`,
              ),
            );
        }
        if (e instanceof StoreError && e.code === "RECEIPT_GROUP_MISMATCH") {
          return reply
            .code(409)
            .type(PROBLEM_MEDIA_TYPE)
            .send(
              problem(
                409,
                e.code,
                "Ledger integrity failure",
                `no receipt for event ${ev.eventId}: its stored receipt group no longer matches its events (run audit)`,
              ),
            );
        }
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/events/:id/proof",
    { config: { roles: READERS }, schema: schemas.getEventProof },
    async (req, reply) => {
      const ev = ledger.events.getById(req.params.id);
      if (!ev) return notFound(reply, "EVENT", `no event with id ${req.params.id}`);
      let r: ReturnType<typeof buildProof>;
      try {
        r = buildProof(ledger, ev);
      } catch (e) {
        // The ledger cannot show this epoch as its own (anchors row not in the pinned contract, no
        // valid checkpoint): an integrity problem, never a bundle.
        if (e instanceof PinError) {
          return reply
            .code(409)
            .type(PROBLEM_MEDIA_TYPE)
            .send({
              ...problem(409, e.code, "Ledger integrity failure", `no proof of event ${ev.eventId}: ${e.message}`),
              findings: e.findings.map((f) => ({
                code: f.code,
                epoch: f.epoch ?? null,
                anchorId: f.anchorId ?? null,
                anchorTx: f.anchorTx ?? null,
              })),
            });
        }
        throw e;
      }
      if (!r.ok) {
        // Mined but not yet final: how deep its block is, as of the server's last look at the chain.
        const a = r.position.anchor;
        const head = deps.chainHead?.();
        const confirmations = a && head !== undefined ? Math.max(0, head - a.blockNumber + 1) : null;
        return reply.code(202).send({
          id: ev.eventId,
          status: r.position.status,
          epoch: r.position.epoch?.epoch ?? null,
          confirmations,
          expectedAnchorBy: deps.ingestor.anchorBy(ev.receivedAt),
        });
      }
      // The bundle's file form (docs/proof-format.md §2): the body saved as is verifies as is.
      return reply.type(PROOF_MEDIA_TYPE_V2).send(bundleToJSON(r.bundle));
    },
  );

  app.get<{ Params: { batchId: string }; Querystring: Record<string, string> }>(
    "/v1/batches/:batchId/events",
    { config: { roles: READERS }, schema: schemas.getBatchEvents },
    async (req, reply) => {
      const p = page(req.query);
      if (typeof p === "string") return badQuery(reply, p);
      const rows = ledger.events.byBatch(req.params.batchId, p.after, p.limit + 1);
      if (rows.length === 0 && p.after === -1)
        return notFound(reply, "BATCH", `no events for batch ${req.params.batchId}`);
      const events = rows.slice(0, p.limit).map((ev) => {
        return {
          batchSeq: ev.batchSeq,
          seq: ev.seq,
          id: ev.eventId,
          type: ev.record.event.type,
          leafHash: toHex(ev.leafHash),
          status: positionOf(ledger, ev).status,
          record: ev.record,
        };
      });
      const next = rows.length > p.limit ? events[events.length - 1].batchSeq : null;
      return {
        batchId: req.params.batchId,
        events,
        next:
          next === null
            ? null
            : `/v1/batches/${encodeURIComponent(req.params.batchId)}/events?after=${next}&limit=${p.limit}`,
      };
    },
  );

  // The same verdict and checklist as `verify-batch --json`: a verdict is data (200), whatever it says.
  app.get<{ Params: { batchId: string } }>(
    "/v1/batches/:batchId",
    { config: { roles: READERS }, schema: schemas.getBatch },
    async (req, reply) => {
      let report;
      try {
        report = deps.batchReview
          ? await deps.batchReview(req.params.batchId)
          : await verifyBatch(ledger, req.params.batchId, { confirmations: 1 });
      } catch (e) {
        if ((e as { code?: unknown })?.code === "CHAIN_UNREACHABLE") {
          return reply
            .code(503)
            .header("retry-after", "30")
            .type(PROBLEM_MEDIA_TYPE)
            .send(
              problem(
                503,
                "CHAIN_UNREACHABLE",
                "Chain unreachable",
                "the anchors of this batch cannot be checked: the chain is unreachable",
              ),
            );
        }
        throw e;
      }
      if (!report) return notFound(reply, "BATCH", `no events for batch ${req.params.batchId}`);
      noteVerification(ledger, report, `api:${req.client?.name ?? "?"}`);
      return report;
    },
  );

  app.get<{ Querystring: Record<string, string> }>(
    "/v1/epochs",
    { config: { roles: READERS }, schema: schemas.listEpochs },
    async (req, reply) => {
      const p = page(req.query);
      if (typeof p === "string") return badQuery(reply, p);
      const rows = qEpochs.all(p.after, p.limit + 1);
      const epochs = rows.slice(0, p.limit).map((r) => epochView(r.epoch)!);
      const next = rows.length > p.limit ? epochs[epochs.length - 1].epoch : null;
      return { epochs, next: next === null ? null : `/v1/epochs?after=${next}&limit=${p.limit}` };
    },
  );

  app.get<{ Params: { n: string } }>(
    "/v1/epochs/:n",
    { config: { roles: READERS }, schema: schemas.getEpoch },
    async (req, reply) => {
      const n = Number(req.params.n);
      const view = Number.isInteger(n) && n >= 0 ? epochView(n) : undefined;
      if (!view) return notFound(reply, "EPOCH", `no epoch ${req.params.n}`);
      return view;
    },
  );
}
