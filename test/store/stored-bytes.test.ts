/**
 * Pins the stored bytes of fixed events (issue 14): the record text written to the events table and
 * its leaf hash, byte for byte, for a fixed clock and salt. The ingestion path may be made faster
 * (one serialisation per event, cached tails), never change what is stored.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { openDatabase } from "../../src/store/sqlite";
import { createEventStore } from "../../src/store/event-store";
import { leafHashOfText, nodeHasher } from "../../src/crypto/node-hasher";
import { GxpEvent } from "../../src/core";

const event = (n: number, extra: Record<string, unknown> = {}): GxpEvent =>
  ({
    specversion: "1.0",
    id: `evt-pinned-${n}`,
    type: "parameter.recorded",
    source: "urn:mes:pinned",
    sourceSequence: n,
    occurredAt: "2026-11-25T09:15:02.120+01:00",
    recordedAt: "2026-11-25T09:15:02.480+01:00",
    timeZone: "Europe/Berlin",
    site: "DE01",
    actor: {
      type: "person",
      userId: "u123",
      printedName: "Ä. Schmidt–Ørsted \u{1F600}",
      role: "Operator",
    },
    gmpCriticality: "major",
    batch: { batchId: "B-PIN", productCode: "P-100" },
    recipe: {
      masterRecipeId: "MR-7",
      masterRecipeVersion: "3",
      controlRecipeId: "CR-B-PIN",
    },
    data: {
      name: "inlet_temperature",
      value: 61.5,
      unit: "degC",
      low: 1e21,
      high: 0.000001,
      withinLimits: true,
      source: "manual",
      note: 'tab\there "quoted" \u0001 /',
    },
    ...extra,
  }) as unknown as GxpEvent;

describe("stored bytes of fixed events (pinned)", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-pinned-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes the same record text and leaf hash, with the batch chain and the submitter, as before", () => {
    const db = openDatabase(path.join(dir, "ledger.sqlite"));
    let salt = 0;
    const store = createEventStore(db, {
      hasher: nodeHasher,
      leafHashOfText,
      now: () => new Date("2026-12-04T10:00:00.000Z"),
      salt: () => new Uint8Array(32).fill(++salt),
    });
    store.append([event(1)]);
    const group = store.appendGroup([
      {
        events: [event(2, { context: { unit: "GRAN-01" } })],
        opts: { submittedBy: { client: "mes-1", role: "mes" } },
      },
    ]);
    expect(group[0]).to.not.be.instanceOf(Error);
    const rows = db.prepare("SELECT seq, record, leaf_hash, batch_seq FROM events ORDER BY seq").all() as {
      seq: number;
      record: string;
      leaf_hash: Buffer;
      batch_seq: number;
    }[];
    db.close();
    const digest = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
    expect(rows.map((r) => [r.seq, r.batch_seq, digest(r.record), r.leaf_hash.toString("hex")])).to.deep.equal(PINNED);
    expect(rows[1].record).to.equal(PINNED_TEXT_1);
  });
});

// [seq, batch_seq, SHA-256 of the stored record text, leaf hash] as written before issue 14.
const PINNED: unknown[] = [
  [
    0,
    0,
    "29fb54462ae3bcacd73dbcee46b584f00fe220767795f058de08f9f23248f7f4",
    "f5830aa4078c7c495d8bceea45201c9e06cac0c8473acefb422d397c82281398",
  ],
  [
    1,
    1,
    "4b6f40b5d253ad60a8d30b20dd875c51a9b09039b1bac13114e04b68cd3979b8",
    "1165426ed7f393a7b6e4fbb264bf99f833846d030209471c90ff3d8078ef5426",
  ],
];
const PINNED_TEXT_1 =
  '{"batchLink":{"batchSeq":1,"prevLeafHash":"0xf5830aa4078c7c495d8bceea45201c9e06cac0c8473acefb422d397c82281398"},"event":{"actor":{"printedName":"Ä. Schmidt–Ørsted 😀","role":"Operator","type":"person","userId":"u123"},"batch":{"batchId":"B-PIN","productCode":"P-100"},"context":{"unit":"GRAN-01"},"data":{"high":0.000001,"low":1e+21,"name":"inlet_temperature","note":"tab\\there \\"quoted\\" \\u0001 /","source":"manual","unit":"degC","value":61.5,"withinLimits":true},"gmpCriticality":"major","id":"evt-pinned-2","occurredAt":"2026-11-25T09:15:02.120+01:00","recipe":{"controlRecipeId":"CR-B-PIN","masterRecipeId":"MR-7","masterRecipeVersion":"3"},"recordedAt":"2026-11-25T09:15:02.480+01:00","site":"DE01","source":"urn:mes:pinned","sourceSequence":2,"specversion":"1.0","timeZone":"Europe/Berlin","type":"parameter.recorded"},"receivedAt":"2026-12-04T10:00:00.000Z","recordVersion":"gxp-ledger.record/1","salt":"0x0202020202020202020202020202020202020202020202020202020202020202","seq":1,"submittedBy":{"client":"mes-1","role":"mes"}}';
