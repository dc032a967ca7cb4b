/**
 * docs/proof-format.md cannot rot: the published schema is the one the code compiles, the worked
 * example is a bundle the code verifies, every shell one-liner of the example prints what the doc
 * says (run as written), and every value the doc quotes is the one the code computes.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  PROOF_BUNDLE_SCHEMA_V1,
  ProofBundle,
  canonicalString,
  encodeGetAnchor,
  encodeVerifyInclusion,
  keccakHex,
  selectorOf,
  verifyProofOffline,
  GET_ANCHOR_SIGNATURE,
  VERIFY_INCLUSION_SIGNATURE,
  EPOCH_ANCHORED_SIGNATURE,
  bundleFileText,
  recordLeafHashHex,
} from "../../src/core";

const DOCS = path.resolve(__dirname, "../../docs");
const EXAMPLES = path.join(DOCS, "examples");
const doc = fs.readFileSync(path.join(DOCS, "proof-format.md"), "utf8");
const exampleText = fs.readFileSync(path.join(EXAMPLES, "example-proof.json"), "utf8");
const example = JSON.parse(exampleText) as ProofBundle;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as { GET_ANCHOR: string; EPOCH_ANCHORED_TOPIC: string; jcs(v: unknown): string; pretty(v: unknown): string };

/** The worked example's runnable blocks: a ```sh block followed by a line "→ `expected`". */
function oneLiners(): { cmd: string; want: string }[] {
  const section = doc.slice(doc.indexOf("## 8. Worked example"));
  return [...section.matchAll(/```sh\n([\s\S]*?)\n```\n→ `([^`]+)`/g)].map((m) => ({ cmd: m[1], want: m[2] }));
}

describe("docs/proof.schema.json", () => {
  it("is the schema the verifier compiles", () => {
    expect(JSON.parse(fs.readFileSync(path.join(DOCS, "proof.schema.json"), "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(PROOF_BUNDLE_SCHEMA_V1)));
  });
});

describe("docs/proof-format.md worked example", () => {
  it("is a bundle that passes every offline step, in its file form", () => {
    const r = verifyProofOffline(exampleText);
    expect(r.verdict, JSON.stringify(r.steps)).to.equal("OFFLINE-OK");
    expect(exampleText).to.equal(bundleFileText(example));
    expect(standalone.pretty(example) + "\n").to.equal(exampleText);
  });

  it("quotes the canonical record, call data, selectors and log topic that the code computes", () => {
    const canonical = canonicalString(example.record);
    expect(doc).to.include("```text\n" + canonical + "\n```");
    expect(standalone.jcs(example.record)).to.equal(canonical);
    expect(doc).to.include(`→ \`${Buffer.byteLength(canonical)}\``);
    expect(doc).to.include(`→ \`${recordLeafHashHex(example.record).slice(2)}\``);
    expect(doc).to.include(`→ \`${example.root.slice(2)}\``);
    expect(doc).to.include(`→ \`${example.anchor.ledgerId}\``);
    const getAnchor = encodeGetAnchor(example.anchor.ledgerId, example.epoch);
    expect(doc).to.include(`→ \`${getAnchor}\``);
    expect(doc).to.include(`"to":"${example.anchor.contract}","data":"${getAnchor}"`);
    expect(doc).to.include("```text\n" + encodeVerifyInclusion(example.anchor.ledgerId, example.epoch, example.leafHash, example.leafIndex, example.auditPath) + "\n```");
    expect(doc).to.include(`data: ${selectorOf(GET_ANCHOR_SIGNATURE)} ‖ ledgerId`);
    expect(doc).to.include(`\`${selectorOf(VERIFY_INCLUSION_SIGNATURE)} ‖ ledgerId`);
    expect(doc).to.include(`\`${keccakHex(EPOCH_ANCHORED_SIGNATURE)}\``);
    expect([standalone.GET_ANCHOR, standalone.EPOCH_ANCHORED_TOPIC]).to.deep.equal([selectorOf(GET_ANCHOR_SIGNATURE), keccakHex(EPOCH_ANCHORED_SIGNATURE)]);
  });

  it("has shell one-liners that print, as written, what the doc says", function () {
    const missing = ["bash", "jq", "xxd", "sha256sum", "cmp"].filter((t) => spawnSync("bash", ["-c", `command -v ${t}`]).status !== 0);
    if (missing.length) {
      console.log(`      SKIPPED: ${missing.join(", ")} not installed (.ci/run installs jq and xxd)`);
      this.skip();
    }
    const lines = oneLiners();
    expect(lines.length).to.be.greaterThanOrEqual(7);
    for (const { cmd, want } of lines) {
      const r = spawnSync("bash", ["-c", cmd], { cwd: EXAMPLES, encoding: "utf8" });
      expect(r.status, `${cmd}\n${r.stderr}`).to.equal(0);
      expect(r.stdout.trim().split(/\s+/)[0], cmd).to.equal(want);
    }
  });
});
