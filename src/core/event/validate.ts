/**
 * Validation of a posted GxP event: the JSON Schema (all bad fields at once), I-JSON for canonical
 * form, and the optional `payloadHash`.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { canonicalBytes, assertCanonicalisable, canonicalStringChecked } from "../canonical";
import { EventError, FieldIssue } from "../errors";
import { sha256Noble } from "../merkle/hasher";
import { toHex } from "../hex";
import { EVENT_SCHEMA } from "./schema";
import { EVENT_TYPES, GxpEvent } from "./types";
import { LedgerRecord, recordFieldIssues } from "../record";

// Constructing an Intl.DateTimeFormat costs ~100 µs; an MES sends few distinct zones.
const zoneCache = new Map<string, boolean>();

function isIanaTimeZone(tz: string): boolean {
  let ok = zoneCache.get(tz);
  if (ok === undefined) {
    try {
      // Intl rejects unknown zones with a RangeError; it is the browser-safe IANA database.
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      ok = tz.includes("/") || tz === "UTC";
    } catch {
      ok = false;
    }
    if (zoneCache.size < 1000) zoneCache.set(tz, ok);
  }
  return ok;
}

// Compiled on first use: commands that never validate an event (verify-batch, status, audit, the
// chain commands) do not pay the ~0.3 s compile at start; verify-proof and the browser page
// validate each bundle's event and compile it on the first bundle.
const newAjv = () => {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv, ["date-time", "uri"]);
  ajv.addFormat("iana-time-zone", { type: "string", validate: isIanaTimeZone });
  return ajv;
};
let compiled: ValidateFunction | undefined;
/*
 * Validation compiled once per type (issue 14): the schema checks each event against every type's
 * `if` (allOf of if/then), ~2/3 of its cost. A standard type seen PER_TYPE_AFTER times gets its own
 * validator: the envelope with only the `then` parts whose `if` holds for that type, which accepts
 * and refuses exactly what the full schema does for an event of that type (and reports the same
 * fields: the full schema's `if` errors are not reported anyway). Anything else (a vendor x- type,
 * a bad type, the first events of a type, a one-shot CLI) uses the full schema.
 */
const PER_TYPE_AFTER = 64;
const typeSeen = new Map<string, number>();
const perType = new Map<string, ValidateFunction>();
let perTypeAjv: Ajv | undefined;
const ownValidator = new Set<string>();

/** The standard types validated by their own compiled validator by now (the others use the full schema). */
export function typesWithOwnValidator(): string[] {
  return [...ownValidator].sort();
}
function validatorOf(type: unknown): ValidateFunction | undefined {
  if (typeof type !== "string") return undefined;
  const v = perType.get(type);
  if (v) return v;
  if (!(EVENT_TYPES as readonly string[]).includes(type)) return undefined;
  const n = (typeSeen.get(type) ?? 0) + 1;
  typeSeen.set(type, n);
  if (n < PER_TYPE_AFTER) return undefined;
  let compiledType: ValidateFunction;
  try {
    const ajv = (perTypeAjv ??= newAjv());
    const { $id: _id, allOf, ...envelope } = EVENT_SCHEMA;
    const thens = allOf.filter((b) => ajv.compile({ type: "object", ...b.if })({ type })).map((b) => b.then);
    compiledType = ajv.compile(thens.length ? { ...envelope, allOf: thens } : envelope);
    ownValidator.add(type);
  } catch {
    compiledType = compiled!; // cannot happen with this schema; the full schema is always right
  }
  perType.set(type, compiledType);
  return compiledType;
}
let last: ValidateFunction | undefined;
let fullOnly = false;
function validateSchema(input: unknown): boolean {
  compiled ??= newAjv().compile(EVENT_SCHEMA);
  last =
    (!fullOnly && typeof input === "object" && input !== null && validatorOf((input as { type?: unknown }).type)) ||
    compiled;
  return last(input) as boolean;
}

/**
 * assertEvent with the full schema only, never a per-type validator: what the per-type validators
 * must agree with (the tests compare the two).
 * @throws as assertEvent
 */
export function assertEventFullSchema(input: unknown): asserts input is GxpEvent {
  fullOnly = true;
  try {
    assertEvent(input);
  } finally {
    fullOnly = false;
  }
}
validateSchema.errorsOf = (): ErrorObject[] => last?.errors ?? [];

/** Compiles the event schema now (a server calls it at start so the first post does not pay for it). */
export function prepareEventValidation(): void {
  validateSchema({});
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function toIssue(e: ErrorObject): FieldIssue | undefined {
  const p = e.params as Record<string, unknown>;
  // The branches of an anyOf each fail; the anyOf's own error below says it once, plainly.
  if (/\/anyOf\/\d+\//.test(e.schemaPath)) return undefined;
  switch (e.keyword) {
    case "if":
      return undefined; // the failing `then` branch reports the missing fields itself
    case "anyOf":
      if (e.instancePath === "/type")
        return { path: "/type", message: "must be a standard event type or a vendor type starting with x-" };
      if (e.schemaPath.endsWith("/anyOf"))
        return { path: e.instancePath || "/", message: "must carry a reason: reasonCode or reasonText" };
      return { path: e.instancePath || "/", message: "matches none of the allowed forms" };
    case "contains":
      return {
        path: e.instancePath || "/refs",
        message: "must reference the event it applies to (rel as required by the type)",
      };
    case "required":
      return { path: `${e.instancePath}/${escapePointer(String(p.missingProperty))}`, message: "is required" };
    case "additionalProperties": {
      const name = String(p.additionalProperty);
      const path = `${e.instancePath}/${escapePointer(name)}`;
      if (path === "/receivedAt")
        return { path, message: "is set by the ledger from its own clock; clients may not send it" };
      return { path, message: "is not a known field" };
    }
    case "enum":
      return { path: e.instancePath || "/", message: `must be one of: ${(p.allowedValues as unknown[]).join(", ")}` };
    case "format":
      return {
        path: e.instancePath || "/",
        message: `must be a valid ${p.format === "date-time" ? "RFC 3339 date-time with offset" : p.format}`,
      };
    default:
      return { path: e.instancePath || "/", message: e.message ?? e.keyword };
  }
}

/** The `payloadHash` of an event: SHA-256 over the JCS form of the event without `payloadHash`, `sourceSig`, `receivedAt`. */
export function computePayloadHash(event: Record<string, unknown>): string {
  const rest: Record<string, unknown> = { ...event };
  delete rest.payloadHash;
  delete rest.sourceSig;
  delete rest.receivedAt;
  return "sha256:" + toHex(sha256Noble(canonicalBytes(rest))).slice(2);
}

/**
 * Validates a posted event and narrows its type.
 * @throws EventError EVENT_SCHEMA_INVALID listing every bad field; EVENT_NOT_CANONICALISABLE;
 *   EVENT_PAYLOAD_HASH_MISMATCH
 */
export function assertEvent(input: unknown): asserts input is GxpEvent {
  assertCanonicalisable(input);
  assertEventContent(input);
}

/**
 * assertEvent returning the event's RFC 8785 text, made in the same pass as the I-JSON check
 * (canonicalStringChecked): the ingestion path composes the record's text from it (issue 14).
 * @throws the same errors as assertEvent, in the same order
 */
export function assertEventText(input: unknown): string {
  const text = canonicalStringChecked(input);
  assertEventContent(input);
  return text;
}

/** assertEvent after the I-JSON check: the schema (every bad field) and the payloadHash. */
function assertEventContent(input: unknown): asserts input is GxpEvent {
  if (!validateSchema(input)) {
    const issues: FieldIssue[] = [];
    const seen = new Set<string>();
    for (const err of validateSchema.errorsOf()) {
      const issue = toIssue(err);
      if (!issue) continue;
      const key = issue.path + "\u0000" + issue.message;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
    const summary = issues.map((i) => `${i.path} ${i.message}`).join("; ");
    throw new EventError("EVENT_SCHEMA_INVALID", `invalid event: ${summary}`, issues);
  }
  const ev = input as GxpEvent;
  if (ev.payloadHash !== undefined) {
    const want = computePayloadHash(ev as unknown as Record<string, unknown>);
    if (want !== ev.payloadHash) {
      throw new EventError(
        "EVENT_PAYLOAD_HASH_MISMATCH",
        `payloadHash mismatch: got ${ev.payloadHash}, want ${want}`,
        [{ path: "/payloadHash", message: `does not match the event content: want ${want}` }],
        { got: ev.payloadHash, want },
      );
    }
  }
}

/**
 * Checks a record's shape and the event inside against the current event schema (what the ledger
 * stores). A verifier checks only the record's own fields (recordFieldIssues): see checkBundle.
 * @throws EventError RECORD_INVALID listing every bad field, or the event's own errors (paths under /event)
 */
export function assertRecord(input: unknown): asserts input is LedgerRecord {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new EventError("RECORD_INVALID", "record is not an object", [{ path: "/", message: "must be an object" }]);
  }
  const r = input as Record<string, unknown>;
  const issues = recordFieldIssues(r);
  if (issues.length) {
    throw new EventError(
      "RECORD_INVALID",
      `invalid record: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  try {
    assertEvent(r.event);
  } catch (e) {
    if (e instanceof EventError) {
      const nested = e.issues.map((i) => ({ path: `/event${i.path}`, message: i.message }));
      throw new EventError(e.code, e.message, nested, e.info);
    }
    throw e;
  }
}

/**
 * Refuses event times later than `nowMs` plus `maxSkewMs` (a clock that runs ahead, or a forged
 * time). The clock is passed in: the core reads none.
 * @throws EventError EVENT_SCHEMA_INVALID naming each such field
 */
export function assertNotInFuture(event: GxpEvent, nowMs: number, maxSkewMs: number): void {
  const issues: FieldIssue[] = [];
  for (const f of ["occurredAt", "recordedAt"] as const) {
    const t = Date.parse(event[f]);
    if (t > nowMs + maxSkewMs)
      issues.push({
        path: `/${f}`,
        message: `is ${Math.round((t - nowMs) / 1000)} s in the future (more than the allowed ${maxSkewMs / 1000} s clock skew)`,
      });
  }
  if (issues.length)
    throw new EventError(
      "EVENT_SCHEMA_INVALID",
      `invalid event ${event.id}: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      issues,
    );
}
