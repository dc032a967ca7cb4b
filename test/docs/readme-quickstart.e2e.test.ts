/**
 * The README's quick start runs as written: every shell block after `npm start`, in order, against a
 * real server on the embedded chain, in a directory whose ./data is that server's data directory.
 * Only what cannot be taken literally on a shared test machine is replaced: the ports (free ones, not
 * 8080/8545), `npx gxp-ledger` by this checkout's bin (npx would look the name up on the registry
 * outside a project), and `npm run` runs in this checkout. The outputs the README quotes are checked.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, serve, Served } from "../helpers/process";

const ROOT = path.resolve(__dirname, "../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The README's ```sh blocks, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, cwd: string): Promise<Run> {
  const prelude = [
    "set -eo pipefail",
    `npx() { if [ "$1" = gxp-ledger ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }`,
    `npm() { (cd ${JSON.stringify(ROOT)} && command npm "$@"); }`,
  ].join("\n");
  return new Promise((resolve) => {
    const p = spawn("bash", ["-c", `${prelude}\n${script}`], {
      cwd,
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("README quick start, run as written", function () {
  this.timeout(300_000);
  const blocks = shellBlocks(README);
  const start = blocks.findIndex((b) => /^npm start$/m.test(b));
  const afterStart = blocks.slice(start + 1);
  let dir: string;
  let s: Served;
  let rpc: string;

  /** A README block with this machine's ports. */
  const local = (block: string) =>
    block.replaceAll("http://127.0.0.1:8080", s.url).replaceAll("http://127.0.0.1:8545", rpc);
  const block = (re: RegExp): string => {
    const found = afterStart.filter((b) => re.test(b));
    expect(found, `one README block matching ${re}`).to.have.length(1);
    return local(found[0]);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-readme-"));
    s = await serve(path.join(dir, "data"), { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    rpc = JSON.parse(fs.readFileSync(path.join(dir, "data", "chain", "deployment.json"), "utf8")).rpcUrl;
  });
  after(async () => {
    await s?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("has the blocks this test runs: npm start, then the post, seal and verify, the inspector's check and QA's batch review", () => {
    expect(start).to.be.at.least(0);
    expect(afterStart.map((b) => b.split("\n")[0].split(" ").slice(0, 3).join(" "))).to.deep.equal([
      "curl -s -X",
      "npx gxp-ledger seal",
      "npx gxp-ledger trust",
      "npx gxp-ledger proof",
      "npm run fixture:batch",
    ]);
  });

  it("posts the event and gets its receipt (201 body)", async () => {
    const r = await bash(block(/^curl /), dir);
    expect(r.code, r.stderr).to.equal(0);
    const receipt = JSON.parse(r.stdout);
    expect(receipt).to.include({ id: "evt-0001", seq: 3 });
    expect(receipt.signature).to.be.a("string");
    fs.writeFileSync(path.join(dir, "receipt.json"), r.stdout); // "Keep it (as receipt.json)"
  });

  it("seals, anchors and verifies it, printing what the README says", async () => {
    const r = await bash(block(/gxp-ledger verify evt-0001/), dir);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const quoted = README.match(/`verify` prints `([^`]+)`/)![1];
    expect(quoted).to.match(/ 0x…$/);
    expect(r.stdout).to.include(quoted.replace(/0x…$/, "0x"));
  });

  it("exports and shows the site's trust profile, then verify-receipt pins the receipt with it", async () => {
    const r = await bash(block(/trust export/), dir);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/fingerprint: [0-9A-F]{4}( [0-9A-F]{4}){9}/);
    const inline = README.match(/`(npx gxp-ledger verify-receipt receipt\.json --trust site-trust\.json)`/)![1];
    const v = await bash(inline, dir);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^VALID receipt \(pinned/);
  });

  it("writes the proof and verify-proof says PASS against the trust profile, as does the standalone script", async () => {
    const r = await bash(block(/verify-proof/), dir);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^PASS/m);
    const standalone = README.match(/`(node scripts\/verify-proof-standalone\.js [^`]+)`/)![1];
    const v = await bash(
      `cd ${JSON.stringify(ROOT)} && ${standalone.replace("evt-0001.proof.json", path.join(dir, "evt-0001.proof.json")).replace("site-trust.json", path.join(dir, "site-trust.json")).replace("--rpc URL", `--rpc ${rpc}`)}`,
      dir,
    );
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.include("VERIFIED (pinned)");
  });

  it("reviews, exports and verifies a generated batch (each command exits 0)", async () => {
    const r = await bash(block(/fixture:batch/), dir);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^B-DEMO-1\s+FG-IBU400-FCT\s.*released\s+-\s+not verified$/m); // batches, before the review
    expect(r.stdout).to.match(/^PASS/m);
    expect(fs.existsSync(path.join(dir, "pkg-B-DEMO-1", "README.txt"))).to.equal(true);
  });
});
