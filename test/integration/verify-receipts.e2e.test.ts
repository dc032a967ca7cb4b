/**
 * End to end (issue 12 item 5): an MES keeps every receipt the real server gave it, the site exports
 * its trust profile, and `verify-receipts --trust` reconciles the archive against the ledger and the
 * embedded chain; after a file-level deletion of the newest pending events and their receipt group
 * (which leaves `audit` clean) it names each missing record.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";
import { tamperDb } from "../helpers/tamper";

describe("gxp-ledger verify-receipts (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let token = "";
  const receipts: { seq: number }[] = [];
  const archive = () => path.join(dir, "mes-archive");
  const trust = () => path.join(dir, "site-trust.json");

  const post = async (batchId: string) => {
    const res = await fetch(`${s.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(sampleEvent({}, batchId)),
    });
    expect(res.status).to.equal(201);
    const r = await res.json();
    receipts.push(r);
    fs.writeFileSync(path.join(archive(), `receipt-${String(r.seq).padStart(6, "0")}.json`), JSON.stringify(r));
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-e2e-receipts-"));
    fs.mkdirSync(archive());
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reconciles anchored and pending receipts with the site's pin, then names the records an attacker deleted", async () => {
    for (let i = 0; i < 3; i++) await post("B-REC-1");
    expect((await cli(["--data-dir", dir, "seal"])).code).to.equal(0);
    const a = await cli(["--data-dir", dir, "anchor"]);
    expect(a.code, a.stderr).to.equal(0);
    for (let i = 0; i < 3; i++) await post("B-REC-1");
    const t = await cli(["--data-dir", dir, "trust", "export", "-o", trust()]);
    expect(t.code, t.stdout + t.stderr).to.equal(0);

    const ok = await cli(["--data-dir", dir, "--json", "verify-receipts", archive(), "--trust", trust()]);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout).counts).to.include({ reconciled: 3, pending: 3, missing: 0, changed: 0, invalid: 0 });
    const unpinned = await cli(["--data-dir", dir, "verify-receipts", archive()]);
    expect(unpinned.code, unpinned.stdout + unpinned.stderr).to.equal(6);

    // File access only: the newest pending events and their receipt groups are deleted.
    const newest = receipts.slice(-2).map((r) => r.seq);
    const db = new Database(path.join(dir, "ledger.sqlite"));
    try {
      db.exec("DROP TRIGGER IF EXISTS receipt_groups_no_delete");
      tamperDb(db, "DELETE FROM receipt_groups WHERE first_seq >= ?", newest[0]);
      tamperDb(db, "DELETE FROM events WHERE seq >= ?", newest[0]);
    } finally {
      db.close();
    }
    const audit = await cli(["--data-dir", dir, "audit", "--offline"]);
    expect(audit.code, audit.stdout).to.equal(0);
    const bad = await cli(["--data-dir", dir, "verify-receipts", archive(), "--trust", trust()]);
    expect(bad.code, bad.stdout + bad.stderr).to.equal(1);
    expect(bad.stdout).to.match(/^RECEIPTS NOT RECONCILED: 6 receipts: 3 reconciled, 1 pending, 2 missing/);
    for (const seq of newest)
      expect(bad.stdout).to.include(`receipt-${String(seq).padStart(6, "0")}.json [RECEIPT_EVENT_MISSING]`);
  });
});
