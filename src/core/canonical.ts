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
export function assertCanonicalisable(value: unknown): void {
  const where: (string | number)[] = [];
  // The JSON Pointer is only built when something is wrong: this runs on every event.
  const bad = (message: string): never => {
    const path = where.map((k) => "/" + (typeof k === "number" ? k : escapePointer(k))).join("") || "/";
    throw new EventError("EVENT_NOT_CANONICALISABLE", `${path}: ${message}`, [{ path, message }]);
  };
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v === "boolean") return;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) bad("string holds a lone UTF-16 surrogate (invalid Unicode)");
      return;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) bad("number is not finite");
      return;
    }
    if (depth >= MAX_DEPTH) bad(`nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        where.push(i);
        walk(v[i], depth + 1);
        where.pop();
      }
      return;
    }
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) bad("not a plain JSON object");
      for (const k in v as Record<string, unknown>) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        where.push(k);
        if (LONE_SURROGATE.test(k)) bad("member name holds a lone UTF-16 surrogate");
        walk((v as Record<string, unknown>)[k], depth + 1);
        where.pop();
      }
      return;
    }
    bad(`${typeof v} is not a JSON value`);
  };
  walk(value, 0);
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

/**
 * The RFC 8785 serialisation of a value already checked with assertCanonicalisable (or built from
 * such values and plain strings and integers): skips the second walk on the ingestion hot path.
 * Precondition: the caller has checked it; otherwise use canonicalString.
 */
export function canonicalStringOfChecked(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new EventError("EVENT_NOT_CANONICALISABLE", "value has no JSON form");
  return s;
}

/** One pass of checks and serialisation; undefined at anything canonicalString would refuse or treat specially. */
function checkedJcs(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
      return LONE_SURROGATE.test(v) ? undefined : JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          const s = checkedJcs(v[i], depth + 1);
          if (s === undefined) return undefined;
          out += i === 0 ? s : "," + s;
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const o = v as Record<string, unknown>;
      if (typeof o.toJSON === "function") return undefined;
      const keys = Object.keys(o).sort();
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (LONE_SURROGATE.test(k)) return undefined;
        const s = checkedJcs(o[k], depth + 1);
        if (s === undefined) return undefined;
        out += (i === 0 ? "" : ",") + JSON.stringify(k) + ":" + s;
      }
      return out + "}";
    }
    default:
      return undefined;
  }
}

/**
 * canonicalString in one pass (issue 14): the I-JSON checks of assertCanonicalisable and the RFC 8785
 * serialisation together, for the ingestion hot path. The same string as canonicalString(value) for
 * every value: whatever the single pass does not take plainly (a refused value, a toJSON member, an
 * undefined member) goes through canonicalString, which throws the same error with the same path.
 * @throws EventError EVENT_NOT_CANONICALISABLE
 */
export function canonicalStringChecked(value: unknown): string {
  return checkedJcs(value, 0) ?? canonicalString(value);
}

/**
 * The RFC 8785 text of an object whose members are given already serialised (each value the
 * canonical text of that member): the members sorted by name as RFC 8785 §3.2.3 sorts them (UTF-16
 * code units), so a record's text is composed from its event's text without serialising it again.
 * Precondition: every value is RFC 8785 text.
 */
export function canonicalObjectOfTexts(members: Record<string, string>): string {
  const keys = Object.keys(members).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += (i === 0 ? "" : ",") + JSON.stringify(keys[i]) + ":" + members[keys[i]];
  return out + "}";
}
