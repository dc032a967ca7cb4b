/**
 * docs/trust-profile.md cannot rot: the published schema is the one the code compiles, the example
 * profile is a signed profile the code accepts, the fingerprint the doc quotes is the example's, the
 * doc names every field of the schema and every trust error code, and its shell one-liners print what
 * the doc says.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import {
  TRUST_MEDIA_TYPE_V1,
  TRUST_PROFILE_LABEL,
  TRUST_PROFILE_SCHEMA_V1,
  TrustErrorCode,
  recoverTrustProfileSigner,
  trustProfileFingerprint,
  trustProfileFromJSON,
} from "../../src/core";
import { expectOneLiner, missingTools, oneLiners } from "./doc-one-liners";

const DOCS = path.resolve(__dirname, "../../docs");
const EXAMPLES = path.join(DOCS, "examples");
const doc = fs.readFileSync(path.join(DOCS, "trust-profile.md"), "utf8");
const exampleText = fs.readFileSync(path.join(EXAMPLES, "example-trust.json"), "utf8");

// Every TrustErrorCode, once: the type makes this list exactly the union (a code added to the union
// and missing here, or one here that is not in the union, fails `tsc --noEmit`).
const TRUST_CODES: Record<TrustErrorCode, true> = {
  TRUST_PROFILE_INVALID: true,
  TRUST_PROFILE_SIGNATURE_INVALID: true,
  TRUST_CHAIN_MISMATCH: true,
  TRUST_GENESIS_MISMATCH: true,
  TRUST_CONTRACT_MISMATCH: true,
  TRUST_LEDGER_MISMATCH: true,
  TRUST_ANCHORER_MISMATCH: true,
  TRUST_ANCHORER_NOT_VALID: true,
  TRUST_KEY_MISMATCH: true,
  TRUST_KEY_NOT_VALID: true,
};

/** Every member path of the schema, as the doc's field table writes it (`keys[].keyId`). */
function schemaFields(schema: { properties?: Record<string, unknown>; items?: unknown }, prefix = ""): string[] {
  const out: string[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    const s = sub as { properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } };
    const here = prefix + name;
    out.push(here);
    if (s.properties) out.push(...schemaFields(s, here + "."));
    if (s.items?.properties) out.push(...schemaFields(s.items, here + "[]."));
  }
  return out;
}

describe("docs/trust-profile.schema.json", () => {
  it("is the schema the code compiles", () => {
    expect(JSON.parse(fs.readFileSync(path.join(DOCS, "trust-profile.schema.json"), "utf8"))).to.deep.equal(
      JSON.parse(JSON.stringify(TRUST_PROFILE_SCHEMA_V1)),
    );
  });
});

describe("docs/trust-profile.md", () => {
  it("specifies version 1 and the label of what is signed and fingerprinted", () => {
    expect(doc).to.include(`\`mediaType\` is \`${TRUST_MEDIA_TYPE_V1}\``);
    expect(doc).to.include(`"${TRUST_PROFILE_LABEL.replace("\n", "\\n")}"`);
  });

  it("names every field of the schema in the first column of its field table", () => {
    const fields = schemaFields(TRUST_PROFILE_SCHEMA_V1 as never);
    expect(fields).to.include.members(["ledger.id", "anchorers[].validUntil", "keys[].publicKey", "signature.value"]);
    for (const f of fields) expect(doc, f).to.include(`\n| \`${f}\` |`);
  });

  it("lists every TrustErrorCode in its table of codes", () => {
    for (const code of Object.keys(TRUST_CODES)) expect(doc, code).to.include(`| \`${code}\` |`);
  });

  it("lists the verdicts with their exit codes", () => {
    expect(doc).to.include("| **PASS** | 0 |");
    expect(doc).to.include("| **UNPINNED** | 6 |");
    expect(doc).to.include("| **FAIL** | 1 |");
  });
});

describe("docs/trust-profile.md worked example", () => {
  const example = trustProfileFromJSON(exampleText);

  it("is a signed profile that parses, its signature verified", () => {
    expect(example.signature, "the example is signed").to.not.equal(undefined);
    expect(recoverTrustProfileSigner(example)).to.equal(example.signature!.signer);
  });

  it("is quoted in full, byte for byte", () => {
    expect(doc).to.include("```json\n" + exampleText + "```");
  });

  it("quotes the example's fingerprint, in the format section and the worked example", () => {
    const fp = trustProfileFingerprint(example);
    expect(fp).to.equal("608E 318C 5347 B7E1 43B4 ADAE FA25 718B 7F58 59DC");
    expect(doc).to.include(`For example \`${fp}\``);
    expect(doc).to.include(`→ \`${fp}\``);
    expect(doc).to.include(`fingerprint: ${fp}`);
  });

  it("has shell one-liners that print, as written, what the doc says", function () {
    const missing = missingTools(["bash", "jq", "xxd", "sha256sum", "base64", "cut", "sed"]);
    if (missing.length) {
      console.log(`      SKIPPED: ${missing.join(", ")} not installed (.ci/run installs jq and xxd)`);
      this.skip();
    }
    const lines = oneLiners(doc, "## 9. Worked example");
    expect(lines.length).to.be.greaterThanOrEqual(4);
    for (const line of lines) expectOneLiner(line, EXAMPLES);
  });
});
