/**
 * audit, backup and restore end to end: the real server on the embedded chain with a real SQLite
 * file, driven through the real CLI. A backup taken while events are being posted restores into a
 * new data directory that audits clean against the chain.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

describe("audit, backup and restore end to end (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let token = "";

  const post = async (batchId: string) => {
    const res = await fetch(`${s.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(sampleEvent({}, batchId)),
    });
    expect(res.status).to.equal(201);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-e2e-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    for (let i = 0; i < 30; i++) await post(`B-AE-${i % 3}`);
    expect((await cli(["--data-dir", dir, "seal"])).code).to.equal(0);
    const a = await cli(["--data-dir", dir, "anchor"]);
    expect(a.code, a.stderr).to.equal(0);
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("audit of the running ledger is clean, checks the chain and prints progress lines when not on a terminal", async () => {
    const r = await cli(["--data-dir", dir, "audit"]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^AUDIT CLEAN: \d+ events, 1 epochs, 1 anchors; chain checked/);
    expect(r.stderr).to.match(/audit: \d+\/\d+ events checked \(100%\)/);
    const j = await cli(["--data-dir", dir, "--json", "audit"]);
    expect(j.code).to.equal(0);
    expect(JSON.parse(j.stdout))
      .to.include({ chain: "checked", epochs: 1, anchors: 1 })
      .and.to.have.property("findings")
      .that.deep.equals([]);
    expect(j.stderr).to.equal("");
  });

  it("backup while events are posted, restore into a new directory, audit clean there (chain checked)", async () => {
    let stop = false;
    const writer = (async () => {
      while (!stop) await post("B-AE-W");
    })();
    await new Promise((r) => setTimeout(r, 300));
    const file = path.join(dir, "ledger.bak");
    const b = await cli(["--data-dir", dir, "backup", file]);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await writer;
    expect(b.code, b.stderr).to.equal(0);
    expect(b.stdout).to.match(
      /^backup written to .*ledger\.bak: \d+ events, 1 epochs, \d+ bytes, chain deployment included/,
    );
    const target = path.join(dir, "restored");
    const r = await cli(["restore", file, "--data-dir", target]);
    expect(r.code, r.stderr).to.equal(0);
    const a = await cli(["--data-dir", target, "audit"]);
    expect(a.code, a.stdout + a.stderr).to.equal(0);
    expect(a.stdout).to.match(/^AUDIT CLEAN: \d+ events, 1 epochs, 1 anchors; chain checked/);
    // refuses a non-empty target and an existing backup file
    expect((await cli(["restore", file, "--data-dir", target])).code).to.equal(2);
    expect((await cli(["--data-dir", dir, "backup", file])).code).to.equal(2);
  });

  it("names a tampered event with exit 1, and exits 3 with the local findings when the chain is unreachable", async () => {
    const target = path.join(dir, "restored");
    const db = new Database(path.join(target, "ledger.sqlite"));
    db.exec("DROP TRIGGER events_no_update");
    const id = db.prepare("SELECT event_id FROM events WHERE seq = 3").pluck().get() as string;
    db.prepare("UPDATE events SET record = replace(record, '\"value\":61.5', '\"value\":66.5') WHERE seq = 3").run();
    db.close();
    const a = await cli(["--data-dir", target, "audit"]);
    expect(a.code).to.equal(1);
    expect(a.stdout).to.match(/^AUDIT FAILED: \d+ findings/);
    expect(a.stdout).to.include(`EVENT_RECORD_ALTERED event ${id} (seq 3)`);
    const off = await cli(["--data-dir", dir, "--rpc", "http://127.0.0.1:9", "audit"]);
    expect(off.code, off.stdout + off.stderr).to.equal(3);
    expect(off.stdout).to.match(/^AUDIT INCOMPLETE: local checks clean .*CHAIN UNREACHABLE/);
  });
});
