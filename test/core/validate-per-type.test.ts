import { expect } from "chai";
import { assertEvent, assertEventFullSchema, EVENT_TYPES, EventError, typesWithOwnValidator } from "../../src/core";
import { sampleEvent } from "../helpers/events";

/** Accepted, or the refusal's code and issues. */
function outcome(f: (e: unknown) => void, e: unknown): string {
  try {
    f(e);
    return "ok";
  } catch (err) {
    return `${(err as EventError).code} ${JSON.stringify((err as EventError).issues)}`;
  }
}

describe("event validation compiled per type (issue 14)", () => {
  it("accepts and refuses exactly what the full schema does, naming the same fields, for every standard type", () => {
    const variants = (type: string): unknown[] => {
      const base = sampleEvent({ type });
      const { batch: _b, ...noBatch } = base;
      const { recipe: _r, ...noRecipe } = base;
      return [
        base,
        noBatch,
        noRecipe,
        { ...base, data: {} },
        { ...base, data: { reasonText: "x", reasonCode: "Y", from: "A", to: "Held" } },
        { ...base, refs: [{ eventId: "evt-1", rel: "corrects" }] },
        { ...base, refs: [{ eventId: "evt-1", rel: "voids" }], data: { reasonText: "wrong" } },
        { ...base, extra: 1, site: "" },
        { ...base, occurredAt: "yesterday", sourceSequence: -1 },
      ];
    };
    let compared = 0;
    let refused = 0;
    for (const type of EVENT_TYPES) {
      const vs = variants(type);
      // Enough events of the type that the per-type validator is in use.
      for (let i = 0; i < 70; i++) outcome(assertEvent, vs[0]);
      for (const v of vs) {
        const want = outcome(assertEventFullSchema, v);
        expect(outcome(assertEvent, v), `${type}: ${JSON.stringify(v)}`).to.equal(want);
        compared++;
        if (want !== "ok") refused++;
      }
    }
    expect(typesWithOwnValidator()).to.deep.equal([...EVENT_TYPES].sort());
    expect(compared).to.equal(EVENT_TYPES.length * 9);
    expect(refused).to.be.greaterThan(EVENT_TYPES.length * 5);
  });
});
