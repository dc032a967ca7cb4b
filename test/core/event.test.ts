import { expect } from "chai";
import {
  assertEvent,
  computePayloadHash,
  EventError,
  canonicalString,
  assertRecord,
  RECORD_VERSION,
  recordLeafHash,
  recordLeafHashHex,
  recordLeafHashOfText,
  rfc9162,
  toHex,
} from "../../src/core";
import { nodeHasher } from "../../src/crypto/node-hasher";
import { sampleEvent } from "../helpers/events";

function issuesOf(fn: () => unknown): { code: string; paths: string[] } {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(EventError);
    const err = e as EventError;
    return { code: err.code, paths: err.issues.map((i) => i.path) };
  }
  return expect.fail("expected an EventError");
}

describe("assertEvent", () => {
  it("accepts a complete event", () => {
    assertEvent(sampleEvent());
  });

  describe("when fields are missing, retyped or unknown", () => {
    it("names every bad field at once", () => {
      const ev = sampleEvent({ sourceSequence: -1, occurredAt: "yesterday", timeZone: "Mars/Olympus", extra: 1 });
      delete ev.site;
      delete (ev.actor as Record<string, unknown>).printedName;
      const r = issuesOf(() => assertEvent(ev));
      expect(r.code).to.equal("EVENT_SCHEMA_INVALID");
      expect(r.paths).to.have.members([
        "/site",
        "/actor/printedName",
        "/sourceSequence",
        "/occurredAt",
        "/timeZone",
        "/extra",
      ]);
    });
    it("refuses a client-supplied receivedAt", () => {
      const r = issuesOf(() => assertEvent(sampleEvent({ receivedAt: "2026-11-25T08:00:00Z" })));
      expect(r.paths).to.deep.equal(["/receivedAt"]);
    });
    it("requires batch and recipe on batch-scoped event types", () => {
      const ev = sampleEvent();
      delete ev.batch;
      delete ev.recipe;
      expect(issuesOf(() => assertEvent(ev)).paths).to.have.members(["/batch", "/recipe"]);
    });
    it("does not require batch on a security event", () => {
      const ev = sampleEvent({ type: "security.event", data: { kind: "auth.failed" } });
      delete ev.batch;
      delete ev.recipe;
      assertEvent(ev);
    });
    it("rejects an RFC 3339 time without offset", () => {
      expect(issuesOf(() => assertEvent(sampleEvent({ recordedAt: "2026-11-25T09:15:02" }))).paths).to.deep.equal([
        "/recordedAt",
      ]);
    });
    it("rejects an unknown type", () => {
      expect(issuesOf(() => assertEvent(sampleEvent({ type: "phase.exploded" }))).paths).to.deep.equal(["/type"]);
    });
  });

  describe("when payloadHash is present", () => {
    it("accepts the hash of the JCS form without payloadHash", () => {
      const ev = sampleEvent();
      ev.payloadHash = computePayloadHash(ev);
      assertEvent(ev);
    });
    it("rejects a hash that does not match the content", () => {
      const ev = sampleEvent();
      ev.payloadHash = computePayloadHash(ev);
      (ev.data as Record<string, unknown>).value = 62;
      expect(issuesOf(() => assertEvent(ev)).code).to.equal("EVENT_PAYLOAD_HASH_MISMATCH");
    });
  });

  describe("when the value is not I-JSON", () => {
    it("rejects a lone surrogate", () => {
      const r = issuesOf(() => assertEvent(sampleEvent({ data: { note: "bad \ud800 text" } })));
      expect(r.code).to.equal("EVENT_NOT_CANONICALISABLE");
      expect(r.paths).to.deep.equal(["/data/note"]);
    });
  });
});

describe("canonicalString", () => {
  it("sorts members and normalises numbers per RFC 8785", () => {
    expect(canonicalString({ b: 1.5e1, a: [true, null, "€"], c: 1e21 })).to.equal(
      '{"a":[true,null,"€"],"b":15,"c":1e+21}',
    );
  });
});

describe("assertRecord", () => {
  const record = () => ({
    recordVersion: RECORD_VERSION,
    seq: 3,
    receivedAt: "2026-11-25T08:15:02.999Z",
    salt: "0x" + "ab".repeat(32),
    batchLink: { batchSeq: 1, prevLeafHash: "0x" + "cd".repeat(32) },
    event: sampleEvent(),
  });
  it("accepts a well-formed record and hashes it", () => {
    const r = record();
    assertRecord(r);
    expect(recordLeafHashHex(r as never)).to.match(/^0x[0-9a-f]{64}$/);
  });
  it("hashes the record's RFC 8785 text to the record's leaf hash, with or without the hasher's hashLeafText", () => {
    const r = record() as never;
    const want = toHex(recordLeafHash(r));
    expect(toHex(recordLeafHashOfText(canonicalString(r), rfc9162))).to.equal(want);
    expect(toHex(recordLeafHashOfText(canonicalString(r), nodeHasher))).to.equal(want);
  });
  it("names a bad salt, a bad seq and a first batch link with a previous hash", () => {
    const r = { ...record(), salt: "0x12", seq: -1, batchLink: { batchSeq: 0, prevLeafHash: "0x" + "00".repeat(32) } };
    expect(issuesOf(() => assertRecord(r)).paths).to.have.members(["/salt", "/seq", "/batchLink/prevLeafHash"]);
  });
  it("prefixes the event's own bad fields with /event", () => {
    const r = record();
    delete (r.event as Record<string, unknown>).site;
    expect(issuesOf(() => assertRecord(r)).paths).to.deep.equal(["/event/site"]);
  });
});
