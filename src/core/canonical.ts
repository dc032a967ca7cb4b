/**
 * RFC 8785 (JCS) canonical JSON. The serialisation itself is the `canonicalize` package by the RFC's
 * author; this module first checks that the value is I-JSON (RFC 7493) so that JCS is defined for it:
 * only plain objects, arrays, strings, finite numbers, booleans and null, no lone UTF-16 surrogates
 * (RFC 8785 §3.2.2.2 requires valid Unicode), no `undefined` hiding in objects.
 */
import canonicalize from "canonicalize";
import { EventError } from "./errors";
import { utf8 } from "./hex";

// A lone high surrogate not followed by a low one, or a lone low surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Deepest nesting accepted (a record wraps the event: event data gets a few levels less). */
export const MAX_DEPTH = 64;

/**
 * Throws unless `value` is I-JSON that JCS can serialise without loss, nested at most MAX_DEPTH deep
 * (deeper input would overflow the stack of any recursive serialiser, ours or a verifier's).
 * @throws EventError EVENT_NOT_CANONICALISABLE naming the first bad path
 */
export function assertCanonicalisable(value: unknown, path = "", depth = 0): void {
  const bad = (message: string): never => {
    throw new EventError("EVENT_NOT_CANONICALISABLE", `${path || "/"}: ${message}`, [{ path: path || "/", message }]);
  };
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) bad("string holds a lone UTF-16 surrogate (invalid Unicode)");
    return;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) bad("number is not finite");
    return;
  }
  if (depth >= MAX_DEPTH) bad(`nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertCanonicalisable(v, `${path}/${i}`, depth + 1));
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) bad("not a plain JSON object");
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (LONE_SURROGATE.test(k)) bad("member name holds a lone UTF-16 surrogate");
      assertCanonicalisable(v, `${path}/${escapePointer(k)}`, depth + 1);
    }
    return;
  }
  bad(`${typeof value} is not a JSON value`);
}

/**
 * The RFC 8785 canonical serialisation of `value`, as a string.
 * @throws EventError EVENT_NOT_CANONICALISABLE
 */
export function canonicalString(value: unknown): string {
  assertCanonicalisable(value);
  const s = canonicalize(value);
  if (s === undefined) throw new EventError("EVENT_NOT_CANONICALISABLE", "value has no JSON form");
  return s;
}

/**
 * The RFC 8785 canonical bytes (UTF-8) of `value`.
 * @throws EventError EVENT_NOT_CANONICALISABLE
 */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalString(value));
}
