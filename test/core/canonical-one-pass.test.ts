import { expect } from "chai";
import fc from "fast-check";
import { canonicalObjectOfTexts, canonicalString, canonicalStringChecked, EventError, MAX_DEPTH } from "../../src/core";

/** What canonicalString gives or throws (code and message), to compare the one-pass form with. */
function outcome(f: (v: unknown) => string, v: unknown): string {
  try {
    return "ok " + f(v);
  } catch (e) {
    return `throws ${(e as EventError).code} ${(e as Error).message}`;
  }
}

describe("canonicalStringChecked (one pass of checks and RFC 8785, issue 14)", () => {
  it("gives canonicalString's text for any JSON value, including full Unicode strings and keys and every kind of number", () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.string({ unit: "binary" }),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("v"), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(canonicalStringChecked, v)).to.equal(outcome(canonicalString, v));
      }),
      { numRuns: 3000 },
    );
  });
  it("refuses what canonicalString refuses, with the same code and path", () => {
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < MAX_DEPTH + 1; i++) cur.push((cur = []));
    const bad: unknown[] = [
      { a: "\uD800" },
      { ["\uDC00"]: 1 },
      { n: NaN },
      [1, Infinity],
      { u: undefined },
      // eslint-disable-next-line no-sparse-arrays -- a hole is one of the inputs canonical JSON must refuse
      [1, , 2],
      { d: new Date(0) },
      { f: () => 1 },
      { toJSON: () => "x" },
      Object.create({ inherited: 1 }),
      deep,
      10n,
    ];
    for (const v of bad) {
      const want = outcome(canonicalString, v);
      expect(want).to.match(/^throws EVENT_NOT_CANONICALISABLE/);
      expect(outcome(canonicalStringChecked, v)).to.equal(want);
    }
  });
  it("composes an object from member texts as the object's own RFC 8785 text", () => {
    const members = {
      seq: 12,
      salt: "0xab",
      event: { z: [1, "é"], a: null },
      batchLink: { batchSeq: 0, prevLeafHash: null },
      receivedAt: "2026-12-04T10:00:00.000Z",
    };
    const texts = Object.fromEntries(Object.entries(members).map(([k, v]) => [k, canonicalString(v)]));
    expect(canonicalObjectOfTexts(texts)).to.equal(canonicalString(members));
  });
});
