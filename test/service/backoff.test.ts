import { expect } from "chai";
import { ANCHOR_BACKOFF, backoffCeiling, backoffDelay } from "../../src/service/app/backoff";

describe("backoffDelay", () => {
  const p = { baseMs: 1000, maxMs: 8000 };

  describe("when failures repeat", () => {
    it("doubles the ceiling from the base and stops at the maximum", () => {
      expect([1, 2, 3, 4, 5, 6, 100].map((n) => backoffCeiling(n, p))).to.deep.equal([
        1000, 2000, 4000, 8000, 8000, 8000, 8000,
      ]);
      expect(backoffCeiling(7, ANCHOR_BACKOFF)).to.equal(60_000);
    });
    it("draws each delay between half and all of its ceiling (equal jitter)", () => {
      for (let n = 1; n <= 8; n++) {
        const c = backoffCeiling(n, p);
        expect(backoffDelay(n, p, () => 0)).to.equal(c / 2);
        expect(backoffDelay(n, p, () => 0.999999)).to.equal(c);
        for (let i = 0; i < 50; i++) expect(backoffDelay(n, p)).to.be.within(c / 2, c);
      }
    });
    it("spreads retries of ledgers failing at the same moment", () => {
      const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, ANCHOR_BACKOFF)));
      expect(delays.size).to.be.greaterThan(40);
    });
  });

  describe("when the attempt is not a positive integer", () => {
    it("throws a RangeError", () => {
      expect(() => backoffDelay(0, p)).to.throw(RangeError);
      expect(() => backoffDelay(1.5, p)).to.throw(RangeError);
    });
  });
});
