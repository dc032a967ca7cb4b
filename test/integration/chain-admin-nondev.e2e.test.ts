/**
 * `chain …` on a chain that is not a local development chain (an Anvil started with chain id 424242,
 * standing in for a real one): the public Hardhat/Anvil test keys are refused as the ledger admin,
 * named by account, never by key; an admin keystore of the operator's own deploys, and the chain
 * record says it is not a development chain.
 */
import { expect } from "chai";
import { spawn, ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther } from "ethers";
import { anvilBinaryPath } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { devWallet } from "../../src/chain/dev-keys";
import { readKeystore } from "../../src/chain/keystore";
import { ChainRecord } from "../../src/chain/chain-record";
import { cliAsync as cli } from "../helpers/process";
import { freePort, rpc } from "../helpers/evm-nodes";

describe("gxp-ledger chain … on a chain that is not a development chain (chain id 424242)", function () {
  this.timeout(180_000);
  let anvil: ChildProcess;
  let rpcUrl: string;
  let dir: string;

  before(async () => {
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    // Anvil funds the public mnemonic's accounts here too: exactly what must not be usable.
    anvil = spawn(anvilBinaryPath(), ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "424242", "-q"], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if ((await rpc(rpcUrl, "eth_chainId", [], 1000).catch(() => undefined)) === "0x67932") break;
      if (Date.now() > deadline) throw new Error("anvil did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-chain-nondev-"));
  });
  after(async () => {
    if (anvil && anvil.exitCode === null) {
      const exited = new Promise((r) => anvil.once("exit", r));
      anvil.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a public test key as the ledger admin (exit 2), naming the account, never the key", async () => {
    const dev = devWallet(0);
    const r = await cli(["--rpc", rpcUrl, "chain", "deploy", "--record", path.join(dir, "refused.json")], {
      LEDGER_ADMIN_KEY: dev.privateKey,
      LEDGER_ADMIN_KEYSTORE: "",
    });
    expect(r.code).to.equal(2);
    expect(r.stderr)
      .to.include(dev.address)
      .and.include("public Hardhat/Anvil test mnemonic")
      .and.not.include(dev.privateKey.slice(2));
    expect(fs.existsSync(path.join(dir, "refused.json"))).to.equal(false);
  });

  it("deploys with the operator's own admin keystore; the record says: not a development chain", async () => {
    fs.writeFileSync(path.join(dir, "admin.pw"), "admin password\n", { mode: 0o600 });
    const made = await cli([
      "key",
      "new",
      "-o",
      path.join(dir, "admin-key.json"),
      "--password-file",
      path.join(dir, "admin.pw"),
    ]);
    expect(made.code, made.stderr).to.equal(0);
    const admin = await readKeystore(path.join(dir, "admin-key.json"), "admin password");
    // Fund it from outside the CLI, as an operator's own wallet would.
    const { provider } = await connect(rpcUrl);
    try {
      await (await devWallet(5, provider).sendTransaction({ to: admin.address, value: parseEther("1") })).wait(1);
    } finally {
      provider.destroy();
    }
    const record = path.join(dir, "gxp-chain.json");
    const env = {
      LEDGER_ADMIN_KEY: "",
      LEDGER_ADMIN_KEYSTORE: path.join(dir, "admin-key.json"),
      LEDGER_ADMIN_KEYSTORE_PASSWORD_FILE: path.join(dir, "admin.pw"),
      LEDGER_CHAIN_RECORD: record,
      LEDGER_CONTRACT: "",
    };
    const r = await cli(["--rpc", rpcUrl, "chain", "deploy"], env);
    expect(r.code, r.stderr).to.equal(0);
    const created = await cli(["--rpc", rpcUrl, "chain", "create-ledger", "CH01"], env);
    expect(created.code, created.stderr).to.equal(0);
    const rec = JSON.parse(fs.readFileSync(record, "utf8")) as ChainRecord;
    expect([rec.chainId, rec.development, rec.contractAdmin, rec.ledgers.map((l) => [l.name, l.admin])]).to.deep.equal([
      "424242",
      false,
      admin.address,
      [["CH01", admin.address]],
    ]);
    expect(r.stdout + r.stderr + created.stdout + created.stderr).to.not.include(admin.privateKey.slice(2));
  });
});
