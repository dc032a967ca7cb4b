/**
 * Chain independence (issue 6, point 7): the same end-to-end scenario on EVM implementations other
 * than the embedded Anvil, each started here on a free loopback port with a one-second block time:
 * Hardhat's node (EDR, revm) and Ganache (ethereumjs, not revm). The contract is deployed through the
 * ledger's own deployLedger with the same compiled bytecode as everywhere (solc 0.8.28, shanghai);
 * the ledger runs against the chain as a site would (LEDGER_RPC_URL, LEDGER_CONTRACT,
 * LEDGER_ANCHOR_KEY, 2 confirmations); events are posted over HTTP, sealed into two epochs, anchored,
 * verified with `verify`, exported with `proof`, checked with `verify-proof`, audited, and altered
 * bundles are rejected with the code of the step the chain refutes.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ProofBundle, bundleToJSON, toHex } from "../../src/core";
import { anchorContract, ledgerIdOf } from "../../src/chain/contract";
import { openLedger } from "../../src/service/app/ledger";
import { nodeHasher } from "../../src/crypto/node-hasher";
import { verifyProofOnRpcUrls } from "../../src/chain/verify-anchor";
import { AnchorRow } from "../../src/store/epoch-store";
import { connect } from "../../src/chain/provider";
import { ARTIFACT_PATH, deployLedger, supportsPush0 } from "../../src/chain/deploy";
import { ChainError } from "../../src/chain/errors";
import { Wallet, parseEther } from "ethers";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";
import { EvmNode, EvmNodeKind, GANACHE, HARDHAT_NODE, startEvmNode } from "../helpers/evm-nodes";
import { LyingRpc, resigned, startLyingRpc, withForgedRoot } from "./proof-fixture";

// The anchorer's own key, funded by the admin: off the embedded chain the public test keys are refused.
const ANCHORER = Wallet.createRandom();
const LEDGER = "DE01";
const CONFIRMATIONS = "2";
/**
 * Every JSON-RPC method the ledger (serve and the CLI) may call: standard eth_ methods only, signing
 * locally (no eth_sendTransaction, no unlocked accounts), nothing of a development node (evm_,
 * hardhat_, anvil_) or of an admin, debug or trace namespace. docs/operations.md lists them.
 */
const LEDGER_RPC_METHODS = [
  "eth_chainId",
  "eth_blockNumber",
  "eth_getCode",
  "eth_call",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_getBlockByNumber",
  "eth_getTransactionCount",
  "eth_sendRawTransaction",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getLogs",
];

interface StepResult {
  step: string;
  ok: boolean;
  code?: string;
  detail: string;
}

for (const kind of [HARDHAT_NODE, GANACHE] as EvmNodeKind[]) {
  describe(`the end-to-end scenario on ${kind.name} (${kind.engine})`, function () {
    this.timeout(120_000);
    let node: EvmNode | undefined;
    // The ledger reaches the chain through a recording proxy: which methods does it need?
    let proxy: LyingRpc | undefined;
    const methods = new Set<string>();
    let s: Served | undefined;
    let dir: string;
    let contract: string;
    let env: Record<string, string>;
    let t0 = 0;
    const ids: string[][] = [[], []];
    let bundleFile: string;
    let bundle: ProofBundle;

    const run = (args: string[]) => cli(["--data-dir", dir, ...args], env);
    const phases: string[] = [];
    let last = 0;
    const mark = (what: string) => {
      phases.push(`${what} ${((Date.now() - last) / 1000).toFixed(1)} s`);
      last = Date.now();
    };
    const failedStep = (steps: StepResult[] = []) => steps.find((x) => !x.ok);

    before(async () => {
      t0 = last = Date.now();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `gxp-${kind.name}-`));
      node = await startEvmNode(kind);
      mark("chain started");
      const { provider, chainId } = await connect(node.rpcUrl);
      try {
        expect(chainId).to.equal(kind.chainId);
        expect(await supportsPush0(provider)).to.equal(true);
        const admin = devWallet(DEV_ACCOUNT.admin, provider);
        await (await admin.sendTransaction({ to: ANCHORER.address, value: parseEther("10") })).wait(1);
        const r = await deployLedger(admin, ANCHORER.address, LEDGER);
        contract = r.contract;
        // The same bytecode as on Anvil: nothing is compiled per chain.
        const art = JSON.parse(fs.readFileSync(ARTIFACT_PATH, "utf8")) as { deployedBytecode: string };
        expect(await provider.getCode(contract)).to.equal(art.deployedBytecode);
      } finally {
        provider.destroy();
      }
      proxy = await startLyingRpc(node.rpcUrl, (method, _params, result) => (methods.add(method), result));
      env = {
        LEDGER_RPC_URL: proxy.url,
        LEDGER_ANCHOR_KEY: ANCHORER.privateKey,
        LEDGER_NAME: LEDGER,
        LEDGER_CONFIRMATIONS: CONFIRMATIONS,
        LEDGER_EPOCH_MAX_AGE_SECONDS: "3600",
      };
      mark("contract deployed");
      s = await serve(dir, env, ["--contract", contract]);
      mark("ledger started");
    });

    after(async () => {
      await s?.stop();
      await proxy?.close();
      await node?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      // Wall time per chain, for the closing note of issue 6.
      console.log(
        `      ${kind.name} (${node?.clientVersion ?? "not started"}): ${((Date.now() - t0) / 1000).toFixed(1)} s (${phases.join(", ")}); ledger called ${[...methods].sort().join(" ")}`,
      );
    });

    it("ingests over HTTP, seals two epochs and anchors them with the configured confirmations", async () => {
      const added = await run(["--json", "client", "add", "pasx-de01", "--role", "mes"]);
      expect(added.code, added.stderr).to.equal(0);
      const token = JSON.parse(added.stdout).token as string;
      for (const [epoch, n] of [3, 2].entries()) {
        for (let i = 0; i < n; i++) {
          const ev = sampleEvent({}, `B-${kind.name}-${epoch}`);
          const res = await fetch(`${s!.url}/v1/events`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify(ev),
          });
          expect(res.status, await res.text()).to.equal(201);
          ids[epoch].push(ev.id as string);
        }
        const sealed = await run(["seal"]);
        expect(sealed.code, sealed.stderr).to.equal(0);
      }
      mark("ingested and sealed");
      // The server's background loop may anchor before this command starts; either way it returns
      // once every sealed epoch is anchored with the configured confirmations.
      const a = await run(["--json", "anchor", "--contract", contract, "--timeout", "60"]);
      expect(a.code, a.stdout + a.stderr).to.equal(0);
      const { anchored, latest } = JSON.parse(a.stdout) as { anchored: AnchorRow[]; latest: AnchorRow };
      expect(latest).to.include({ epoch: 1, chainId: kind.chainId.toString() });
      for (const x of anchored) expect(x.chainId).to.equal(kind.chainId.toString());
      mark("anchored");
    });

    it("verifies an event of each epoch down to the chain (verify PASS)", async () => {
      for (const id of [ids[0][1], ids[1][0]]) {
        const v = await run(["verify", id]);
        expect(v.code, v.stdout + v.stderr).to.equal(0);
        expect(v.stdout).to.match(new RegExp(`^PASS event ${id} `));
      }
      mark("verified");
    });

    it("exports a proof bundle that verify-proof accepts against this chain alone, with the contract's own inclusion check", async () => {
      bundleFile = path.join(dir, "proof.json");
      const p = await run(["proof", ids[1][1], "-o", bundleFile]);
      expect(p.code, p.stderr).to.equal(0);
      bundle = JSON.parse(fs.readFileSync(bundleFile, "utf8")) as ProofBundle;
      expect(bundle.anchor.chainId).to.equal(kind.chainId.toString());
      expect(bundle.anchor.contract.toLowerCase()).to.equal(contract.toLowerCase());
      expect([bundle.epoch, bundle.leafIndex, bundle.treeSize]).to.deep.equal([1, 1, 2]);
      // The site's trust profile (unsigned here: the ledger admin's key is not the ledger's to hold).
      const trust = path.join(dir, "site-trust.json");
      const t = await run([
        "trust",
        "export",
        "-o",
        trust,
        "--organisation",
        "Example Pharma AG",
        "--site",
        `DE01 on ${kind.name}`,
      ]);
      expect(t.code, t.stdout + t.stderr).to.equal(0);
      const u = await cli(["verify-proof", bundleFile, "--rpc", node!.rpcUrl, "--confirmations", CONFIRMATIONS]);
      expect(u.code, u.stdout + u.stderr).to.equal(6);
      const v = await cli([
        "verify-proof",
        bundleFile,
        "--rpc",
        node!.rpcUrl,
        "--confirmations",
        CONFIRMATIONS,
        "--onchain",
        "--trust",
        trust,
      ]);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      expect(v.stdout).to.match(
        new RegExp(
          `^PASS .*Example Pharma AG, DE01 on ${kind.name}: contract ${bundle.anchor.contract} on chain ${kind.chainId}, anchored by ${bundle.anchor.anchorer}`,
        ),
      );
      expect(v.stdout).to.include("ok   on-chain inclusion");
      mark("proof exported and verified");
    });

    it("adopts an anchor sent before a crash and never recorded: found in the chain's logs, not sent twice", async () => {
      // The server is down; events arrive by `append`, are sealed, and the anchor transaction goes out
      // as if the ledger had crashed right after sending it (its hash never written down).
      await s!.stop();
      const events = [sampleEvent({}, `B-${kind.name}-2`), sampleEvent({}, `B-${kind.name}-2`)];
      const ndjson = path.join(dir, "events.ndjson");
      fs.writeFileSync(ndjson, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
      const appended = await run(["append", ndjson]);
      expect(appended.code, appended.stderr).to.equal(0);
      expect((await run(["seal"])).code).to.equal(0);
      const ledger = openLedger(dir, undefined, undefined, true);
      const ep = ledger.epochs.get(2)!;
      ledger.close();
      const { provider } = await connect(node!.rpcUrl);
      let sentTx: string;
      try {
        const c = anchorContract(contract, ANCHORER.connect(provider));
        const tx = await c.raw.anchor(ledgerIdOf(LEDGER), ep.epoch, toHex(ep.root), ep.size, ep.firstSeq);
        sentTx = tx.hash;
        await tx.wait(1);
      } finally {
        provider.destroy();
      }
      const a = await run(["--json", "anchor", "--contract", contract, "--timeout", "60"]);
      expect(a.code, a.stdout + a.stderr).to.equal(0);
      const { anchored } = JSON.parse(a.stdout) as { anchored: AnchorRow[] };
      expect(anchored.map((x) => [x.epoch, x.txHash])).to.deep.equal([[2, sentTx]]);
      const v = await run(["verify", events[1].id as string]);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      mark("adopted");
    });

    describe("when the bundle is altered", () => {
      it("the CLI rejects a self-consistent forged root: the contract holds another (exit 1)", async () => {
        const file = path.join(dir, "forged-root.json");
        // Checkpoint signed again with the ledger's own key (what only a thief of that key could do),
        // so that the chain is what refuses the root.
        fs.writeFileSync(file, bundleToJSON(resigned(withForgedRoot(bundle), dir)));
        const r = await cli(["--json", "verify-proof", file, "--rpc", node!.rpcUrl, "--confirmations", CONFIRMATIONS]);
        expect(r.code, r.stdout + r.stderr).to.equal(1);
        expect(failedStep(JSON.parse(r.stdout).steps)?.code).to.equal("PROOF_ANCHOR_ROOT_MISMATCH");
        mark("negative through the CLI");
      });

      // The same code as the CLI's, in process: each case asks the chain something else.
      const cases: [string, (b: ProofBundle) => ProofBundle, string, string?][] = [
        [
          "an epoch the contract never anchored (its revert read whatever the node's error shape)",
          (b) => ({ ...b, epoch: 7, anchor: { ...b.anchor, epoch: 7 } }),
          "PROOF_ANCHOR_MISSING",
          "GxpAnchorEpochNotAnchored",
        ],
        [
          "an anchor transaction the chain does not know",
          (b) => ({ ...b, anchor: { ...b.anchor, txHash: "0x" + "ab".repeat(32) } }),
          "PROOF_TX_MISMATCH",
        ],
        [
          "another block hash",
          (b) => ({ ...b, anchor: { ...b.anchor, blockHash: "0x" + "cd".repeat(32) } }),
          "PROOF_BLOCK_MISMATCH",
        ],
        [
          "another block timestamp",
          (b) => ({ ...b, anchor: { ...b.anchor, blockTimestamp: b.anchor.blockTimestamp + 1 } }),
          "PROOF_BLOCK_MISMATCH",
          "timestamp",
        ],
        [
          "another log index",
          (b) => ({ ...b, anchor: { ...b.anchor, logIndex: b.anchor.logIndex + 1 } }),
          "PROOF_TX_MISMATCH",
        ],
        [
          "an edited record",
          (b) => ({
            ...b,
            record: {
              ...b.record,
              event: { ...b.record.event, data: { ...(b.record.event.data as object), value: 61.6 } },
            },
          }),
          "PROOF_LEAF_MISMATCH",
        ],
      ];
      for (const [what, alter, code, detail] of cases) {
        it(`rejects ${what}`, async () => {
          const r = await verifyProofOnRpcUrls(bundleToJSON(resigned(alter(bundle), dir)), [node!.rpcUrl], {
            hasher: nodeHasher,
            confirmations: Number(CONFIRMATIONS),
          });
          const f = failedStep(r.steps as StepResult[]);
          expect(r.verdict, JSON.stringify(r.steps)).to.equal("FAIL");
          expect(f?.code, f?.detail).to.equal(code);
          if (detail) expect(f?.detail).to.include(detail);
        });
      }
    });

    it("audits the whole ledger against this chain clean", async () => {
      const a = await run(["--json", "audit"]);
      expect(a.code, a.stdout + a.stderr).to.equal(0);
      mark("audited");
    });

    it("needed only standard eth_ JSON-RPC methods, none of a development node", () => {
      expect(methods.size).to.be.greaterThan(5);
      expect(
        [...methods].filter((m) => !LEDGER_RPC_METHODS.includes(m)),
        [...methods].join(", "),
      ).to.deep.equal([]);
    });
  });
}

describe("deployLedger on a chain whose EVM predates Shanghai (Ganache on the merge hardfork)", function () {
  this.timeout(60_000);
  let node: EvmNode | undefined;
  after(async () => node?.stop());

  it("refuses with CHAIN_EVM_UNSUPPORTED instead of ethers' bare 'missing revert data'", async () => {
    // The same bytecode everywhere: no build for older EVMs, a clear refusal instead.
    node = await startEvmNode({
      ...GANACHE,
      name: "ganache-merge",
      args: (port) => GANACHE.args(port).map((a) => (a === "shanghai" ? "merge" : a)),
    });
    const { provider } = await connect(node.rpcUrl);
    try {
      expect(await supportsPush0(provider)).to.equal(false);
      const err = await deployLedger(devWallet(DEV_ACCOUNT.admin, provider), ANCHORER.address, LEDGER).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ChainError);
      expect((err as ChainError).code).to.equal("CHAIN_EVM_UNSUPPORTED");
    } finally {
      provider.destroy();
    }
  });
});
