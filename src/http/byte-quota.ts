/**
 * Per-client byte quota: the request-rate limit counts requests, so one client could still store
 * gigabytes in a few bulk posts. This counts the body bytes each authenticated client has had
 * accepted in a fixed window and refuses the body that would go over with 429 and Retry-After,
 * before anything is parsed into the store.
 */
import { Transform } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

/** How many body bytes a client may send per window. */
export interface ByteQuota {
  maxBytes: number;
  windowMs: number;
}

interface Window {
  start: number;
  bytes: number;
}

const BYTES = Symbol("gxp.bodyBytes");
type Counted = FastifyRequest & { [BYTES]?: { n: number } };

/**
 * Installs the quota on `app`: a preParsing hook counts the body's bytes as they arrive (chunked
 * bodies have no content-length), a preHandler hook (after authentication and parsing, before any
 * route stores anything) adds them to the client's window or answers 429 `BYTE_QUOTA_EXCEEDED`
 * with `Retry-After` (seconds until the window ends). Requests without a client or without a body
 * are not counted. A body announced larger than what is left is refused before it is read.
 */
export function installByteQuota(app: FastifyInstance, quota: ByteQuota, now: () => number = Date.now): void {
  const windows = new Map<string, Window>();
  const windowOf = (client: string): Window => {
    const t = now();
    let w = windows.get(client);
    if (!w || t - w.start >= quota.windowMs) {
      if (windows.size > 100_000) windows.clear();
      w = { start: t, bytes: 0 };
      windows.set(client, w);
    }
    return w;
  };
  const refuse = (w: Window, used: number, wanted: number) => {
    const retryAfter = Math.max(1, Math.ceil((w.start + quota.windowMs - now()) / 1000));
    return {
      retryAfter,
      body: problem(
        429,
        "BYTE_QUOTA_EXCEEDED",
        "Byte quota exceeded",
        `${used} of ${quota.maxBytes} body bytes used in this ${quota.windowMs / 1000} s window; this body has ${wanted}; retry after ${retryAfter} s`,
      ),
    };
  };

  app.addHook("preParsing", (req, reply, payload, done) => {
    if (!req.client || req.method === "GET" || req.method === "HEAD") return done(null, payload);
    const w = windowOf(req.client.name);
    const announced = Number(req.headers["content-length"]);
    if (Number.isFinite(announced) && announced > 0 && w.bytes + announced > quota.maxBytes) {
      const r = refuse(w, w.bytes, announced);
      // The body is not read: close the connection after the answer so its bytes are not parsed as a next request.
      void reply
        .code(429)
        .header("retry-after", String(r.retryAfter))
        .header("connection", "close")
        .type(PROBLEM_MEDIA_TYPE)
        .send(r.body);
      return;
    }
    const count = { n: 0 };
    (req as Counted)[BYTES] = count;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        count.n += chunk.length;
        cb(null, chunk);
      },
    });
    payload.on("error", (e) => counter.destroy(e));
    done(null, payload.pipe(counter));
  });

  app.addHook("preHandler", (req, reply, done) => {
    const count = (req as Counted)[BYTES];
    if (!req.client || !count || count.n === 0) return done();
    const w = windowOf(req.client.name);
    if (w.bytes + count.n > quota.maxBytes) {
      const r = refuse(w, w.bytes, count.n);
      void reply.code(429).header("retry-after", String(r.retryAfter)).type(PROBLEM_MEDIA_TYPE).send(r.body);
      return;
    }
    w.bytes += count.n;
    done();
  });
}
