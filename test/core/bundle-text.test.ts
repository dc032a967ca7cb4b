/**
 * The byte forms of a bundle file (docs/proof-format.md §2): only the file form and the compact
 * form pass the canonical form step, whatever else the JSON parser would accept.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { bundleCompactText, bundleFileText, canonicalString, checkBundle, isCoreError, toChecksumAddress, verifyProofOffline } from "../../src/core";

const text = fs.readFileSync(path.resolve(__dirname, "../../docs/examples/example-proof.json"), "utf8");
const bundle = JSON.parse(text);
const failedStep = (t: string) => verifyProofOffline(t).steps.find((s) => !s.ok);

describe("bundle byte forms", () => {
  describe("when the text is the file form or the compact form", () => {
    it("passes, and both forms parse to the same bundle", () => {
      expect(bundleFileText(bundle)).to.equal(text);
      for (const t of [text, bundleCompactText(bundle), bundleCompactText(bundle) + "\n"]) expect(verifyProofOffline(t).verdict).to.equal("OFFLINE-OK");
      expect(bundleCompactText(bundle)).to.equal(canonicalString(bundle));
    });
  });
  describe("when the same content is written another way", () => {
    it("fails the canonical form step, naming the line", () => {
      const variants = [
        text.replace(/\n/g, "\r\n"),
        text.trimEnd(),
        text + "\n",
        text.replace('"epoch": 0,\n  "leafHash"', '"epoch": 0,\n  "epoch": 0,\n  "leafHash"'), // duplicate member
        text.replace('"value": 61.5', '"value": 61.50'),
        text.replace('"site": "DE01"', '"site": "\\u0044E01"'),
        JSON.stringify({ mediaType: bundle.mediaType, ...bundle }, null, 2) + "\n", // not in RFC 8785 member order
        JSON.stringify({ mediaType: bundle.mediaType, ...bundle }),
      ];
      for (const v of variants) {
        expect(failedStep(v), JSON.stringify(v.slice(0, 40))).to.deep.include({ step: "canonical form", code: "PROOF_CANONICAL_MISMATCH" });
      }
      expect(failedStep(text.replace('"epoch": 0,\n  "leafHash"', '"epoch":  0,\n  "leafHash"'))!.detail).to.match(/at line \d+/);
    });
    it("sorts integer-like member names as strings, as RFC 8785 does (not as JavaScript orders them)", () => {
      expect(bundleFileText({ b: { "10": 1, "2": 2, a: 3 } })).to.equal('{\n  "b": {\n    "10": 1,\n    "2": 2,\n    "a": 3\n  }\n}\n');
    });
  });
  describe("when the contract address is not in EIP-55 form", () => {
    it("fails the canonical form step", () => {
      const lower = { ...bundle, anchor: { ...bundle.anchor, contract: bundle.anchor.contract.toLowerCase() } };
      expect(failedStep(bundleFileText(lower))).to.deep.include({ step: "canonical form" });
      expect(toChecksumAddress(bundle.anchor.contract.toLowerCase())).to.equal(bundle.anchor.contract);
    });
  });
  describe("when the ledger name does not match the ledger id", () => {
    it("fails the schema step", () => {
      const other = { ...bundle, anchor: { ...bundle.anchor, ledgerName: "DE02" } };
      try {
        checkBundle(bundleFileText(other));
        expect.fail("accepted");
      } catch (e) {
        expect(isCoreError(e, "PROOF_SCHEMA_INVALID"), String(e)).to.equal(true);
        expect((e as Error).message).to.include("/anchor/ledgerId");
      }
    });
  });
});
