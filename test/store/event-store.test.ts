import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { canonicalBytes, rfc9162, toHex, EventError } from "../../src/core";
import { StoreError } from "../../src/store/errors";
import { sampleEvent, sampleEvents } from "../helpers/events";

function tmpLedger(): { dir: string; ledger: Ledger } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-store-"));
  return { dir, ledger: openLedger(dir) };
}

describe("createEventStore", () => {
  let dir: string;
  let ledger: Ledger;
  beforeEach(() => ({ dir, ledger } = tmpLedger()));
  afterEach(() => {
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when appending", () => {
    it("assigns gap-free sequence numbers from 0 and a leaf hash over the canonical record", () => {
      const res = ledger.events.append(sampleEvents(5));
      expect(res.map((r) => r.receipt.seq)).to.deep.equal([0, 1, 2, 3, 4]);
      const stored = ledger.events.getBySeq(3)!;
      expect(toHex(rfc9162.hashLeaf(canonicalBytes(stored.record)))).to.equal(res[3].receipt.leafHash);
      expect(stored.record.salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(stored.record.receivedAt).to.equal(res[3].receipt.receivedAt);
    });
    it("gives every record its own random salt", () => {
      ledger.events.append(sampleEvents(20));
      const salts = new Set(ledger.events.range(0, 20).map((e) => e.record.salt));
      expect(salts.size).to.equal(20);
    });
    it("chains the events of a batch: batchSeq 0,1,2 and each previous leaf hash", () => {
      const res = ledger.events.append([...sampleEvents(2, "B-1"), sampleEvent({}, "B-2"), sampleEvent({}, "B-1")]);
      const b1 = [0, 1, 3].map((s) => ledger.events.getBySeq(s)!.record.batchLink);
      expect(b1).to.deep.equal([
        { batchSeq: 0, prevLeafHash: null },
        { batchSeq: 1, prevLeafHash: res[0].receipt.leafHash },
        { batchSeq: 2, prevLeafHash: res[1].receipt.leafHash },
      ]);
      expect(ledger.events.getBySeq(2)!.record.batchLink).to.deep.equal({ batchSeq: 0, prevLeafHash: null });
    });
    it("checks a source's sequence within one call as across calls: a gap flagged, a step back refusing the call", () => {
      const src = (n: number) => sampleEvent({ source: "urn:mes:one-call", sourceSequence: n });
      ledger.events.append([src(1), src(2), src(5), src(6)]);
      expect(ledger.events.sourceGaps("urn:mes:one-call").map((g) => [g.expected, g.got])).to.deep.equal([[3, 5]]);
      expect(() => ledger.events.append([src(7), src(8), src(8)]))
        .to.throw(StoreError)
        .with.property("code", "SOURCE_SEQUENCE_NOT_INCREASING");
      expect(() => ledger.events.append([src(9), src(4)]))
        .to.throw(StoreError)
        .with.property("code", "SOURCE_SEQUENCE_NOT_INCREASING");
      expect(ledger.events.nextSeq()).to.equal(4);
      ledger.events.append([src(7)]);
      expect(ledger.events.sourceGaps("urn:mes:one-call")).to.have.length(1);
    });
    it("returns the original receipt for a replay of the same id and content", () => {
      const ev = sampleEvent();
      const [first] = ledger.events.append([ev]);
      const [again] = ledger.events.append([JSON.parse(JSON.stringify(ev))]);
      expect(again.duplicate).to.equal(true);
      expect(again.receipt).to.deep.equal(first.receipt);
      expect(ledger.events.nextSeq()).to.equal(1);
    });
    it("refuses the same id with different content and stores nothing of the call", () => {
      const ev = sampleEvent();
      ledger.events.append([ev]);
      const changed = { ...ev, data: { ...(ev.data as object), value: 99 } };
      expect(() => ledger.events.append([sampleEvent(), changed]))
        .to.throw(StoreError)
        .with.property("code", "EVENT_ID_CONFLICT");
      expect(ledger.events.nextSeq()).to.equal(1);
    });
    it("stores nothing when one event of a call is invalid", () => {
      const bad = sampleEvent();
      delete bad.site;
      expect(() => ledger.events.append([sampleEvent(), bad])).to.throw(EventError);
      expect(ledger.events.nextSeq()).to.equal(0);
    });
  });

  describe("when someone writes to the file directly", () => {
    it("refuses UPDATE and DELETE on every ledger table", () => {
      ledger.events.append(sampleEvents(3));
      ledger.sealer.seal(new Date());
      const h = "0x" + "ab".repeat(32);
      ledger.epochs.recordAnchorTx({ epoch: 0, txHash: h, nonce: 0, sentAt: new Date().toISOString() });
      ledger.epochs.recordAnchor({
        epoch: 0,
        chainId: "31337",
        contract: "0x" + "00".repeat(20),
        ledgerId: h,
        txHash: h,
        blockNumber: 1,
        blockHash: h,
        blockTimestamp: 1,
        logIndex: 0,
        confirmedAt: new Date().toISOString(),
      });
      for (const sql of [
        "UPDATE anchors SET block_hash = 'x'",
        "DELETE FROM anchors",
        "UPDATE anchor_txs SET nonce = 9",
        "DELETE FROM anchor_txs",
        "UPDATE events SET record = '{}' WHERE seq = 0",
        "DELETE FROM events WHERE seq = 0",
        "UPDATE epochs SET size = 2",
        "DELETE FROM epochs",
        "UPDATE epoch_tiles SET hashes = x'00'",
        "DELETE FROM epoch_tiles",
      ]) {
        expect(() => ledger.db.exec(sql), sql).to.throw(/append-only/);
      }
    });
  });

  it("keeps acknowledged events across reopen (WAL, synchronous=FULL)", () => {
    ledger.events.append(sampleEvents(3));
    expect(ledger.db.pragma("journal_mode", { simple: true })).to.equal("wal");
    expect(ledger.db.pragma("synchronous", { simple: true })).to.equal(2);
    ledger.close();
    ledger = openLedger(dir);
    expect(ledger.events.nextSeq()).to.equal(3);
  });
});
