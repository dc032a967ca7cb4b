/**
 * The pure batch review over generated batch records (no storage, no chain): rules that the
 * end-to-end verdict tests do not isolate.
 */
import { expect } from "chai";
import {
  BatchEntry,
  GxpEvent,
  LedgerRecord,
  RECORD_VERSION,
  computePayloadHash,
  recordLeafHashHex,
  reviewBatch,
} from "../../src/core";
import { generateBatch } from "../helpers/batch-fixture";
import { foldCorrections } from "../../src/core/batch/corrections";
import { sampleEvent } from "../helpers/events";

/** Ledger records for events in order, chained as the store would chain them; `client(i)` names the submitting client of each. */
function entriesOf(events: GxpEvent[], batchId: string, client?: (i: number) => string): BatchEntry[] {
  let prev: string | null = null;
  return events.map((event, i) => {
    const record: LedgerRecord = {
      recordVersion: RECORD_VERSION,
      seq: i,
      receivedAt: "2026-11-25T10:00:00.000Z",
      salt: "0x" + "11".repeat(32),
      batchLink: { batchSeq: i, prevLeafHash: prev },
      ...(client ? { submittedBy: { client: client(i), role: "mes" } } : {}),
      event,
    };
    const leafHash = recordLeafHashHex(record);
    prev = leafHash;
    expect(event.batch?.batchId).to.equal(batchId);
    return { record, leafHash };
  });
}

const open = (events: GxpEvent[], batchId = "B-R") =>
  reviewBatch({ batchId, entries: entriesOf(events, batchId) }).checklist.flatMap((c) =>
    c.findings.map((f) => ({ item: c.id, ...f })),
  );

/** A copy of the event with `data` changed and its payloadHash recomputed (the MES sent it so). */
function withData(e: GxpEvent, data: Record<string, unknown>): GxpEvent {
  const copy = { ...e, data: { ...e.data, ...data } } as GxpEvent;
  delete copy.payloadHash;
  return { ...copy, payloadHash: computePayloadHash(copy as unknown as Record<string, unknown>) };
}

describe("reviewBatch", () => {
  const base = () => generateBatch({ batchId: "B-R", events: 150, start: new Date("2026-11-20T08:00:00Z") });

  describe("when the record is the generated good batch", () => {
    it("has no open item and no integrity finding", () => {
      const r = reviewBatch({ batchId: "B-R", entries: entriesOf(base().events, "B-R") });
      expect(r.integrity).to.deep.equal([]);
      expect(r.checklist.filter((c) => c.status === "open")).to.deep.equal([]);
      expect(r.trail).to.have.length(150);
    });
  });

  describe("when a value outside its own limits is marked withinLimits", () => {
    it("opens LIMITS_FLAG_CONTRADICTED naming the event", () => {
      const events = base().events;
      const i = events.findIndex(
        (e) =>
          e.type === "parameter.recorded" &&
          (e.data as { trend?: boolean }).trend === true &&
          typeof (e.data as { high?: number }).high === "number",
      );
      const high = (events[i].data as { high: number }).high;
      events[i] = withData(events[i], { value: high + 5, withinLimits: true });
      const f = open(events);
      expect(f.map((x) => `${x.item}:${x.code}`)).to.deep.equal(["within-limits:LIMITS_FLAG_CONTRADICTED"]);
      expect(f[0].eventIds).to.deep.equal([events[i].id]);
    });
  });

  describe("when a correction's previous value is not the recorded value", () => {
    it("opens CORRECTION_PREVIOUS_VALUE_MISMATCH naming both events", () => {
      const fx = base();
      const events = fx.events;
      const i = events.findIndex((e) => e.id === fx.notable.correction);
      events[i] = withData(events[i], { previousValue: 999 });
      // The correction is signed: re-signing is not the point here, so look only at corrections.
      const f = open(events).filter((x) => x.item === "corrections");
      expect(f.map((x) => x.code)).to.deep.equal(["CORRECTION_PREVIOUS_VALUE_MISMATCH"]);
      expect(f[0].eventIds).to.deep.equal([fx.notable.correction, fx.notable.corrected]);
    });
  });

  describe("when a correction's previous value lists an object's members in another order", () => {
    it("takes it as the recorded value (JSON objects have no member order)", () => {
      const original = sampleEvent() as unknown as GxpEvent;
      const d = original.data as Record<string, unknown>;
      const reordered = Object.fromEntries(Object.entries(d).reverse());
      expect(JSON.stringify(reordered)).to.not.equal(JSON.stringify(d));
      const correction = sampleEvent({
        type: "record.corrected",
        refs: [{ eventId: original.id, rel: "corrects" }],
        data: {
          field: "/data",
          previousValue: reordered,
          newValue: { ...d, value: 62 },
          reasonCode: "TYPO",
          authorizedBy: { printedName: "B. Meier" },
        },
      }) as unknown as GxpEvent;
      const fold = foldCorrections([original, correction]);
      expect(fold.findings.map((f) => f.code)).to.deep.equal([]);
      expect((fold.current.get(original.id)!.data as { value: number }).value).to.equal(62);
      const wrong = foldCorrections([
        original,
        { ...correction, data: { ...correction.data, previousValue: { ...reordered, value: 99 } } },
      ]);
      expect(wrong.findings.map((f) => f.code)).to.deep.equal(["CORRECTION_PREVIOUS_VALUE_MISMATCH"]);
    });
  });

  describe("when a signature's references differ from its signed content", () => {
    it("opens SIGNATURE_REFS_MISMATCH", () => {
      const fx = base();
      const events = fx.events;
      const i = events.findIndex((e) => e.id === fx.notable.releaseSignature);
      const copy = { ...events[i], refs: [{ eventId: events[0].id, rel: "signs" as const }] };
      delete copy.payloadHash;
      events[i] = copy;
      expect(open(events).map((x) => `${x.item}:${x.code}`)).to.deep.equal(["signatures:SIGNATURE_REFS_MISMATCH"]);
    });
  });

  describe("when an alarm is raised and never acknowledged", () => {
    it("opens ALARM_NOT_ACKNOWLEDGED", () => {
      const fx = base();
      const events = fx.events.filter((e) => e.id !== fx.notable.alarmAcknowledged);
      expect(open(events).map((x) => `${x.item}:${x.code}`)).to.deep.equal(["within-limits:ALARM_NOT_ACKNOWLEDGED"]);
    });
  });

  describe("when the records are listed out of their own order", () => {
    it("reports the pair as reordered and nothing as missing", () => {
      const entries = entriesOf(base().events, "B-R");
      [entries[20], entries[21]] = [entries[21], entries[20]];
      const r = reviewBatch({ batchId: "B-R", entries });
      expect(r.integrity.map((f) => f.code)).to.deep.equal(["BATCH_ORDER_BROKEN"]);
    });
  });

  describe("when the batch is written by one client from one source", () => {
    it("passes one-writer and shows the client and source of each event in the trail", () => {
      const r = reviewBatch({ batchId: "B-R", entries: entriesOf(base().events, "B-R", () => "pasx-de01") });
      expect(r.checklist.find((c) => c.id === "one-writer")?.status).to.equal("pass");
      expect(r.checklist.find((c) => c.id === "created-once")?.status).to.equal("pass");
      expect(r.trail[0]).to.include({ submittedBy: "pasx-de01", source: "urn:mes:pasx:site-DE01:prod" });
    });
  });

  describe("when a second client writes into the batch", () => {
    it("opens BATCH_MULTIPLE_CLIENTS naming the second client's events", () => {
      const events = base().events;
      const r = reviewBatch({
        batchId: "B-R",
        entries: entriesOf(events, "B-R", (i) => (i === 40 ? "pasx-other" : "pasx-de01")),
      });
      const f = r.checklist.flatMap((c) => c.findings.map((x) => ({ item: c.id, ...x })));
      expect(f.map((x) => `${x.item}:${x.code}`)).to.deep.equal(["one-writer:BATCH_MULTIPLE_CLIENTS"]);
      expect(f[0].eventIds).to.deep.equal([events[40].id]);
      expect(r.trail[40].submittedBy).to.equal("pasx-other");
    });
  });

  describe("when the batch is written from two sources", () => {
    it("opens BATCH_MULTIPLE_SOURCES", () => {
      const events = base().events;
      events[30] = { ...events[30], source: "urn:mes:other" };
      expect(open(events).map((x) => `${x.item}:${x.code}`)).to.deep.equal(["one-writer:BATCH_MULTIPLE_SOURCES"]);
    });
  });

  describe("when a second batch.created names the batch", () => {
    it("opens BATCH_CREATED_AGAIN as integrity-relevant, naming the second one", () => {
      const events = base().events;
      const again = { ...events[0], id: "evt-created-again" };
      events.splice(60, 0, again);
      const f = open(events);
      expect(f.map((x) => `${x.item}:${x.code}`)).to.deep.equal(["created-once:BATCH_CREATED_AGAIN"]);
      expect(f[0].eventIds).to.deep.equal(["evt-created-again"]);
      expect(f[0].message).to.match(/^integrity-relevant/);
    });
  });
});
