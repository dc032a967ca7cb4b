/**
 * The anchor history of issue 6 on a real SQLite file: current, final and superseded anchors, the
 * append-only new tables, and the migration of a database whose anchors were recorded before.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/store/sqlite";
import { MIGRATIONS } from "../../src/store/migrations";
import { createEpochStore, AnchorRow } from "../../src/store/epoch-store";

const h = (b: number) => "0x" + b.toString(16).padStart(2, "0").repeat(32);
const anchor = (epoch: number, tx: number, block: number): AnchorRow => ({
  epoch,
  chainId: "31337",
  contract: "0x" + "11".repeat(20),
  ledgerId: h(0xee),
  txHash: h(tx),
  blockNumber: block,
  blockHash: h(block),
  blockTimestamp: 1_700_000_000 + block,
  logIndex: 0,
  confirmedAt: new Date(1_700_000_000_000 + block).toISOString(),
});

describe("anchor history (epoch store)", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-anchor-history-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const insertEpochs = (db: ReturnType<typeof openDatabase>, n: number) => {
    for (let e = 0; e < n; e++)
      db.prepare("INSERT INTO epochs (epoch, first_seq, size, root, sealed_at) VALUES (?, ?, 1, ?, ?)").run(
        e,
        e,
        Buffer.alloc(32, e),
        new Date().toISOString(),
      );
  };

  describe("when an anchor is recorded, superseded, re-recorded and made final", () => {
    it("keeps every row and names the current one, its finality and the reason of the superseded one", () => {
      const db = openDatabase(path.join(dir, "l.sqlite"));
      insertEpochs(db, 2);
      const s = createEpochStore(db);
      const first = s.recordAnchor(anchor(0, 1, 10));
      expect(s.anchorOf(0)).to.include({ id: first, txHash: h(1), finalAt: null });
      expect(s.unanchored().map((e) => e.epoch)).to.deep.equal([1]);
      expect(s.unconfirmed().map((e) => e.epoch)).to.deep.equal([0, 1]);
      expect(s.unfinalAnchors().map((a) => a.id)).to.deep.equal([first]);

      s.supersedeAnchor(first, "reorg: block 10 is now 0x…", "2026-11-26T00:00:00.000Z");
      expect(s.anchorOf(0)).to.equal(undefined);
      expect(s.unanchored().map((e) => e.epoch)).to.deep.equal([0, 1]);
      expect(s.unfinalAnchors()).to.deep.equal([]);

      const second = s.recordAnchor(anchor(0, 1, 11));
      s.finalizeAnchor(second, { confirmations: 3, headNumber: 13, at: "2026-11-26T00:01:00.000Z" });
      expect(s.anchorOf(0)).to.include({ id: second, blockNumber: 11, finalAt: "2026-11-26T00:01:00.000Z" });
      expect(s.unconfirmed().map((e) => e.epoch)).to.deep.equal([1]);
      const hist = s.anchorHistory(0);
      expect(hist.map((a) => [a.id, a.supersededReason, a.finalAt])).to.deep.equal([
        [first, "reorg: block 10 is now 0x…", null],
        [second, null, "2026-11-26T00:01:00.000Z"],
      ]);
      db.close();
    });

    it("refuses UPDATE and DELETE on the finality and supersession tables", () => {
      const db = openDatabase(path.join(dir, "l.sqlite"));
      insertEpochs(db, 1);
      const s = createEpochStore(db);
      const id = s.recordAnchor(anchor(0, 1, 10));
      s.supersedeAnchor(id, "reorg", new Date().toISOString());
      s.finalizeAnchor(s.recordAnchor(anchor(0, 2, 11)), {
        confirmations: 1,
        headNumber: 11,
        at: new Date().toISOString(),
      });
      for (const sql of [
        "UPDATE anchor_supersessions SET reason = 'x'",
        "DELETE FROM anchor_supersessions",
        "UPDATE anchor_finality SET confirmations = 9",
        "DELETE FROM anchor_finality",
      ]) {
        expect(() => db.prepare(sql).run(), sql).to.throw(/append-only/);
      }
      db.close();
    });
  });

  describe("when a database with anchors from before the migration is opened", () => {
    it("marks the newest anchor of each epoch final and the earlier ones superseded", () => {
      const file = path.join(dir, "old.sqlite");
      const before = MIGRATIONS.filter((m) => m.id < "2026-11-26-01-anchor-history");
      const old = openDatabase(file, { migrations: before });
      insertEpochs(old, 2);
      const ins = old.prepare(
        `INSERT INTO anchors (epoch, chain_id, contract, ledger_id, tx_hash, block_number, block_hash, block_timestamp, log_index, confirmed_at)
         VALUES (@epoch, @chainId, @contract, @ledgerId, @txHash, @blockNumber, @blockHash, @blockTimestamp, @logIndex, @confirmedAt)`,
      );
      ins.run(anchor(0, 1, 5)); // lost by a reset chain, then anchored again:
      ins.run(anchor(1, 2, 6));
      ins.run(anchor(0, 3, 9));
      old
        .prepare("INSERT INTO anchor_txs (epoch, tx_hash, nonce, sent_at) VALUES (0, ?, 0, ?)")
        .run(h(1), new Date().toISOString());
      old.close();

      const db = openDatabase(file);
      const s = createEpochStore(db);
      expect(s.anchorOf(0)).to.include({ txHash: h(3), blockNumber: 9 });
      expect(s.anchorOf(0)?.finalAt).to.equal(anchor(0, 3, 9).confirmedAt);
      expect(s.anchorOf(1)?.finalAt).to.equal(anchor(1, 2, 6).confirmedAt);
      expect(s.anchorHistory(0)[0].supersededReason).to.match(/superseded by a later anchor/);
      expect(s.unconfirmed()).to.deep.equal([]);
      expect(s.unanchored()).to.deep.equal([]);
      expect(s.anchorTxs(0)[0]).to.include({ txHash: h(1), maxFeePerGas: null, replaces: null });
      db.close();
    });
  });
});
