/**
 * verify-receipts (issue 12 item 5): an MES's archive of receipts against the ledger and a real local
 * chain. The file-level attacks on events not yet anchored that leave the database self-consistent
 * (the newest events deleted with their receipt group, the database rolled back to a backup) are
 * invisible to audit; the MES's receipts name them.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices, ApiServices, addClient } from "../../src/service/app/api";
import { LEDGER_ACTOR } from "../../src/service/security/security";
import { auditLedger } from "../../src/service/audit/audit";
import { reconcileReceipts, ArchivedReceipt, ReconcileOptions } from "../../src/service/audit/reconcile-receipts";
import { receiptPublicKeyFile } from "../../src/crypto/receipt-key";
import { Client } from "../../src/store/clients";
import { ledgerDbFile } from "../../src/service/app/ledger";
import { sampleEvents } from "../helpers/events";
import { recordOf, rewriteRecord, tamper } from "../helpers/tamper";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";
import { cli } from "../helpers/process";

describe("reconcileReceipts", function () {
  this.timeout(120_000);
  const { chain: lc, tempDir } = useLocalChain(100);

  interface Fixture {
    dir: string;
    ledger: Ledger;
    api: ApiServices;
    client: Client;
    archive: ArchivedReceipt[];
    opts: ReconcileOptions;
  }
  const open: Ledger[] = [];
  afterEach(() => {
    for (const l of open.splice(0)) if (l.db.open) l.close();
  });

  const post = (f: Pick<Fixture, "api" | "client" | "archive">, n: number) => {
    for (const { receipt } of f.api.ingestor.ingest(sampleEvents(n, "B-X"), f.client))
      f.archive.push({ source: `r-${f.archive.length}`, receipt: JSON.parse(JSON.stringify(receipt)) });
  };

  /** Two commit groups of 3 sealed and anchored (seq 0..5), then two more pending (seq 6..11). */
  async function setup(anchor = true): Promise<Fixture> {
    const dir = tempDir("gxp-reconcile-");
    const ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
    open.push(ledger);
    const api = createApiServices(ledger, dir, "default", 3_600_000);
    const client = addClient(api.clients, api.security, { name: "mes-1", role: "mes" }, LEDGER_ACTOR).client;
    const f: Fixture = { dir, ledger, api, client, archive: [], opts: undefined as unknown as ReconcileOptions };
    post(f, 3);
    post(f, 3);
    if (anchor) {
      ledger.sealer.seal(new Date());
      const d = await lc.anchorAll(ledger, "reconcile");
      await pinTo(ledger, lc.provider, d);
    }
    post(f, 3);
    post(f, 3);
    const pem = fs.readFileSync(receiptPublicKeyFile(dir), "utf8");
    f.opts = { keyFor: () => ({ pem }), chain: async () => lc.provider };
    return f;
  }
  const statuses = (r: Awaited<ReturnType<typeof reconcileReceipts>>) =>
    r.lines.map((l) => `${l.seq}:${l.status}${l.code ? `:${l.code}` : ""}`);

  describe("when nothing was touched", () => {
    it("reconciles the anchored receipts and reports the others pending within their promise", async () => {
      const f = await setup();
      const r = await reconcileReceipts(f.ledger, f.archive, f.opts);
      expect(r.counts).to.include({
        reconciled: 6,
        pending: 6,
        missing: 0,
        changed: 0,
        invalid: 0,
        overdue: 0,
        late: 0,
        failed: 0,
      });
    });

    it("reports pending receipts overdue once their anchorBy has passed", async () => {
      const f = await setup();
      const r = await reconcileReceipts(f.ledger, f.archive, { ...f.opts, now: () => Date.now() + 2 * 3_600_000 });
      expect(r.counts).to.include({ reconciled: 6, overdue: 6 });
      expect(r.lines.filter((l) => l.status === "overdue").every((l) => l.code === "ANCHOR_PROMISE_MISSED")).to.equal(
        true,
      );
    });
  });

  describe("when a pending record is edited and its leaf recomputed", () => {
    it("names the changed record", async () => {
      const f = await setup();
      rewriteRecord(f.ledger, 7, recordOf(f.ledger, 7).replace('"value":61.5', '"value":66.5'));
      const r = await reconcileReceipts(f.ledger, f.archive, f.opts);
      expect(statuses(r)).to.include("7:changed:RECEIPT_EVENT_CHANGED");
      expect(r.counts).to.include({ changed: 1, pending: 5, reconciled: 6 });
    });
  });

  describe("when the newest pending events are deleted with their receipt group", () => {
    it("leaves audit clean but names each missing record", async () => {
      const f = await setup();
      f.ledger.db.exec("DROP TRIGGER IF EXISTS receipt_groups_no_delete");
      tamper(f.ledger, "DELETE FROM events WHERE seq >= 10");
      tamper(f.ledger, "DELETE FROM receipt_groups WHERE first_seq = 10");
      expect((await auditLedger(f.ledger)).findings).to.deep.equal([]);
      const r = await reconcileReceipts(f.ledger, f.archive, f.opts);
      expect(statuses(r).filter((s) => s.includes("missing"))).to.deep.equal([
        "10:missing:RECEIPT_EVENT_MISSING",
        "11:missing:RECEIPT_EVENT_MISSING",
        "12:missing:RECEIPT_EVENT_MISSING",
      ]);
    });
  });

  describe("when the database is rolled back to a backup taken before later posts", () => {
    it("leaves audit clean but names each record lost, and each record whose seq was written again", async () => {
      const dir = tempDir("gxp-reconcile-rollback-");
      let ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
      open.push(ledger);
      let api = createApiServices(ledger, dir, "default", 3_600_000);
      const client = addClient(api.clients, api.security, { name: "mes-1", role: "mes" }, LEDGER_ACTOR).client;
      const f = { api, client, archive: [] as ArchivedReceipt[] };
      post(f, 3);
      const backup = path.join(dir, "before.sqlite");
      await ledger.db.backup(backup);
      post(f, 3);
      post(f, 3);
      ledger.close();
      for (const ext of ["", "-wal", "-shm"]) fs.rmSync(ledgerDbFile(dir) + ext, { force: true });
      fs.copyFileSync(backup, ledgerDbFile(dir));
      ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
      open.push(ledger);
      api = createApiServices(ledger, dir, "default", 3_600_000);
      // The service goes on: new posts take the rolled-back sequence numbers again.
      api.ingestor.ingest(sampleEvents(2, "B-X"), api.clients.get("mes-1")!);
      expect((await auditLedger(ledger)).findings).to.deep.equal([]);
      const pem = fs.readFileSync(receiptPublicKeyFile(dir), "utf8");
      const r = await reconcileReceipts(ledger, f.archive, { keyFor: () => ({ pem }) });
      expect(statuses(r)).to.deep.equal([
        "1:pending",
        "2:pending",
        "3:pending",
        "4:changed:RECEIPT_EVENT_CHANGED",
        "5:changed:RECEIPT_EVENT_CHANGED",
        "6:missing:RECEIPT_EVENT_MISSING",
        "7:missing:RECEIPT_EVENT_MISSING",
        "8:missing:RECEIPT_EVENT_MISSING",
        "9:missing:RECEIPT_EVENT_MISSING",
      ]);
    });
  });

  describe("when an anchored epoch was rewritten", () => {
    it("names the receipt's changed record", async () => {
      const f = await setup();
      rewriteRecord(f.ledger, 3, recordOf(f.ledger, 3).replace('"value":61.5', '"value":66.5'));
      const r = await reconcileReceipts(f.ledger, f.archive, f.opts);
      expect(statuses(r)).to.include("3:changed:RECEIPT_EVENT_CHANGED");
    });
  });

  describe("when a receipt in the archive was altered or is not the site's", () => {
    it("names it invalid", async () => {
      const f = await setup();
      const bad = { ...(f.archive[1].receipt as Record<string, unknown>), leafHash: "0x" + "00".repeat(32) };
      const r = await reconcileReceipts(
        f.ledger,
        [
          { source: "x", receipt: bad },
          { source: "y", error: "not JSON" },
        ],
        f.opts,
      );
      expect(r.lines.map((l) => `${l.status}:${l.code}`)).to.deep.equal([
        "invalid:RECEIPT_ROOT_MISMATCH",
        "invalid:RECEIPT_SCHEMA_INVALID",
      ]);
      const other = await reconcileReceipts(f.ledger, f.archive.slice(0, 1), {
        ...f.opts,
        keyFor: () => ({ code: "TRUST_KEY_MISMATCH", detail: "not the site's key" }),
      });
      expect(other.lines[0]).to.include({ status: "invalid", code: "TRUST_KEY_MISMATCH" });
    });
  });

  describe("gxp-ledger verify-receipts", () => {
    it("exits 6 unpinned, 0 pinned, 1 with a missing record named, 2 for a missing archive", async () => {
      const f = await setup(false);
      const ndjson = path.join(f.dir, "receipts.ndjson");
      fs.writeFileSync(ndjson, f.archive.map((a) => JSON.stringify(a.receipt)).join("\n") + "\n");
      f.ledger.close();
      const unpinned = cli(["--data-dir", f.dir, "verify-receipts", ndjson]);
      expect(unpinned.code, unpinned.stderr + unpinned.stdout).to.equal(6);
      expect(unpinned.stdout).to.match(/^RECEIPTS RECONCILED BUT UNPINNED/);
      const pinned = cli([
        "--data-dir",
        f.dir,
        "--json",
        "verify-receipts",
        ndjson,
        "--public-key",
        receiptPublicKeyFile(f.dir),
      ]);
      expect(pinned.code, pinned.stderr).to.equal(0);
      expect(JSON.parse(pinned.stdout).counts).to.include({ pending: 12 });
      const l = openLedger(f.dir);
      tamper(l, "DELETE FROM events WHERE seq = 4");
      l.close();
      const missing = cli([
        "--data-dir",
        f.dir,
        "verify-receipts",
        ndjson,
        "--public-key",
        receiptPublicKeyFile(f.dir),
      ]);
      expect(missing.code).to.equal(1);
      expect(missing.stdout).to.match(/^RECEIPTS NOT RECONCILED: 12 receipts: 0 reconciled, 11 pending, 1 missing/);
      expect(missing.stdout).to.include("MISSING");
      expect(missing.stdout).to.include("[RECEIPT_EVENT_MISSING]");
      expect(cli(["--data-dir", f.dir, "verify-receipts", path.join(f.dir, "nope")]).code).to.equal(2);
    });
  });
});
