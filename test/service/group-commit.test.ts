import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { createIngestor } from "../../src/service/ingest/ingest";
import { StoreError } from "../../src/store/errors";
import { loadReceiptKey, receiptPublicKeyFile, verifyReceipt } from "../../src/crypto/receipt-key";
import { RECEIPT_MEDIA_TYPE_V2, ReceiptV2, inclusionProofLength, isCoreError } from "../../src/core";
import { sampleEvent } from "../helpers/events";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isCoreError(e), String(e)).to.equal(true);
    return (e as { code: string }).code;
  }
  return "verified";
}

describe("Ingestor.submit (group commit)", () => {
  it("commits calls of the same turn in one transaction, and refuses only the call that conflicts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-group-"));
    const ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 60_000);
    const client = api.clients.add("mes-1", "mes", undefined, new Date()).client;
    const first = sampleEvent();
    await api.ingestor.submit([first], client);

    const groups: number[] = [];
    const original = ledger.events.appendGroup.bind(ledger.events);
    ledger.events.appendGroup = (calls) => {
      groups.push(calls.length);
      return original(calls);
    };
    const evs = Array.from({ length: 50 }, () => sampleEvent());
    const conflicting = { ...first, gmpCriticality: "critical" };
    const settled = await Promise.allSettled(
      [...evs.slice(0, 25), conflicting, ...evs.slice(25)].map((e) => api.ingestor.submit([e], client)),
    );

    expect(groups).to.deep.equal([51]);
    expect(settled.filter((s) => s.status === "fulfilled")).to.have.length(50);
    const rejected = settled.find((s) => s.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).to.be.instanceOf(StoreError).with.property("code", "EVENT_ID_CONFLICT");
    // Gap-free sequence numbers in submission order, the refused call leaving no hole.
    const seqs = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value[0].receipt.seq] : []));
    expect(seqs).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));

    // One signature for the whole commit group: each receipt carries its index, the group size,
    // the root and its audit path, and verifies on its own.
    const pem = fs.readFileSync(receiptPublicKeyFile(dir), "utf8");
    const receipts = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value[0].receipt as ReceiptV2] : []));
    expect(new Set(receipts.map((r) => r.signature)).size).to.equal(1);
    expect(new Set(receipts.map((r) => r.group.root)).size).to.equal(1);
    receipts.forEach((r, i) => {
      expect(r.mediaType).to.equal(RECEIPT_MEDIA_TYPE_V2);
      expect(r.group).to.include({ index: i, size: 50 });
      expect(r.group.auditPath).to.have.length(inclusionProofLength(i, 50));
      verifyReceipt(r, pem);
      expect(api.ingestor.receiptOf(ledger.events.getById(r.id)!)).to.deep.equal(r);
    });
    const [a, b] = [receipts[7], receipts[8]];
    expect(codeOf(() => verifyReceipt({ ...a, group: { ...a.group, auditPath: b.group.auditPath } }, pem))).to.equal(
      "RECEIPT_ROOT_MISMATCH",
    );
    expect(codeOf(() => verifyReceipt({ ...a, group: { ...a.group, index: b.group.index } }, pem))).to.equal(
      "RECEIPT_ROOT_MISMATCH",
    );
    expect(codeOf(() => verifyReceipt({ ...a, id: b.id }, pem))).to.equal("RECEIPT_ROOT_MISMATCH");
    expect(
      codeOf(() =>
        verifyReceipt({ ...a, signature: receipts[0].signature.replace(/^./, (c) => (c === "A" ? "B" : "A")) }, pem),
      ),
    ).to.equal("RECEIPT_SIGNATURE_INVALID");
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("when events are replayed", () => {
    let dir: string;
    let ledger: Ledger;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-group-"));
      ledger = openLedger(dir);
    });
    afterEach(() => {
      ledger.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("returns the original receipt, from the same group or an earlier one", async () => {
      const api = createApiServices(ledger, dir, "DE01", 60_000);
      const client = api.clients.add("mes-1", "mes", undefined, new Date()).client;
      const earlier = sampleEvent();
      const [[first]] = await Promise.all([
        api.ingestor.submit([earlier], client),
        api.ingestor.submit([sampleEvent()], client),
      ]);
      expect((first.receipt as ReceiptV2).group.size).to.equal(2);
      const ev = sampleEvent();
      const [x, y, z] = await Promise.all([
        api.ingestor.submit([ev], client),
        api.ingestor.submit([ev], client),
        api.ingestor.submit([earlier], client),
      ]);
      expect(x[0].duplicate).to.equal(false);
      expect(y[0]).to.deep.equal({ receipt: x[0].receipt, duplicate: true });
      expect(z[0]).to.deep.equal({ receipt: first.receipt, duplicate: true });
      expect((x[0].receipt as ReceiptV2).group.size).to.equal(1);
    });

    it("never signs a receipt for an event committed without a group (receipts are signed only at commit)", () => {
      const api = createApiServices(ledger, dir, "DE01", 60_000);
      const id = api.security.record("test.legacy", {});
      expect(codeOf(() => api.ingestor.receiptOf(ledger.events.getById(id)!))).to.equal("RECEIPT_NOT_STORED");
    });
  });

  describe("when the group cannot be signed", () => {
    it("stores none of its events and rejects every call", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-group-"));
      const ledger = openLedger(dir);
      const api = createApiServices(ledger, dir, "DE01", 60_000);
      const key = loadReceiptKey(dir);
      const ingestor = createIngestor(ledger, {
        ledgerName: "DE01",
        anchorWithinMs: 60_000,
        security: api.security,
        receiptKey: {
          ...key,
          signGroup: () => {
            throw new Error("signing device unavailable");
          },
        },
      });
      const settled = await Promise.allSettled([sampleEvent(), sampleEvent()].map((e) => ingestor.submit([e])));
      expect(settled.map((s) => s.status)).to.deep.equal(["rejected", "rejected"]);
      expect(ledger.db.prepare("SELECT count(*) FROM events").pluck().get()).to.equal(0);
      expect(ledger.db.prepare("SELECT count(*) FROM receipt_groups").pluck().get()).to.equal(0);
      ledger.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
