/**
 * JSON-RPC over the browser's `fetch`: the page's only I/O. The endpoint must allow cross-origin
 * requests (public RPC nodes and Anvil do); nothing of ours is contacted.
 */
import { JsonRpcTransport } from "../core/proof/anchor-check";

/** A transport to `url`. Rejects when the endpoint cannot be reached or does not answer JSON-RPC. */
export function browserTransport(url: string, timeoutMs = 15_000): JsonRpcTransport {
  let id = 0;
  return async (method, params) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
        signal: ctl.signal,
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const json = (await res.json()) as { result?: unknown; error?: { code?: number; message?: string; data?: unknown } };
      if (json.error) return { error: json.error };
      if (!("result" in json)) throw new Error("not a JSON-RPC answer");
      return { result: json.result };
    } catch (e) {
      throw new Error(ctl.signal.aborted ? `no answer in ${timeoutMs / 1000} s` : (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  };
}
