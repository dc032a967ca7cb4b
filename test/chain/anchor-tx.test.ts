import { expect } from "chai";
import { FeeData } from "ethers";
import { capFees, isOurAnchorTx, replacementFees } from "../../src/chain/anchor-tx";

const gwei = (n: number) => BigInt(Math.round(n * 1e9));
const feeData = (maxFee: bigint | null, tip: bigint | null, gasPrice: bigint | null) =>
  new FeeData(gasPrice, maxFee, tip);

describe("replacementFees", () => {
  describe("when the old tx is EIP-1559", () => {
    it("raises the fee cap and the tip by 12.5 % (rounded up), above the 10 % nodes require", () => {
      const f = replacementFees(
        { maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(2) },
        feeData(gwei(1), gwei(1), gwei(1)),
      );
      expect(f).to.deep.equal({ maxFeePerGas: gwei(45), maxPriorityFeePerGas: gwei(2.25) });
      const odd = replacementFees({ maxFeePerGas: 1001n, maxPriorityFeePerGas: 7n }, feeData(null, null, null));
      expect(odd).to.deep.equal({ maxFeePerGas: 1127n, maxPriorityFeePerGas: 8n });
    });
    it("follows the node's suggestion when the market rose more than the bump, and keeps the tip under the cap", () => {
      const f = replacementFees(
        { maxFeePerGas: gwei(10), maxPriorityFeePerGas: gwei(1) },
        feeData(gwei(30), gwei(5), gwei(20)),
      );
      expect(f).to.deep.equal({ maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(5) });
      const tipHeavy = replacementFees(
        { maxFeePerGas: gwei(2), maxPriorityFeePerGas: gwei(2) },
        feeData(gwei(1), gwei(4), null),
      );
      expect(tipHeavy.maxFeePerGas! >= tipHeavy.maxPriorityFeePerGas!).to.equal(true);
    });
  });
  describe("when the old tx is legacy or its fees are unknown", () => {
    it("raises the gas price, or the node's suggestion, by 12.5 %", () => {
      expect(replacementFees({ gasPrice: gwei(8) }, feeData(null, null, gwei(1)))).to.deep.equal({ gasPrice: gwei(9) });
      expect(replacementFees(undefined, feeData(gwei(8), gwei(2), gwei(5)))).to.deep.equal({
        maxFeePerGas: gwei(9),
        maxPriorityFeePerGas: gwei(2.25),
      });
      expect(replacementFees(undefined, feeData(null, null, gwei(8)))).to.deep.equal({ gasPrice: gwei(9) });
    });
  });
});

describe("capFees", () => {
  it("lowers fees above the ceiling and says so; leaves fees under it, or with no ceiling, alone", () => {
    expect(capFees({ maxFeePerGas: gwei(60), maxPriorityFeePerGas: gwei(3) }, gwei(50))).to.deep.equal({
      fees: { maxFeePerGas: gwei(50), maxPriorityFeePerGas: gwei(3) },
      capped: true,
    });
    expect(capFees({ gasPrice: gwei(60) }, gwei(50))).to.deep.equal({ fees: { gasPrice: gwei(50) }, capped: true });
    expect(capFees({ maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(3) }, gwei(50))).to.deep.equal({
      fees: { maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(3) },
      capped: false,
    });
    expect(capFees({ gasPrice: gwei(60) }, undefined)).to.deep.equal({ fees: { gasPrice: gwei(60) }, capped: false });
  });
});

describe("isOurAnchorTx", () => {
  const want = { from: "0x" + "aA".repeat(20), nonce: 7, contract: "0x" + "bB".repeat(20), data: "0xDEADbeef" };
  const ours = { from: "0x" + "aa".repeat(20), nonce: 7, to: "0x" + "bb".repeat(20), data: "0xdeadbeef", value: 0n };
  it("accepts our account, nonce, contract and exact calldata whatever the letter case", () => {
    expect(isOurAnchorTx(ours, want)).to.equal(true);
  });
  it("refuses any difference: another sender, nonce, target, calldata or a value", () => {
    expect(isOurAnchorTx({ ...ours, from: "0x" + "cc".repeat(20) }, want)).to.equal(false);
    expect(isOurAnchorTx({ ...ours, nonce: 8 }, want)).to.equal(false);
    expect(isOurAnchorTx({ ...ours, to: ours.from }, want)).to.equal(false);
    expect(isOurAnchorTx({ ...ours, to: null }, want)).to.equal(false);
    expect(isOurAnchorTx({ ...ours, data: "0xdeadbeee" }, want)).to.equal(false);
    expect(isOurAnchorTx({ ...ours, value: 1n }, want)).to.equal(false);
  });
});
