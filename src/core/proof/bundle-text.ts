/**
 * The byte form of a bundle file. A bundle is accepted only in one of two forms that its content
 * fixes byte for byte, so that what an inspector reads is exactly what was verified (no duplicate
 * member names, no alternative escapes or number spellings, no stray whitespace):
 *
 * - the **file form** (what `gxp-ledger proof` writes): RFC 8785 member order and RFC 8785 string
 *   and number forms, two-space indentation, `": "` after names, one `\n` at the end;
 * - the **compact form**: exactly the RFC 8785 canonical JSON of the bundle, optionally followed by
 *   one `\n`.
 *
 * The contract address is the one value whose letter case JSON does not fix; it must be in EIP-55
 * checksum form (how wallets and block explorers show it), so that its spelling is fixed too.
 */
import { isJsonObject } from "../field-check";
import { keccak_256 } from "@noble/hashes/sha3";
import { canonicalString } from "../canonical";
import { utf8 } from "../hex";

// The file form through canonicalString's checks at every value: the path for what bundleForms
// leaves out, with the errors those checks raise.
function pretty(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = indent + "  ";
    return "[\n" + value.map((v) => inner + pretty(v, inner)).join(",\n") + "\n" + indent + "]";
  }
  if (value !== null && typeof value === "object") {
    // RFC 8785 §3.2.3: members sorted by their names as arrays of UTF-16 code units.
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return "{}";
    const inner = indent + "  ";
    const obj = value as Record<string, unknown>;
    return (
      "{\n" +
      keys.map((k) => inner + canonicalString(k) + ": " + pretty(obj[k], inner)).join(",\n") +
      "\n" +
      indent +
      "}"
    );
  }
  return canonicalString(value);
}

const checksums = new Map<string, string>();

/** The EIP-55 checksum form of a 20-byte hex address (letters upper-cased where keccak256 of the lowercase hex has a nibble >= 8). */
export function toChecksumAddress(address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new RangeError(`${address} is not a 20-byte hex address`);
  const lower = address.slice(2).toLowerCase();
  // A verifier sees the same few contract addresses in every bundle: keccak once per address.
  const known = checksums.get(lower);
  if (known) return known;
  const h = keccak_256(utf8(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (h[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  if (checksums.size < 1024) checksums.set(lower, out);
  return out;
}

/** The byte forms of a bundle, from one check of the whole value (see bundleForms). */
export interface BundleForms {
  /** The file form, as bundleFileText. */
  file: string;
  /** The compact form, as bundleCompactText. */
  compact: string;
  /** RFC 8785 canonical JSON of the top-level `record` member, as canonicalString(bundle.record); undefined when there is none. */
  record: string | undefined;
}

// Any UTF-16 surrogate: strings holding one take the checked path (lone ones have no RFC 8785 form).
const SURROGATE = /[\uD800-\uDFFF]/;
// Containers nested this deep take the checked path, which applies MAX_DEPTH (src/core/canonical.ts)
// counted from the bundle and from its record; 62 < MAX_DEPTH - 1 keeps both counts in range.
const FAST_MAX_DEPTH = 62;

// What a walk found: plain JSON data the fast path handles, with every object's members in RFC 8785
// order (then JSON.stringify writes the canonical forms) or not; or anything else.
const SORTED = 2;
const UNSORTED = 1;
const UNUSUAL = 0;

function shapeOf(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
      return SURROGATE.test(value) ? UNUSUAL : SORTED;
    case "number":
      return Number.isFinite(value) ? SORTED : UNUSUAL;
    case "boolean":
      return SORTED;
    case "object": {
      if (value === null) return SORTED;
      if (depth >= FAST_MAX_DEPTH) return UNUSUAL;
      let shape = SORTED;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const s = shapeOf(value[i], depth + 1);
          if (s === UNUSUAL) return UNUSUAL;
          if (s < shape) shape = s;
        }
        return shape;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return UNUSUAL;
      // JSON.stringify writes members in Object.keys order: JSON.parse keeps the text's order, except
      // that integer-like names come first in numeric order; either way, sorted here means sorted there.
      const keys = Object.keys(value);
      const obj = value as Record<string, unknown>;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (SURROGATE.test(k)) return UNUSUAL;
        if (i > 0 && !(keys[i - 1] < k)) shape = UNSORTED;
        const s = shapeOf(obj[k], depth + 1);
        if (s === UNUSUAL) return UNUSUAL;
        if (s < shape) shape = s;
      }
      return shape;
    }
  }
  return UNUSUAL;
}

// One walk writes both forms of data whose members are not in order: the file form is returned, the
// compact form of the same value is left in `compactOut`; `unusual` is set when the value is not
// plain JSON data the fast path handles.
let compactOut = "";
let recordOut: string | undefined;
let unusual = false;

function both(value: unknown, indent: string, depth: number): string {
  switch (typeof value) {
    case "string":
      if (SURROGATE.test(value)) return bail();
      // RFC 8785 §3.2.2.2: strings are serialised as ECMAScript JSON.stringify does.
      return (compactOut = JSON.stringify(value));
    case "number":
      if (!Number.isFinite(value)) return bail();
      // RFC 8785 §3.2.2.3: numbers as ECMAScript Number.prototype.toString (= JSON.stringify).
      return (compactOut = JSON.stringify(value));
    case "boolean":
      return (compactOut = value ? "true" : "false");
    case "object": {
      if (value === null) return (compactOut = "null");
      if (depth >= FAST_MAX_DEPTH) return bail();
      const inner = indent + "  ";
      if (Array.isArray(value)) {
        if (value.length === 0) return (compactOut = "[]");
        let p = "[\n";
        let c = "[";
        for (let i = 0; i < value.length; i++) {
          const item = both(value[i], inner, depth + 1);
          if (unusual) return "";
          p += (i === 0 ? inner : ",\n" + inner) + item;
          c += (i === 0 ? "" : ",") + compactOut;
        }
        compactOut = c + "]";
        return p + "\n" + indent + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return bail();
      // RFC 8785 §3.2.3: members sorted by their names as arrays of UTF-16 code units.
      const keys = Object.keys(value).sort();
      if (keys.length === 0) return (compactOut = "{}");
      const obj = value as Record<string, unknown>;
      let p = "{\n";
      let c = "{";
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (SURROGATE.test(k)) return bail();
        const name = JSON.stringify(k);
        const member = both(obj[k], inner, depth + 1);
        if (unusual) return "";
        if (depth === 0 && k === "record") recordOut = compactOut;
        p += (i === 0 ? inner : ",\n" + inner) + name + ": " + member;
        c += (i === 0 ? "" : ",") + name + ":" + compactOut;
      }
      compactOut = c + "}";
      return p + "\n" + indent + "}";
    }
  }
  return bail();
}

function bail(): string {
  unusual = true;
  return "";
}

/**
 * The file form, the compact form and the record's RFC 8785 text of a bundle, from one check of the
 * whole value and JSON.stringify (or one serialising walk when some members are out of order); undefined
 * when the bundle holds anything but plain JSON data (plain objects, arrays, strings without UTF-16
 * surrogates, finite numbers, booleans, null) nested less than 62 deep: then bundleFileText,
 * bundleCompactText and canonicalString apply, with their own checks and errors. When defined, each
 * text equals what those functions return for the same value.
 */
export function bundleForms(bundle: unknown): BundleForms | undefined {
  const shape = shapeOf(bundle, 0);
  if (shape === UNUSUAL) return undefined;
  if (shape === SORTED) {
    // RFC 8785 §3.2.2 writes strings and numbers as JSON.stringify does, and every object's members
    // are already in §3.2.3 order: the native serialiser gives both forms. The compact form is only
    // needed for a file that is not in file form, so it is written on demand.
    const isObject = isJsonObject(bundle);
    const record =
      isObject && Object.prototype.propertyIsEnumerable.call(bundle, "record")
        ? JSON.stringify((bundle as { record: unknown }).record)
        : undefined;
    return {
      file: JSON.stringify(bundle, null, 2) + "\n",
      get compact() {
        return JSON.stringify(bundle);
      },
      record,
    };
  }
  unusual = false;
  recordOut = undefined;
  const file = both(bundle, "", 0);
  const forms = unusual ? undefined : { file: file + "\n", compact: compactOut, record: recordOut };
  compactOut = "";
  recordOut = undefined;
  return forms;
}

/**
 * The file form of a bundle (see the module comment).
 * @throws EventError EVENT_NOT_CANONICALISABLE when the bundle holds a value JSON cannot carry
 */
export function bundleFileText(bundle: unknown): string {
  return bundleForms(bundle)?.file ?? pretty(bundle, "") + "\n";
}

/**
 * The compact form of a bundle: its RFC 8785 canonical JSON.
 * @throws EventError EVENT_NOT_CANONICALISABLE
 */
export function bundleCompactText(bundle: unknown): string {
  return canonicalString(bundle);
}

/** Where `text` first differs from `want`: a 0-based byte offset (UTF-16 unit) and a 1-based line. */
export function firstDifference(text: string, want: string): { offset: number; line: number } {
  let i = 0;
  while (i < text.length && i < want.length && text[i] === want[i]) i++;
  return { offset: i, line: text.slice(0, i).split("\n").length };
}

/** True when `text` is the file form or the compact form of `parsed`. */
export function isCanonicalBundleText(text: string, parsed: unknown): boolean {
  const forms = bundleForms(parsed);
  if (forms) return text === forms.file || text === forms.compact || text === forms.compact + "\n";
  if (text === pretty(parsed, "") + "\n") return true;
  const compact = bundleCompactText(parsed);
  return text === compact || text === compact + "\n";
}
