import { expect } from "chai";
import {
  CHAIN_FINALITY,
  UNKNOWN_CHAIN_MIN_CONFIRMATIONS,
  confirmationsWarning,
  finalityOf,
} from "../../src/chain/finality";

describe("finalityOf", () => {
  it("knows Ethereum mainnet, Sepolia and Holesky at 64 blocks (two epochs) and Polygon PoS at 128", () => {
    expect([1, 11155111, 17000, 137].map((id) => finalityOf(id)?.blocks)).to.deep.equal([64, 64, 64, 128]);
  });
  it("knows OP Mainnet, Base and Arbitrum One as rollups, with no block count", () => {
    for (const id of [10, 8453, 42161]) {
      const c = finalityOf(BigInt(id));
      expect(c, String(id)).to.not.equal(undefined);
      expect(c!.blocks).to.equal(undefined);
    }
  });
  it("does not know a development or private chain id", () => {
    expect(finalityOf(31337n)).to.equal(undefined);
    expect(finalityOf(1337)).to.equal(undefined);
  });
  it("lists each chain id once", () => {
    expect(new Set(CHAIN_FINALITY.map((c) => c.chainId)).size).to.equal(CHAIN_FINALITY.length);
  });
});

describe("confirmationsWarning", () => {
  describe("when the chain's finality is a block count", () => {
    it("warns below it, naming the chain and the count", () => {
      const w = confirmationsWarning(1n, 63);
      expect(w).to.be.a("string").and.include("Ethereum mainnet").and.include("64 blocks");
      expect(confirmationsWarning(137, 64)).to.include("128 blocks");
    });
    it("is silent at and above it", () => {
      expect(confirmationsWarning(1n, 64)).to.equal(undefined);
      expect(confirmationsWarning(11155111n, 100)).to.equal(undefined);
      expect(confirmationsWarning(137n, 128)).to.equal(undefined);
    });
  });
  describe("when the chain is a rollup", () => {
    it("always warns that confirmations count sequencer blocks and finality follows L1", () => {
      for (const n of [1, 6, 10_000]) {
        const w = confirmationsWarning(8453n, n);
        expect(w).to.be.a("string").and.include("sequencer blocks").and.include("L1");
      }
    });
  });
  describe("when the chain is unknown", () => {
    it(`warns below ${UNKNOWN_CHAIN_MIN_CONFIRMATIONS}, saying the chain's finality must be checked`, () => {
      expect(confirmationsWarning(31337n, 5)).to.be.a("string").and.include("check the chain's finality");
      expect(confirmationsWarning(31337n, 1)).to.be.a("string");
    });
    it(`is silent from ${UNKNOWN_CHAIN_MIN_CONFIRMATIONS}`, () => {
      expect(confirmationsWarning(31337n, 6)).to.equal(undefined);
      expect(confirmationsWarning(999_999n, 12)).to.equal(undefined);
    });
  });
});
