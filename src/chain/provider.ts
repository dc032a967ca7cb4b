/**
 * Connecting to an EVM JSON-RPC endpoint with ethers v6: the chain id is read once with a bounded
 * timeout (so an unreachable endpoint is a clear error, not an endless retry loop), then pinned.
 */
import { JsonRpcProvider, Network, FetchRequest } from "ethers";
import { ChainError } from "./errors";
import { redactUrl } from "./redact";

// Kept in a module without ethers (the logger and every CLI command load them); exported here as before.
export { redactUrl, safeErrorMessage } from "./redact";

/** Options for connecting. */
export interface ConnectOptions {
  /** Refuse a chain whose id differs. */
  expectChainId?: bigint;
  timeoutMs?: number;
  pollingIntervalMs?: number;
  /**
   * Longest wait for any one later request (default 30 s). ethers' own default is 300 s: a silent
   * (black-holed) endpoint would hold an anchoring round that long.
   */
  requestTimeoutMs?: number;
}

/**
 * Opens a provider on `rpcUrl` and reads its chain id.
 * @throws ChainError CHAIN_UNREACHABLE, CHAIN_ID_MISMATCH
 */
export async function connect(
  rpcUrl: string,
  opts: ConnectOptions = {},
): Promise<{ provider: JsonRpcProvider; chainId: bigint }> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let chainId: bigint;
  try {
    const req = new FetchRequest(rpcUrl);
    req.timeout = timeoutMs;
    req.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
    req.setHeader("content-type", "application/json");
    const res = await req.send();
    res.assertOk();
    const json = res.bodyJson as { result?: string; error?: { message?: string } };
    if (!json.result) throw new Error(json.error?.message ?? "no result");
    chainId = BigInt(json.result);
  } catch (e) {
    throw new ChainError("CHAIN_UNREACHABLE", `chain unreachable at ${redactUrl(rpcUrl)}: ${shortReason(e)}`, {
      rpc: redactUrl(rpcUrl),
    });
  }
  if (opts.expectChainId !== undefined && chainId !== opts.expectChainId) {
    throw new ChainError("CHAIN_ID_MISMATCH", `chain id mismatch: endpoint is ${chainId}, want ${opts.expectChainId}`, {
      got: chainId.toString(),
      want: opts.expectChainId.toString(),
    });
  }
  const conn = new FetchRequest(rpcUrl);
  conn.timeout = opts.requestTimeoutMs ?? 30_000;
  const provider = new JsonRpcProvider(conn, Network.from(chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  provider.pollingInterval = opts.pollingIntervalMs ?? 500;
  return { provider, chainId };
}

function shortReason(e: unknown): string {
  const err = e as { shortMessage?: string; code?: string; message?: string; cause?: { code?: string } };
  return err.cause?.code ?? err.shortMessage ?? err.code ?? String(err.message ?? e).split("\n")[0];
}
