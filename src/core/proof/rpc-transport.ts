/**
 * The one JSON-RPC-over-`fetch` transport, shared by the CLI (Node's global `fetch`) and the browser
 * page (the window's). The caller hands in its `fetch`: like gatherChainFacts, the core does no I/O
 * of its own.
 */
import type { JsonRpcTransport } from "./anchor-check";

/** The part of `fetch` the transport uses (the browser's and Node's global `fetch` both fit). */
export type FetchLike = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * A transport to `url` over `fetchFn`: one POST per call. Resolves with the result or the error object
 * (a revert, say); rejects when the endpoint cannot be reached, answers other than HTTP 2xx or not
 * JSON-RPC, or gives no answer within `timeoutMs` ("no answer in N s").
 */
export function fetchTransport(url: string, fetchFn: FetchLike, timeoutMs = 10_000): JsonRpcTransport {
  let id = 0;
  return async (method, params) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetchFn(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
        signal,
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const json = (await res.json()) as {
        result?: unknown;
        error?: { code?: number; message?: string; data?: unknown };
      };
      if (json.error) return { error: json.error };
      if (!("result" in json)) throw new Error("not a JSON-RPC answer");
      return { result: json.result };
    } catch (e) {
      if (signal.aborted) throw new Error(`no answer in ${timeoutMs / 1000} s`, { cause: e });
      throw e;
    }
  };
}
