/**
 * The Hardhat tasks of hardhat.config.ts (gxp:deploy, gxp:create-ledger, gxp:grant-anchorer,
 * gxp:revoke-anchorer, gxp:show) on the Hardhat network: each does what `gxp-ledger chain …` does,
 * through the same src/chain/admin.ts, and writes the same chain record.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import type { ChainRecord } from "../../src/chain/chain-record";

describe("Hardhat tasks gxp:*", () => {
  let dir: string;
  let record: string;
  let log: typeof console.log;
  let printed: unknown[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-tasks-"));
    record = path.join(dir, "gxp-chain.json");
    printed = [];
    log = console.log;
    console.log = (s: string) => printed.push(JSON.parse(s));
  });
  afterEach(() => {
    console.log = log;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("deploy, create a ledger, grant and revoke an anchorer, show: recorded, and a revoked anchorer cannot anchor", async () => {
    const [adminSigner, anchorer, other] = await ethers.getSigners();
    await hre.run("gxp:deploy", { record });
    await hre.run("gxp:create-ledger", { name: "DE01", record });
    await hre.run("gxp:grant-anchorer", { name: "DE01", account: anchorer.address, record });
    const r = JSON.parse(fs.readFileSync(record, "utf8")) as ChainRecord;
    expect(r.contractAdmin).to.equal(adminSigner.address);
    expect(r.ledgers.map((l) => [l.name, l.admin, l.anchorers.map((a) => a.address)])).to.deep.equal([
      ["DE01", adminSigner.address, [anchorer.address]],
    ]);

    const c = await ethers.getContractAt("GxpAnchor", r.contract);
    const id = ethers.encodeBytes32String("DE01");
    await (await c.connect(anchorer).getFunction("anchor")(id, 0, ethers.id("root 0"), 3, 0)).wait();
    await hre.run("gxp:revoke-anchorer", { name: "DE01", account: anchorer.address, record });
    await expect(c.connect(anchorer).getFunction("anchor")(id, 1, ethers.id("root 1"), 3, 3))
      .to.be.revertedWithCustomError(c, "AccessControlUnauthorizedAccount")
      .withArgs(anchorer.address, await c.getFunction("anchorerRole")(id));
    expect((JSON.parse(fs.readFileSync(record, "utf8")) as ChainRecord).ledgers[0].anchorers[0].revoked).to.not.equal(
      null,
    );

    printed = [];
    await hre.run("gxp:show", { record });
    const show = printed[0] as {
      ledgers: { name: string; anchorers: string[]; anchors: number; roleHistory: { event: string }[] }[];
    };
    expect(show.ledgers.map((l) => [l.name, l.anchorers, l.anchors, l.roleHistory.map((h) => h.event)])).to.deep.equal([
      ["DE01", [], 1, ["granted", "granted", "revoked"]],
    ]);

    // A grant signed by an account that is not the ledger admin: the contract's custom error, named.
    const { setAnchorer } = await import("../../src/chain/admin");
    const refused = await setAnchorer(other, r.contract, "DE01", other.address, true, record).then(
      () => undefined,
      (e: { code?: string; info?: { error?: string } }) => e,
    );
    expect([refused?.code, refused?.info?.error]).to.deep.equal([
      "CHAIN_ADMIN_REFUSED",
      "AccessControlUnauthorizedAccount",
    ]);
  });
});
