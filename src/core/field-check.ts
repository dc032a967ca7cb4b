/**
 * Hand-written document checks that collect every bad field, in the manner of sigstore-js's
 * `assertBundle` (packages/bundle/src/validate.ts): a verifier checks the structure of what it was
 * given without a JSON Schema engine, so the browser page carries no validator and a document is
 * judged by its own format version alone. Each object is checked against a table of its members;
 * each bad member is one FieldIssue with a JSON Pointer (RFC 6901) to it.
 */
import { FieldIssue } from "./errors";

/** Checks one member's value at `path`, adding an issue to `c` for each thing wrong with it. */
export type FieldRule = (c: FieldCheck, path: string, value: unknown) => void;

/** An object's members: the rule of each, and which may be absent. */
export interface ObjectShape {
  members: Record<string, FieldRule>;
  /** Members that may be absent; every other member of `members` is required. */
  optional?: readonly string[];
}

/** JSON Pointer of a member name (RFC 6901 §3). */
export function pointerOf(key: string): string {
  return "/" + key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The collector of bad fields of one document. */
export class FieldCheck {
  readonly issues: FieldIssue[] = [];

  /** Records one bad field. */
  add(path: string, message: string): void {
    this.issues.push({ path: path || "/", message });
  }

  /**
   * Checks an object against its shape: an object, every required member present, no member the
   * shape does not list, each present member by its rule. Returns the object when it is one.
   */
  object(path: string, value: unknown, shape: ObjectShape): Record<string, unknown> | undefined {
    if (!isJsonObject(value)) {
      this.add(path, "must be a JSON object");
      return undefined;
    }
    const { members, required } = prepared(shape);
    for (const [key, pointer, rule] of members) {
      if (Object.prototype.hasOwnProperty.call(value, key)) rule(this, path + pointer, value[key]);
      else if (required.has(key)) this.add(path + pointer, "is required");
    }
    for (const key of Object.keys(value)) {
      if (!Object.prototype.hasOwnProperty.call(shape.members, key))
        this.add(path + pointerOf(key), "is not a known field");
    }
    return value;
  }
}

// A shape's members with their JSON Pointers, worked out once per shape (a verifier checks many bundles).
const preparedShapes = new WeakMap<ObjectShape, { members: [string, string, FieldRule][]; required: Set<string> }>();
function prepared(shape: ObjectShape) {
  let p = preparedShapes.get(shape);
  if (!p) {
    const optional = new Set(shape.optional ?? []);
    p = {
      members: Object.entries(shape.members).map(([k, rule]) => [k, pointerOf(k), rule]),
      required: new Set(Object.keys(shape.members).filter((k) => !optional.has(k))),
    };
    preparedShapes.set(shape, p);
  }
  return p;
}

/** A string matching `pattern` (anchored), described as `what`. */
export function matching(pattern: RegExp, what: string): FieldRule {
  return (c, path, v) => {
    if (typeof v !== "string" || !pattern.test(v)) c.add(path, `must be ${what}`);
  };
}

/** An integer from `min` to 2^53 − 1. */
export function integerFrom(min: number): FieldRule {
  return (c, path, v) => {
    if (!Number.isSafeInteger(v) || (v as number) < min) c.add(path, `must be an integer from ${min} to 2^53 - 1`);
  };
}

/** Exactly `want`. */
export function exactly(want: string | number | boolean): FieldRule {
  return (c, path, v) => {
    if (v !== want) c.add(path, `must be ${JSON.stringify(want)}`);
  };
}

/** A string of `min` to `max` Unicode code points. */
export function textOf(min: number, max: number): FieldRule {
  return (c, path, v) => {
    const n = typeof v === "string" ? [...v].length : -1;
    if (n < min || n > max) c.add(path, `must be a string of ${min} to ${max} characters`);
  };
}

/** A boolean. */
export const isBoolean: FieldRule = (c, path, v) => {
  if (typeof v !== "boolean") c.add(path, "must be true or false");
};

/** `rule`, or null. */
export function orNull(rule: FieldRule): FieldRule {
  return (c, path, v) => {
    if (v !== null) rule(c, path, v);
  };
}

/** An array of `min` to `max` items, each by `item`. */
export function arrayOf(item: FieldRule, min: number, max: number): FieldRule {
  return (c, path, v) => {
    if (!Array.isArray(v)) return c.add(path, "must be an array");
    if (v.length < min || v.length > max) c.add(path, `must have ${min} to ${max} items`);
    v.forEach((x, i) => item(c, `${path}/${i}`, x));
  };
}

/** An object of the given shape. */
export function objectOf(shape: ObjectShape): FieldRule {
  return (c, path, v) => void c.object(path, v, shape);
}
