/**
 * End to end: the real server (`gxp-ledger serve`) on the embedded chain with a real SQLite file,
 * driven over HTTP and through the real CLI, as a newcomer and an inspector would use it.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";
import { tamperDb } from "../helpers/tamper";

let devToken = "";

async function post(s: Served, ev: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${devToken}` },
    body: JSON.stringify(ev),
  });
  return { status: res.status, body: await res.json() };
}

/** Posts `n` events and seals them into their own epoch; returns their ids. */
async function epochOf(s: Served, dir: string, n: number, batchId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const ev = sampleEvent({}, batchId);
    const r = await post(s, ev);
    expect(r.status).to.equal(201);
    ids.push(ev.id as string);
  }
  const sealed = await cli(["--data-dir", dir, "seal"]);
  expect(sealed.code, sealed.stderr).to.equal(0);
  return ids;
}

/** An attacker with file access edits the database of a ledger (the server's or a stopped one). */
function tamper(dir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path.join(dir, "ledger.sqlite"));
  try {
    tamperDb(db, sql, ...params);
  } finally {
    db.close();
  }
}

describe("gxp-ledger end to end (real server, embedded chain, SQLite file)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let ids: string[];
  const proofFile = () => path.join(dir, "proof.json");
  const trustFile = () => path.join(dir, "site-trust.json");

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-e2e-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    // The first start of a development ledger creates the dev-mes token (README quick start).
    devToken = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("acknowledges posted events with 201 receipts that verify-receipt accepts, and refuses an altered one", async () => {
    const ev = sampleEvent({}, "B-E2E-1");
    const posted = await post(s, ev);
    expect(posted.status).to.equal(201);
    const file = path.join(dir, "receipt.json");
    fs.writeFileSync(file, JSON.stringify(posted.body));
    // The site's trust profile (README: the inspector's check): the receipt key is pinned by it.
    const t = await cli(["--data-dir", dir, "trust", "export", "-o", trustFile()]);
    expect(t.code, t.stdout + t.stderr).to.equal(0);
    const unpinned = await cli(["--data-dir", dir, "verify-receipt", file]);
    expect(unpinned.code, unpinned.stdout + unpinned.stderr).to.equal(6);
    const ok = await cli(["--data-dir", dir, "verify-receipt", file, "--trust", trustFile()]);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(
      new RegExp(`^VALID receipt \\(pinned: .*\\): event ${ev.id} accepted as seq ${posted.body.seq}`),
    );
    fs.writeFileSync(file, JSON.stringify({ ...posted.body, receivedAt: "2026-11-25T00:00:00.000Z" }));
    const bad = await cli(["--data-dir", dir, "verify-receipt", file, "--trust", trustFile()]);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.match(/^INVALID receipt .*does not verify/);
    ids = [ev.id as string, ...(await epochOf(s, dir, 4, "B-E2E-1"))];
    const r = await fetch(`${s.url}/v1/events/${ids[0]}`, { headers: { authorization: `Bearer ${devToken}` } });
    expect((await r.json()).status).to.be.oneOf(["sealed", "anchored", "confirmed"]);
    expect((await fetch(`${s.url}/v1/events/${ids[0]}`)).status).to.equal(401);
  });

  it("anchors, then verify passes with exit 0 naming epoch and tx", async () => {
    const a = await cli(["--data-dir", dir, "anchor"]);
    expect(a.code, a.stderr).to.equal(0);
    const v = await cli(["--data-dir", dir, "verify", ids[2]]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(new RegExp(`^PASS event ${ids[2]} .*epoch 0, anchor tx 0x[0-9a-f]{64}`));
  });

  it("exports a proof bundle that verify-proof accepts using only the bundle and the chain", async () => {
    const p = await cli(["--data-dir", dir, "proof", ids[2], "-o", proofFile()]);
    expect(p.code, p.stderr).to.equal(0);
    const added = await cli(["--data-dir", dir, "--json", "client", "add", "inspector-1", "--role", "auditor"]);
    expect(added.code, added.stderr).to.equal(0);
    const auditor = { authorization: `Bearer ${JSON.parse(added.stdout).token}` };
    const epoch = await (await fetch(`${s.url}/v1/epochs/0`, { headers: auditor })).json();
    // Epoch 0: the security events of the first start (the ledger pinned, its key registered on
    // chain, the dev-mes client added: seq 0-2), then the 5 MES events.
    expect(epoch).to.deep.include({ epoch: 0, size: 8, firstSeq: 0, lastSeq: 7, status: "confirmed" });
    expect(epoch.anchor.confirmations).to.be.at.least(1);
    const http = await fetch(`${s.url}/v1/events/${ids[2]}/proof`, { headers: auditor });
    expect(http.status).to.equal(200);
    expect(await http.json()).to.deep.equal(JSON.parse(fs.readFileSync(proofFile(), "utf8")));
    // A directory without any ledger database: the verifier needs the bundle and an RPC URL only.
    const rpc = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8")).rpcUrl;
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-inspector-"));
    const v = await cli([
      "--data-dir",
      empty,
      "verify-proof",
      proofFile(),
      "--rpc",
      rpc,
      "--onchain",
      "--trust",
      trustFile(),
    ]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^PASS/);
    expect(fs.existsSync(path.join(empty, "ledger.sqlite"))).to.equal(false);
  });

  it("rejects a bundle with one byte changed, naming the failed step", async () => {
    const text = fs.readFileSync(proofFile(), "utf8");
    const at = text.indexOf('"printedName": "A. Schmidt"') + '"printedName": "A. '.length;
    const bad = path.join(dir, "bad-proof.json");
    fs.writeFileSync(bad, text.slice(0, at) + "Z" + text.slice(at + 1));
    const v = await cli(["--data-dir", dir, "verify-proof", bad]);
    expect(v.code).to.equal(1);
    expect(v.stdout).to.match(/FAIL .*leaf hash/);
    expect(v.stdout).to.include(ids[2]);
  });

  it("keeps events, epochs and chain state across a stop and restart: an earlier proof still verifies", async () => {
    expect(await s.stop("SIGTERM")).to.equal(0);
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const st = await cli(["--data-dir", dir, "--json", "status"]);
    // 5 MES events and 4 security events: the ledger pinned, its key registered, the dev-mes and
    // the inspector-1 clients added.
    expect(JSON.parse(st.stdout)).to.deep.include({ events: 9, epochs: 1, anchoredEpochs: 1 });
    const v = await cli(["--data-dir", dir, "verify-proof", proofFile(), "--trust", trustFile()]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect((await cli(["--data-dir", dir, "verify", ids[0]])).code).to.equal(0);
  });

  it("loses nothing when killed with SIGKILL right after a 201", async () => {
    const ev = sampleEvent({}, "B-E2E-KILL");
    const r = await post(s, ev);
    expect(r.status).to.equal(201);
    await s.stop("SIGKILL");
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const got = await fetch(`${s.url}/v1/events/${ev.id}`, { headers: { authorization: `Bearer ${devToken}` } });
    expect(got.status).to.equal(200);
    expect((await got.json()).seq).to.equal(r.body.seq);
    // The proof exported before the hard kill still verifies against the restarted chain.
    const vp = await cli(["--data-dir", dir, "verify-proof", proofFile(), "--trust", trustFile()]);
    expect(vp.code, vp.stdout + vp.stderr).to.equal(0);
  });

  describe("when someone with file access alters the database", () => {
    it("names an event whose payload was edited", async () => {
      const e = await epochOf(s, dir, 4, "B-T1");
      expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
      tamper(
        dir,
        "UPDATE events SET record = replace(record, '\"value\":61.5', '\"value\":66.5') WHERE event_id = ?",
        e[1],
      );
      const v = await cli(["--data-dir", dir, "verify", e[1]]);
      expect(v.code).to.equal(1);
      expect(v.stdout).to.match(new RegExp(`^FAIL event ${e[1]} .*record was altered`));
    });

    it("names the sequence number of a deleted event when a neighbour is verified", async () => {
      const e = await epochOf(s, dir, 4, "B-T3");
      expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
      const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
      const seq = db.prepare("SELECT seq FROM events WHERE event_id = ?").pluck().get(e[2]) as number;
      db.close();
      tamper(dir, "DELETE FROM events WHERE event_id = ?", e[2]);
      const v = await cli(["--data-dir", dir, "verify", e[0]]);
      expect(v.code).to.equal(1);
      expect(v.stdout).to.include(`event seq ${seq} is missing: it was deleted`);
      expect((await cli(["--data-dir", dir, "verify", e[2]])).code).to.equal(2);
    });

    it("names the altered tree when two sibling hashes are swapped", async () => {
      const e = await epochOf(s, dir, 4, "B-T4");
      expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
      const db = new Database(path.join(dir, "ledger.sqlite"));
      const ep = db.prepare("SELECT max(epoch) FROM epochs").pluck().get() as number;
      const tile = db.prepare("SELECT hashes FROM epoch_tiles WHERE epoch = ? AND level = 1").pluck().get(ep) as Buffer;
      db.close();
      const swapped = Buffer.concat([tile.subarray(32, 64), tile.subarray(0, 32)]);
      tamper(dir, "UPDATE epoch_tiles SET hashes = ? WHERE epoch = ? AND level = 1", swapped, ep);
      const v = await cli(["--data-dir", dir, "verify", e[0]]);
      expect(v.code).to.equal(1);
      expect(v.stdout).to.match(new RegExp(`^FAIL event ${e[0]} .*epoch ${ep}.*stored tree node was altered`));
    });
    it("catches an edited payload whose leaf hash was recomputed too: the epoch's checkpoint no longer verifies", async () => {
      const e = await epochOf(s, dir, 3, "B-T2");
      expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
      const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
      const row = db.prepare("SELECT seq, record FROM events WHERE event_id = ?").get(e[0]) as {
        seq: number;
        record: string;
      };
      db.close();
      const { canonicalString, rfc9162, utf8 } = await import("../../src/core");
      const rec = JSON.parse(row.record);
      rec.event.data.value = 70;
      const text = canonicalString(rec);
      // Rewrite record, leaf, the tree's leaf tile and the epoch root: only the chain still disagrees.
      tamper(
        dir,
        "UPDATE events SET record = ?, leaf_hash = ? WHERE seq = ?",
        text,
        Buffer.from(rfc9162.hashLeaf(utf8(text))),
        row.seq,
      );
      const { merkletreeLevels } = await import("../../src/epoch/sealer");
      const d2 = new Database(path.join(dir, "ledger.sqlite"));
      const ep = d2
        .prepare("SELECT epoch, first_seq, size FROM epochs WHERE first_seq <= ? AND first_seq + size > ?")
        .get(row.seq, row.seq) as { epoch: number; first_seq: number; size: number };
      const leaves = d2
        .prepare("SELECT leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq")
        .pluck()
        .all(ep.first_seq, ep.first_seq + ep.size) as Buffer[];
      const levels = merkletreeLevels(leaves);
      d2.prepare("DELETE FROM epoch_tiles WHERE epoch = ?").run(ep.epoch);
      levels.forEach((lv, l) =>
        d2.prepare("INSERT INTO epoch_tiles VALUES (?, ?, 0, ?)").run(ep.epoch, l, Buffer.concat(lv)),
      );
      d2.prepare("UPDATE epochs SET root = ? WHERE epoch = ?").run(levels[levels.length - 1][0], ep.epoch);
      d2.close();
      const v = await cli(["--data-dir", dir, "verify", e[0]]);
      expect(v.code).to.equal(1);
      // Re-sealed without the ledger key: its checkpoint fails before the chain is asked.
      expect(v.stdout).to.match(
        new RegExp(`^FAIL event ${e[0]} .*\\[CHECKPOINT_INVALID\\].*re-sealed without the ledger key`),
      );
      // The running server notices too: it stops anchoring and says why on /readyz.
      let ready: { ready: boolean; reasons: string[] } = { ready: true, reasons: [] };
      for (let i = 0; i < 50 && ready.ready; i++) {
        await new Promise((r) => setTimeout(r, 200));
        ready = await (await fetch(`${s.url}/readyz`)).json();
      }
      expect(ready.ready).to.equal(false);
      expect(ready.reasons.join(" ")).to.match(/the database was altered/);
    });
  });
});

describe("the ledger key and the pin at start (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-e2e-key-"));
  });
  after(async () => {
    await s?.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const keyFile = () => path.join(dir, "keys", "receipt-key.pem");
  const refusal = (p: Promise<Served>) =>
    p.then(
      () => "started",
      (e: Error) => e.message,
    );
  const securityKinds = () => {
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    try {
      return (
        db.prepare("SELECT record FROM events WHERE type = 'security.event' ORDER BY seq").pluck().all() as string[]
      ).map((r) => JSON.parse(r).event.data.kind);
    } finally {
      db.close();
    }
  };

  it("pins the ledger and registers its key at the first start (key show names the tx)", async () => {
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    devToken = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    expect(securityKinds()).to.deep.equal(["ledger.pinned", "ledger.key.registered", "client.added"]);
    const shown = await cli(["--data-dir", dir, "--json", "key", "show"]);
    expect(shown.code, shown.stderr).to.equal(0);
    const keys = JSON.parse(shown.stdout).keys;
    expect(keys).to.have.length(1);
    expect(keys[0].registrations[0].txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(keys[0].publicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----/);
    expect(shown.stdout).to.not.include("PRIVATE KEY");
  });

  it("refuses to start with a changed or a missing key, and starts again after key rotate; old epochs still verify", async () => {
    const old = await epochOf(s!, dir, 3, "B-KEY-1");
    expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
    expect((await cli(["--data-dir", dir, "verify", old[1]])).code).to.equal(0);
    expect(await s!.stop("SIGTERM")).to.equal(0);
    s = undefined;
    const original = fs.readFileSync(keyFile());

    // Someone swaps the key file: refused, naming the code, never printing the key.
    const { generateKeyPairSync } = await import("node:crypto");
    fs.writeFileSync(keyFile(), generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    const changed = await refusal(serve(dir));
    expect(changed)
      .to.match(/serve exited with 1/)
      .and.to.include("LEDGER_KEY_CHANGED");
    expect(changed).to.not.include("PRIVATE KEY");
    fs.rmSync(keyFile());
    expect(await refusal(serve(dir)))
      .to.match(/serve exited with 1/)
      .and.to.include("LEDGER_KEY_MISSING");
    expect(fs.existsSync(keyFile())).to.equal(false);
    fs.writeFileSync(keyFile(), original, { mode: 0o600 });

    // A recorded rotation: the old key kept in keys/retired/, the next start registers the new one.
    const before = JSON.parse((await cli(["--data-dir", dir, "--json", "key", "show"])).stdout).keys[0].keyId as string;
    const rot = await cli(["--data-dir", dir, "--json", "key", "rotate", "--reason", "scheduled rotation"]);
    expect(rot.code, rot.stderr).to.equal(0);
    const r = JSON.parse(rot.stdout);
    expect(r.rotatedFrom).to.equal(before);
    expect(r.keyId).to.not.equal(before);
    expect(fs.existsSync(path.join(dir, "keys", "retired", `${before}.pem`))).to.equal(true);
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const keys = JSON.parse((await cli(["--data-dir", dir, "--json", "key", "show"])).stdout).keys;
    expect(keys.map((k: { keyId: string; current: boolean }) => [k.keyId, k.current])).to.deep.equal([
      [before, false],
      [r.keyId, true],
    ]);
    expect(keys[1]).to.include({ rotatedFrom: before, reason: "scheduled rotation" });
    expect(keys[1].registrations).to.have.length(1);
    expect(securityKinds().slice(-2)).to.deep.equal(["ledger.key.rotated", "ledger.key.registered"]);

    // Epochs signed by the old key verify; new epochs are signed by the new one and verify too.
    const v = await cli(["--data-dir", dir, "verify", old[1]]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    const fresh = await epochOf(s, dir, 2, "B-KEY-2");
    expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
    const vf = await cli(["--data-dir", dir, "--json", "verify", fresh[0]]);
    expect(vf.code, vf.stdout + vf.stderr).to.equal(0);
    expect(JSON.parse(vf.stdout).checks.find((c: { check: string }) => c.check === "checkpoint").detail).to.include(
      r.keyId,
    );
    const audit = await cli(["--data-dir", dir, "audit"]);
    expect(audit.code, audit.stdout + audit.stderr).to.equal(0);
  });

  it("refuses to start on another contract than the pinned one, naming both", async () => {
    expect(await s!.stop("SIGTERM")).to.equal(0);
    s = undefined;
    const file = path.join(dir, "chain", "deployment.json");
    const d = JSON.parse(fs.readFileSync(file, "utf8"));
    // deployment.json pointed elsewhere: the embedded chain deploys a new contract there, the pin refuses it.
    fs.writeFileSync(file, JSON.stringify({ ...d, contract: "0x000000000000000000000000000000000000dEaD" }));
    const msg = await refusal(serve(dir));
    expect(msg)
      .to.match(/serve exited with 1/)
      .and.to.include("LEDGER_PIN_MISMATCH")
      .and.to.include(d.contract);
    fs.writeFileSync(file, JSON.stringify(d));
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    expect((await cli(["--data-dir", dir, "audit"])).code).to.equal(0);
  });

  it("re-pins a development ledger whose embedded chain was lost (new genesis, same contract), with a security event, and re-anchors", async () => {
    const ids = await epochOf(s!, dir, 2, "B-KEY-3");
    expect((await cli(["--data-dir", dir, "anchor"])).code).to.equal(0);
    const before = JSON.parse((await cli(["--data-dir", dir, "--json", "status"])).stdout).pin;
    expect(await s!.stop("SIGTERM")).to.equal(0);
    s = undefined;
    // As after a power loss before Anvil ever wrote its state: the next start is a new chain.
    for (const f of fs.readdirSync(path.join(dir, "chain")))
      if (f.startsWith("anvil-state")) fs.rmSync(path.join(dir, "chain", f));
    await new Promise((r) => setTimeout(r, 1100)); // Anvil's genesis carries the start second
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const after = JSON.parse((await cli(["--data-dir", dir, "--json", "status"])).stdout).pin;
    expect(after).to.include({ chainId: before.chainId, contract: before.contract, ledgerId: before.ledgerId });
    expect(after.genesisHash).to.not.equal(before.genesisHash);
    expect(securityKinds()).to.include.members(["ledger.repinned"]);
    // The runner sends the lost anchors again; verify then passes on the new chain.
    let v = { code: -1, stdout: "", stderr: "" };
    for (let i = 0; i < 40 && v.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 300));
      v = await cli(["--data-dir", dir, "verify", ids[0]]);
    }
    expect(v.code, v.stdout + v.stderr + s!.logs.filter((l) => !l.includes('"level":30')).join("\n")).to.equal(0);
  });
});
