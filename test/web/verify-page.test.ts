/**
 * The browser verifier end to end: web/dist/verify.html, built by `npm run build:web`, opened as a
 * file in headless Debian Chromium (driven by playwright-core, never a downloaded browser), checking
 * real bundles against the real local chain through the page's own controls.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, Browser, Page } from "playwright-core";
import { ProofBundle, bundleToJSON } from "../../src/core";
import { ProofFixture, startProofFixture, oneByteMutations, withForgedRoot } from "../integration/proof-fixture";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = path.resolve(__dirname, "../..");
const PAGE = path.join(ROOT, "web", "dist", "verify.html");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe("web/dist/verify.html in headless Chromium", function () {
  this.timeout(300_000);
  let fx: ProofFixture;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`      SKIPPED: no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium; set CHROMIUM_PATH to use another)`);
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

  async function verifyThroughPage(file: string, rpc: string[]): Promise<{ verdict: string; steps: { step: string; ok: boolean; text: string }[] }> {
    await page.setInputFiles("#file", file);
    await page.waitForFunction((want) => (document.getElementById("bundle") as HTMLTextAreaElement).value === want, fs.readFileSync(file, "utf8"));
    await page.fill("#rpc", rpc.join("\n"));
    await page.click("#verify");
    await page.waitForFunction(() => !["NONE", "RUNNING"].includes(document.getElementById("result")!.getAttribute("data-verdict")!));
    return page.evaluate(() => ({
      verdict: document.getElementById("result")!.getAttribute("data-verdict")!,
      steps: Array.from(document.querySelectorAll("#steps li")).map((li) => ({ step: li.getAttribute("data-step")!, ok: li.getAttribute("data-ok") === "true", text: li.textContent! })),
    }));
  }

  describe("when given a valid bundle and the chain's RPC URL", () => {
    it("shows every step passed and the verdict PASS", async () => {
      const r = await verifyThroughPage(fx.proofs[1].file, [fx.rpcUrl]);
      expect(r.verdict).to.equal("PASS");
      expect(r.steps.map((s) => s.step)).to.deep.equal(["schema", "canonical form", "leaf hash", "audit path", "chain id", "anchor", "block", "finality", "on-chain inclusion"]);
      expect(r.steps.every((s) => s.ok)).to.equal(true);
      if (process.env.GXP_SCREENSHOT) await page.screenshot({ path: process.env.GXP_SCREENSHOT, fullPage: true });
    });
  });

  describe("when a byte of the record was changed", () => {
    it("shows FAIL at the leaf hash step", async () => {
      const text = fx.proofs[0].text.replace('"printedName": "A. Schmidt"', '"printedName": "A. Zchmidt"');
      const file = path.join(fx.dir, "tampered.proof.json");
      fs.writeFileSync(file, text);
      const r = await verifyThroughPage(file, [fx.rpcUrl]);
      expect(r.verdict).to.equal("FAIL");
      const failed = r.steps.find((s) => !s.ok)!;
      expect(failed.step).to.equal("leaf hash");
      expect(failed.text).to.match(/leaf hash mismatch for event/);
    });
  });

  describe("when the bundle claims a root the chain does not hold", () => {
    it("shows FAIL at the anchor step with root mismatch", async () => {
      const b = JSON.parse(fx.proofs[0].text) as ProofBundle;
      const file = path.join(fx.dir, "other-root.proof.json");
      fs.writeFileSync(file, bundleToJSON(withForgedRoot(b)));
      const r = await verifyThroughPage(file, [fx.rpcUrl]);
      expect(r.verdict).to.equal("FAIL");
      expect(r.steps.find((s) => !s.ok)).to.deep.include({ step: "anchor" });
      expect(r.steps.find((s) => !s.ok)!.text).to.match(/root mismatch for epoch \d+: chain has 0x[0-9a-f]{64}/);
    });
  });

  describe("when no RPC URL is given", () => {
    it("says plainly that the chain was not checked", async () => {
      const r = await verifyThroughPage(fx.proofs[2].file, []);
      expect(r.verdict).to.equal("OFFLINE-OK");
      expect(r.steps.at(-1)).to.deep.include({ step: "anchor", ok: false });
      expect(r.steps.at(-1)!.text).to.match(/NOT CHECKED/);
    });
  });

  describe("when any one byte of a bundle is changed", () => {
    it("rejects every mutant in the page", async () => {
      const mutants = oneByteMutations(fx.proofs[1].text).map((m) => m.text);
      const started = Date.now();
      const verdicts: string[] = await page.evaluate(async ({ mutants, rpc }) => {
        const verify = (globalThis as any).gxpVerify;
        const out: string[] = [];
        for (const m of mutants) out.push((await verify(m, [rpc], { onchain: true })).verdict);
        return out;
      }, { mutants, rpc: fx.rpcUrl });
      console.log(`      ${mutants.length} one-byte mutants rejected in the page in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const accepted = verdicts.map((v, i) => [v, i] as const).filter(([v]) => v !== "FAIL");
      expect(accepted, "mutants not rejected").to.deep.equal([]);
      expect(mutants.length).to.be.greaterThan(2000);
    });
  });
});
