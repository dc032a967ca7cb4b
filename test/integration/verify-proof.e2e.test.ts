/**
 * The verifiers of issue 5 against real bundles from the real server on its embedded chain:
 * `gxp-ledger verify-proof` (several endpoints, one of them lying; each failing step named), the
 * standalone script, and @sigstore/verify's inclusion check; and every one-byte change of a bundle
 * rejected by verify-proof's code and by the standalone script.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { ProofBundle, bundleToJSON, canonicalBytes, fromHex, selectorOf, GET_ANCHOR_SIGNATURE, verifyProofOffline } from "../../src/core";
import { verifyProofOnRpcUrls } from "../../src/chain/verify-anchor";
import { anchorContract } from "../../src/chain/contract";
import { cliAsync as cli } from "../helpers/process";
import { sigstoreAcceptsInclusion } from "../core/sigstore-merkle";
import { independentVerify } from "./independent-verifier";
import { ProofFixture, startProofFixture, startLyingRpc, LyingRpc, oneByteMutations, withForgedRoot } from "./proof-fixture";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as { verify(text: string, rpcs: string[]): Promise<unknown> };
const STANDALONE = path.resolve(__dirname, "../../scripts/verify-proof-standalone.js");

describe("verify-proof, the standalone script and @sigstore/verify on real bundles", function () {
  this.timeout(600_000);
  let fx: ProofFixture;
  let liars: LyingRpc[] = [];
  const bundleOf = (i: number) => JSON.parse(fx.proofs[i].text) as ProofBundle;
  const write = (name: string, b: unknown) => {
    const file = path.join(fx.dir, name);
    fs.writeFileSync(file, typeof b === "string" ? b : bundleToJSON(b as ProofBundle));
    return file;
  };

  before(async () => {
    fx = await startProofFixture([1, 2, 7]);
  });
  after(async () => {
    for (const l of liars) await l.close();
    await fx?.stop();
  });

  it("verifies every exported bundle with verify-proof --onchain (in process), the standalone script and @sigstore/verify against the on-chain root", async () => {
    const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { staticNetwork: true });
    try {
      for (const p of fx.proofs) {
        const r = await verifyProofOnRpcUrls(p.text, [fx.rpcUrl], { onchain: true });
        expect(r.verdict, JSON.stringify(r.steps)).to.equal("PASS");
        await standalone.verify(p.text, [fx.rpcUrl]);
        const b = JSON.parse(p.text) as ProofBundle;
        // The root and size come from the contract, not from the bundle.
        const onChain = await anchorContract(b.anchor.contract, provider).getAnchor(b.anchor.ledgerId, b.epoch);
        expect(sigstoreAcceptsInclusion(canonicalBytes(b.record), b.leafIndex, Number(onChain!.treeSize), b.auditPath.map(fromHex), fromHex(onChain!.root))).to.equal(true);
        await independentVerify(p.text, provider);
      }
    } finally {
      provider.destroy();
    }
    expect(fx.proofs).to.have.length(10);
  });

  it("passes through the real CLI with two agreeing endpoints, and the standalone script run as a program", async () => {
    const p = fx.proofs[4];
    const v = await cli(["verify-proof", p.file, "--rpc", fx.rpcUrl, "--rpc", fx.rpcUrl.replace("127.0.0.1", "localhost"), "--onchain"]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^PASS .*2 endpoints agree/);
    expect(v.stdout).to.include("ok   on-chain inclusion");
    const s = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const { spawn } = require("node:child_process");
      const c = spawn(process.execPath, [STANDALONE, p.file, "--rpc", fx.rpcUrl]);
      let out = "";
      c.stdout.on("data", (d: Buffer) => (out += d));
      c.on("close", (code: number | null) => resolve({ code, out }));
    });
    expect(s.code, s.out).to.equal(0);
    expect(s.out).to.match(/VERIFIED event /);
  });

  it("serves over the API the same bytes `gxp-ledger proof` writes, so a saved response verifies as is", async () => {
    const added = await cli(["--data-dir", fx.dir, "--json", "client", "add", "inspector-proof", "--role", "auditor"]);
    expect(added.code, added.stderr).to.equal(0);
    const res = await fetch(`${fx.served.url}/v1/events/${fx.proofs[3].eventId}/proof`, { headers: { authorization: `Bearer ${JSON.parse(added.stdout).token}` } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal(fx.proofs[3].text);
  });

  describe("when one of two endpoints lies about the anchored root", () => {
    it("fails and names the endpoint that disagreed, whichever order they are given in", async () => {
      const selector = selectorOf(GET_ANCHOR_SIGNATURE);
      const liar = await startLyingRpc(fx.rpcUrl, (method, params, result) =>
        method === "eth_call" && String(params[0]?.data).startsWith(selector) ? "0x" + "66".repeat(32) + result.slice(66) : result,
      );
      liars.push(liar);
      const file = fx.proofs[0].file;
      const a = await cli(["verify-proof", file, "--rpc", fx.rpcUrl, "--rpc", liar.url]);
      expect(a.code, a.stdout + a.stderr).to.equal(1);
      expect(a.stdout).to.match(/^FAIL .*endpoints agree check failed/);
      expect(a.stdout).to.include(`endpoint 2 (${liar.url}) says anchored root is 0x${"66".repeat(32)}`);
      const b = await cli(["verify-proof", file, "--rpc", liar.url, "--rpc", fx.rpcUrl]);
      expect(b.code).to.equal(1);
      expect(b.stdout).to.include(`endpoint 2 (${fx.rpcUrl}) says anchored root is ${bundleOf(0).root}, endpoint 1 (${liar.url}) says 0x${"66".repeat(32)}`);
      // Alone, the liar is caught by the comparison with the bundle; the standalone script too.
      const c = await cli(["verify-proof", file, "--rpc", liar.url]);
      expect(c.code).to.equal(1);
      expect(c.stdout).to.match(/FAIL .*anchor check failed: root mismatch/);
      const err = await standalone.verify(fx.proofs[0].text, [fx.rpcUrl, liar.url]).then(() => null, (e: Error) => e);
      expect(err?.message).to.equal(`anchor: root mismatch at ${liar.url}: chain has 0x${"66".repeat(32)}`);
    });
  });

  describe("when the bundle is checked with --offline", () => {
    it("exits 0 but says plainly that the chain was not checked", async () => {
      const v = await cli(["verify-proof", fx.proofs[1].file, "--offline"]);
      expect(v.code).to.equal(0);
      expect(v.stdout).to.match(/^OFFLINE-OK .*its anchor on chain 31337 was NOT checked/);
      expect(v.stdout).to.include("FAIL anchor: NOT CHECKED (--offline)");
    });
  });

  describe("when a bundle is wrong", () => {
    const cases: [string, (b: any) => unknown, RegExp, number][] = [
      ["schema", ({ auditPath, ...rest }) => rest, /FAIL .*: schema check failed: invalid proof bundle: \/auditPath/, 1],
      ["canonical form", (b) => bundleToJSON(b).replace('"epoch": ', '"epoch":  '), /FAIL .*: canonical form check failed: canonical form: the file differs from its canonical form at line/, 1],
      ["canonical form (contract spelling)", (b) => ({ ...b, anchor: { ...b.anchor, contract: b.anchor.contract.toLowerCase() } }), /canonical form check failed: .*EIP-55/, 1],
      ["leaf hash", (b) => ({ ...b, record: { ...b.record, receivedAt: "2020-01-01T00:00:00.000Z" } }), /FAIL .*: leaf hash check failed: leaf hash mismatch/, 1],
      ["audit path", (b) => ({ ...b, auditPath: [b.leafHash] }), /FAIL .*: audit path check failed: audit path leads to root/, 1],
      ["root mismatch", (b) => withForgedRoot(b), /FAIL .*: anchor check failed: root mismatch for epoch/, 1],
      ["anchor missing", (b) => ({ ...b, epoch: 999, anchor: { ...b.anchor, epoch: 999 } }), /FAIL .*: anchor check failed: anchor missing: .*epoch 999/, 1],
      ["block mismatch", (b) => ({ ...b, anchor: { ...b.anchor, blockTimestamp: b.anchor.blockTimestamp + 1 } }), /FAIL .*: block check failed: block mismatch: .*timestamp/, 1],
      ["chain id", (b) => ({ ...b, anchor: { ...b.anchor, chainId: "1" } }), /FAIL .*: chain id check failed: chain id mismatch/, 2],
    ];
    for (const [name, mutate, want, code] of cases) {
      it(`names the ${name} step`, async () => {
        const file = write(`bad-${name.replace(/\W+/g, "-")}.json`, mutate(bundleOf(1)));
        const v = await cli(["verify-proof", file, "--rpc", fx.rpcUrl]);
        expect(v.stdout, v.stderr).to.match(want);
        expect(v.code).to.equal(code);
      });
    }
    it("names a size mismatch when the audit path also fits a larger tree (RFC 9162 does not bind the size)", async () => {
      const b = fx.proofs.map((p) => JSON.parse(p.text)).find((x) => verifyProofOffline(bundleToJSON({ ...x, treeSize: x.treeSize + 1 })).verdict === "OFFLINE-OK");
      expect(b, "a bundle whose path also fits size + 1").to.not.equal(undefined);
      const v = await cli(["verify-proof", write("bad-size.json", { ...b, treeSize: b.treeSize + 1 }), "--rpc", fx.rpcUrl]);
      expect(v.code).to.equal(1);
      expect(v.stdout).to.match(/FAIL .*: anchor check failed: size mismatch for epoch \d+: chain has tree size \d+/);
    });
    it("says not yet final, exit 75, when more confirmations are required than the chain has", async () => {
      const v = await cli(["verify-proof", fx.proofs[0].file, "--rpc", fx.rpcUrl, "--confirmations", "10000"]);
      expect(v.code).to.equal(75);
      expect(v.stdout).to.match(/^NOT-FINAL .*not yet final: \d+ confirmations, want 10000/);
    });
    it("says which endpoint is unreachable, exit 3", async () => {
      const v = await cli(["verify-proof", fx.proofs[0].file, "--rpc", fx.rpcUrl, "--rpc", "http://127.0.0.1:9"]);
      expect(v.code).to.equal(3);
      expect(v.stdout).to.match(/^UNREACHABLE .*chain unreachable at endpoint 2 \(http:\/\/127\.0\.0\.1:9\)/);
    });
  });

  describe("when any one byte of a bundle is changed", () => {
    it("is rejected by verify-proof's code, the standalone script and the independent (sigstore + ethers) verifier, every time", async () => {
      // A bundle of the 1-event epoch and one from the 7-event epoch (a 3-hash audit path).
      const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { staticNetwork: true });
      let total = 0;
      const started = Date.now();
      try {
        for (const p of [fx.proofs[0], fx.proofs[6]]) {
          await independentVerify(p.text, provider);
          const mutants = oneByteMutations(p.text);
          total += mutants.length;
          for (const m of mutants) {
            const what = `byte ${m.at} of ${path.basename(p.file)}`;
            const r = await verifyProofOnRpcUrls(m.text, [fx.rpcUrl], { onchain: true });
            expect(r.verdict, `${what}: ${JSON.stringify(r.steps.filter((s) => !s.ok))}`).to.equal("FAIL");
            expect(await standalone.verify(m.text, [fx.rpcUrl]).then(() => "accepted", () => "rejected"), `standalone, ${what}`).to.equal("rejected");
            expect(await independentVerify(m.text, provider).then(() => "accepted", () => "rejected"), `independent, ${what}`).to.equal("rejected");
          }
        }
      } finally {
        provider.destroy();
      }
      console.log(`      ${total} one-byte mutants rejected by all three in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(total).to.be.greaterThan(4000);
    });
  });
});
