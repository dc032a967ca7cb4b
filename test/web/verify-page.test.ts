/**
 * The browser verifier end to end: web/dist/verify.html, built by `npm run build:web`, opened as a
 * file in headless Debian Chromium (driven by playwright-core, never a downloaded browser), checking
 * real bundles against the real local chain and the site's trust profile through the page's own
 * controls; and the outsider's forgeries of issue 11 ending in FAIL or UNPINNED, never PASS.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, Browser, Page } from "playwright-core";
import { ProofBundle, bundleToJSON, pinFromProfile } from "../../src/core";
import {
  ProofFixture,
  startProofFixture,
  oneByteMutations,
  resigned,
  withForgedRoot,
  writeTrust,
} from "../integration/proof-fixture";
import { forgeLookalike, writeLookalike } from "../integration/lookalike";
import { storeLegacyEvent } from "../integration/legacy-event";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = path.resolve(__dirname, "../..");
const PAGE = path.join(ROOT, "web", "dist", "verify.html");
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("web/dist/verify.html in headless Chromium", function () {
  this.timeout(300_000);
  let fx: ProofFixture;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(
        `      SKIPPED: no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium; set CHROMIUM_PATH to use another)`,
      );
      this.skip();
    }
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-web.js")], { stdio: "ignore" });
    fx = await startProofFixture([3]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(pathToFileURL(PAGE).href);
    expect(problems).to.deep.equal([]);
  });
  after(async () => {
    await browser?.close();
    await fx?.stop();
  });

  interface PageResult {
    verdict: string;
    /** The verdict sentence shown. */
    text: string;
    steps: { step: string; ok: boolean; text: string; code: string | null }[];
  }

  /** Loads a trust profile through the page's file input (or clears it), and returns what the page says of it. */
  async function loadTrust(file: string | undefined): Promise<{ state: string; text: string }> {
    if (file) {
      await page.setInputFiles("#trust-file", file);
      await page.waitForFunction(
        (want) => (document.getElementById("trust") as HTMLTextAreaElement).value === want,
        fs.readFileSync(file, "utf8"),
      );
    } else {
      await page.fill("#trust", "");
    }
    return page.evaluate(() => ({
      state: document.getElementById("trust-info")!.getAttribute("data-state")!,
      text: document.getElementById("trust-info")!.textContent!,
    }));
  }

  async function verifyThroughPage(file: string, rpc: string[], trust?: string): Promise<PageResult> {
    await loadTrust(trust);
    await page.setInputFiles("#file", file);
    await page.waitForFunction(
      (want) => (document.getElementById("bundle") as HTMLTextAreaElement).value === want,
      fs.readFileSync(file, "utf8"),
    );
    await page.fill("#rpc", rpc.join("\n"));
    await page.click("#verify");
    await page.waitForFunction(
      () => !["NONE", "RUNNING"].includes(document.getElementById("result")!.getAttribute("data-verdict")!),
    );
    return page.evaluate(() => ({
      verdict: document.getElementById("result")!.getAttribute("data-verdict")!,
      text: document.getElementById("verdict")?.textContent ?? "",
      steps: Array.from(document.querySelectorAll("#steps li")).map((li) => ({
        step: li.getAttribute("data-step")!,
        ok: li.getAttribute("data-ok") === "true",
        text: li.textContent!,
        code: li.querySelector("code")?.textContent?.trim() ?? null,
      })),
    }));
  }

  describe("when given a valid bundle, the chain's RPC URL and the site's trust profile", () => {
    it("shows the profile's organisation, site and fingerprint, every step passed and PASS naming the site, contract, ledger and anchorer", async () => {
      const info = await loadTrust(fx.trustFile);
      expect(info.state).to.equal("loaded");
      expect(info.text).to.include(
        `Trust profile of Acme Pharma GmbH, site Werk Mannheim: ledger default, contract ${fx.trust.contract} on chain 31337. Fingerprint ${pinFromProfile(fx.trust).fingerprint}`,
      );
      const r = await verifyThroughPage(fx.proofs[1].file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("PASS");
      expect(r.steps.map((s) => s.step)).to.deep.equal([
        "schema",
        "canonical form",
        "leaf hash",
        "audit path",
        "checkpoint",
        "trust",
        "chain id",
        "anchor",
        "block",
        "finality",
        "on-chain inclusion",
      ]);
      expect(r.steps.every((s) => s.ok)).to.equal(true);
      expect(r.text).to.include(
        `Acme Pharma GmbH, Werk Mannheim: ledger default, contract ${fx.trust.contract} on chain 31337, anchored by ${fx.trust.anchorers[0].address}.`,
      );
      if (process.env.GXP_SCREENSHOT) await page.screenshot({ path: process.env.GXP_SCREENSHOT, fullPage: true });
    });
  });

  describe("when no trust profile is loaded", () => {
    it("says UNPINNED: unchanged and anchored, but not shown to be the site's ledger, never PASS", async () => {
      const r = await verifyThroughPage(fx.proofs[1].file, [fx.rpcUrl]);
      expect(r.verdict).to.equal("UNPINNED");
      expect(r.text).to.equal(
        "UNPINNED: Unchanged and anchored, but NOT shown to be the site's ledger: load the site's trust profile. Not pinned: chain id, genesis block, contract, ledger, anchoring account, ledger key.",
      );
      expect(r.steps.find((s) => s.step === "trust")!.text).to.match(/NOT PINNED/);
    });
  });

  describe("when the trust profile is dropped on its zone or pasted into its box", () => {
    it("reads it the same way as from the file input", async () => {
      await loadTrust(undefined);
      const text = fs.readFileSync(fx.trustFile, "utf8");
      await page.evaluate((t) => {
        const dt = new DataTransfer();
        dt.items.add(new File([t], "site-trust.json", { type: "application/json" }));
        document
          .getElementById("trust-drop")!
          .dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, text);
      await page.waitForFunction(() => document.getElementById("trust-info")!.getAttribute("data-state") === "loaded");
      expect(await page.inputValue("#trust")).to.equal(text);
      await loadTrust(undefined);
      expect(await page.getAttribute("#trust-info", "data-state")).to.equal("none");
      await page.fill("#trust", text);
      expect(await page.getAttribute("#trust-info", "data-state")).to.equal("loaded");
      expect(await page.textContent("#trust-info")).to.include(`Fingerprint ${pinFromProfile(fx.trust).fingerprint}`);
    });
  });

  describe("when the trust profile is malformed or altered after signing", () => {
    it("refuses it, naming the bad field or the signature, and verifies nothing against it", async () => {
      const bad = writeTrust(path.join(fx.dir, "bad-trust.json"), { ...fx.trust, contract: "0x12" });
      const info = await loadTrust(bad);
      expect(info.state).to.equal("invalid");
      expect(info.text).to.match(/Trust profile refused: invalid trust profile: \/contract/);
      const altered = writeTrust(path.join(fx.dir, "altered-trust.json"), { ...fx.trust, site: "Werk Elsewhere" });
      expect((await loadTrust(altered)).text).to.match(/Trust profile refused: .*altered after signing/);
      const r = await verifyThroughPage(fx.proofs[0].file, [fx.rpcUrl], altered);
      expect(r.verdict).to.equal("ERROR");
    });
  });

  describe("when the bundle comes from an outsider's ledger (issue 11)", () => {
    it("(a) a look-alike contract by another account: FAIL at the trust step naming contract, anchorer and key; UNPINNED without the profile", async () => {
      const l = await forgeLookalike(fx.rpcUrl, JSON.parse(fx.proofs[2].text) as ProofBundle, { kind: "own contract" });
      const file = writeLookalike(path.join(fx.dir, "lookalike.proof.json"), l);
      const r = await verifyThroughPage(file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("FAIL");
      const failed = r.steps.find((s) => !s.ok)!;
      expect(failed).to.deep.include({ step: "trust", code: "TRUST_CONTRACT_MISMATCH" });
      expect(failed.text).to.match(/pinned contract .*not a pinned anchoring account.*not a pinned ledger key/);
      expect(r.text).to.match(/^FAIL: .*\(step: trust, TRUST_CONTRACT_MISMATCH\)/);
      expect((await verifyThroughPage(file, [fx.rpcUrl])).verdict).to.equal("UNPINNED");
    });
    it("(b) the real contract under another ledger id: FAIL TRUST_LEDGER_MISMATCH", async () => {
      const l = await forgeLookalike(fx.rpcUrl, JSON.parse(fx.proofs[2].text) as ProofBundle, {
        kind: "other ledger",
        contract: fx.trust.contract,
        ledgerName: "page-2",
      });
      const r = await verifyThroughPage(
        writeLookalike(path.join(fx.dir, "other-ledger.proof.json"), l),
        [fx.rpcUrl],
        fx.trustFile,
      );
      expect(r.verdict).to.equal("FAIL");
      expect(r.steps.find((s) => !s.ok)).to.deep.include({ step: "trust", code: "TRUST_LEDGER_MISMATCH" });
    });
    it("(d) a profile whose genesis block differs (another chain with the same id): FAIL TRUST_GENESIS_MISMATCH", async () => {
      const { signature: _signature, ...unsigned } = fx.trust;
      const other = writeTrust(path.join(fx.dir, "other-chain-trust.json"), {
        ...unsigned,
        chain: { ...fx.trust.chain, genesisHash: "0x" + "47".repeat(32) },
      });
      const r = await verifyThroughPage(fx.proofs[0].file, [fx.rpcUrl], other);
      expect(r.verdict).to.equal("FAIL");
      expect(r.steps.find((s) => !s.ok)).to.deep.include({ step: "chain id", code: "TRUST_GENESIS_MISMATCH" });
    });
  });

  describe("when a byte of the record was changed", () => {
    it("shows FAIL at the leaf hash step", async () => {
      const text = fx.proofs[0].text.replace('"printedName": "A. Schmidt"', '"printedName": "A. Zchmidt"');
      expect(text).to.not.equal(fx.proofs[0].text);
      const file = path.join(fx.dir, "tampered.proof.json");
      fs.writeFileSync(file, text);
      const r = await verifyThroughPage(file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("FAIL");
      const failed = r.steps.find((s) => !s.ok)!;
      expect(failed.step).to.equal("leaf hash");
      expect(failed.text).to.match(/leaf hash mismatch for event/);
    });
  });

  describe("when the bundle claims a root the ledger did not sign", () => {
    it("shows FAIL at the checkpoint step", async () => {
      const file = path.join(fx.dir, "unsigned-root.proof.json");
      fs.writeFileSync(file, bundleToJSON(withForgedRoot(JSON.parse(fx.proofs[0].text) as ProofBundle)));
      const r = await verifyThroughPage(file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("FAIL");
      expect(r.steps.find((s) => !s.ok)).to.deep.include({ step: "checkpoint", code: "PROOF_CHECKPOINT_INVALID" });
    });
  });

  describe("when the bundle claims a root the chain does not hold (signed with the site's key, as by a thief of it)", () => {
    it("shows FAIL at the anchor step with root mismatch", async () => {
      const b = JSON.parse(fx.proofs[0].text) as ProofBundle;
      const file = path.join(fx.dir, "other-root.proof.json");
      fs.writeFileSync(file, bundleToJSON(resigned(withForgedRoot(b), fx.dir)));
      const r = await verifyThroughPage(file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("FAIL");
      expect(r.steps.find((s) => !s.ok)).to.deep.include({ step: "anchor" });
      expect(r.steps.find((s) => !s.ok)!.text).to.match(/root mismatch for epoch \d+: chain has 0x[0-9a-f]{64}/);
    });
  });

  describe("when no RPC URL is given", () => {
    it("says plainly that the chain was not checked", async () => {
      const r = await verifyThroughPage(fx.proofs[2].file, [], fx.trustFile);
      expect(r.verdict).to.equal("OFFLINE-OK");
      expect(r.steps.at(-1)).to.deep.include({ step: "anchor", ok: false });
      expect(r.steps.at(-1)!.text).to.match(/NOT CHECKED/);
    });
  });

  describe("when any one byte of a bundle is changed", () => {
    it("rejects every mutant in the page", async () => {
      const mutants = oneByteMutations(fx.proofs[1].text).map((m) => m.text);
      const started = Date.now();
      const verdicts: string[] = await page.evaluate(
        async ({ mutants, rpc, trust }) => {
          const verify = (globalThis as any).gxpVerify;
          const out: string[] = [];
          for (const m of mutants) out.push((await verify(m, [rpc], { onchain: true, trust })).verdict);
          return out;
        },
        { mutants, rpc: fx.rpcUrl, trust: fs.readFileSync(fx.trustFile, "utf8") },
      );
      console.log(
        `      ${mutants.length} one-byte mutants rejected in the page in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const accepted = verdicts.map((v, i) => [v, i] as const).filter(([v]) => v !== "FAIL");
      expect(accepted, "mutants not rejected").to.deep.equal([]);
      expect(mutants.length).to.be.greaterThan(2000);
    });
  });

  describe("when several fields of a bundle are bad", () => {
    it("shows FAIL at the schema step naming every bad field", async () => {
      const b = JSON.parse(fx.proofs[0].text);
      b.treeSize = 0;
      b.record.salt = "0x12";
      b.anchor.blockNumber = -1;
      delete b.checkpoint.keyId;
      const file = path.join(fx.dir, "several-bad.proof.json");
      fs.writeFileSync(file, bundleToJSON(b));
      const r = await verifyThroughPage(file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict).to.equal("FAIL");
      const failed = r.steps.find((s) => !s.ok)!;
      expect([failed.step, failed.code]).to.deep.equal(["schema", "PROOF_SCHEMA_INVALID"]);
      for (const p of ["/treeSize", "/record/salt", "/anchor/blockNumber", "/checkpoint/keyId"])
        expect(failed.text, p).to.include(`${p} `);
    });
  });

  // Last: it adds an epoch to the fixture's ledger.
  describe("when the event was stored under a laxer event schema (a member today's schema refuses)", () => {
    it("shows PASS with the site's trust profile", async () => {
      const p = await storeLegacyEvent(fx);
      const r = await verifyThroughPage(p.file, [fx.rpcUrl], fx.trustFile);
      expect(r.verdict, JSON.stringify(r.steps.filter((s) => !s.ok))).to.equal("PASS");
      expect(r.steps.every((s) => s.ok)).to.equal(true);
    });
  });
});
