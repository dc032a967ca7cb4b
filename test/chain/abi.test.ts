import { expect } from "chai";
import fs from "node:fs";
import { Interface } from "ethers";
import { GXP_ANCHOR_ABI } from "../../src/chain/abi";
import { ARTIFACT_PATH } from "../../src/chain/deploy";

describe("GXP_ANCHOR_ABI", () => {
  it("matches every fragment it declares in the compiled contract", () => {
    const compiled = new Interface(JSON.parse(fs.readFileSync(ARTIFACT_PATH, "utf8")).abi);
    const ours = new Interface(GXP_ANCHOR_ABI);
    const sig = (i: Interface) => new Set(i.fragments.map((f) => f.format("full")));
    const theirs = sig(compiled);
    for (const f of sig(ours)) expect(theirs.has(f), f).to.equal(true);
  });
});
