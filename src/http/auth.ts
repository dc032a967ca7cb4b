/**
 * Bearer-token authentication and role checks (21 CFR 11.10(d),(g)). Every route but /healthz and
 * /readyz needs a token; each route names the roles that may call it. Bursts of failed
 * authentication are recorded as security events (11.300(d)).
 */
import { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Client, ClientStore, Role } from "../store/clients";
import { SecurityRecorder } from "../service/security/security";
import { problem, PROBLEM_MEDIA_TYPE } from "./problem";

declare module "fastify" {
  interface FastifyRequest {
    client?: Client;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route; absent = public. */
    roles?: readonly Role[];
  }
}

/** Failed attempts from one address within the window that make a burst. */
export const AUTH_BURST = { failures: 10, windowMs: 60_000 };

/** Installs authentication on `app`. */
export function installAuth(
  app: FastifyInstance,
  clients: ClientStore,
  security: SecurityRecorder,
  now: () => number = Date.now,
): void {
  const failures = new Map<string, { count: number; since: number; reported: boolean }>();

  const deny = (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, code: string, detail: string) => {
    if (status === 401) {
      reply.header("www-authenticate", 'Bearer realm="gxp-ledger"');
      const t = now();
      const f = failures.get(req.ip);
      const cur = f && t - f.since < AUTH_BURST.windowMs ? f : { count: 0, since: t, reported: false };
      cur.count++;
      if (cur.count >= AUTH_BURST.failures && !cur.reported) {
        cur.reported = true;
        try {
          security.record("auth.failure_burst", {
            remoteAddress: req.ip,
            failures: cur.count,
            windowSeconds: AUTH_BURST.windowMs / 1000,
          });
        } catch (e) {
          req.log.error({ err: e }, "could not record a security event");
        }
      }
      failures.set(req.ip, cur);
      if (failures.size > 10_000) failures.clear();
    }
    return reply
      .code(status)
      .type(PROBLEM_MEDIA_TYPE)
      .send(problem(status, code, status === 401 ? "Unauthorized" : "Forbidden", detail));
  };

  app.addHook("onRequest", async (req, reply) => {
    const roles = req.routeOptions.config?.roles;
    if (!roles) return; // public route (health) or unknown route (404)
    const h = req.headers.authorization;
    const m = typeof h === "string" ? /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(h) : null;
    if (!m) return deny(req, reply, 401, "AUTH_REQUIRED", "send Authorization: Bearer <token>");
    const client = clients.authenticate(m[1]);
    if (!client) return deny(req, reply, 401, "AUTH_INVALID", "the token is unknown or revoked");
    if (!roles.includes(client.role)) {
      return deny(
        req,
        reply,
        403,
        "AUTH_FORBIDDEN",
        `role ${client.role} may not ${req.method} ${req.routeOptions.url}; allowed: ${roles.join(", ")}`,
      );
    }
    req.client = client;
  });
}
