/**
 * The GxP event envelope posted by the MES (../shared/domain/GXP.md §3.3), as TypeScript types. The
 * JSON Schema in ./schema.ts is the authority; these types mirror it.
 */

/** Standard event types (GXP.md §3.4). */
export const EVENT_TYPES = [
  "batch.created",
  "batch.state_changed",
  "equipment.verified",
  "material.dispensed",
  "material.charged",
  "material.produced",
  "yield.recorded",
  "unit_procedure.started",
  "unit_procedure.completed",
  "operation.started",
  "operation.completed",
  "phase.started",
  "phase.completed",
  "parameter.recorded",
  "ipc.result_recorded",
  "sample.taken",
  "alarm.raised",
  "alarm.acknowledged",
  "exception.raised",
  "deviation.opened",
  "deviation.closed",
  "comment.added",
  "record.corrected",
  "record.voided",
  "signature.applied",
  "batch.review_completed",
  "batch.dispositioned",
  "security.event",
] as const;

/** One of the standard event types. */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Types that describe work on one manufacturing batch: they must carry `batch` and `recipe`.
 * Others (equipment checks, deviations, comments, corrections, signatures, security events) may.
 */
export const BATCH_SCOPED_TYPES: readonly EventType[] = [
  "batch.created",
  "batch.state_changed",
  "material.dispensed",
  "material.charged",
  "material.produced",
  "yield.recorded",
  "unit_procedure.started",
  "unit_procedure.completed",
  "operation.started",
  "operation.completed",
  "phase.started",
  "phase.completed",
  "parameter.recorded",
  "ipc.result_recorded",
  "sample.taken",
  "batch.review_completed",
  "batch.dispositioned",
];

/** Relations an event may have to earlier events. */
export const REF_RELATIONS = ["corrects", "voids", "signs", "verifies", "closes", "causedBy", "relatesTo"] as const;

/** Who performed the action (21 CFR 11.10(e), Annex 11 §12.4). */
export interface Actor {
  type: "person" | "system" | "equipment";
  userId: string;
  printedName: string;
  role: string;
  workstationId?: string;
  equipmentId?: string;
}

/** The manufacturing batch (lot) an event belongs to. */
export interface BatchRef {
  batchId: string;
  productCode: string;
  lotId?: string;
  productName?: string;
  materialDefinitionId?: string;
  campaignId?: string;
  orderId?: string;
}

/** ISA-88 master → control recipe. */
export interface RecipeRef {
  masterRecipeId: string;
  masterRecipeVersion: string;
  controlRecipeId: string;
}

/** A GxP event as the MES posts it. */
export interface GxpEvent {
  specversion: "1.0";
  schemaVersion?: string;
  id: string;
  type: EventType;
  source: string;
  sourceSequence: number;
  occurredAt: string;
  recordedAt: string;
  timeZone: string;
  site: string;
  actor: Actor;
  gmpCriticality: "critical" | "major" | "minor" | "info";
  data: Record<string, unknown>;
  batch?: BatchRef;
  recipe?: RecipeRef;
  context?: Record<string, string>;
  refs?: { eventId: string; rel: (typeof REF_RELATIONS)[number] }[];
  payloadHash?: string;
}
