/**
 * Listening: the one place that binds a port. Graceful close stops accepting, lets in-flight requests
 * (and their commits) finish, then returns.
 */
import { FastifyInstance } from "fastify";

/** A listening server. */
export interface Server {
  url: string;
  close(): Promise<void>;
}

/** Socket limits (issue 12 item 6). */
export interface SocketLimits {
  /** Most open connections; beyond it new sockets are closed at once (default 1024). */
  maxConnections?: number;
  /**
   * A socket that has not yet sent a (complete) request is closed after this long idle (default
   * 30 s): an unauthenticated client cannot hold descriptors by connecting and sending nothing.
   * Between requests a kept-alive socket is governed by the keep-alive timeout instead.
   */
  idleTimeoutMs?: number;
}

/** Default connection cap. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default idle timeout for a socket that has sent nothing. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Binds `app` to host:port (port 0 picks a free one). */
export async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  limits: SocketLimits = {},
): Promise<Server> {
  const idle = limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  app.server.maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // Node sets this idle timeout on every new socket; when it fires the socket is destroyed. Once a
  // request has arrived it is lifted, so a slow commit is never cut: the request is bounded by the
  // headers and request timeouts below, the kept-alive socket afterwards by the keep-alive timeout.
  app.server.timeout = idle;
  app.server.on("request", (req: { socket: { setTimeout(ms: number): unknown } }) => req.socket.setTimeout(0));
  app.server.requestTimeout = 30_000;
  app.server.headersTimeout = Math.min(10_000, idle);
  // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s, load balancers:
  // 60 s), so a client never reuses a socket the server is closing at that moment ("other side
  // closed" on the client's next request).
  app.server.keepAliveTimeout = 65_000;
  const address = await app.listen({ host, port });
  return {
    url: address,
    close: () => app.close(),
  };
}
