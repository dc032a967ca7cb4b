/**
 * The pure half of the on-chain check: ABI encodings against ethers' coder (an implementation we did
 * not write), reading JSON-RPC answers into facts, and comparing the facts of one or more endpoints
 * with a claim, one failure code per step.
 */
import { expect } from "chai";
import { Interface } from "ethers";
import { GXP_ANCHOR_ABI } from "../../src/chain/abi";
import {
  AnchorClaim,
  ChainFacts,
  RpcAnswer,
  RpcKey,
  anchorRequests,
  chainFactsFrom,
  checkAnchor,
  decodeGetAnchor,
  encodeGetAnchor,
  encodeVerifyInclusion,
  keccakHex,
  EPOCH_ANCHORED_SIGNATURE,
  ledgerIdOfName,
  selectorOf,
  uintWord,
} from "../../src/core";

const iface = new Interface(GXP_ANCHOR_ABI);
const H = (b: string) => "0x" + b.repeat(32);
const ledgerId = ledgerIdOfName("DE01");
const ANCHORER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const GENESIS = H("9a");
const claim: AnchorClaim = {
  epoch: 7,
  root: H("ab"),
  treeSize: 5,
  anchor: {
    anchorer: ANCHORER,
    chainId: "31337",
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    ledgerId,
    ledgerName: "DE01",
    epoch: 7,
    firstSeq: 40,
    txHash: H("cd"),
    blockNumber: 12,
    blockHash: H("ef"),
    blockTimestamp: 1_800_000_000,
    logIndex: 2,
  },
};

/** What an honest node answers for `claim`. */
function honestAnswers(): Partial<Record<RpcKey, RpcAnswer>> {
  const log = iface.encodeEventLog("EpochAnchored", [ledgerId, 7, ANCHORER, claim.root, 5, 40]);
  return {
    chainId: { result: "0x7a69" },
    code: { result: "0x6080" },
    anchor: { result: iface.encodeFunctionResult("getAnchor", [[claim.root, 5, 40, 1_800_000_000, 12]]) },
    receipt: {
      result: {
        blockNumber: "0xc",
        blockHash: H("ef"),
        status: "0x1",
        from: ANCHORER.toLowerCase(),
        logs: [{ logIndex: "0x2", address: claim.anchor.contract.toLowerCase(), topics: log.topics, data: log.data }],
      },
    },
    block: { result: { hash: H("ef"), timestamp: "0x6b49d200", transactions: [H("cd")] } },
    head: { result: "0xe" },
    inclusion: { result: uintWord(1).replace(/^/, "0x") },
    genesis: { result: { hash: GENESIS, timestamp: "0x0", transactions: [] } },
  };
}
const facts = (edit: (a: Partial<Record<RpcKey, RpcAnswer>>) => void = () => {}): ChainFacts => {
  const a = honestAnswers();
  edit(a);
  return chainFactsFrom(claim, a);
};
const failure = (f: ChainFacts[], opts = {}) =>
  checkAnchor(
    claim,
    f.map((x, i) => ({ endpoint: `e${i + 1}`, facts: x })),
    opts,
  ).find((s) => !s.ok);

describe("ABI encodings", () => {
  it("match ethers' coder for getAnchor, verifyInclusion and the EpochAnchored topic", () => {
    expect(encodeGetAnchor(ledgerId, 7)).to.equal(iface.encodeFunctionData("getAnchor", [ledgerId, 7]));
    const path = [H("01"), H("02"), H("03")];
    expect(encodeVerifyInclusion(ledgerId, 7, H("aa"), 4, path)).to.equal(
      iface.encodeFunctionData("verifyInclusion", [ledgerId, 7, H("aa"), 4, path]),
    );
    expect(encodeVerifyInclusion(ledgerId, 0, H("aa"), 0, [])).to.equal(
      iface.encodeFunctionData("verifyInclusion", [ledgerId, 0, H("aa"), 0, []]),
    );
    expect(keccakHex(EPOCH_ANCHORED_SIGNATURE)).to.equal(iface.getEvent("EpochAnchored")!.topicHash);
    expect(selectorOf("GxpAnchorEpochNotAnchored(bytes32,uint64)")).to.equal(
      iface.getError("GxpAnchorEpochNotAnchored")!.selector,
    );
    expect(decodeGetAnchor(iface.encodeFunctionResult("getAnchor", [[H("11"), 3, 9, 100, 4]]))).to.deep.equal({
      root: H("11"),
      treeSize: 3n,
      firstSeq: 9n,
      timestamp: 100n,
      blockNumber: 4n,
    });
  });
  it("binds a ledger id to its name as Solidity's bytes32 string", () => {
    expect(ledgerIdOfName("default")).to.equal("0x64656661756c74" + "0".repeat(50));
    expect(() => ledgerIdOfName("x".repeat(32))).to.throw(RangeError);
  });
});

describe("anchorRequests", () => {
  it("asks only the chain, at the claimed contract, block and tx", () => {
    const reqs = anchorRequests(claim, { leafHash: H("aa"), leafIndex: 0, auditPath: [] });
    expect(reqs.map((r) => r.method)).to.deep.equal([
      "eth_chainId",
      "eth_getCode",
      "eth_call",
      "eth_getTransactionReceipt",
      "eth_getBlockByNumber",
      "eth_blockNumber",
      "eth_call",
    ]);
    expect(reqs[4].params).to.deep.equal(["0xc", false]);
  });
  it("asks for block 0 only when a genesis hash is pinned", () => {
    const reqs = anchorRequests(claim, undefined, { genesis: true });
    expect(reqs.map((r) => r.method)).to.deep.equal([
      "eth_chainId",
      "eth_getCode",
      "eth_call",
      "eth_getTransactionReceipt",
      "eth_getBlockByNumber",
      "eth_blockNumber",
      "eth_getBlockByNumber",
    ]);
    expect(reqs[6].params).to.deep.equal(["0x0", false]);
  });
});

describe("checkAnchor", () => {
  describe("when one honest endpoint answers", () => {
    it("passes chain id, anchor, block, finality and on-chain inclusion", () => {
      const steps = checkAnchor(claim, [{ endpoint: "e1", facts: facts() }], { onchain: true, genesisHash: GENESIS });
      expect(steps.map((s) => [s.step, s.ok])).to.deep.equal([
        ["chain id", true],
        ["anchor", true],
        ["block", true],
        ["finality", true],
        ["on-chain inclusion", true],
      ]);
      expect(steps[0].detail).to.equal(`chain 31337, genesis block ${GENESIS} as pinned`);
    });
  });
  describe("when the chain says otherwise", () => {
    it("names each step with its code", () => {
      const NOT_ANCHORED = {
        error: {
          code: 3,
          message: "execution reverted",
          data: selectorOf("GxpAnchorEpochNotAnchored(bytes32,uint64)") + ledgerId.slice(2) + uintWord(7),
        },
      };
      const cases: [string, (a: Partial<Record<RpcKey, RpcAnswer>>) => void, object?][] = [
        ["CHAIN_ID_MISMATCH", (a) => (a.chainId = { result: "0x1" })],
        ["CHAIN_NO_CONTRACT", (a) => (a.code = { result: "0x" })],
        ["PROOF_ANCHOR_MISSING", (a) => (a.anchor = NOT_ANCHORED)],
        [
          "PROOF_ANCHOR_ROOT_MISMATCH",
          (a) => (a.anchor = { result: iface.encodeFunctionResult("getAnchor", [[H("99"), 5, 40, 1, 12]]) }),
        ],
        [
          "PROOF_ANCHOR_SIZE_MISMATCH",
          (a) => (a.anchor = { result: iface.encodeFunctionResult("getAnchor", [[claim.root, 6, 40, 1, 12]]) }),
        ],
        [
          "PROOF_ANCHOR_SEQ_MISMATCH",
          (a) => (a.anchor = { result: iface.encodeFunctionResult("getAnchor", [[claim.root, 5, 41, 1, 12]]) }),
        ],
        ["PROOF_TX_MISMATCH", (a) => (a.receipt = { result: null })],
        ["PROOF_BLOCK_MISMATCH", (a) => ((a.receipt as any).result.blockNumber = "0xd")],
        ["PROOF_BLOCK_MISMATCH", (a) => ((a.block as any).result.transactions = [])],
        ["PROOF_BLOCK_MISMATCH", (a) => ((a.block as any).result.timestamp = "0x1")],
        ["PROOF_TX_MISMATCH", (a) => ((a.receipt as any).result.logs[0].topics[2] = "0x" + uintWord(8))],
        ["PROOF_TX_MISMATCH", (a) => ((a.receipt as any).result.status = "0x0")],
        ["PROOF_TX_MISMATCH", (a) => (a.receipt as any).result.logs[0].topics.pop()],
        ["PROOF_ANCHORER_MISMATCH", (a) => ((a.receipt as any).result.from = OTHER.toLowerCase())],
        [
          "PROOF_ANCHORER_MISMATCH",
          (a) => ((a.receipt as any).result.logs[0].topics[3] = "0x" + OTHER.slice(2).toLowerCase().padStart(64, "0")),
        ],
        ["TRUST_GENESIS_MISMATCH", (a) => ((a.genesis as any).result.hash = H("9b")), { genesisHash: GENESIS }],
        ["PROOF_NOT_FINAL", () => {}, { confirmations: 4 }],
        ["PROOF_ONCHAIN_INCLUSION_FAILED", (a) => (a.inclusion = { result: "0x" + uintWord(0) }), { onchain: true }],
      ];
      for (const [code, edit, opts] of cases) expect(failure([facts(edit)], opts)?.code, code).to.equal(code);
    });
  });
  describe("when several endpoints answer", () => {
    it("accepts endpoints that differ only in their head block, counting confirmations at the slowest", () => {
      const steps = checkAnchor(
        claim,
        [
          { endpoint: "e1", facts: facts() },
          { endpoint: "e2", facts: facts((a) => (a.head = { result: "0xc" })) },
        ],
        { confirmations: 1 },
      );
      expect(steps.every((s) => s.ok)).to.equal(true);
      expect(steps.find((s) => s.step === "finality")!.detail).to.match(/^1 confirmations/);
    });
    it("names the endpoint that gives another root, before comparing with the bundle", () => {
      const liar = facts(
        (a) => (a.anchor = { result: iface.encodeFunctionResult("getAnchor", [[H("99"), 5, 40, 1, 12]]) }),
      );
      const f = failure([facts(), facts(), liar]);
      expect(f).to.deep.include({ step: "endpoints agree", code: "PROOF_ENDPOINTS_DISAGREE" });
      expect(f!.detail).to.equal(
        `endpoints disagree: e3 says anchored root is ${H("99")}, e1 says ${claim.root}: one of them is wrong or lying, trust neither`,
      );
    });
  });
});
