/**
 * Confirms on chain what a proof bundle claims, trusting only the chain: the chain id, the anchored
 * root, tree size and first sequence number for (ledger, epoch) read from the contract with a raw
 * `eth_call`, and that the anchor transaction sits in the stated block and logged the stated
 * EpochAnchored event. The comparison is the core's (src/core/proof/anchor-check.ts), the same code
 * the browser page runs; this module only supplies the transports (fetchTransport is the core's).
 */
import { JsonRpcProvider } from "ethers";
import {
  AnchorClaim,
  Endpoint,
  JsonRpcTransport,
  ProofReport,
  VerifyProofOptions,
  checkAnchor,
  fetchTransport,
  gatherChainFacts,
  verifyProof,
} from "../core";
import { ChainError, ChainErrorCode } from "./errors";
import { redactUrl } from "./provider";

/** Options for anchor verification. */
export interface VerifyAnchorOptions {
  /** Blocks on top of the anchor block (the anchor block counts as 1) required to call it final. */
  confirmations?: number;
  /** Also ask the contract's own verifyInclusion view. */
  onchain?: { leafHash: string; leafIndex: number; auditPath: string[] };
}

/** What the chain confirmed. */
export interface VerifiedAnchor {
  chainId: string;
  contract: string;
  blockNumber: number;
  blockHash: string;
  confirmations: number;
  onchainInclusion?: boolean;
}

/** A transport over an ethers provider's raw JSON-RPC (`_send` hands back error objects unthrown). */
export function providerTransport(provider: JsonRpcProvider): JsonRpcTransport {
  let id = 0;
  return async (method, params) => {
    const [r] = await provider._send({ jsonrpc: "2.0", id: ++id, method, params });
    return "error" in r
      ? { error: r.error as { code?: number; message?: string; data?: unknown } }
      : { result: r.result };
  };
}

/**
 * Checks a claim against the chain behind `provider`.
 * @throws ChainError CHAIN_UNREACHABLE, CHAIN_ID_MISMATCH, CHAIN_NO_CONTRACT, PROOF_ANCHOR_MISSING,
 *   PROOF_ANCHOR_ROOT_MISMATCH, PROOF_ANCHOR_SIZE_MISMATCH, PROOF_ANCHOR_SEQ_MISMATCH, PROOF_TX_MISMATCH,
 *   PROOF_BLOCK_MISMATCH, PROOF_NOT_FINAL
 */
export async function verifyAnchorOnChain(
  provider: JsonRpcProvider,
  claim: AnchorClaim,
  opts: VerifyAnchorOptions = {},
): Promise<VerifiedAnchor> {
  let facts;
  try {
    facts = await gatherChainFacts(providerTransport(provider), claim, opts.onchain);
  } catch (e) {
    throw new ChainError(
      "CHAIN_UNREACHABLE",
      `cannot read the anchor of epoch ${claim.epoch}: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const steps = checkAnchor(claim, [{ endpoint: "chain", facts }], { confirmations: opts.confirmations });
  const failed = steps.find((s) => !s.ok);
  if (failed) throw new ChainError(failed.code as ChainErrorCode, failed.detail);
  const a = claim.anchor;
  const result: VerifiedAnchor = {
    chainId: a.chainId,
    contract: a.contract,
    blockNumber: a.blockNumber,
    blockHash: a.blockHash,
    confirmations: facts.head - a.blockNumber + 1,
  };
  if (opts.onchain) result.onchainInclusion = facts.inclusion === true;
  return result;
}

/**
 * Verifies a bundle (file text) against every RPC URL given: all must agree. Endpoints are named by
 * their redacted URL (an API key in a URL is never printed). `opts.pin` (the site's trust profile or
 * explicit values) is passed through: without it the verdict is UNPINNED at best, never PASS.
 */
export function verifyProofOnRpcUrls(
  text: string,
  rpcUrls: string[],
  opts: VerifyProofOptions = {},
): Promise<ProofReport> {
  const labels = rpcUrls.map((u, i) => (rpcUrls.length > 1 ? `endpoint ${i + 1} (${redactUrl(u)})` : redactUrl(u)));
  const endpoints: Endpoint[] = rpcUrls.map((u, i) => ({ label: labels[i], transport: fetchTransport(u, fetch) }));
  return verifyProof(text, endpoints, opts);
}
