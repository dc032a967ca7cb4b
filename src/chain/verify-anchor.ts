/**
 * Confirms on chain what a proof bundle claims: the chain id, the anchored root and tree size for
 * (ledger, epoch) read from the contract, and that the anchor transaction sits in the stated block
 * and emitted the stated EpochAnchored log. Trusts only the chain, never our database.
 */
import { JsonRpcProvider, getAddress } from "ethers";
import { AnchorClaim } from "../core";
import { ChainError } from "./errors";
import { anchorContract, anchorInterface } from "./contract";

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

/**
 * Checks a claim against the chain behind `provider`.
 * @throws ChainError CHAIN_ID_MISMATCH, CHAIN_NO_CONTRACT, PROOF_ANCHOR_MISSING, PROOF_ANCHOR_ROOT_MISMATCH,
 *   PROOF_ANCHOR_SIZE_MISMATCH, PROOF_ANCHOR_SEQ_MISMATCH, PROOF_TX_MISMATCH, PROOF_BLOCK_MISMATCH, PROOF_NOT_FINAL
 */
export async function verifyAnchorOnChain(provider: JsonRpcProvider, claim: AnchorClaim, opts: VerifyAnchorOptions = {}): Promise<VerifiedAnchor> {
  const a = claim.anchor;
  const net = await provider.getNetwork();
  if (net.chainId.toString() !== a.chainId) {
    throw new ChainError("CHAIN_ID_MISMATCH", `chain id mismatch: endpoint is ${net.chainId}, bundle says ${a.chainId}`, {
      got: net.chainId.toString(),
      want: a.chainId,
    });
  }
  const code = await provider.getCode(a.contract);
  if (code === "0x") throw new ChainError("CHAIN_NO_CONTRACT", `no contract at ${a.contract} on chain ${a.chainId}`, { contract: a.contract });

  const contract = anchorContract(a.contract, provider);
  const onChain = await contract.getAnchor(a.ledgerId, claim.epoch);
  if (!onChain) {
    throw new ChainError("PROOF_ANCHOR_MISSING", `anchor missing: contract ${a.contract} has no epoch ${claim.epoch} for ledger ${a.ledgerName}`, {
      epoch: claim.epoch,
    });
  }
  if (onChain.root.toLowerCase() !== claim.root) {
    throw new ChainError("PROOF_ANCHOR_ROOT_MISMATCH", `root mismatch for epoch ${claim.epoch}: chain has ${onChain.root}, bundle says ${claim.root}`, {
      got: onChain.root,
      want: claim.root,
    });
  }
  if (onChain.treeSize !== BigInt(claim.treeSize)) {
    throw new ChainError("PROOF_ANCHOR_SIZE_MISMATCH", `tree size mismatch for epoch ${claim.epoch}: chain has ${onChain.treeSize}, bundle says ${claim.treeSize}`, {
      got: onChain.treeSize.toString(),
      want: claim.treeSize,
    });
  }
  if (onChain.firstSeq !== BigInt(a.firstSeq)) {
    throw new ChainError("PROOF_ANCHOR_SEQ_MISMATCH", `first sequence number mismatch for epoch ${claim.epoch}: chain has ${onChain.firstSeq}, bundle says ${a.firstSeq}`);
  }

  const receipt = await provider.getTransactionReceipt(a.txHash);
  if (!receipt) throw new ChainError("PROOF_TX_MISMATCH", `anchor tx ${a.txHash} not found on chain ${a.chainId}`, { txHash: a.txHash });
  if (receipt.blockNumber !== a.blockNumber || receipt.blockHash.toLowerCase() !== a.blockHash) {
    throw new ChainError(
      "PROOF_BLOCK_MISMATCH",
      `block mismatch: tx ${a.txHash} is in block ${receipt.blockNumber} ${receipt.blockHash}, bundle says ${a.blockNumber} ${a.blockHash}`,
    );
  }
  const block = await provider.getBlock(a.blockNumber);
  if (!block || block.hash?.toLowerCase() !== a.blockHash) {
    throw new ChainError("PROOF_BLOCK_MISMATCH", `block ${a.blockNumber} on chain is ${block?.hash}, bundle says ${a.blockHash}`);
  }
  if (block.timestamp !== a.blockTimestamp) {
    throw new ChainError("PROOF_BLOCK_MISMATCH", `block ${a.blockNumber} timestamp is ${block.timestamp}, bundle says ${a.blockTimestamp}`);
  }
  const log = receipt.logs.find((l) => l.index === a.logIndex);
  const parsed = log && getAddress(log.address) === getAddress(a.contract) ? anchorInterface.parseLog(log) : null;
  if (
    receipt.status !== 1 ||
    !parsed ||
    parsed.name !== "EpochAnchored" ||
    parsed.args.ledgerId !== a.ledgerId ||
    Number(parsed.args.epoch) !== claim.epoch ||
    parsed.args.root.toLowerCase() !== claim.root
  ) {
    throw new ChainError("PROOF_TX_MISMATCH", `tx ${a.txHash} log ${a.logIndex} is not the EpochAnchored event of epoch ${claim.epoch} with this root`);
  }
  const head = await provider.getBlockNumber();
  const confirmations = head - a.blockNumber + 1;
  const want = opts.confirmations ?? 1;
  if (confirmations < want) {
    throw new ChainError("PROOF_NOT_FINAL", `not yet final: ${confirmations} confirmations, want ${want}`, { confirmations, want });
  }
  const result: VerifiedAnchor = { chainId: a.chainId, contract: a.contract, blockNumber: a.blockNumber, blockHash: a.blockHash, confirmations };
  if (opts.onchain) {
    result.onchainInclusion = await contract.verifyInclusion(a.ledgerId, claim.epoch, opts.onchain.leafHash, opts.onchain.leafIndex, opts.onchain.auditPath);
  }
  return result;
}
