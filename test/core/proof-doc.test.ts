/**
 * docs/proof-format.md cannot rot: the published schema is the one the code compiles, the worked
 * example is a version 2 bundle the code verifies, every shell one-liner of the example prints what
 * the doc says (run as written), and every value the doc quotes (call data, selectors, the 4-topic
 * EpochAnchored log, the checkpoint message) is the one the code computes.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  PROOF_BUNDLE_SCHEMA_V2,
  PROOF_MEDIA_TYPE_V1,
  PROOF_MEDIA_TYPE_V2,
  ProofBundle,
  addressWord,
  bundleFileText,
  canonicalString,
  checkpointMessage,
  checkpointOfBundle,
  encodeGetAnchor,
  encodeVerifyInclusion,
  keccakHex,
  pinFromProfile,
  recordLeafHashHex,
  selectorOf,
  trustProfileFromJSON,
  verifyProofOffline,
  GET_ANCHOR_SIGNATURE,
  VERIFY_INCLUSION_SIGNATURE,
  EPOCH_ANCHORED_SIGNATURE,
} from "../../src/core";
import { expectOneLiner, missingTools, oneLiners, opensslEd25519 } from "./doc-one-liners";

const DOCS = path.resolve(__dirname, "../../docs");
const EXAMPLES = path.join(DOCS, "examples");
const doc = fs.readFileSync(path.join(DOCS, "proof-format.md"), "utf8");
const exampleText = fs.readFileSync(path.join(EXAMPLES, "example-proof.json"), "utf8");
const example = JSON.parse(exampleText) as ProofBundle;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as {
  GET_ANCHOR: string;
  EPOCH_ANCHORED_TOPIC: string;
  jcs(v: unknown): string;
  pretty(v: unknown): string;
};

describe("docs/proof.schema.json", () => {
  it("is the schema the verifier compiles (version 2)", () => {
    expect(JSON.parse(fs.readFileSync(path.join(DOCS, "proof.schema.json"), "utf8"))).to.deep.equal(
      JSON.parse(JSON.stringify(PROOF_BUNDLE_SCHEMA_V2)),
    );
  });
});

describe("docs/proof-format.md", () => {
  it("specifies version 2 and says version 1 bundles are refused, as the verifier does", () => {
    expect(doc).to.include(`\`mediaType\` is \`${PROOF_MEDIA_TYPE_V2}\``);
    expect(doc).to.include("**Version 1 bundles are refused**");
    const v1 = verifyProofOffline(exampleText.replace(PROOF_MEDIA_TYPE_V2, PROOF_MEDIA_TYPE_V1));
    expect([v1.verdict, v1.steps.at(-1)?.step, v1.steps.at(-1)?.code]).to.deep.equal([
      "FAIL",
      "schema",
      "PROOF_SCHEMA_INVALID",
    ]);
  });

  it("names every field of the schema, its anchor and its checkpoint in the first column of a table", () => {
    const anchor = Object.keys(PROOF_BUNDLE_SCHEMA_V2.properties.anchor.properties);
    const checkpoint = Object.keys(PROOF_BUNDLE_SCHEMA_V2.properties.checkpoint.properties);
    for (const f of [...Object.keys(PROOF_BUNDLE_SCHEMA_V2.properties), ...anchor, ...checkpoint])
      expect(doc, f).to.match(new RegExp("\\n\\| [^|\\n]*`" + f + "`"));
  });

  it("lists every verdict with its exit code", () => {
    for (const [verdict, exit] of [
      ["PASS", 0],
      ["UNPINNED", 6],
      ["FAIL", 1],
      ["FAIL", 2],
      ["UNREACHABLE", 3],
      ["NOT-FINAL", 75],
      ["OFFLINE-OK", 0],
    ] as const) {
      expect(doc, verdict).to.include(`| ${verdict} | ${exit} |`);
    }
  });
});

describe("docs/proof-format.md worked example", () => {
  it("is a bundle that passes every offline step, in its file form", () => {
    const r = verifyProofOffline(exampleText);
    expect(r.verdict, JSON.stringify(r.steps)).to.equal("OFFLINE-OK");
    expect(r.steps.map((s) => s.step)).to.include("checkpoint");
    expect(exampleText).to.equal(bundleFileText(example));
    expect(standalone.pretty(example) + "\n").to.equal(exampleText);
  });

  it("is pinned by the example trust profile of the same run", () => {
    const pin = pinFromProfile(
      trustProfileFromJSON(fs.readFileSync(path.join(EXAMPLES, "example-trust.json"), "utf8")),
    );
    const r = verifyProofOffline(exampleText, { pin });
    expect(r.verdict, JSON.stringify(r.steps)).to.equal("OFFLINE-OK");
    expect(r.trust!.check.unpinned).to.deep.equal([]);
    expect(r.trust!.check.problems).to.deep.equal([]);
    expect(doc).to.include(pin.genesisHash!);
  });

  it("quotes the canonical record, call data, selectors, log topics and checkpoint message that the code computes", () => {
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
    expect(doc).to.include(
      "```text\n" +
        encodeVerifyInclusion(
          example.anchor.ledgerId,
          example.epoch,
          example.leafHash,
          example.leafIndex,
          example.auditPath,
        ) +
        "\n```",
    );
    expect(doc).to.include(`data: ${selectorOf(GET_ANCHOR_SIGNATURE)} ‖ ledgerId`);
    expect(doc).to.include(`\`${selectorOf(VERIFY_INCLUSION_SIGNATURE)} ‖ ledgerId`);
    // The version 2 event: the anchorer is indexed, so the log has 4 topics, topic 3 the anchorer.
    expect(EPOCH_ANCHORED_SIGNATURE).to.equal("EpochAnchored(bytes32,uint64,address,bytes32,uint64,uint64)");
    expect(doc).to.include(`\`${keccakHex(EPOCH_ANCHORED_SIGNATURE)}\` =\nkeccak-256(\`${EPOCH_ANCHORED_SIGNATURE}\`)`);
    expect(doc).to.include("**4\ntopics**");
    expect(doc).to.include(`→ \`${addressWord(example.anchor.anchorer)}\``);
    expect(doc).to.include(`\`${example.anchor.anchorer.toLowerCase()}\``);
    // The checkpoint: the exact message, and the key id.
    expect(doc).to.include(
      "```text\n" + Buffer.from(checkpointMessage(checkpointOfBundle(example))).toString("utf8") + "\n```",
    );
    expect(doc).to.include(`→ \`${example.checkpoint.keyId}\``);
    // The genesis call of the chain id step.
    expect(doc).to.include("| `eth_getBlockByNumber` (genesis, when pinned) | `0x0`, `false`");
  });

  it("quotes the selector and the version 2 topic that the standalone script hard-codes", () => {
    expect([standalone.GET_ANCHOR, standalone.EPOCH_ANCHORED_TOPIC]).to.deep.equal([
      selectorOf(GET_ANCHOR_SIGNATURE),
      keccakHex(EPOCH_ANCHORED_SIGNATURE),
    ]);
  });

  it("has shell one-liners that print, as written, what the doc says", function () {
    const missing = missingTools(["bash", "jq", "xxd", "sha256sum", "cmp", "base64"]);
    if (missing.length) {
      console.log(`      SKIPPED: ${missing.join(", ")} not installed (.ci/run installs jq and xxd)`);
      this.skip();
    }
    const lines = oneLiners(doc, "## 8. Worked example");
    expect(lines.length).to.be.greaterThanOrEqual(10);
    const openssl = opensslEd25519();
    for (const line of lines) {
      if (line.cmd.includes("openssl") && !openssl) {
        console.log(
          "      SKIPPED the checkpoint signature one-liner: this openssl cannot verify Ed25519 over raw input (needs OpenSSL 3.0+)",
        );
        continue;
      }
      expectOneLiner(line, EXAMPLES);
    }
  });

  it("has a checkpoint one-liner that fails when the bundle's root is changed", function () {
    if (missingTools(["bash", "jq", "base64", "openssl"]).length || !opensslEd25519()) this.skip();
    const line = oneLiners(doc, "## 8. Worked example").find((l) => l.cmd.includes("openssl"))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "proof-doc-"));
    try {
      fs.writeFileSync(path.join(dir, "example-proof.json"), exampleText.replace(example.root, "0x" + "00".repeat(32)));
      expect(() => expectOneLiner(line, dir)).to.throw();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
