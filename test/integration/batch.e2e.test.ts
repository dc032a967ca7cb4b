/**
 * QA's batch review end to end: the real server on the embedded chain takes a generated batch record
 * over HTTP (the fixture CLI posts it), `verify-batch` passes with exit 0 and prints each signature's
 * manifestation, `GET /v1/batches/{batchId}` says the same as `verify-batch --json`, and the package
 * from `export-batch` verifies with `verify-package` in a directory with no ledger, using only the
 * package and the chain.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { cli, serve, Served } from "../helpers/process";
import { generateBatch } from "../helpers/batch-fixture";

describe("batch review end to end (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let token: string;
  const batchId = "B-E2E-GRAN-01";

  /**
   * Runs `verify-batch` until the batch is no longer waiting on the chain (exit 5, not all anchored;
   * exit 3, chain not reachable for a moment), 60 s at most; returns the last result.
   */
  async function verifyBatchSettled(args: string[]): Promise<ReturnType<typeof cli>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const v = cli(["--data-dir", dir, ...args]);
      if ((v.code !== 5 && v.code !== 3) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-batch-e2e-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_EVENTS: "30", LEDGER_EPOCH_MAX_AGE_SECONDS: "1" });
    token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes the batch over HTTP and anchors every event", async () => {
    const post = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "scripts/batch-fixture.ts",
        "--batch",
        batchId,
        "--post",
        s.url,
        "--token",
        token,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, TS_NODE_PROJECT: "tsconfig.json" },
      },
    );
    expect(post.status, post.stdout + post.stderr).to.equal(0);
    const n = generateBatch({ batchId, start: new Date(Date.now() - 86_400_000) }).events.length;
    // Wait until every event of the batch is in a confirmed epoch (sealing every second, anchoring each tick).
    const v = await verifyBatchSettled(["--json", "verify-batch", batchId]);
    expect([3, 5], `batch not anchored in 60 s: ${v.stdout.slice(0, 400)} ${v.stderr}`).to.not.include(v.code);
    expect(JSON.parse(v.stdout).events).to.equal(n);
  });

  it("verify-batch passes with exit 0 and prints every signature with printed name, time and meaning", () => {
    const v = cli(["--data-dir", dir, "verify-batch", batchId]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(new RegExp(`^PASS batch ${batchId}`));
    const json = JSON.parse(cli(["--data-dir", dir, "--json", "verify-batch", batchId]).stdout);
    for (const sgn of json.signatures) {
      expect(v.stdout).to.contain(`${sgn.printedName} (${sgn.role}, ${sgn.userId}) ${sgn.meaning} at ${sgn.signedAt}`);
    }
    expect(json.signatures.length).to.be.greaterThan(4);
  });

  it("verify-batch of a batch with an open deviation exits 4 and names the deviation", async () => {
    const fx = generateBatch({
      batchId: "B-E2E-OPEN-1",
      variant: "open-deviation",
      source: "urn:mes:pasx:site-DE01:line2",
    });
    const res = await fetch(`${s.url}/v1/events:bulk`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: fx.events }),
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const v = await verifyBatchSettled(["verify-batch", "B-E2E-OPEN-1"]);
    expect(v.code, v.stdout + v.stderr).to.equal(4);
    expect(v.stdout).to.match(/^OPEN-ITEMS batch B-E2E-OPEN-1/);
    expect(v.stdout).to.contain(`OPEN [deviations-closed] deviation`);
    expect(v.stdout).to.contain(fx.notable.openDeviation as string);
  });

  it("GET /v1/batches/{batchId} gives qa the same verdict and checklist as verify-batch --json; mes may not read it", async () => {
    const added = cli(["--data-dir", dir, "--json", "client", "add", "qa-reviewer", "--role", "qa"]);
    expect(added.code, added.stderr).to.equal(0);
    const qa = { authorization: `Bearer ${JSON.parse(added.stdout).token}` };
    const r = await fetch(`${s.url}/v1/batches/${batchId}`, { headers: qa });
    expect(r.status).to.equal(200);
    const http = await r.json();
    const local = JSON.parse(cli(["--data-dir", dir, "--json", "verify-batch", batchId]).stdout);
    expect(http.verdict).to.equal(local.verdict);
    expect(http.checklist).to.deep.equal(local.checklist);
    expect(http.signatures).to.deep.equal(local.signatures);
    expect(
      (await fetch(`${s.url}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).to.equal(403);
    expect((await fetch(`${s.url}/v1/batches/B-NOPE`, { headers: qa })).status).to.equal(404);
  });

  it("export-batch writes a package that verify-package accepts elsewhere with only the package and the chain", () => {
    const out = path.join(dir, "package");
    const e = cli(["--data-dir", dir, "export-batch", batchId, "-o", out]);
    expect(e.code, e.stdout + e.stderr).to.equal(0);
    // Another directory, no ledger database: the inspector's machine.
    const inspector = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-inspector-"));
    fs.cpSync(out, path.join(inspector, "pkg"), { recursive: true });
    const rpc = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8")).rpcUrl;
    // The site's trust profile, as the site hands it to the inspector.
    const trust = path.join(inspector, "site-trust.json");
    const t = cli(["--data-dir", dir, "trust", "export", "-o", trust]);
    expect(t.code, t.stdout + t.stderr).to.equal(0);
    const v = cli([
      "--data-dir",
      inspector,
      "verify-package",
      path.join(inspector, "pkg"),
      "--rpc",
      rpc,
      "--trust",
      trust,
    ]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(
      /ok {3}ledger signature: manifest signed by the pinned ledger key [0-9a-f]{64} \(trust profile [0-9A-F ]+\)/,
    );
    expect(v.stdout).to.contain(`PASS batch ${batchId}`);
    expect(fs.existsSync(path.join(inspector, "ledger.sqlite"))).to.equal(false);
    // One byte of one bundle changed: exit 1, naming the file.
    const f = fs.readdirSync(path.join(inspector, "pkg", "events"))[2];
    const p = path.join(inspector, "pkg", "events", f);
    fs.writeFileSync(
      p,
      fs.readFileSync(p, "utf8").replace(/"salt": "0x(.)/, (_, c: string) => `"salt": "0x${c === "0" ? "1" : "0"}`),
    );
    const bad = cli(["--data-dir", inspector, "verify-package", path.join(inspector, "pkg"), "--rpc", rpc]);
    expect(bad.code, bad.stdout).to.equal(1);
    expect(bad.stdout).to.contain(`file events/${f} does not have the SHA-256 the manifest lists`);
    fs.rmSync(inspector, { recursive: true, force: true });
  });
});
