/**
 * Byte and hex helpers. Hashes on the wire are `0x`-prefixed lowercase hex (house style); these
 * convert at the edges so that hot paths work on bytes.
 */
import { bytesToHex } from "@noble/hashes/utils";

const HEX_RE = /^0x(?:[0-9a-f]{2})*$/;
const HASH_RE = /^0x[0-9a-f]{64}$/;

/** Bytes to `0x`-prefixed lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + bytesToHex(bytes);
}

/** True when `s` is `0x`-prefixed lowercase hex of whole bytes. */
export function isHex(s: unknown): s is string {
  return typeof s === "string" && HEX_RE.test(s);
}

/** True when `s` is a `0x`-prefixed lowercase 32-byte hash. */
export function isHash32(s: unknown): s is string {
  return typeof s === "string" && HASH_RE.test(s);
}

// Value of each ASCII hex digit (either case), -1 for every other code unit below 128.
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX_DIGIT["0123456789abcdef".charCodeAt(d)] = d;
  HEX_DIGIT["0123456789ABCDEF".charCodeAt(d)] = d;
}

/**
 * `0x`-prefixed hex (either case) to bytes.
 * @throws TypeError when `s` is not hex of whole bytes.
 */
export function fromHex(s: string): Uint8Array {
  // One pass that checks and decodes (a proof carries ~16 hashes: this is on the verify hot path).
  if (typeof s !== "string" || s.length % 2 !== 0 || s.charCodeAt(0) !== 0x30 || s.charCodeAt(1) !== 0x78)
    throw new TypeError("not 0x-prefixed hex of whole bytes");
  const out = new Uint8Array((s.length - 2) / 2);
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    const hi = s.charCodeAt(j);
    const lo = s.charCodeAt(j + 1);
    const h = hi < 128 ? HEX_DIGIT[hi] : -1;
    const l = lo < 128 ? HEX_DIGIT[lo] : -1;
    if ((h | l) < 0) throw new TypeError("not 0x-prefixed hex of whole bytes");
    out[i] = (h << 4) | l;
  }
  return out;
}

/** Constant-shape byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** UTF-8 bytes of a string (browser-safe, no Buffer). */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
