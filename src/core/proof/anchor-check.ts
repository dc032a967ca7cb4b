/**
 * Checking a bundle's anchor against the chain, split like the Merkle verifier into *fetch* and
 * *compare*: `anchorRequests` lists the raw JSON-RPC calls (all independent of each other), any
 * transport runs them, `chainFactsFrom` reads the answers into plain facts, and `checkAnchor`
 * compares the facts of one or more endpoints with the bundle's claim. The CLI and the browser page
 * run exactly this code; only the transport differs.
 */
import { AnchorClaim } from "./bundle";
import {
  EPOCH_ANCHORED_SIGNATURE,
  addressWord,
  NOT_ANCHORED_ERROR_SIGNATURES,
  decodeBool,
  decodeGetAnchor,
  encodeGetAnchor,
  encodeVerifyInclusion,
  keccakHex,
  selectorOf,
  wordsOf,
} from "./abi";

/** What each request asks. */
export type RpcKey = "chainId" | "code" | "anchor" | "receipt" | "block" | "head" | "inclusion" | "genesis";

/** One JSON-RPC request. */
export interface RpcRequest {
  key: RpcKey;
  method: string;
  params: unknown[];
}

/** A JSON-RPC answer: the result, or the error object the endpoint returned (a revert, say). */
export type RpcAnswer = { result: unknown } | { error: { code?: number; message?: string; data?: unknown } };

/** The audit path to submit to the contract's verifyInclusion view. */
export interface InclusionQuery {
  leafHash: string;
  leafIndex: number;
  auditPath: string[];
}

/** Extra questions for the chain: the genesis block (when the chain is pinned by its genesis hash). */
export interface ChainQuestions {
  genesis?: boolean;
}

/** The JSON-RPC calls that establish the facts about a claim (plus the on-chain inclusion check). */
export function anchorRequests(
  claim: AnchorClaim,
  inclusion?: InclusionQuery,
  questions: ChainQuestions = {},
): RpcRequest[] {
  const a = claim.anchor;
  const to = a.contract.toLowerCase();
  const reqs: RpcRequest[] = [
    { key: "chainId", method: "eth_chainId", params: [] },
    { key: "code", method: "eth_getCode", params: [to, "latest"] },
    { key: "anchor", method: "eth_call", params: [{ to, data: encodeGetAnchor(a.ledgerId, claim.epoch) }, "latest"] },
    { key: "receipt", method: "eth_getTransactionReceipt", params: [a.txHash] },
    { key: "block", method: "eth_getBlockByNumber", params: ["0x" + a.blockNumber.toString(16), false] },
    { key: "head", method: "eth_blockNumber", params: [] },
  ];
  if (questions.genesis) reqs.push({ key: "genesis", method: "eth_getBlockByNumber", params: ["0x0", false] });
  if (inclusion) {
    const data = encodeVerifyInclusion(
      a.ledgerId,
      claim.epoch,
      inclusion.leafHash,
      inclusion.leafIndex,
      inclusion.auditPath,
    );
    reqs.push({ key: "inclusion", method: "eth_call", params: [{ to, data }, "latest"] });
  }
  return reqs;
}

/** The EpochAnchored log at the bundle's log index, as found in the receipt. */
export interface LogFact {
  address: string;
  topics: string[];
  data: string;
}

/** What one endpoint says about a claim. Every hash and address lowercase. */
export interface ChainFacts {
  chainId: string;
  hasCode: boolean;
  /** The anchor the contract holds for (ledger, epoch), or why it holds none. */
  anchor: { root: string; treeSize: string; firstSeq: string } | { missing: string };
  /** The anchor tx's receipt (with its sender), or null when the endpoint does not know the tx. */
  receipt: { blockNumber: number; blockHash: string; status: number; from: string; log: LogFact | null } | null;
  /** The stated block, or null when the chain is shorter. */
  block: { hash: string; timestamp: number; hasTx: boolean } | null;
  head: number;
  /** The contract's verifyInclusion answer, when asked. */
  inclusion?: boolean | string;
  /** The hash of block 0, when asked. */
  genesisHash?: string;
}

/** An answer that is not what a JSON-RPC endpoint should return. */
export class RpcAnswerError extends Error {}

function result(answers: Partial<Record<RpcKey, RpcAnswer>>, key: RpcKey): unknown {
  const a = answers[key];
  if (!a) throw new RpcAnswerError(`no answer to ${key}`);
  if ("error" in a)
    throw new RpcAnswerError(`${key}: endpoint error ${a.error.code ?? ""} ${a.error.message ?? ""}`.trim());
  return a.result;
}

function quantity(v: unknown, what: string): number {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]+$/.test(v)) throw new RpcAnswerError(`${what} is not a hex quantity`);
  const n = Number(BigInt(v));
  if (!Number.isSafeInteger(n)) throw new RpcAnswerError(`${what} is out of range`);
  return n;
}

function revertData(a: RpcAnswer | undefined): string | undefined {
  if (!a || !("error" in a)) return undefined;
  const d = a.error.data;
  if (typeof d === "string") return d;
  // Some nodes nest it: { data: { data: "0x…" } }.
  if (d && typeof d === "object" && typeof (d as { data?: unknown }).data === "string")
    return (d as { data: string }).data;
  return undefined;
}

/**
 * Reads the answers of one endpoint into facts.
 * @throws RpcAnswerError when an answer is missing or malformed (treat the endpoint as unusable)
 */
export function chainFactsFrom(claim: AnchorClaim, answers: Partial<Record<RpcKey, RpcAnswer>>): ChainFacts {
  const chainId = BigInt(quantity(result(answers, "chainId"), "chain id")).toString();
  const code = result(answers, "code");
  const hasCode = typeof code === "string" && code !== "0x" && code !== "0x0";

  let anchor: ChainFacts["anchor"];
  const revert = revertData(answers.anchor);
  if (revert !== undefined) {
    const known = NOT_ANCHORED_ERROR_SIGNATURES.find((s) => revert.toLowerCase().startsWith(selectorOf(s)));
    anchor = {
      missing: known
        ? `the contract reverted with ${known.split("(")[0]}`
        : `the contract reverted (${revert.slice(0, 10)})`,
    };
  } else {
    const ret = result(answers, "anchor");
    if (ret === "0x") anchor = { missing: "the call returned nothing (no contract at the address)" };
    else {
      const d = decodeGetAnchor(ret as string);
      anchor = { root: d.root, treeSize: d.treeSize.toString(), firstSeq: d.firstSeq.toString() };
    }
  }

  const r = result(answers, "receipt") as Record<string, unknown> | null;
  let receipt: ChainFacts["receipt"] = null;
  if (r) {
    const logs = Array.isArray(r.logs) ? (r.logs as Record<string, unknown>[]) : [];
    const l = logs.find(
      (x) => typeof x.logIndex === "string" && quantity(x.logIndex, "log index") === claim.anchor.logIndex,
    );
    receipt = {
      blockNumber: quantity(r.blockNumber, "receipt block number"),
      blockHash: String(r.blockHash).toLowerCase(),
      status: quantity(r.status, "receipt status"),
      from: String(r.from).toLowerCase(),
      log: l
        ? {
            address: String(l.address).toLowerCase(),
            topics: (l.topics as string[]).map((t) => String(t).toLowerCase()),
            data: String(l.data).toLowerCase(),
          }
        : null,
    };
  }

  const b = result(answers, "block") as Record<string, unknown> | null;
  const block = b
    ? {
        hash: String(b.hash).toLowerCase(),
        timestamp: quantity(b.timestamp, "block timestamp"),
        hasTx:
          Array.isArray(b.transactions) &&
          (b.transactions as unknown[]).some(
            (t) =>
              String(typeof t === "string" ? t : (t as { hash?: string }).hash).toLowerCase() === claim.anchor.txHash,
          ),
      }
    : null;

  const facts: ChainFacts = {
    chainId,
    hasCode,
    anchor,
    receipt,
    block,
    head: quantity(result(answers, "head"), "head block number"),
  };
  if (answers.genesis) {
    const g = result(answers, "genesis") as Record<string, unknown> | null;
    facts.genesisHash = g ? String(g.hash).toLowerCase() : "none";
  }
  if (answers.inclusion) {
    const rd = revertData(answers.inclusion);
    facts.inclusion =
      rd !== undefined ? `reverted (${rd.slice(0, 10)})` : decodeBool(result(answers, "inclusion") as string);
  }
  return facts;
}

/** Names of the steps a verifier reports, in order. */
export type StepName =
  | "schema"
  | "canonical form"
  | "leaf hash"
  | "audit path"
  | "checkpoint"
  | "trust"
  | "endpoints agree"
  | "chain id"
  | "anchor"
  | "block"
  | "finality"
  | "on-chain inclusion";

/** One step of a verification: passed or failed, why, and a stable code when it failed. */
export interface Step {
  step: StepName;
  ok: boolean;
  detail: string;
  code?: string;
}

/** The facts one endpoint gave, labelled for messages (a redacted URL). */
export interface EndpointFacts {
  endpoint: string;
  facts: ChainFacts;
}

/** Options of checkAnchor. */
export interface CheckAnchorOptions {
  /** Blocks on top of the anchor block (the anchor block counts as 1) required to call it final. */
  confirmations?: number;
  /** The on-chain inclusion check was asked for: require the contract to answer true. */
  onchain?: boolean;
  /** The pinned genesis block hash: the chain's block 0 must have it (facts asked with `genesis`). */
  genesisHash?: string;
}

function agreementView(f: ChainFacts): Record<string, string> {
  return {
    "chain id": f.chainId,
    "contract code": String(f.hasCode),
    "anchored root": "missing" in f.anchor ? "none" : f.anchor.root,
    "anchored tree size": "missing" in f.anchor ? "none" : f.anchor.treeSize,
    "anchored first seq": "missing" in f.anchor ? "none" : f.anchor.firstSeq,
    "anchor tx block": f.receipt
      ? `${f.receipt.blockNumber} ${f.receipt.blockHash} from ${f.receipt.from}`
      : "unknown tx",
    "anchor tx log": f.receipt?.log
      ? `${f.receipt.log.address} ${f.receipt.log.topics.join(",")} ${f.receipt.log.data}`
      : "none",
    "block hash": f.block ? `${f.block.hash} ${f.block.timestamp} ${f.block.hasTx}` : "none",
    "on-chain inclusion": String(f.inclusion),
    "genesis block": String(f.genesisHash),
  };
}

/**
 * Compares what the endpoints said with the claim, step by step, stopping at the first failure.
 * With several endpoints, every one must give the same facts (except its head block: endpoints
 * lag each other); the first that differs from the first endpoint is named. Finality takes the
 * endpoint with the fewest confirmations.
 */
export function checkAnchor(claim: AnchorClaim, endpoints: EndpointFacts[], opts: CheckAnchorOptions = {}): Step[] {
  const steps: Step[] = [];
  const fail = (step: StepName, code: string, detail: string) => (steps.push({ step, ok: false, detail, code }), steps);
  const ok = (step: StepName, detail: string) => steps.push({ step, ok: true, detail });
  if (endpoints.length === 0) return fail("endpoints agree", "CHAIN_UNREACHABLE", "no chain endpoint was asked");
  const a = claim.anchor;
  const first = endpoints[0];

  if (endpoints.length > 1) {
    const base = agreementView(first.facts);
    for (const e of endpoints.slice(1)) {
      const view = agreementView(e.facts);
      const field = Object.keys(base).find((k) => base[k] !== view[k]);
      if (field) {
        return fail(
          "endpoints agree",
          "PROOF_ENDPOINTS_DISAGREE",
          `endpoints disagree: ${e.endpoint} says ${field} is ${view[field]}, ${first.endpoint} says ${base[field]}: one of them is wrong or lying, trust neither`,
        );
      }
    }
    ok(
      "endpoints agree",
      `all ${endpoints.length} endpoints give the same answers (${endpoints.map((e) => e.endpoint).join(", ")})`,
    );
  }
  const f = first.facts;

  if (f.chainId !== a.chainId)
    return fail(
      "chain id",
      "CHAIN_ID_MISMATCH",
      `chain id mismatch: endpoint is chain ${f.chainId}, bundle says ${a.chainId}`,
    );
  if (opts.genesisHash !== undefined && f.genesisHash !== opts.genesisHash.toLowerCase()) {
    return fail(
      "chain id",
      "TRUST_GENESIS_MISMATCH",
      `genesis mismatch: the endpoint's chain ${f.chainId} has block 0 ${f.genesisHash ?? "unknown"}, the pinned chain has ${opts.genesisHash}: another chain with the same chain id`,
    );
  }
  ok(
    "chain id",
    `chain ${f.chainId}${opts.genesisHash !== undefined ? `, genesis block ${opts.genesisHash} as pinned` : ""}`,
  );

  if (!f.hasCode)
    return fail("anchor", "CHAIN_NO_CONTRACT", `anchor missing: no contract at ${a.contract} on chain ${a.chainId}`);
  if ("missing" in f.anchor) {
    return fail(
      "anchor",
      "PROOF_ANCHOR_MISSING",
      `anchor missing: contract ${a.contract} has no epoch ${claim.epoch} for ledger ${a.ledgerName}: ${f.anchor.missing}`,
    );
  }
  if (f.anchor.root !== claim.root) {
    return fail(
      "anchor",
      "PROOF_ANCHOR_ROOT_MISMATCH",
      `root mismatch for epoch ${claim.epoch}: chain has ${f.anchor.root}, bundle says ${claim.root}`,
    );
  }
  if (f.anchor.treeSize !== String(claim.treeSize)) {
    return fail(
      "anchor",
      "PROOF_ANCHOR_SIZE_MISMATCH",
      `size mismatch for epoch ${claim.epoch}: chain has tree size ${f.anchor.treeSize}, bundle says ${claim.treeSize}`,
    );
  }
  if (f.anchor.firstSeq !== String(a.firstSeq)) {
    return fail(
      "anchor",
      "PROOF_ANCHOR_SEQ_MISMATCH",
      `first sequence number mismatch for epoch ${claim.epoch}: chain has ${f.anchor.firstSeq}, bundle says ${a.firstSeq}`,
    );
  }
  ok(
    "anchor",
    `contract ${a.contract} holds root ${claim.root} and tree size ${claim.treeSize} for epoch ${claim.epoch} of ledger ${a.ledgerName}`,
  );

  const r = f.receipt;
  if (!r)
    return fail("block", "PROOF_TX_MISMATCH", `block mismatch: anchor tx ${a.txHash} is not on chain ${a.chainId}`);
  if (r.blockNumber !== a.blockNumber || r.blockHash !== a.blockHash) {
    return fail(
      "block",
      "PROOF_BLOCK_MISMATCH",
      `block mismatch: tx ${a.txHash} is in block ${r.blockNumber} ${r.blockHash}, bundle says ${a.blockNumber} ${a.blockHash}`,
    );
  }
  if (!f.block || f.block.hash !== a.blockHash || !f.block.hasTx) {
    return fail(
      "block",
      "PROOF_BLOCK_MISMATCH",
      `block mismatch: block ${a.blockNumber} on chain is ${f.block?.hash ?? "missing"}${f.block && !f.block.hasTx ? " without the anchor tx" : ""}, bundle says ${a.blockHash}`,
    );
  }
  if (f.block.timestamp !== a.blockTimestamp) {
    return fail(
      "block",
      "PROOF_BLOCK_MISMATCH",
      `block mismatch: block ${a.blockNumber} has timestamp ${f.block.timestamp}, bundle says ${a.blockTimestamp}`,
    );
  }
  const log = r.log;
  const words = log ? wordsOf(log.data) : [];
  const logOk =
    r.status === 1 &&
    log !== null &&
    log.address === a.contract.toLowerCase() &&
    log.topics.length === 4 &&
    log.topics[0] === keccakHex(EPOCH_ANCHORED_SIGNATURE) &&
    log.topics[1] === a.ledgerId &&
    BigInt(log.topics[2]) === BigInt(claim.epoch) &&
    words.length === 3 &&
    words[0] === claim.root &&
    BigInt(words[1]) === BigInt(claim.treeSize) &&
    BigInt(words[2]) === BigInt(a.firstSeq);
  if (!logOk) {
    return fail(
      "block",
      "PROOF_TX_MISMATCH",
      `block mismatch: tx ${a.txHash} log ${a.logIndex} is not the EpochAnchored event of epoch ${claim.epoch} with this root`,
    );
  }
  // Who anchored: the transaction's sender and the account the contract logged must both be the
  // bundle's anchorer (the pin then says whether that account is the site's).
  if (r.from !== a.anchorer.toLowerCase()) {
    return fail(
      "block",
      "PROOF_ANCHORER_MISMATCH",
      `anchorer mismatch: tx ${a.txHash} was sent by ${r.from}, bundle says ${a.anchorer}`,
    );
  }
  if (log!.topics[3] !== addressWord(a.anchorer)) {
    return fail(
      "block",
      "PROOF_ANCHORER_MISMATCH",
      `anchorer mismatch: the EpochAnchored log names ${"0x" + log!.topics[3].slice(26)}, bundle says ${a.anchorer}`,
    );
  }
  ok(
    "block",
    `tx ${a.txHash} from ${a.anchorer} is in block ${a.blockNumber} ${a.blockHash} (timestamp ${a.blockTimestamp}) and logged EpochAnchored for epoch ${claim.epoch} by that account`,
  );

  const confirmations = Math.min(...endpoints.map((e) => e.facts.head - a.blockNumber + 1));
  const want = opts.confirmations ?? 1;
  if (confirmations < want)
    return fail("finality", "PROOF_NOT_FINAL", `not yet final: ${confirmations} confirmations, want ${want}`);
  ok("finality", `${confirmations} confirmations (want ${want})`);

  if (opts.onchain) {
    if (f.inclusion !== true) {
      return fail(
        "on-chain inclusion",
        "PROOF_ONCHAIN_INCLUSION_FAILED",
        `the contract's verifyInclusion view answered ${String(f.inclusion)} for this audit path`,
      );
    }
    ok("on-chain inclusion", "the contract's verifyInclusion view answered true");
  }
  return steps;
}

/** Sends one JSON-RPC request; resolves with the answer, rejects only when the endpoint cannot be reached. */
export type JsonRpcTransport = (method: string, params: unknown[]) => Promise<RpcAnswer>;

/**
 * Runs the requests of a claim over a transport and reads the facts. The one asynchronous function
 * of the core: it does no I/O of its own (the transport is the caller's), so the CLI and the browser
 * page share it.
 * @throws whatever the transport throws (unreachable), RpcAnswerError for malformed answers
 */
export async function gatherChainFacts(
  transport: JsonRpcTransport,
  claim: AnchorClaim,
  inclusion?: InclusionQuery,
  questions: ChainQuestions = {},
): Promise<ChainFacts> {
  const reqs = anchorRequests(claim, inclusion, questions);
  const answers = await Promise.all(reqs.map((r) => transport(r.method, r.params)));
  const byKey: Partial<Record<RpcKey, RpcAnswer>> = {};
  reqs.forEach((r, i) => (byKey[r.key] = answers[i]));
  return chainFactsFrom(claim, byKey);
}
