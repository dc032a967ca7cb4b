/**
 * The verifiers of issues 5 and 11 against real bundles from the real server on its embedded chain:
 * `gxp-ledger verify-proof` (several endpoints, one of them lying; each failing step named; pinned by
 * the site's trust profile or explicit values, UNPINNED without), the standalone script, and
 * @sigstore/verify's inclusion check; every one-byte change of a bundle rejected by verify-proof's
 * code and by the standalone script; and the outsider's forgeries of issue 11 (a look-alike
 * contract, another ledger id in the real contract, another chain's genesis, no pin) ending in FAIL
 * or UNPINNED, never PASS.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import {
  ProofBundle,
  TrustPin,
  bundleToJSON,
  canonicalBytes,
  fromHex,
  pinFromProfile,
  selectorOf,
  GET_ANCHOR_SIGNATURE,
  verifyProofOffline,
} from "../../src/core";
import { verifyProofOnRpcUrls } from "../../src/chain/verify-anchor";
import { anchorContract } from "../../src/chain/contract";
import { cliAsync as cli } from "../helpers/process";
import { startLocalChain } from "../helpers/local-chain";
import { createPrivateKey } from "node:crypto";
import { sigstoreAcceptsInclusion } from "../core/sigstore-merkle";
import { independentVerify } from "./independent-verifier";
import {
  ProofFixture,
  startProofFixture,
  startLyingRpc,
  LyingRpc,
  oneByteMutations,
  resigned,
  withForgedRoot,
  writeTrust,
} from "./proof-fixture";
import { Lookalike, forgeLookalike, writeLookalike } from "./lookalike";
import { LEGACY_MEMBER, storeLegacyEvent } from "./legacy-event";

interface StandalonePin {
  fingerprint?: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as {
  verify(text: string, rpcs: string[], opts?: { pin?: StandalonePin }): Promise<{ unpinned: string[] }>;
  pinFromProfile(text: string): StandalonePin;
};
const STANDALONE = path.resolve(__dirname, "../../scripts/verify-proof-standalone.js");

/** Runs the standalone script (ours, or the copy in a package) as a program. */
function runStandalone(
  args: string[],
  where: { script?: string; cwd?: string } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const { spawn } = require("node:child_process"); // eslint-disable-line @typescript-eslint/no-require-imports
    const c = spawn(process.execPath, [where.script ?? STANDALONE, ...args], { cwd: where.cwd });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d));
    c.stderr.on("data", (d: Buffer) => (out += d));
    c.on("close", (code: number | null) => resolve({ code, out }));
  });
}

describe("verify-proof, the standalone script and @sigstore/verify on real bundles", function () {
  this.timeout(600_000);
  let fx: ProofFixture;
  const liars: LyingRpc[] = [];
  const bundleOf = (i: number) => JSON.parse(fx.proofs[i].text) as ProofBundle;
  const write = (name: string, b: unknown) => {
    const file = path.join(fx.dir, name);
    fs.writeFileSync(file, typeof b === "string" ? b : bundleToJSON(b as ProofBundle));
    return file;
  };

  let pin: TrustPin;
  let standalonePin: StandalonePin;
  before(async () => {
    fx = await startProofFixture([1, 2, 7]);
    pin = pinFromProfile(fx.trust);
    standalonePin = standalone.pinFromProfile(fs.readFileSync(fx.trustFile, "utf8"));
  });
  after(async () => {
    for (const l of liars) await l.close();
    await fx?.stop();
  });

  it("verifies every exported bundle with verify-proof --onchain (in process), the standalone script and @sigstore/verify against the on-chain root", async () => {
    const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { staticNetwork: true });
    try {
      for (const p of fx.proofs) {
        const r = await verifyProofOnRpcUrls(p.text, [fx.rpcUrl], { onchain: true, pin });
        expect(r.verdict, JSON.stringify(r.steps)).to.equal("PASS");
        expect(r.steps.map((s) => s.step)).to.include.members(["checkpoint", "trust"]);
        expect((await standalone.verify(p.text, [fx.rpcUrl], { pin: standalonePin })).unpinned).to.deep.equal([]);
        const b = JSON.parse(p.text) as ProofBundle;
        // The root and size come from the contract, not from the bundle.
        const onChain = await anchorContract(b.anchor.contract, provider).getAnchor(b.anchor.ledgerId, b.epoch);
        expect(
          sigstoreAcceptsInclusion(
            canonicalBytes(b.record),
            b.leafIndex,
            Number(onChain!.treeSize),
            b.auditPath.map(fromHex),
            fromHex(onChain!.root),
          ),
        ).to.equal(true);
        await independentVerify(p.text, provider);
      }
    } finally {
      provider.destroy();
    }
    expect(fx.proofs).to.have.length(10);
  });

  it("passes through the real CLI with the site's trust profile and two agreeing endpoints, naming the site, and the standalone script run as a program", async () => {
    const p = fx.proofs[4];
    const b = bundleOf(4);
    const v = await cli([
      "verify-proof",
      p.file,
      "--trust",
      fx.trustFile,
      "--rpc",
      fx.rpcUrl,
      "--rpc",
      fx.rpcUrl.replace("127.0.0.1", "localhost"),
      "--onchain",
    ]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout.split("\n")[0]).to.equal(
      `PASS ${p.file}: event ${p.eventId} is included in epoch ${b.epoch} of ledger default of Acme Pharma GmbH, Werk Mannheim: contract ${fx.trust.contract} on chain 31337, ` +
        `anchored by ${fx.trust.anchorers[0].address}, signed by ledger key ${fx.trust.keys[0].keyId.slice(0, 16)}… (trust profile ${pin.fingerprint}) (2 endpoints agree)`,
    );
    expect(v.stdout).to.include("ok   on-chain inclusion");
    expect(v.stdout).to.include("ok   trust:");
    expect(v.stdout).to.include("  DEVELOPMENT ledger (embedded chain, public keys): never for GxP records");
    const s = await runStandalone([p.file, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
    expect(s.code, s.out).to.equal(0);
    expect(s.out).to.include(
      `pinned: Acme Pharma GmbH, Werk Mannheim: trust profile ${pin.fingerprint} (DEVELOPMENT ledger: never for GxP records)`,
    );
    expect(s.out).to.include(
      `VERIFIED (pinned) event ${p.eventId}: epoch ${b.epoch}: Acme Pharma GmbH, Werk Mannheim: ledger default, contract ${fx.trust.contract} on chain 31337, anchored by ${fx.trust.anchorers[0].address}`,
    );
  });

  it("passes with the explicit pins instead of a profile (chain id, contract, ledger, anchorer, key), in the CLI and the standalone script", async () => {
    const p = fx.proofs[2];
    const keyFile = path.join(fx.dir, "keys", "receipt-key.pub.pem");
    const flags = [
      "--chain-id",
      "31337",
      "--contract",
      fx.trust.contract,
      "--ledger",
      "default",
      "--anchorer",
      fx.trust.anchorers[0].address,
      "--ledger-key",
      keyFile,
      "--genesis",
      fx.trust.chain.genesisHash,
    ];
    const v = await cli(["verify-proof", p.file, "--rpc", fx.rpcUrl, ...flags]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^PASS .*\(pinned by the values given\)/);
    const s = await runStandalone([p.file, "--rpc", fx.rpcUrl, ...flags]);
    expect(s.code, s.out).to.equal(0);
    expect(s.out).to.match(/VERIFIED \(pinned\) event /);
  });

  it("serves over the API the same bytes `gxp-ledger proof` writes, so a saved response verifies as is", async () => {
    const added = await cli(["--data-dir", fx.dir, "--json", "client", "add", "inspector-proof", "--role", "auditor"]);
    expect(added.code, added.stderr).to.equal(0);
    const res = await fetch(`${fx.served.url}/v1/events/${fx.proofs[3].eventId}/proof`, {
      headers: { authorization: `Bearer ${JSON.parse(added.stdout).token}` },
    });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal(fx.proofs[3].text);
  });

  describe("when one of two endpoints lies about the anchored root", () => {
    it("fails and names the endpoint that disagreed, whichever order they are given in", async () => {
      const selector = selectorOf(GET_ANCHOR_SIGNATURE);
      const liar = await startLyingRpc(fx.rpcUrl, (method, params, result) =>
        method === "eth_call" && String(params[0]?.data).startsWith(selector)
          ? "0x" + "66".repeat(32) + result.slice(66)
          : result,
      );
      liars.push(liar);
      const file = fx.proofs[0].file;
      const a = await cli(["verify-proof", file, "--rpc", fx.rpcUrl, "--rpc", liar.url]);
      expect(a.code, a.stdout + a.stderr).to.equal(1);
      expect(a.stdout).to.match(/^FAIL .*endpoints agree check failed/);
      expect(a.stdout).to.include(`endpoint 2 (${liar.url}) says anchored root is 0x${"66".repeat(32)}`);
      const b = await cli(["verify-proof", file, "--rpc", liar.url, "--rpc", fx.rpcUrl]);
      expect(b.code).to.equal(1);
      expect(b.stdout).to.include(
        `endpoint 2 (${fx.rpcUrl}) says anchored root is ${bundleOf(0).root}, endpoint 1 (${liar.url}) says 0x${"66".repeat(32)}`,
      );
      // Alone, the liar is caught by the comparison with the bundle; the standalone script too.
      const c = await cli(["verify-proof", file, "--rpc", liar.url]);
      expect(c.code).to.equal(1);
      expect(c.stdout).to.match(/FAIL .*anchor check failed: root mismatch/);
      const err = await standalone.verify(fx.proofs[0].text, [fx.rpcUrl, liar.url]).then(
        () => null,
        (e: Error) => e,
      );
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
    it("still compares the bundle with the pin: the site's profile matches, another contract fails", async () => {
      const ok = await cli(["verify-proof", fx.proofs[1].file, "--offline", "--trust", fx.trustFile]);
      expect(ok.code, ok.stdout).to.equal(0);
      expect(ok.stdout).to.match(
        /^OFFLINE-OK .*its claims match the pin \(trust profile .*\(and the chain's genesis block\) was NOT checked/,
      );
      const other = await cli(["verify-proof", fx.proofs[1].file, "--offline", "--contract", "0x" + "12".repeat(20)]);
      expect(other.code, other.stdout).to.equal(1);
      expect(other.stdout).to.match(/^FAIL .*: trust check failed: .*\[TRUST_CONTRACT_MISMATCH\]/);
    });
  });

  describe("when a bundle is wrong", () => {
    const cases: [string, (b: any) => unknown, RegExp, number][] = [
      [
        "schema",
        ({ auditPath, ...rest }) => rest,
        /FAIL .*: schema check failed: invalid proof bundle: \/auditPath/,
        1,
      ],
      [
        "canonical form",
        (b) => bundleToJSON(b).replace('"epoch": ', '"epoch":  '),
        /FAIL .*: canonical form check failed: canonical form: the file differs from its canonical form at line/,
        1,
      ],
      [
        "canonical form (contract spelling)",
        (b) => ({ ...b, anchor: { ...b.anchor, contract: b.anchor.contract.toLowerCase() } }),
        /canonical form check failed: .*EIP-55/,
        1,
      ],
      [
        "leaf hash",
        (b) => ({ ...b, record: { ...b.record, receivedAt: "2020-01-01T00:00:00.000Z" } }),
        /FAIL .*: leaf hash check failed: leaf hash mismatch/,
        1,
      ],
      [
        "audit path",
        (b) => ({ ...b, auditPath: [b.leafHash] }),
        /FAIL .*: audit path check failed: audit path leads to root/,
        1,
      ],
      [
        "checkpoint (a root the ledger did not sign)",
        (b) => withForgedRoot(b),
        /FAIL .*: checkpoint check failed: .*\[PROOF_CHECKPOINT_INVALID\]/,
        1,
      ],
      [
        "root mismatch",
        (b) => resigned(withForgedRoot(b), fx.dir),
        /FAIL .*: anchor check failed: root mismatch for epoch/,
        1,
      ],
      [
        "anchor missing",
        (b) => resigned({ ...b, epoch: 999, anchor: { ...b.anchor, epoch: 999 } }, fx.dir),
        /FAIL .*: anchor check failed: anchor missing: .*epoch 999/,
        1,
      ],
      [
        "anchorer",
        (b) => ({ ...b, anchor: { ...b.anchor, anchorer: fx.trust.contract } }),
        /FAIL .*: block check failed: anchorer mismatch: .*\[PROOF_ANCHORER_MISMATCH\]/,
        1,
      ],
      [
        "block mismatch",
        (b) => ({ ...b, anchor: { ...b.anchor, blockTimestamp: b.anchor.blockTimestamp + 1 } }),
        /FAIL .*: block check failed: block mismatch: .*timestamp/,
        1,
      ],
      [
        "chain id",
        (b) => ({ ...b, anchor: { ...b.anchor, chainId: "1" } }),
        /FAIL .*: chain id check failed: chain id mismatch/,
        2,
      ],
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
      const b = fx.proofs
        .map((p) => JSON.parse(p.text))
        .find(
          (x) =>
            verifyProofOffline(bundleToJSON(resigned({ ...x, treeSize: x.treeSize + 1 }, fx.dir))).verdict ===
            "OFFLINE-OK",
        );
      expect(b, "a bundle whose path also fits size + 1").to.not.equal(undefined);
      const v = await cli([
        "verify-proof",
        write("bad-size.json", resigned({ ...b, treeSize: b.treeSize + 1 }, fx.dir)),
        "--rpc",
        fx.rpcUrl,
      ]);
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

  describe("the standalone script's finality and RPC URLs", () => {
    it("says not final (exit 75) below --confirmations, and never prints an RPC URL's credentials or path", async () => {
      const p = fx.proofs[5];
      const deep = await runStandalone([
        p.file,
        "--rpc",
        fx.rpcUrl,
        "--trust",
        fx.trustFile,
        "--confirmations",
        "100000",
      ]);
      expect(deep.code, deep.out).to.equal(75);
      expect(deep.out).to.match(
        /^FAILED finality: not yet final at http:\/\/127\.0\.0\.1:\d+: \d+ confirmations, want 100000/m,
      );
      const u = new URL(fx.rpcUrl);
      const secret = `${u.protocol}//inspector:s3cr3t-pass@${u.host}/v3/APIKEY123`;
      const r = await runStandalone([p.file, "--rpc", secret, "--trust", fx.trustFile]);
      expect(r.out).to.not.include("s3cr3t").and.to.not.include("APIKEY123");
    });
  });

  describe("when the provenance is forged or not pinned (issue 11)", () => {
    let own: Lookalike;
    let otherLedger: Lookalike;
    before(async () => {
      // The same event (epoch 1, a 2-event epoch), its value changed, re-anchored by an outsider.
      own = await forgeLookalike(fx.rpcUrl, bundleOf(1), { kind: "own contract" });
      otherLedger = await forgeLookalike(fx.rpcUrl, bundleOf(1), {
        kind: "other ledger",
        contract: fx.trust.contract,
        ledgerName: "default-2",
      });
    });

    it("(a) a look-alike GxpAnchor deployed by another account: FAIL naming the contract, the anchoring account and the key, in the CLI and the standalone script", async () => {
      const file = writeLookalike(path.join(fx.dir, "lookalike.proof.json"), own);
      expect(own.bundle.anchor.ledgerName).to.equal("default");
      const v = await cli(["verify-proof", file, "--trust", fx.trustFile, "--rpc", fx.rpcUrl]);
      expect(v.code, v.stdout + v.stderr).to.equal(1);
      expect(v.stdout).to.match(
        /^FAIL .*: trust check failed: not the pinned ledger \(trust profile [0-9A-F ]+\): contract .* pinned contract .*; anchored by .*not a pinned anchoring account.*; signed by key .*not a pinned ledger key.* \[TRUST_CONTRACT_MISMATCH\]/,
      );
      // Without a pin the forgery is truly anchored and signed: never PASS, only UNPINNED.
      const un = await cli(["verify-proof", file, "--rpc", fx.rpcUrl]);
      expect(un.code, un.stdout).to.equal(6);
      expect(un.stdout).to.match(/^UNPINNED /);
      // Explicit pins catch it too, each named: the anchoring account alone, the key alone.
      const byAnchorer = await cli([
        "verify-proof",
        file,
        "--rpc",
        fx.rpcUrl,
        "--anchorer",
        fx.trust.anchorers[0].address,
      ]);
      expect(byAnchorer.code).to.equal(1);
      expect(byAnchorer.stdout).to.match(/\[TRUST_ANCHORER_MISMATCH\]/);
      const byKey = await cli([
        "verify-proof",
        file,
        "--rpc",
        fx.rpcUrl,
        "--ledger-key",
        path.join(fx.dir, "keys", "receipt-key.pub.pem"),
      ]);
      expect(byKey.code).to.equal(1);
      expect(byKey.stdout).to.match(/\[TRUST_KEY_MISMATCH\]/);
      const s = await runStandalone([file, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(s.code, s.out).to.equal(1);
      expect(s.out).to.match(
        /^FAILED trust: TRUST_CONTRACT_MISMATCH: contract 0x[0-9a-fA-F]{40}, pinned contract .*; TRUST_ANCHORER_MISMATCH: .*; TRUST_KEY_MISMATCH: /m,
      );
      const sk = await runStandalone([
        file,
        "--rpc",
        fx.rpcUrl,
        "--ledger-key",
        path.join(fx.dir, "keys", "receipt-key.pub.pem"),
      ]);
      expect(sk.code, sk.out).to.equal(1);
      expect(sk.out).to.match(/^FAILED trust: TRUST_KEY_MISMATCH/m);
      const su = await runStandalone([file, "--rpc", fx.rpcUrl]);
      expect(su.code, su.out).to.equal(6);
      expect(su.out).to.match(
        /^UNPINNED event .*NOT pinned: chain id, genesis block, contract, ledger, anchoring account, ledger key/m,
      );
    });

    it("(b) the real contract under another ledger id: FAIL TRUST_LEDGER_MISMATCH", async () => {
      const file = writeLookalike(path.join(fx.dir, "other-ledger.proof.json"), otherLedger);
      expect(otherLedger.contract).to.equal(fx.trust.contract);
      const v = await cli(["verify-proof", file, "--trust", fx.trustFile, "--rpc", fx.rpcUrl]);
      expect(v.code, v.stdout + v.stderr).to.equal(1);
      expect(v.stdout).to.match(
        /^FAIL .*: trust check failed: .*ledger default-2, pinned ledger default.*\[TRUST_LEDGER_MISMATCH\]/,
      );
      const s = await runStandalone([file, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(s.code, s.out).to.equal(1);
      expect(s.out).to.match(/^FAILED trust: TRUST_LEDGER_MISMATCH: ledger default-2, pinned ledger default/m);
    });

    it("(c) the genuine bundle with no pin: UNPINNED, exit 6, saying what was proved and what was not pinned, never PASS", async () => {
      const p = fx.proofs[3];
      const v = await cli(["verify-proof", p.file, "--rpc", fx.rpcUrl]);
      expect(v.code, v.stdout + v.stderr).to.equal(6);
      expect(v.stdout).to.match(
        new RegExp(
          `^UNPINNED ${p.file}: event ${p.eventId} is unchanged and in epoch \\d+, whose root is anchored in contract ${fx.trust.contract} on chain 31337 for ledger default by ${fx.trust.anchorers[0].address} and signed by key [0-9a-f]{16}…; NOT pinned: chain id, genesis block, contract, ledger, anchoring account, ledger key, so this does NOT show that it is the site's ledger`,
        ),
      );
      expect(v.stdout).to.include("ok   trust: NOT PINNED");
      // A partial pin is UNPINNED too, naming what is missing.
      const part = await cli([
        "verify-proof",
        p.file,
        "--rpc",
        fx.rpcUrl,
        "--contract",
        fx.trust.contract,
        "--ledger",
        "default",
      ]);
      expect(part.code).to.equal(6);
      expect(part.stdout).to.match(/NOT pinned: chain id, genesis block, anchoring account, ledger key,/);
      const j = await cli(["--json", "verify-proof", p.file, "--rpc", fx.rpcUrl]);
      expect(j.code).to.equal(6);
      const out = JSON.parse(j.stdout);
      expect(out.verdict).to.equal("UNPINNED");
      expect(out.trust).to.deep.include({
        pinned: null,
        unpinned: ["chain id", "genesis block", "contract", "ledger", "anchoring account", "ledger key"],
      });
      expect(out.steps.map((s: { step: string }) => s.step)).to.include("trust");
      const s = await runStandalone([p.file, "--rpc", fx.rpcUrl]);
      expect(s.code, s.out).to.equal(6);
      expect(s.out).to.match(/^UNPINNED event /m);
      expect(s.out).to.not.match(/VERIFIED/);
    });

    it("(d) a pin whose genesis block differs (another chain with the same id): FAIL TRUST_GENESIS_MISMATCH", async () => {
      // Unsigned: a profile edited after signing is refused as such (exit 2), before any chain check.
      const { signature: _signature, ...unsigned } = fx.trust;
      const other = writeTrust(path.join(fx.dir, "other-chain-trust.json"), {
        ...unsigned,
        chain: { ...fx.trust.chain, genesisHash: "0x" + "47".repeat(32) },
      });
      const v = await cli(["verify-proof", fx.proofs[0].file, "--trust", other, "--rpc", fx.rpcUrl]);
      expect(v.code, v.stdout + v.stderr).to.equal(1);
      expect(v.stdout).to.match(
        /^FAIL .*: chain id check failed: genesis mismatch: .*another chain with the same chain id \[TRUST_GENESIS_MISMATCH\]/,
      );
      const s = await runStandalone([fx.proofs[0].file, "--rpc", fx.rpcUrl, "--trust", other]);
      expect(s.code, s.out).to.equal(1);
      expect(s.out).to.match(/^FAILED chain id: TRUST_GENESIS_MISMATCH/m);
    });

    it("(d) the same contract address, ledger and anchoring account on a twin chain with the same id, signed with a stolen ledger key: only the pinned genesis block catches it", async () => {
      const twin = await startLocalChain();
      try {
        expect(twin.chainId).to.equal(31337n);
        const stolenKey = createPrivateKey(fs.readFileSync(path.join(fx.dir, "keys", "receipt-key.pem"), "utf8"));
        const l = await forgeLookalike(twin.rpcUrl, bundleOf(0), { kind: "twin chain" }, stolenKey);
        // With the public development keys everything the pin names but the genesis block is the site's.
        expect([l.contract, l.ledgerName, l.anchorer, l.keyId]).to.deep.equal([
          fx.trust.contract,
          "default",
          fx.trust.anchorers[0].address,
          fx.trust.keys[0].keyId,
        ]);
        const file = writeLookalike(path.join(fx.dir, "twin-chain.proof.json"), l);
        const v = await cli(["verify-proof", file, "--trust", fx.trustFile, "--rpc", twin.rpcUrl]);
        expect(v.code, v.stdout + v.stderr).to.equal(1);
        expect(v.stdout).to.match(/^FAIL .*: chain id check failed: genesis mismatch: .* \[TRUST_GENESIS_MISMATCH\]/);
        const s = await runStandalone([file, "--rpc", twin.rpcUrl, "--trust", fx.trustFile]);
        expect(s.code, s.out).to.equal(1);
        expect(s.out).to.match(/^FAILED chain id: TRUST_GENESIS_MISMATCH/m);
      } finally {
        await twin.stop();
      }
    });

    it("(e) the site's trust profile, signed or not, gives PASS naming the site; a malformed profile is exit 2 naming its bad fields", async () => {
      const j = await cli(["--json", "verify-proof", fx.proofs[5].file, "--trust", fx.trustFile, "--rpc", fx.rpcUrl]);
      expect(j.code, j.stdout + j.stderr).to.equal(0);
      const out = JSON.parse(j.stdout);
      expect(out.verdict).to.equal("PASS");
      expect(out.trust.pinned).to.deep.include({
        organisation: "Acme Pharma GmbH",
        site: "Werk Mannheim",
        contract: fx.trust.contract,
        ledger: "default",
        fingerprint: pin.fingerprint,
      });
      expect(out.trust.unpinned).to.deep.equal([]);
      const bad = writeTrust(path.join(fx.dir, "bad-trust.json"), {
        ...fx.trust,
        contract: "0x12",
        ledger: { name: "default", id: "0x" + "00".repeat(32) },
      });
      const v = await cli(["verify-proof", fx.proofs[5].file, "--trust", bad, "--rpc", fx.rpcUrl]);
      expect(v.code).to.equal(2);
      expect(v.stderr).to.match(/bad-trust\.json: invalid trust profile: .*\/contract.*TRUST_PROFILE_INVALID/);
      expect(fx.trust.signature, "the fixture's profile is signed").to.not.equal(undefined);
      const altered = writeTrust(path.join(fx.dir, "altered-trust.json"), { ...fx.trust, site: "Werk Elsewhere" });
      const alt = await cli(["verify-proof", fx.proofs[5].file, "--trust", altered, "--rpc", fx.rpcUrl]);
      expect(alt.code).to.equal(2);
      expect(alt.stderr).to.match(/altered after signing.*TRUST_PROFILE_SIGNATURE_INVALID/);
      const both = await cli(["verify-proof", fx.proofs[5].file, "--trust", fx.trustFile, "--contract", own.contract]);
      expect(both.code).to.equal(2);
      expect(both.stderr).to.match(/--contract .* contradicts the trust profile/);
    });
  });

  describe("when the standalone script checks a batch's export package (--package)", () => {
    let pkg: string;
    before(async function () {
      // export-batch copies the format docs into the package; they are written in another area.
      const missing = ["docs/trust-profile.md", "docs/trust-profile.schema.json"].filter(
        (f) => !fs.existsSync(path.resolve(__dirname, "../..", f)),
      );
      if (missing.length) {
        console.log(`      SKIPPED: ${missing.join(", ")} missing, so export-batch cannot write a package`);
        this.skip();
      }
      pkg = path.join(fx.dir, "package-B-PROOF-2");
      const e = await cli(["--data-dir", fx.dir, "export-batch", "B-PROOF-2", "-o", pkg, "--trust", fx.trustFile]);
      expect(e.code, e.stdout + e.stderr).to.equal(0);
    });
    const copy = (name: string) => {
      const to = path.join(fx.dir, name);
      fs.rmSync(to, { recursive: true, force: true });
      fs.cpSync(pkg, to, { recursive: true });
      return to;
    };

    it("works as the package's README.txt says, in the package directory with its own copy of the script and of the profile", async () => {
      const where = { script: path.join(pkg, "verify-proof-standalone.js"), cwd: pkg };
      expect(fs.readFileSync(where.script, "utf8")).to.equal(fs.readFileSync(STANDALONE, "utf8"));
      const f = await runStandalone(["--fingerprint", "site-trust.json"], where);
      expect(f.code, f.out).to.equal(0);
      expect(f.out).to.include(`fingerprint ${pin.fingerprint}`);
      expect(f.out).to.include("trust profile of Acme Pharma GmbH, Werk Mannheim: ledger default");
      const s = await runStandalone(["--package", ".", "--trust", "site-trust.json", "--rpc", fx.rpcUrl], where);
      expect(s.code, s.out).to.equal(0);
      expect(s.out).to.match(
        /^VERIFIED \(pinned\) package \.: batch B-PROOF-2, 7 events: Acme Pharma GmbH, Werk Mannheim: ledger default/m,
      );
    });

    it("takes the inspector's own copy of the profile placed in the directory (not in the manifest) without calling it added", async () => {
      const own = copy("pkg-own-profile");
      fs.copyFileSync(fx.trustFile, path.join(own, "inspector-trust.json"));
      const s = await runStandalone([
        "--package",
        own,
        "--trust",
        path.join(own, "inspector-trust.json"),
        "--rpc",
        fx.rpcUrl,
      ]);
      expect(s.code, s.out).to.equal(0);
      const other = await runStandalone(["--package", own, "--trust", fx.trustFile, "--rpc", fx.rpcUrl]);
      expect(other.code, other.out).to.equal(1);
      expect(other.out).to.match(/^FAILED package files: inspector-trust\.json is not in the manifest/m);
    });

    it("verifies every file, the manifest signature by the pinned key and every bundle: VERIFIED (pinned), or UNPINNED (exit 6) without a pin", async () => {
      const s = await runStandalone(["--package", pkg, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(s.code, s.out).to.equal(0);
      expect(s.out).to.match(/ok {3}manifest signature: manifest signed by ledger key [0-9a-f]{64}, as pinned/);
      expect(s.out).to.match(
        /^VERIFIED \(pinned\) package .*: batch B-PROOF-2, 7 events: Acme Pharma GmbH, Werk Mannheim: ledger default/m,
      );
      const u = await runStandalone(["--package", pkg, "--rpc", fx.rpcUrl]);
      expect(u.code, u.out).to.equal(6);
      expect(u.out).to.match(
        /^UNPINNED package .*NOT pinned: chain id, genesis block, contract, ledger, anchoring account, ledger key/m,
      );
    });

    it("fails a package with an edited, added or symlinked file, or a manifest signed by a key that is not the pinned one", async () => {
      const edited = copy("pkg-edited");
      fs.appendFileSync(path.join(edited, "batch-chain.json"), " ");
      const a = await runStandalone(["--package", edited, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(a.code, a.out).to.equal(1);
      expect(a.out).to.match(/^FAILED package files: batch-chain\.json does not have the SHA-256 the manifest lists/m);

      const added = copy("pkg-added");
      fs.writeFileSync(path.join(added, "events", "extra.proof.json"), "{}");
      const b = await runStandalone(["--package", added, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(b.code, b.out).to.equal(1);
      expect(b.out).to.match(/^FAILED package files: events\/extra\.proof\.json is not in the manifest/m);

      const linked = copy("pkg-linked");
      const first = fs.readdirSync(path.join(linked, "events"))[0];
      fs.rmSync(path.join(linked, "events", first));
      fs.symlinkSync(path.join(pkg, "events", first), path.join(linked, "events", first));
      const c = await runStandalone(["--package", linked, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(c.code, c.out).to.equal(1);
      expect(c.out).to.match(/^FAILED package files: events\/.* is not a regular file/m);

      // Re-signed by an outsider's key: the signature verifies, but the key is not the site's.
      const resignedPkg = copy("pkg-resigned");
      const { generateKeyPairSync, sign, createHash } = await import("node:crypto");
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      const sigFile = path.join(resignedPkg, "manifest.sig.json");
      const sig = JSON.parse(fs.readFileSync(sigFile, "utf8"));
      const der = publicKey.export({ type: "spki", format: "der" });
      sig.publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
      sig.keyId = createHash("sha256").update(der).digest("hex");
      sig.signature = sign(null, Buffer.from(`${sig.statement}\n${sig.manifestSha256}`, "utf8"), privateKey).toString(
        "base64url",
      );
      fs.writeFileSync(sigFile, JSON.stringify(sig, null, 1) + "\n");
      const d = await runStandalone(["--package", resignedPkg, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(d.code, d.out).to.equal(1);
      expect(d.out).to.match(
        /^FAILED manifest signature: TRUST_KEY_MISMATCH: signed by key [0-9a-f]{64}, which is not a pinned ledger key/m,
      );
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
            expect(
              await standalone.verify(m.text, [fx.rpcUrl]).then(
                () => "accepted",
                () => "rejected",
              ),
              `standalone, ${what}`,
            ).to.equal("rejected");
            expect(
              await independentVerify(m.text, provider).then(
                () => "accepted",
                () => "rejected",
              ),
              `independent, ${what}`,
            ).to.equal("rejected");
          }
        }
      } finally {
        provider.destroy();
      }
      console.log(
        `      ${total} one-byte mutants rejected by all three in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(total).to.be.greaterThan(4000);
    });
  });

  // Last: it adds an epoch to the fixture's ledger.
  describe("when the event was stored under a laxer event schema (a member today's schema refuses)", () => {
    it("passes pinned in verify-proof (in process and the real CLI), the standalone script and the independent verifier; the same bundle without the member fails the leaf hash in each", async () => {
      const p = await storeLegacyEvent(fx);
      const epoch = (JSON.parse(p.text) as ProofBundle).epoch;
      const r = await verifyProofOnRpcUrls(p.text, [fx.rpcUrl], { onchain: true, pin });
      expect(r.verdict, JSON.stringify(r.steps.filter((s) => !s.ok))).to.equal("PASS");
      const v = await cli(["verify-proof", p.file, "--trust", fx.trustFile, "--rpc", fx.rpcUrl, "--onchain"]);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      expect(v.stdout).to.match(
        new RegExp(
          `^PASS .*: event ${p.eventId} is included in epoch ${epoch} of ledger default of Acme Pharma GmbH, Werk Mannheim`,
        ),
      );
      const s = await runStandalone([p.file, "--rpc", fx.rpcUrl, "--trust", fx.trustFile]);
      expect(s.code, s.out).to.equal(0);
      expect(s.out).to.include(`VERIFIED (pinned) event ${p.eventId}: epoch ${epoch}`);
      const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { staticNetwork: true });
      try {
        await independentVerify(p.text, provider);
        const b = JSON.parse(p.text) as ProofBundle;
        delete (b.record.event as unknown as Record<string, unknown>)[LEGACY_MEMBER];
        const stripped = bundleToJSON(b);
        const o = await verifyProofOnRpcUrls(stripped, [fx.rpcUrl], { onchain: true, pin });
        expect([o.verdict, o.steps.find((x) => !x.ok)?.code]).to.deep.equal(["FAIL", "PROOF_LEAF_MISMATCH"]);
        await standalone.verify(stripped, [fx.rpcUrl], { pin: standalonePin }).then(
          () => expect.fail("the standalone script accepted it"),
          (e: Error) => expect(e.message).to.match(/^leaf hash: /),
        );
        expect(
          await independentVerify(stripped, provider).then(
            () => "accepted",
            () => "rejected",
          ),
        ).to.equal("rejected");
      } finally {
        provider.destroy();
      }
    });
  });
});
