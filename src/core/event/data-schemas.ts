/**
 * What each standard event type must carry in `data` (GXP.md §3.4), as JSON Schema: required fields,
 * a unit wherever a quantity is given, enumerations where the domain has them. Extra fields are
 * allowed (an MES records more than the minimum). Vendor types outside the standard list are
 * accepted only under an `x-` prefix, with free-form data.
 */
import { EventType } from "./types";

const str = { type: "string", minLength: 1, maxLength: 4096 };
const num = { type: "number" };
const bool = { type: "boolean" };
const time = { type: "string", format: "date-time", maxLength: 64 };
const quantity = (name: string) => ({ [name]: num, unit: str });
const reason = { anyOf: [{ required: ["reasonCode"] }, { required: ["reasonText"] }] };

function data(required: string[], properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: "object", required, properties, ...extra };
}

/** The data schema of every standard type. */
export const DATA_SCHEMAS: Record<EventType, Record<string, unknown>> = {
  "batch.created": data(["plannedQuantity", "unit", "mbrApprovalRef"], {
    ...quantity("plannedQuantity"),
    mbrApprovalRef: str,
  }),
  "batch.state_changed": data(
    ["from", "to"],
    { from: str, to: str },
    {
      if: { properties: { to: { enum: ["Held", "Aborted"] } } },
      then: reason,
    },
  ),
  "equipment.verified": data(["equipmentId", "checkType", "status", "effectiveAt", "expiresAt"], {
    equipmentId: str,
    checkType: { enum: ["clean", "sterile", "calibrated", "qualified"] },
    status: str,
    effectiveAt: time,
    expiresAt: time,
    logbookRef: str,
  }),
  "material.dispensed": data(
    ["materialId", "lotId", "containerId", "targetQuantity", "netQuantity", "unit", "balanceId", "manualEntry"],
    {
      materialId: str,
      lotId: str,
      containerId: str,
      targetQuantity: num,
      netQuantity: num,
      grossQuantity: num,
      tareQuantity: num,
      unit: str,
      balanceId: str,
      manualEntry: bool,
    },
  ),
  "material.charged": data(["lotId", "quantity", "unit", "destinationUnit"], {
    lotId: str,
    ...quantity("quantity"),
    destinationUnit: str,
    additionOrder: { type: "integer", minimum: 0 },
  }),
  "material.produced": data(["outputLotId", "quantity", "unit"], { outputLotId: str, ...quantity("quantity") }),
  "yield.recorded": data(["actualQuantity", "theoreticalQuantity", "unit"], {
    actualQuantity: num,
    theoreticalQuantity: num,
    unit: str,
    percentOfTheoretical: num,
  }),
  "unit_procedure.started": data(["stepInstanceId"], { stepInstanceId: str }),
  "unit_procedure.completed": data(["stepInstanceId", "outcome"], {
    stepInstanceId: str,
    outcome: { enum: ["completed", "aborted", "forced", "skipped"] },
  }),
  "operation.started": data(["stepInstanceId"], { stepInstanceId: str }),
  "operation.completed": data(["stepInstanceId", "outcome"], {
    stepInstanceId: str,
    outcome: { enum: ["completed", "aborted", "forced", "skipped"] },
  }),
  "phase.started": data(["stepInstanceId"], { stepInstanceId: str }),
  "phase.completed": data(["stepInstanceId", "outcome"], {
    stepInstanceId: str,
    outcome: { enum: ["completed", "aborted", "forced", "skipped"] },
  }),
  "parameter.recorded": data(["name", "value", "unit", "withinLimits", "source"], {
    name: str,
    value: { type: ["number", "string", "boolean"] },
    unit: str,
    low: num,
    high: num,
    withinLimits: bool,
    source: { enum: ["manual", "automatic"] },
  }),
  "ipc.result_recorded": data(["testCode", "result", "specification", "passed"], {
    testCode: str,
    result: { type: ["number", "string"] },
    unit: str,
    specification: str,
    passed: bool,
  }),
  "sample.taken": data(["sampleId", "quantity", "unit", "reason"], {
    sampleId: str,
    ...quantity("quantity"),
    reason: str,
  }),
  "alarm.raised": data(["alarmId"], { alarmId: str }),
  "alarm.acknowledged": data(["alarmId", "ackText"], { alarmId: str, ackText: str }),
  "exception.raised": data(["exceptionClass", "severity"], { exceptionClass: str, severity: str }),
  "deviation.opened": data(["deviationId", "classification"], { deviationId: str, classification: str }),
  "deviation.closed": data(["deviationId"], { deviationId: str, closureSignatureRef: str }),
  "comment.added": data(["text"], { text: str }),
  "record.corrected": data(
    ["field", "previousValue", "newValue"],
    {
      field: { type: "string", pattern: "^(/[^/]*)+$" },
      previousValue: {},
      newValue: {},
      reasonCode: str,
      reasonText: str,
    },
    reason,
  ),
  "record.voided": data([], { reasonCode: str, reasonText: str, investigationRef: str }, reason),
  "signature.applied": data(["meaning", "signedAt", "timeZone", "signedContent"], {
    meaning: {
      enum: ["performed", "verified", "reviewed", "approved", "released", "rejected", "authored", "responsible"],
    },
    signedAt: time,
    timeZone: str,
    signedContent: {
      type: "object",
      required: ["kind", "eventIds", "contentHash"],
      properties: {
        kind: { const: "eventSet" },
        eventIds: { type: "array", minItems: 1, maxItems: 10_000, items: str },
        contentHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
      },
    },
  }),
  // The MES's review of the batch record; or QA's signed review of the ledger's verification
  // (review-batch --sign: with reportHash, the 21 CFR 11.50 manifestation and the batch head it covers).
  "batch.review_completed": data(
    ["reviewScope", "auditTrailReviewed"],
    {
      reviewScope: str,
      auditTrailReviewed: bool,
      meaning: str,
      signedAt: time,
      timeZone: str,
      verdict: { enum: ["PASS", "INTEGRITY-FAIL", "UNPINNED", "NOT-ANCHORED", "OPEN-ITEMS"] },
      integrityOk: bool,
      reportHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
      reviewedHead: {
        type: "object",
        required: ["batchSeq", "eventId", "leafHash"],
        properties: {
          batchSeq: { type: "integer", minimum: 0 },
          eventId: str,
          leafHash: { type: "string", pattern: "^0x[0-9a-f]{64}$" },
        },
      },
      authMethod: str,
      componentsUsed: { enum: ["all", "subsequent-in-session"] },
    },
    {
      if: { required: ["reportHash"] },
      then: { required: ["meaning", "signedAt", "timeZone", "verdict", "integrityOk", "reviewedHead"] },
    },
  ),
  "batch.dispositioned": data(["decision", "signatureRef"], {
    decision: { enum: ["released", "rejected", "quarantined"] },
    signatureRef: str,
  }),
  "security.event": data(["kind"], { kind: str }),
};

/** The reference each type needs in `refs` (corrections point at what they correct). */
export const REQUIRED_REF: Partial<Record<EventType, string>> = {
  "record.corrected": "corrects",
  "record.voided": "voids",
  "signature.applied": "signs",
};
