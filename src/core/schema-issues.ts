/**
 * Ajv's errors as the core's field issues: a JSON Pointer to the bad field (the missing or unknown
 * member named in the path) and what is wrong, for the documents the core still validates with a
 * JSON Schema (receipts). Proof bundles and trust profiles are checked by hand (src/core/field-check.ts).
 */
import type { ErrorObject } from "ajv";
import { FieldIssue } from "./errors";

/** Every bad field of an Ajv validation, one issue each. */
export function issuesOfAjv(errors: readonly ErrorObject[] | null | undefined): FieldIssue[] {
  return (errors ?? []).map((e) => {
    const p = e.params as Record<string, unknown>;
    const extra =
      e.keyword === "required"
        ? `/${p.missingProperty}`
        : e.keyword === "additionalProperties"
          ? `/${p.additionalProperty}`
          : "";
    return {
      path: `${e.instancePath}${extra}` || "/",
      message: e.keyword === "additionalProperties" ? "is not a known field" : (e.message ?? e.keyword),
    };
  });
}
