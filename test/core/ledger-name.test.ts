import { expect } from "chai";
import { isLedgerName, LEDGER_NAME_PATTERN, ledgerIdOfName } from "../../src/core";
import { ledgerIdOf } from "../../src/chain/contract";
import { buildConfig } from "../../src/service/app/config";

describe("isLedgerName", () => {
  const good = ["default", "DE01", "a", "site-1.line_2", "x".repeat(31)];
  const bad = ["", "x".repeat(32), ".hidden", "-x", "_x", "a b", "a/b", "Zürich", 42, undefined];
  it("accepts 1-31 characters of A-Z a-z 0-9 . _ - starting with a letter or digit", () => {
    for (const n of good) expect(isLedgerName(n), n).to.equal(true);
    for (const n of bad) expect(isLedgerName(n), String(n)).to.equal(false);
  });
  it("accepts only names that fit a bytes32 ledger id", () => {
    for (const n of good) expect(ledgerIdOfName(n)).to.match(/^0x[0-9a-f]{64}$/);
    expect(new RegExp(LEDGER_NAME_PATTERN).test("x".repeat(32))).to.equal(false);
  });
  it("is the rule the configuration and the chain client apply", () => {
    for (const n of bad.filter((b): b is string => typeof b === "string")) {
      expect(() => ledgerIdOf(n), n).to.throw();
      expect(() => buildConfig({}, { LEDGER_NAME: n }, "/tmp"), n)
        .to.throw()
        .with.property("code", "CONFIG_INVALID");
    }
    for (const n of good) {
      expect(ledgerIdOf(n), n).to.equal(ledgerIdOfName(n));
      expect(buildConfig({}, { LEDGER_NAME: n }, "/tmp").ledgerName).to.equal(n);
    }
  });
});
