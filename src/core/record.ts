/**
 * The ledger record: what the ledger stores for one accepted event and what a Merkle leaf commits to.
 * It wraps the event as posted with what only the ledger may set: the gap-free global sequence number,
 * the receive time from the ledger's clock, a random 32-byte salt (so that a sibling hash in a proof
 * cannot be brute-forced from guessable content), and the batch chain link (the batch sequence number
 * and the leaf hash of the batch's previous event), which makes omitting, reordering or inserting an
 * event of a batch visible.
 *
 * leaf hash = SHA-256(0x00 ‖ JCS(record))   (RFC 9162 §2.1.1, RFC 8785)
 */
import { canonicalBytes, canonicalString } from "./canonical";
import { FieldIssue } from "./errors";
import { isHash32, toHex, utf8 } from "./hex";
import { Hasher, rfc9162 } from "./merkle/hasher";
import { GxpEvent } from "./event/types";

/** Record format identifier; bumped only under change control. */
export const RECORD_VERSION = "gxp-ledger.record/1";

/** The per-batch hash chain link. */
export interface BatchLink {
  /** 0 for the first event of the batch, then 1, 2, … */
  batchSeq: number;
  /** Leaf hash of the batch's previous event; null for batchSeq 0. */
  prevLeafHash: string | null;
}

/** The API client that posted the event, and the key its signature (event.sourceSig) verifies with. */
export interface SubmittedBy {
  client: string;
  role: string;
  signingAlg?: "EIP191" | "EdDSA" | "ES256";
  /** EIP191: the signer's address; EdDSA/ES256: the SPKI public key, base64. */
  signingKey?: string;
}

/** One stored ledger record. */
export interface LedgerRecord {
  recordVersion: typeof RECORD_VERSION;
  seq: number;
  receivedAt: string;
  salt: string;
  batchLink?: BatchLink;
  submittedBy?: SubmittedBy;
  event: GxpEvent;
}

const UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Every bad field among a record's own members (recordVersion, seq, receivedAt, salt, batchLink,
 * submittedBy, and no other but `event`). The event inside is not looked into: its schema is the
 * ledger's business at ingestion (assertRecord), never a verifier's, so that an event valid when it
 * was stored stays verifiable after the event schema grew stricter.
 * Precondition: `r` is a JSON object.
 */
export function recordFieldIssues(r: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const allowed = new Set(["recordVersion", "seq", "receivedAt", "salt", "batchLink", "submittedBy", "event"]);
  for (const k of Object.keys(r)) if (!allowed.has(k)) issues.push({ path: `/${k}`, message: "is not a known field" });
  if (r.recordVersion !== RECORD_VERSION) issues.push({ path: "/recordVersion", message: `must be ${RECORD_VERSION}` });
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0)
    issues.push({ path: "/seq", message: "must be a non-negative integer" });
  if (typeof r.receivedAt !== "string" || !UTC_MS.test(r.receivedAt)) {
    issues.push({ path: "/receivedAt", message: "must be an RFC 3339 UTC time with milliseconds" });
  }
  if (!isHash32(r.salt)) issues.push({ path: "/salt", message: "must be 0x-prefixed lowercase hex of 32 bytes" });
  if (r.batchLink !== undefined) {
    const b = r.batchLink as Record<string, unknown>;
    if (typeof b !== "object" || b === null) issues.push({ path: "/batchLink", message: "must be an object" });
    else {
      if (!Number.isSafeInteger(b.batchSeq) || (b.batchSeq as number) < 0) {
        issues.push({ path: "/batchLink/batchSeq", message: "must be a non-negative integer" });
      }
      const first = b.batchSeq === 0;
      if (first ? b.prevLeafHash !== null : !isHash32(b.prevLeafHash)) {
        issues.push({
          path: "/batchLink/prevLeafHash",
          message: first ? "must be null for batchSeq 0" : "must be a 32-byte hash",
        });
      }
      for (const k of Object.keys(b)) {
        if (k !== "batchSeq" && k !== "prevLeafHash")
          issues.push({ path: `/batchLink/${k}`, message: "is not a known field" });
      }
    }
  }
  if (r.submittedBy !== undefined) {
    const sb = r.submittedBy as Record<string, unknown>;
    if (typeof sb !== "object" || sb === null || typeof sb.client !== "string" || typeof sb.role !== "string") {
      issues.push({ path: "/submittedBy", message: "must be an object with client and role" });
    } else {
      for (const k of Object.keys(sb)) {
        if (!["client", "role", "signingAlg", "signingKey"].includes(k))
          issues.push({ path: `/submittedBy/${k}`, message: "is not a known field" });
      }
      if ((sb.signingAlg === undefined) !== (sb.signingKey === undefined))
        issues.push({ path: "/submittedBy", message: "signingAlg and signingKey go together" });
    }
  }
  return issues;
}

/** The RFC 8785 canonical text of a record (what the store keeps verbatim). */
export function recordCanonicalString(record: LedgerRecord): string {
  return canonicalString(record);
}

/** The leaf hash of a record: H(0x00 ‖ JCS(record)). */
export function recordLeafHash(record: LedgerRecord, hasher: Hasher = rfc9162): Uint8Array {
  return hasher.hashLeaf(canonicalBytes(record));
}

/** The leaf hash of a record, as `0x` hex. */
export function recordLeafHashHex(record: LedgerRecord, hasher: Hasher = rfc9162): string {
  return toHex(recordLeafHash(record, hasher));
}

/**
 * The leaf hash of a record from its RFC 8785 text (what recordCanonicalString returns):
 * H(0x00 ‖ UTF-8 of text), through the hasher's hashLeafText when it has one.
 * Precondition: `text` is the record's canonical text; nothing here checks it.
 */
export function recordLeafHashOfText(text: string, hasher: Hasher = rfc9162): Uint8Array {
  return hasher.hashLeafText ? hasher.hashLeafText(text) : hasher.hashLeaf(utf8(text));
}
