/**
 * Reading a canonical record's bytes without decoding them (for audit-scan.ts): the canonical form
 * (RFC 8785 §3.2.3: members sorted) puts `batchLink` first and `seq` last but `submittedBy`, so the
 * fields audit needs are found by position and compared as bytes.
 */
// Audit reads a chunk's records as bytes and never decodes them: the text it looks for is written
// with one character per byte (latin1Of spells UTF-8 text so), compared with the bytes char by char.
const BATCH_HEAD = '{"batchLink":{"batchSeq":';
const PREV_NULL = ',"prevLeafHash":null}';
const PREV_HASH = ',"prevLeafHash":"0x';
export const SEQ_KEY = Buffer.from('"seq":');
const HEX = "0123456789abcdef";

/** Reads the decimal digits at `at` of `b`; value -1 when there are none. */
export function intAt(b: Uint8Array, at: number): { value: number; end: number } {
  let v = 0;
  let i = at;
  for (let c = b[i]; c >= 0x30 && c <= 0x39; c = b[++i]) v = v * 10 + (c - 0x30);
  return { value: i === at ? -1 : v, end: i };
}

/** `s` as the latin1 string of its UTF-8 bytes, one character per byte (itself when ASCII). */
export const latin1Of = (s: string): string =>
  /[\u0080-\uffff]/.test(s) ? Buffer.from(s, "utf8").toString("latin1") : s;

/** Whether the bytes [at, end) of `b` start with `s` (one character per byte). */
export function hasAt(b: Uint8Array, at: number, end: number, s: string): boolean {
  if (at + s.length > end) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

/**
 * Whether the record at [start, end) of `b` contains `needle` (latin1Of form). `hint` holds where
 * the needle sat in the last record it was found in, relative to its start: records of one source
 * share their layout, so most lookups are one comparison there, and a miss searches the record.
 */
export function holds(b: Buffer, start: number, end: number, needle: string, hint: { at: number }): boolean {
  if (hasAt(b, start + hint.at, end, needle)) return true;
  const at = b.indexOf(needle, start, "latin1");
  if (at < 0 || at + needle.length > end) return false;
  hint.at = at - start;
  return true;
}

/** Whether `b` holds the lowercase hex of `hash` at `at` (the 64 characters of a prevLeafHash). */
export function hexAt(b: Uint8Array, at: number, end: number, hash: Uint8Array): boolean {
  if (at + 2 * hash.length > end) return false;
  for (let k = 0; k < hash.length; k++)
    if (b[at + 2 * k] !== HEX.charCodeAt(hash[k] >> 4) || b[at + 2 * k + 1] !== HEX.charCodeAt(hash[k] & 15))
      return false;
  return true;
}

/** A record's batch link: its batchSeq and where its prevLeafHash hex starts (-1 for null). */
export interface LinkAt {
  batchSeq: number;
  prevAt: number;
}

/** The batch link of the canonical record at [start, end) of `b`, from its first bytes; undefined when it has none. */
export function batchLinkOf(b: Uint8Array, start: number, end: number): LinkAt | undefined | "bad" {
  if (!hasAt(b, start, end, BATCH_HEAD)) return undefined;
  const { value, end: after } = intAt(b, start + BATCH_HEAD.length);
  if (value < 0) return "bad";
  if (hasAt(b, after, end, PREV_NULL)) return { batchSeq: value, prevAt: -1 };
  if (hasAt(b, after, end, PREV_HASH)) return { batchSeq: value, prevAt: after + PREV_HASH.length };
  return "bad";
}

/** The link as batchFinding and the merge read it (the hex as the record has it, 64 characters at most). */
export const linkText = (bytes: Buffer, end: number, l: LinkAt) => ({
  batchSeq: l.batchSeq,
  prevLeafHash: l.prevAt < 0 ? null : bytes.toString("utf8", l.prevAt, Math.min(l.prevAt + 64, end)),
});
