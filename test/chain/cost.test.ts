/**
 * The arithmetic of `chain cost` (docs/operations.md, "Cost and cadence"): the doc's worked figures
 * are the ones the code computes.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { formatEther, parseUnits } from "ethers";
import { ANCHOR_GAS_STEADY_STATE, anchorCostOf, nativeSymbolOf } from "../../src/chain/cost";

const DOC = fs.readFileSync(path.resolve(__dirname, "../../docs/operations.md"), "utf8");

describe("anchorCostOf", () => {
  it("multiplies the gas by the price, the anchors a day by 86,400 / epoch age (rounded up), a year by 365", () => {
    const c = anchorCostOf(78_384n, 2_000_000_000n, 60);
    expect([c.anchorsPerDay, c.weiPerAnchor, c.weiPerDay, c.weiPerYear]).to.deep.equal([
      1440,
      156_768_000_000_000n,
      225_745_920_000_000_000n,
      82_397_260_800_000_000_000n,
    ]);
    expect(anchorCostOf(1n, 1n, 7).anchorsPerDay).to.equal(12_343); // 86,400 / 7 = 12,342.86
    expect(() => anchorCostOf(1n, 1n, 0)).to.throw(RangeError);
    expect(() => anchorCostOf(1n, 1n, 1.5)).to.throw(RangeError);
  });

  it("gives the figures docs/operations.md works out for mainnet, an L2 and a consortium chain", () => {
    const eth = (gwei: string, age: number) => anchorCostOf(ANCHOR_GAS_STEADY_STATE, parseUnits(gwei, "gwei"), age);
    expect(DOC).to.include(`${formatEther(eth("2", 60).weiPerAnchor)} ETH per anchor`);
    expect(DOC).to.include(`**${Number(formatEther(eth("2", 60).weiPerYear)).toFixed(1)} ETH a year**`);
    expect(DOC).to.include(`**${Number(formatEther(eth("2", 3600).weiPerYear)).toFixed(2)} ETH a year**`);
    expect(DOC).to.include(`${formatEther(eth("0.01", 60).weiPerAnchor)}\n  ETH of execution per anchor`);
    expect(DOC).to.include(`**${Number(formatEther(eth("0.01", 60).weiPerYear)).toFixed(3)} ETH a year**`);
    expect(DOC).to.include(`${(Number(ANCHOR_GAS_STEADY_STATE * 1440n) / 1e6).toFixed(1)} M gas`);
  });
});

describe("nativeSymbolOf", () => {
  it("names ETH on Ethereum, its L2s and the development chains, POL on Polygon, nothing elsewhere", () => {
    expect([1n, 8453n, 31337n, 137n, 99999n].map(nativeSymbolOf)).to.deep.equal([
      "ETH",
      "ETH",
      "ETH",
      "POL",
      undefined,
    ]);
  });
});
