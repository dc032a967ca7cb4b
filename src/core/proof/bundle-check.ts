/**
 * The hand-written check of a version 2 bundle's structure: what docs/proof.schema.json says
 * (PROOF_BUNDLE_SCHEMA_V2; a test holds the two together), the record's own rules and the rules
 * between fields, every bad field collected at once (as sigstore-js's assertBundle does). The event
 * inside the record is checked only as a JSON object with a string `id` that has an RFC 8785 form:
 * never against the current event schema, so that an event valid when the ledger stored it stays
 * verifiable after that schema grew stricter. What it holds is covered by the leaf hash.
 */
import { assertCanonicalisable } from "../canonical";
import { EventError, FieldIssue } from "../errors";
import { FieldCheck, FieldRule, arrayOf, integerFrom, isJsonObject, matching, objectOf } from "../field-check";
import { recordFieldIssues } from "../record";
import { ledgerIdOfName } from "./ledger-id";

const HASH32 = matching(/^0x[0-9a-f]{64}$/, "0x and 64 lowercase hex digits (32 bytes)");
const UINT = integerFrom(0);
const ADDRESS = matching(/^0x[0-9a-fA-F]{40}$/, "0x and 40 hex digits (an address)");
const LEDGER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/;

// The record: its own members by recordFieldIssues, the event as any JSON object with a string id.
const RECORD: FieldRule = (c, path, v) => {
  if (!isJsonObject(v)) return c.add(path, "must be a JSON object");
  for (const i of recordFieldIssues(v)) c.add(path + i.path, i.message);
  if (!Object.prototype.hasOwnProperty.call(v, "event")) return c.add(`${path}/event`, "is required");
  const event = v.event;
  if (!isJsonObject(event)) return c.add(`${path}/event`, "must be a JSON object");
  if (typeof event.id !== "string") c.add(`${path}/event/id`, "id" in event ? "must be a string" : "is required");
  try {
    assertCanonicalisable(event);
  } catch (e) {
    if (!(e instanceof EventError)) throw e;
    for (const i of e.issues)
      c.add(`${path}/event${i.path === "/" ? "" : i.path}`, `has no RFC 8785 form: ${i.message}`);
  }
};

const ANCHOR = objectOf({
  members: {
    anchorer: ADDRESS,
    chainId: matching(/^[1-9][0-9]{0,77}$/, "a decimal chain id"),
    contract: ADDRESS,
    ledgerId: HASH32,
    ledgerName: matching(LEDGER_NAME, "1 to 31 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"),
    epoch: UINT,
    firstSeq: UINT,
    txHash: HASH32,
    blockNumber: UINT,
    blockHash: HASH32,
    blockTimestamp: UINT,
    logIndex: UINT,
  },
});

const CHECKPOINT = objectOf({
  members: {
    keyId: matching(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
    publicKey: matching(/^[A-Za-z0-9+/]{59}=$/, "base64 of a 44-byte SubjectPublicKeyInfo"),
    signature: matching(/^[A-Za-z0-9_-]{86}$/, "base64url of 64 bytes, without padding"),
  },
});

const BUNDLE = {
  members: {
    // The caller has already chosen the version by it (bundleFromJSON).
    mediaType: (() => undefined) as FieldRule,
    record: RECORD,
    leafHash: HASH32,
    epoch: UINT,
    leafIndex: UINT,
    treeSize: integerFrom(1),
    auditPath: arrayOf(HASH32, 0, 64),
    root: HASH32,
    anchor: ANCHOR,
    checkpoint: CHECKPOINT,
  },
};

// The bundles of a package share one or a few ledger names: their ids are worked out once.
const ledgerIds = new Map<string, string>();
function ledgerIdOf(name: string): string {
  let id = ledgerIds.get(name);
  if (id === undefined) {
    id = ledgerIdOfName(name);
    if (ledgerIds.size < 64) ledgerIds.set(name, id);
  }
  return id;
}

/**
 * Every bad field of a version 2 bundle (its media type already checked): structure, lengths and
 * ranges, the record's own members, the event as a JSON object with a string id and an RFC 8785
 * form, `anchor.epoch` = `epoch` and `anchor.ledgerId` = bytes32 of `anchor.ledgerName`. Empty when
 * the bundle is well formed.
 */
export function bundleIssues(input: unknown): FieldIssue[] {
  const c = new FieldCheck();
  const b = c.object("", input, BUNDLE);
  if (!b || !isJsonObject(b.anchor)) return c.issues;
  const a = b.anchor;
  const bad = (path: string) => c.issues.length > 0 && c.issues.some((i) => i.path === path);
  if (!bad("/epoch") && !bad("/anchor/epoch") && a.epoch !== b.epoch)
    c.add("/anchor/epoch", `is ${a.epoch}: want the bundle's epoch ${b.epoch}`);
  if (!bad("/anchor/ledgerName") && !bad("/anchor/ledgerId")) {
    const want = ledgerIdOf(a.ledgerName as string);
    if (want !== a.ledgerId)
      c.add(
        "/anchor/ledgerId",
        `is ${a.ledgerId}: want ${want}, the bytes32 of ledgerName ${JSON.stringify(a.ledgerName)}`,
      );
  }
  return c.issues;
}
