/**
 * `key rotate` with sealed epochs not yet anchored: refused (their checkpoints are signed with the
 * current key, and verifiers check that key's validity at the anchor block's time), unless
 * --allow-unanchored.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger } from "../../src/service/app/ledger";
import { sampleEvents } from "../helpers/events";
import { cli } from "../helpers/process";

describe("key rotate (CLI)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-key-rotate-"));
    const ledger = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 });
    ledger.events.append(sampleEvents(3, "B-ROT"));
    ledger.sealer.seal(new Date());
    ledger.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses while a sealed epoch is not anchored, naming it, and rotates with --allow-unanchored", () => {
    const r = cli(["--data-dir", dir, "key", "rotate", "--reason", "test"]);
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.contain("1 sealed epoch(s) (from epoch 0) are not yet anchored and final");
    const forced = cli([
      "--data-dir",
      dir,
      "--json",
      "key",
      "rotate",
      "--reason",
      "compromised key",
      "--allow-unanchored",
    ]);
    expect(forced.code, forced.stdout + forced.stderr).to.equal(0);
    expect(JSON.parse(forced.stdout).reason ?? JSON.parse(forced.stdout).rotatedFrom).to.be.a("string");
  });
});
