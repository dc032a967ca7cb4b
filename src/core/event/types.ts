/**
 * The GxP event envelope posted by the MES (../shared/domain/GXP.md §3.3), as TypeScript types. The
 * JSON Schema in ./schema.ts is the authority; these types mirror it.
 */

/**
 * Standard event types (GXP.md §3.4), each with whether it describes work on one manufacturing batch:
 * batch-scoped types must carry `batch` and `recipe`; the others (equipment checks, deviations,
 * comments, corrections, signatures, security events) may.
 */
const TYPE_IS_BATCH_SCOPED = {
  "batch.created": true,
  "batch.state_changed": true,
  "equipment.verified": false,
  "material.dispensed": true,
  "material.charged": true,
  "material.produced": true,
  "yield.recorded": true,
  "unit_procedure.started": true,
  "unit_procedure.completed": true,
  "operation.started": true,
  "operation.completed": true,
  "phase.started": true,
  "phase.completed": true,
  "parameter.recorded": true,
  "ipc.result_recorded": true,
  "sample.taken": true,
  "alarm.raised": false,
  "alarm.acknowledged": false,
  "exception.raised": false,
  "deviation.opened": false,
  "deviation.closed": false,
  "comment.added": false,
  "record.corrected": false,
  "record.voided": false,
  "signature.applied": false,
  "batch.review_completed": true,
  "batch.dispositioned": true,
  "security.event": false,
} as const;

/** One of the standard event types. */
export type EventType = keyof typeof TYPE_IS_BATCH_SCOPED;

/** Every standard event type. */
export const EVENT_TYPES = Object.keys(TYPE_IS_BATCH_SCOPED) as EventType[];

/** Types that must carry `batch` and `recipe`. */
export const BATCH_SCOPED_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => TYPE_IS_BATCH_SCOPED[t]);

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
  sourceSig?: string;
}
