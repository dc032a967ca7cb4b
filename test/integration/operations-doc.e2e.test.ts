/**
 * Issue 13's acceptance: docs/operations.md's deploy walkthrough works as written. Every fenced block
 * marked `sh walkthrough` is run, in order, as one bash script (set -euo pipefail) on a freshly
 * started Hardhat node: keystores made with `key new`, the contract deployed, the ledger created and
 * the anchorer granted with `chain …`, `serve` with `--anchor-keystore` (through the environment), an
 * event posted, sealed, anchored and exported, the trust profile exported and signed by the ledger
 * admin's keystore, and `verify-proof --trust` → PASS. No key and no password reaches the output or
 * the server's log.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { BIN, cliAsync } from "../helpers/process";
import { EvmNode, HARDHAT_NODE, freePort, startEvmNode } from "../helpers/evm-nodes";
import { readChainRecord } from "../../src/chain/chain-record";

const DOC = fs.readFileSync(path.resolve(__dirname, "../../docs/operations.md"), "utf8");

/** The doc's `sh walkthrough` blocks, in order. */
export function walkthroughBlocks(doc: string): string[] {
  return [...doc.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe("docs/operations.md deploy walkthrough, on a fresh Hardhat node", function () {
  this.timeout(600_000);
  let node: EvmNode | undefined;
  let dir: string;

  before(async () => {
    node = await startEvmNode(HARDHAT_NODE);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-ops-doc-"));
  });
  after(async () => {
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("has the six steps, each a command the test runs", () => {
    const blocks = walkthroughBlocks(DOC);
    expect(blocks).to.have.length(6);
    const all = blocks.join("\n");
    for (const cmd of [
      "key new",
      "chain deploy",
      "chain create-ledger",
      "chain grant-anchorer",
      "gxp-ledger serve",
      "LEDGER_ANCHOR_KEYSTORE=",
      "trust export",
      "verify-proof",
    ])
      expect(all, cmd).to.include(cmd);
  });

  it("runs as written: deploy, create the ledger, grant a keystore anchorer, serve, anchor, export the trust profile, verify-proof --trust → PASS", async () => {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // The doc puts gxp-ledger on the PATH (npm link): here a shim to this checkout's build.
    fs.writeFileSync(path.join(bin, "gxp-ledger"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, {
      mode: 0o755,
    });
    const port = await freePort();
    // The server is stopped whatever happens: the doc's own last line stops it, this trap too on a failure.
    const script = [
      "set -euo pipefail",
      `trap 'if [ -n "\${SERVE_PID:-}" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi' EXIT`,
      ...walkthroughBlocks(DOC),
    ].join("\n");
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("LEDGER_")) env[k] = v;
    Object.assign(env, {
      PATH: `${bin}:${env.PATH}`,
      LEDGER_RPC_URL: node!.rpcUrl,
      PORT: String(port),
      LEDGER_TICK_MS: "200",
    });
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn("bash", ["-c", script], { cwd: dir, env });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    const site = path.join(dir, "site");
    const serveLog = fs.existsSync(path.join(site, "serve.log"))
      ? fs.readFileSync(path.join(site, "serve.log"), "utf8")
      : "";
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serveLog}`).to.equal(0);
    expect(r.stdout).to.match(
      /^PASS evt-0001\.proof\.json: event evt-0001 is included in epoch \d+ of ledger DE01 of Example Pharma AG, DE01 Solid Dose/m,
    );

    // What the walkthrough left: keystores owner-only, the chain record naming the keystore anchorer.
    for (const f of ["admin-key.json", "anchor-key.json"])
      expect(fs.statSync(path.join(site, f)).mode & 0o777, f).to.equal(0o600);
    const anchorPw = fs.readFileSync(path.join(site, "anchor.pw"), "utf8").trim();
    const adminPw = fs.readFileSync(path.join(site, "admin.pw"), "utf8").trim();
    const anchorer = await Wallet.fromEncryptedJson(
      fs.readFileSync(path.join(site, "anchor-key.json"), "utf8"),
      anchorPw,
    );
    const adminKey = await Wallet.fromEncryptedJson(
      fs.readFileSync(path.join(site, "admin-key.json"), "utf8"),
      adminPw,
    );
    const record = readChainRecord(path.join(site, "gxp-chain.json"))!;
    expect(record.ledgers.map((l) => [l.name, l.admin, l.anchorers.map((a) => [a.address, a.revoked])])).to.deep.equal([
      ["DE01", adminKey.address, [[anchorer.address, null]]],
    ]);
    expect(r.stdout).to.include(`anchored by ${anchorer.address}`);
    // The profile's anchoring account is the record's, valid from the block that granted it the role.
    const profile = JSON.parse(fs.readFileSync(path.join(site, "site-trust.json"), "utf8")) as {
      signature?: { signer: string };
      anchorers: { address: string; validFrom: string; validUntil: string | null }[];
    };
    expect([profile.signature?.signer, profile.anchorers]).to.deep.equal([
      adminKey.address,
      [{ address: anchorer.address, validFrom: record.ledgers[0].anchorers[0].granted.at, validUntil: null }],
    ]);

    // trust export refuses a record that contradicts the chain or the ledger's anchors (exit 1).
    const exportWith = async (rec: unknown) => {
      const f = path.join(site, `altered-${Math.random().toString(36).slice(2)}.json`);
      fs.writeFileSync(f, JSON.stringify(rec));
      return cliAsync(
        [
          "--data-dir",
          path.join(site, "data"),
          "--rpc",
          node!.rpcUrl,
          "trust",
          "export",
          "-o",
          f + ".trust",
          "--organisation",
          "O",
          "--site",
          "S",
          "--chain-record",
          f,
        ],
        { LEDGER_NAME: "DE01" },
      );
    };
    const otherContract = await exportWith({ ...record, contract: "0x" + "22".repeat(20) });
    expect([otherContract.code, otherContract.stderr.includes("give --record another file")]).to.deep.equal([1, true]);
    const notGranted = await exportWith({ ...record, ledgers: [{ ...record.ledgers[0], anchorers: [] }] });
    expect(notGranted.code).to.equal(1);
    expect(notGranted.stderr).to.include(`${anchorer.address} anchored ledger DE01 but`);

    // No key and no password in anything printed or logged.
    const seen = `${r.stdout}\n${r.stderr}\n${serveLog}`.toLowerCase();
    for (const secret of [anchorer.privateKey, adminKey.privateKey])
      expect(seen).to.not.include(secret.slice(2).toLowerCase());
    for (const pw of [anchorPw, adminPw]) expect(seen).to.not.include(pw.toLowerCase());
  });
});
