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
import { keccak_256 } from "@noble/hashes/sha3";
import { canonicalString } from "../canonical";
import { utf8 } from "../hex";

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
    return "{\n" + keys.map((k) => inner + canonicalString(k) + ": " + pretty(obj[k], inner)).join(",\n") + "\n" + indent + "}";
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

/**
 * The file form of a bundle (see the module comment).
 * @throws EventError EVENT_NOT_CANONICALISABLE when the bundle holds a value JSON cannot carry
 */
export function bundleFileText(bundle: unknown): string {
  return pretty(bundle, "") + "\n";
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
  if (text === bundleFileText(parsed)) return true;
  const compact = bundleCompactText(parsed);
  return text === compact || text === compact + "\n";
}
