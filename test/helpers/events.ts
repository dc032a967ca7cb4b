/** Realistic GxP events for tests (GXP.md §3.3 envelope). */
import { randomUUID } from "node:crypto";

let counter = 0;

/** A valid `parameter.recorded` event of batch `batchId`, with a fresh id unless given. */
export function sampleEvent(overrides: Record<string, unknown> = {}, batchId = "B-2026-0042"): Record<string, unknown> {
  counter++;
  return {
    specversion: "1.0",
    id: `evt-${randomUUID()}`,
    type: "parameter.recorded",
    source: "urn:mes:pasx:site-DE01:prod",
    sourceSequence: counter,
    occurredAt: "2026-11-25T09:15:02.120+01:00",
    recordedAt: "2026-11-25T09:15:02.480+01:00",
    timeZone: "Europe/Berlin",
    site: "DE01",
    actor: { type: "person", userId: "u123", printedName: "A. Schmidt", role: "Operator" },
    gmpCriticality: "major",
    batch: { batchId, productCode: "P-100" },
    recipe: { masterRecipeId: "MR-7", masterRecipeVersion: "3", controlRecipeId: `CR-${batchId}` },
    context: { unit: "GRAN-01", phase: "Granulation" },
    data: {
      name: "inlet_temperature",
      value: 61.5,
      unit: "degC",
      low: 55,
      high: 65,
      withinLimits: true,
      source: "automatic",
    },
    ...overrides,
  };
}

/** `n` sample events. */
export function sampleEvents(n: number, batchId?: string): Record<string, unknown>[] {
  return Array.from({ length: n }, () => sampleEvent({}, batchId));
}
