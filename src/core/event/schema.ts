/**
 * JSON Schema (draft-07) of the GxP event envelope, GXP.md §3.3. Strict: unknown top-level members are
 * rejected (so that a misspelt field is named, not silently kept), and `receivedAt` may not be sent:
 * the ledger sets it from its own clock (21 CFR 11.10(e) "independently").
 */
import { BATCH_SCOPED_TYPES, EVENT_TYPES, REF_RELATIONS } from "./types";
import { DATA_SCHEMAS, REQUIRED_REF } from "./data-schemas";

const id = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._:~-]*$" };
const text = (max: number) => ({ type: "string", minLength: 1, maxLength: max });
const rfc3339 = { type: "string", format: "date-time", maxLength: 64 };

/** The schema object; compiled once by ./validate.ts. */
export const EVENT_SCHEMA = {
  $id: "https://gxp-ledger.dev/schema/event-1.json",
  type: "object",
  required: [
    "specversion",
    "id",
    "type",
    "source",
    "sourceSequence",
    "occurredAt",
    "recordedAt",
    "timeZone",
    "site",
    "actor",
    "gmpCriticality",
    "data",
  ],
  additionalProperties: false,
  properties: {
    specversion: { const: "1.0" },
    schemaVersion: { type: "string", pattern: "^gxp-ledger/1\\.[0-9]+$" },
    id,
    // A standard type, or a vendor type under the x- prefix.
    type: { anyOf: [{ enum: EVENT_TYPES }, { type: "string", pattern: "^x-[a-z0-9][a-z0-9._-]{0,62}$" }] },
    source: { type: "string", format: "uri", minLength: 1, maxLength: 256 },
    sourceSequence: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    occurredAt: rfc3339,
    recordedAt: rfc3339,
    timeZone: { type: "string", format: "iana-time-zone", maxLength: 64 },
    site: text(128),
    actor: {
      type: "object",
      required: ["type", "userId", "printedName", "role"],
      additionalProperties: false,
      properties: {
        type: { enum: ["person", "system", "equipment"] },
        userId: text(128),
        printedName: text(256),
        role: text(128),
        workstationId: text(128),
        equipmentId: text(128),
      },
    },
    gmpCriticality: { enum: ["critical", "major", "minor", "info"] },
    data: { type: "object" },
    batch: {
      type: "object",
      required: ["batchId", "productCode"],
      additionalProperties: false,
      properties: {
        batchId: text(128),
        productCode: text(128),
        lotId: text(128),
        productName: text(256),
        materialDefinitionId: text(128),
        campaignId: text(128),
        orderId: text(128),
      },
    },
    recipe: {
      type: "object",
      required: ["masterRecipeId", "masterRecipeVersion", "controlRecipeId"],
      additionalProperties: false,
      properties: {
        masterRecipeId: text(128),
        masterRecipeVersion: text(64),
        controlRecipeId: text(128),
      },
    },
    context: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        [
          "area",
          "processCell",
          "unit",
          "equipmentModule",
          "procedure",
          "unitProcedure",
          "operation",
          "phase",
          "stepInstanceId",
        ].map((k) => [k, text(256)]),
      ),
    },
    refs: {
      type: "array",
      maxItems: 1000,
      items: {
        type: "object",
        required: ["eventId", "rel"],
        additionalProperties: false,
        properties: { eventId: id, rel: { enum: REF_RELATIONS } },
      },
    },
    payloadHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
    // The MES instance's signature over the event's canonical bytes without sourceSig: a detached
    // compact JWS (EdDSA or ES256) or an EIP-191 signature (0x, 65 bytes).
    sourceSig: {
      type: "string",
      minLength: 1,
      maxLength: 2048,
      pattern: "^(0x[0-9a-f]{130}|[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+)$",
    },
  },
  allOf: [
    {
      if: { properties: { type: { enum: BATCH_SCOPED_TYPES } }, required: ["type"] },
      then: { required: ["batch", "recipe"] },
    },
    ...Object.entries(DATA_SCHEMAS).map(([t, schema]) => ({
      if: { properties: { type: { const: t } }, required: ["type"] },
      then: {
        properties: { data: schema },
        ...(REQUIRED_REF[t as keyof typeof REQUIRED_REF]
          ? {
              required: ["refs"],
              properties: {
                data: schema,
                refs: {
                  type: "array",
                  contains: {
                    type: "object",
                    properties: { rel: { const: REQUIRED_REF[t as keyof typeof REQUIRED_REF] } },
                    required: ["rel"],
                  },
                },
              },
            }
          : {}),
      },
    })),
  ],
} as const;
