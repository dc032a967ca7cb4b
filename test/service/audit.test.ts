/**
 * audit against real ledgers in temporary SQLite files, each tampered with as an attacker with file
 * access would (append-only triggers dropped first), and against a real local chain (Anvil) for
 * what only the chain can catch.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import {
  auditLedger,
  auditLocal,
  auditLocalParallel,
  auditChainOf,
  AuditFinding,
  AuditReport,
} from "../../src/service/audit/audit";
import { nodeHasher } from "../../src/crypto/node-hasher";
import { sampleEvents } from "../helpers/events";
import { recordOf, resealInPlace, resignCheckpoints, rewriteRecord, tamper } from "../helpers/tamper";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";

const dirs: string[] = [];

/** 3 epochs of 4 events each, events alternating between batches B-A and B-B. */
function buildLedger(): Ledger {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-"));
  dirs.push(dir);
  const ledger = openLedger(dir, { maxEvents: 4, maxAgeMs: 60_000 });
  for (let i = 0; i < 12; i++) ledger.events.append(sampleEvents(1, i % 2 ? "B-B" : "B-A"));
  while (ledger.sealer.seal(new Date()));
  return ledger;
}

const idOf = (l: Ledger, seq: number) => l.events.getBySeq(seq)!.eventId;
/** Asserts that some finding has every field of `want`. */
const has = (findings: AuditFinding[], want: Partial<AuditFinding>) =>
  expect(
    findings.some((f) => Object.entries(want).every(([k, v]) => f[k as keyof AuditFinding] === v)),
    `want ${JSON.stringify(want)} among ${JSON.stringify(findings, null, 1)}`,
  ).to.equal(true);
const codes = (findings: AuditFinding[]) => [...new Set(findings.map((f) => f.code))].sort();

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("auditLocal", () => {
  describe("when the ledger is untouched", () => {
    it("has zero findings over every event and epoch", () => {
      const l = buildLedger();
      const r = auditLocal(l.db);
      expect(r.findings).to.deep.equal([]);
      expect(r.events).to.equal(12);
      expect(r.epochs).to.have.length(3);
    });

    it("counts pending events and reports progress up to the total", () => {
      const l = buildLedger();
      l.events.append(sampleEvents(3, "B-A"));
      const seen: [number, number][] = [];
      const r = auditLocal(l.db, { onProgress: (d, t) => seen.push([d, t]), progressEvery: 5 });
      expect(r.findings).to.deep.equal([]);
      expect(seen).to.deep.equal([
        [5, 15],
        [10, 15],
        [15, 15],
        [15, 15],
      ]);
    });
  });

  describe("when a payload is edited", () => {
    it("names the event and its epoch", () => {
      const l = buildLedger();
      tamper(l, "UPDATE events SET record = replace(record, '\"value\":61.5', '\"value\":66.5') WHERE seq = 5");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EVENT_RECORD_ALTERED", seq: 5, eventId: idOf(l, 5) });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 1 });
      expect(codes(f)).to.deep.equal(["BATCH_CHAIN_BROKEN", "EPOCH_ROOT_MISMATCH", "EVENT_RECORD_ALTERED"]);
      // the next event of the same batch (B-B: odd seqs) links to the original leaf
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 7, batchId: "B-B" });
    });

    it("with its leaf hash recomputed, names the event against its epoch tree", () => {
      const l = buildLedger();
      rewriteRecord(l, 5, recordOf(l, 5).replace('"value":61.5', '"value":66.5'));
      const f = auditLocal(l.db).findings;
      has(f, { code: "EPOCH_LEAF_MISMATCH", epoch: 1, seq: 5, eventId: idOf(l, 5) });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 1 });
    });
  });

  describe("when a salt is edited", () => {
    it("names the event", () => {
      const l = buildLedger();
      const text = recordOf(l, 2);
      const salt = /"salt":"(0x[0-9a-f]{64})"/.exec(text)![1];
      tamper(
        l,
        "UPDATE events SET record = ? WHERE seq = 2",
        text.replace(salt, "0x" + randomBytes(32).toString("hex")),
      );
      const f = auditLocal(l.db).findings;
      has(f, { code: "EVENT_RECORD_ALTERED", seq: 2, eventId: idOf(l, 2) });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 0 });
    });
  });

  describe("when a sequence number is edited", () => {
    it("names the event, the gap it left and its epoch", () => {
      const l = buildLedger();
      const id = idOf(l, 6);
      tamper(l, "UPDATE events SET seq = 40 WHERE seq = 6");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EVENT_ROW_MISMATCH", seq: 40, eventId: id });
      has(f, { code: "SEQUENCE_GAP", seq: 6 });
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 1, seq: 6 });
    });
  });

  describe("when an event is deleted", () => {
    it("names the missing sequence number, its epoch and the broken batch chain", () => {
      const l = buildLedger();
      const next = idOf(l, 11);
      tamper(l, "DELETE FROM events WHERE seq = 9");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 2, seq: 9 });
      has(f, { code: "SEQUENCE_GAP", seq: 9 });
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 11, eventId: next, batchId: "B-B" });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 2 });
    });

    it("names the event deleted from a ledger's only epoch, not just the epoch", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-"));
      dirs.push(dir);
      const l = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 });
      l.events.append(sampleEvents(12));
      l.sealer.seal(new Date());
      tamper(l, "DELETE FROM events WHERE seq = 11");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 0, seq: 11 });
      has(f, { code: "SEQUENCE_GAP", seq: 11 });
      expect(codes(f)).to.not.include("EVENT_OUTSIDE_EPOCHS");
      l.close();
    });

    it("names a sealed range deleted at the end", () => {
      const l = buildLedger();
      tamper(l, "DELETE FROM events WHERE seq >= 10");
      const f = auditLocal(l.db).findings;
      has(f, { code: "SEQUENCE_GAP", seq: 10 });
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 2, seq: 11 });
    });
  });

  describe("when a forged event is inserted", () => {
    it("names the forged event in its epoch and every event it displaced", () => {
      const l = buildLedger();
      // Make room at seq 5 by moving seq 5.. up by one, then insert a self-consistent forged record.
      tamper(l, "UPDATE events SET seq = seq + 1000 WHERE seq >= 5");
      tamper(l, "UPDATE events SET seq = seq - 999 WHERE seq >= 1000");
      const forged = recordOf(l, 6)
        .replace(/"id":"evt-[^"]+"/, '"id":"evt-forged"')
        .replace(/"seq":6/, '"seq":5');
      tamper(
        l,
        "INSERT INTO events (seq, event_id, type, source, source_sequence, batch_id, batch_seq, received_at, record, leaf_hash) VALUES (5, 'evt-forged', 'parameter.recorded', 'x', 0, NULL, NULL, '2026-11-25T00:00:00.000Z', ?, ?)",
        forged,
        nodeHasher.hashLeaf(Buffer.from(forged)),
      );
      const f = auditLocal(l.db).findings;
      has(f, { code: "EPOCH_LEAF_MISMATCH", epoch: 1, seq: 5, eventId: "evt-forged" });
      has(f, { code: "EVENT_ROW_MISMATCH", seq: 6, eventId: idOf(l, 6) });
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 5, eventId: "evt-forged" });
    });
  });

  describe("when two events are swapped", () => {
    it("names both events and their epoch", () => {
      const l = buildLedger();
      const [a, b] = [idOf(l, 4), idOf(l, 5)];
      tamper(l, "UPDATE events SET seq = -1 WHERE seq = 4");
      tamper(l, "UPDATE events SET seq = 4 WHERE seq = 5");
      tamper(l, "UPDATE events SET seq = 5 WHERE seq = -1");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EVENT_ROW_MISMATCH", seq: 4, eventId: b });
      has(f, { code: "EVENT_ROW_MISMATCH", seq: 5, eventId: a });
      has(f, { code: "EPOCH_LEAF_MISMATCH", epoch: 1, seq: 4, eventId: b });
      has(f, { code: "EPOCH_LEAF_MISMATCH", epoch: 1, seq: 5, eventId: a });
    });

    it("with records renumbered and leaves recomputed, names the broken batch chain", () => {
      const l = buildLedger();
      // Swap seq 4 (B-A) and seq 6 (B-A): their batch links now run backwards.
      const [r4, r6] = [recordOf(l, 4), recordOf(l, 6)];
      const [id4, id6] = [idOf(l, 4), idOf(l, 6)];
      tamper(l, "UPDATE events SET event_id = 'tmp' WHERE seq = 4");
      rewriteRecord(l, 4, r6.replace('"seq":6', '"seq":4'));
      tamper(l, "UPDATE events SET event_id = ? WHERE seq = 6", id4);
      rewriteRecord(l, 6, r4.replace('"seq":4', '"seq":6'));
      tamper(l, "UPDATE events SET event_id = ? WHERE seq = 4", id6);
      resealInPlace(l, 1);
      const f = auditLocal(l.db).findings;
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 4, eventId: id6, batchId: "B-A" });
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 6, eventId: id4, batchId: "B-A" });
    });
  });

  describe("when a stored tree node is edited", () => {
    it("names the epoch and the level", () => {
      const l = buildLedger();
      const tile = l.db.prepare("SELECT hashes FROM epoch_tiles WHERE epoch = 2 AND level = 1").pluck().get() as Buffer;
      tamper(
        l,
        "UPDATE epoch_tiles SET hashes = ? WHERE epoch = 2 AND level = 1",
        Buffer.concat([tile.subarray(32), tile.subarray(0, 32)]),
      );
      const f = auditLocal(l.db).findings;
      expect(f).to.have.length(1);
      expect(f[0]).to.include({ code: "EPOCH_TREE_ALTERED", epoch: 2 });
      expect(f[0].message).to.match(/level 1 tile 0 .*first at node 0/);
    });

    it("names the event whose leaf in the tree was edited", () => {
      const l = buildLedger();
      const tile = Buffer.from(
        l.db.prepare("SELECT hashes FROM epoch_tiles WHERE epoch = 0 AND level = 0").pluck().get() as Buffer,
      );
      tile[32 * 3] ^= 1;
      tamper(l, "UPDATE epoch_tiles SET hashes = ? WHERE epoch = 0 AND level = 0", tile);
      const f = auditLocal(l.db).findings;
      has(f, { code: "EPOCH_LEAF_MISMATCH", epoch: 0, seq: 3, eventId: idOf(l, 3) });
      has(f, { code: "EPOCH_TREE_ALTERED", epoch: 0 });
    });
  });

  describe("when an epoch root is edited", () => {
    it("names the epoch", () => {
      const l = buildLedger();
      tamper(l, "UPDATE epochs SET root = ? WHERE epoch = 1", randomBytes(32));
      const f = auditLocal(l.db).findings;
      expect(f).to.have.length(1);
      expect(f[0]).to.include({ code: "EPOCH_ROOT_MISMATCH", epoch: 1 });
    });
  });

  describe("when an epoch's range is edited", () => {
    it("names the epoch", () => {
      const l = buildLedger();
      tamper(l, "UPDATE epochs SET first_seq = 5 WHERE epoch = 1");
      has(auditLocal(l.db).findings, { code: "EPOCH_RANGE_BROKEN", epoch: 1 });
    });

    it("names an epoch claiming a huge size, without trying to allocate it", () => {
      const l = buildLedger();
      tamper(l, "UPDATE epochs SET size = 4000000000 WHERE epoch = 2");
      has(auditLocal(l.db).findings, { code: "EPOCH_RANGE_BROKEN", epoch: 2 });
    });
  });

  describe("when a sequence number is moved far away", () => {
    it("names the event and the gap, without walking the empty range", () => {
      const l = buildLedger();
      const id = idOf(l, 11);
      tamper(l, "UPDATE events SET seq = 9000000000000 WHERE seq = 11");
      const t = Date.now();
      const f = auditLocal(l.db).findings;
      expect(Date.now() - t).to.be.lessThan(2000);
      has(f, { code: "EVENT_ROW_MISMATCH", seq: 9000000000000, eventId: id });
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 2, seq: 11 });
    });
  });
});

describe("auditLocal over several read chunks (1,000 events each)", function () {
  this.timeout(60_000);
  /** 2,500 events in epochs of 1,000, 1,000 and 500 (3 batches in runs of 100) and 37 pending: 3 chunks. */
  function bigLedger(): Ledger {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-"));
    dirs.push(dir);
    const l = openLedger(dir, { maxEvents: 1000, maxAgeMs: 60_000 });
    for (let i = 0; i < 2500; i += 100) l.events.append(sampleEvents(100, `B-${(i / 100) % 3}`));
    while (l.sealer.seal(new Date()));
    l.events.append(sampleEvents(37, "B-1"));
    return l;
  }

  describe("when the ledger is untouched", () => {
    it("has zero findings over every event and epoch", () => {
      const r = auditLocal(bigLedger().db);
      expect(r.findings).to.deep.equal([]);
      expect(r.events).to.equal(2537);
      expect(r.epochs).to.have.length(3);
    });
  });

  describe("when events on both sides of a chunk boundary are tampered with", () => {
    it("names each of them, and the broken chains", () => {
      const l = bigLedger();
      const [a, b] = [idOf(l, 999), idOf(l, 1000)];
      tamper(
        l,
        "UPDATE events SET record = replace(record, '\"value\":61.5', '\"value\":66.5') WHERE seq IN (999, 1000)",
      );
      tamper(l, "DELETE FROM events WHERE seq = 1999");
      const f = auditLocal(l.db).findings;
      has(f, { code: "EVENT_RECORD_ALTERED", seq: 999, eventId: a });
      has(f, { code: "EVENT_RECORD_ALTERED", seq: 1000, eventId: b });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 0 });
      has(f, { code: "EPOCH_ROOT_MISMATCH", epoch: 1 });
      has(f, { code: "SEQUENCE_GAP", seq: 1999 });
      has(f, { code: "EPOCH_EVENT_MISSING", epoch: 1, seq: 1999 });
      // Batches run in 100s (B-0, B-1, B-2, B-0, …): each tampered event's batch goes on at 1001, 1200, 2200.
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 1001, batchId: "B-1" });
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 1200, batchId: "B-0" });
      has(f, { code: "BATCH_CHAIN_BROKEN", seq: 2200, batchId: "B-1" });
    });
  });

  describe("when an event id is edited to a non-ASCII one", () => {
    it("names the event whose record holds another id", () => {
      const l = bigLedger();
      tamper(l, "UPDATE events SET event_id = 'evt-ü-1234' WHERE seq = 1234");
      const f = auditLocal(l.db).findings;
      expect(f.map((x) => [x.code, x.seq, x.eventId])).to.deep.equal([["EVENT_ROW_MISMATCH", 1234, "evt-ü-1234"]]);
    });
  });

  describe("when a record's id is edited in a non-ASCII ledger", () => {
    it("names exactly that event", () => {
      const l = bigLedger();
      // Every id of the chunk becomes non-ASCII, in both row and record (leaf recomputed), but one.
      for (const seq of [1100, 1101, 1102]) {
        const id = idOf(l, seq);
        tamper(l, "UPDATE events SET event_id = ? WHERE seq = ?", `${id}-ü`, seq);
        rewriteRecord(l, seq, recordOf(l, seq).replace(`"id":"${id}"`, `"id":"${id}-${seq === 1101 ? "x" : "ü"}"`));
      }
      const f = auditLocal(l.db).findings.filter((x) => x.code === "EVENT_ROW_MISMATCH");
      expect(f.map((x) => x.seq)).to.deep.equal([1101]);
    });
  });
});

describe("auditLocalParallel", function () {
  this.timeout(60_000);
  // A gap at a range boundary is worded without the next event (the range does not see it).
  const key = (f: AuditFinding) =>
    JSON.stringify([f.code, f.seq, f.epoch, f.eventId, f.batchId, f.code === "SEQUENCE_GAP" ? "" : f.message]);
  const cases: [string, (l: Ledger) => void][] = [
    ["untouched", () => {}],
    [
      "payload edited",
      (l) => tamper(l, "UPDATE events SET record = replace(record, '\"value\":61.5', '\"value\":66.5') WHERE seq = 5"),
    ],
    ["first event of a range deleted", (l) => tamper(l, "DELETE FROM events WHERE seq = 4")],
    ["last event of a range deleted (batch link across ranges)", (l) => tamper(l, "DELETE FROM events WHERE seq = 3")],
    [
      "events swapped across ranges",
      (l) => {
        tamper(l, "UPDATE events SET seq = -1 WHERE seq = 3");
        tamper(l, "UPDATE events SET seq = 3 WHERE seq = 4");
        tamper(l, "UPDATE events SET seq = 4 WHERE seq = -1");
      },
    ],
    ["seq moved to the pending range", (l) => tamper(l, "UPDATE events SET seq = 40 WHERE seq = 6")],
    [
      "tree node edited",
      (l) => tamper(l, "UPDATE epoch_tiles SET hashes = zeroblob(64) WHERE epoch = 2 AND level = 1"),
    ],
    ["root edited", (l) => tamper(l, "UPDATE epochs SET root = zeroblob(32) WHERE epoch = 1")],
  ];
  for (const [name, edit] of cases) {
    it(`finds what the sequential scan finds: ${name}`, async () => {
      const l = buildLedger();
      l.events.append(sampleEvents(3, "B-A"));
      edit(l);
      const seq = auditLocal(l.db);
      const par = await auditLocalParallel(l, 3);
      expect(par.findings.map(key).sort()).to.deep.equal(seq.findings.map(key).sort());
      expect(par.events).to.equal(seq.events);
      expect([...par.roots.keys()].sort()).to.deep.equal([...seq.roots.keys()].sort());
      if (name === "untouched") expect(par.findings).to.deep.equal([]);
      else expect(par.findings).to.not.deep.equal([]);
    });
  }
});

describe("auditLedger against the chain (real local chain)", function () {
  this.timeout(120_000);
  const { chain: lc } = useLocalChain(100);

  /** A ledger of 3 epochs, each anchored on its own freshly deployed contract. */
  async function anchoredLedger(): Promise<{ l: Ledger; audit: () => Promise<AuditReport>; dir: string }> {
    const l = buildLedger();
    const d = await lc.anchorAll(l, "audit");
    await pinTo(l, lc.provider, d);
    expect(d.anchored).to.have.length(3);
    return {
      l,
      dir: path.dirname(l.db.name),
      audit: () => auditLedger(l, { chain: async () => auditChainOf(lc.provider, d.contract, d.ledgerId) }),
    };
  }

  it("finds nothing on an untouched anchored ledger, with the chain checked", async () => {
    const { audit } = await anchoredLedger();
    const r = await audit();
    expect(r.findings).to.deep.equal([]);
    expect(r).to.include({ chain: "checked", events: 12, epochs: 3, anchors: 3 });
  });

  it("catches an epoch rewritten consistently in the database (record, leaf, tiles, root) at the chain", async () => {
    const { l, audit } = await anchoredLedger();
    // seq 10 is the last event of batch B-A: no later batch link points at it.
    rewriteRecord(l, 10, recordOf(l, 10).replace('"value":61.5', '"value":66.5'));
    resealInPlace(l, 2);
    expect(auditLocal(l.db).findings).to.deep.equal([]);
    const r = await audit();
    // Re-sealed without the ledger key: its checkpoint no longer verifies, and the chain disagrees.
    expect(r.findings.map((f) => [f.code, f.epoch])).to.deep.equal([
      ["CHECKPOINT_INVALID", 2],
      ["ANCHOR_ROOT_MISMATCH", 2],
    ]);
    expect(r.findings[1]).to.include({
      code: "ANCHOR_ROOT_MISMATCH",
      epoch: 2,
      anchorTx: l.epochs.anchorOf(2)!.txHash,
    });
  });

  it("catches it at the chain alone when the forger also re-signed the checkpoints with the ledger key", async () => {
    const { l, audit, dir } = await anchoredLedger();
    rewriteRecord(l, 10, recordOf(l, 10).replace('"value":61.5', '"value":66.5'));
    resealInPlace(l, 2);
    resignCheckpoints(l, dir);
    const r = await audit();
    expect(r.findings).to.have.length(1);
    expect(r.findings[0]).to.include({
      code: "ANCHOR_ROOT_MISMATCH",
      epoch: 2,
      anchorTx: l.epochs.anchorOf(2)!.txHash,
    });
  });

  it("names an anchor whose tx hash was edited", async () => {
    const { l, audit } = await anchoredLedger();
    const forged = "0x" + randomBytes(32).toString("hex");
    tamper(l, "UPDATE anchors SET tx_hash = ? WHERE epoch = 1", forged);
    const r = await audit();
    expect(r.findings).to.have.length(1);
    expect(r.findings[0]).to.include({ code: "ANCHOR_TX_MISSING", epoch: 1, anchorTx: forged });
  });

  it("names an anchor whose block hash was edited", async () => {
    const { l, audit } = await anchoredLedger();
    tamper(l, "UPDATE anchors SET block_hash = ? WHERE epoch = 0", "0x" + randomBytes(32).toString("hex"));
    const r = await audit();
    expect(r.findings.map((f) => [f.code, f.epoch])).to.deep.equal([["ANCHOR_BLOCK_MISMATCH", 0]]);
  });

  it("names anchored epochs deleted from the database with all their events", async () => {
    const { l, audit } = await anchoredLedger();
    tamper(l, "DELETE FROM anchors WHERE epoch = 2");
    tamper(l, "DELETE FROM anchor_txs WHERE epoch = 2");
    tamper(l, "DELETE FROM epoch_tiles WHERE epoch = 2");
    tamper(l, "DELETE FROM epochs WHERE epoch = 2");
    tamper(l, "DELETE FROM events WHERE seq >= 8");
    const r = await audit();
    expect(r.findings.map((f) => [f.code, f.epoch])).to.deep.equal([["ANCHOR_EPOCH_MISSING_LOCALLY", 2]]);
  });

  it("still reports every local finding when the chain is unreachable", async () => {
    const l = buildLedger();
    tamper(l, "UPDATE epochs SET root = ? WHERE epoch = 0", randomBytes(32));
    const r = await auditLedger(l, {
      chain: async () => {
        throw new Error("chain unreachable at http://127.0.0.1:1");
      },
    });
    expect(r.chain).to.equal("unreachable");
    expect(r.findings.map((f) => [f.code, f.epoch])).to.deep.equal([
      ["EPOCH_ROOT_MISMATCH", 0],
      ["CHECKPOINT_INVALID", 0],
    ]);
  });
});
