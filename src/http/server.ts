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

/** Binds `app` to host:port (port 0 picks a free one). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<Server> {
  app.server.requestTimeout = 30_000;
  app.server.headersTimeout = 10_000;
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
