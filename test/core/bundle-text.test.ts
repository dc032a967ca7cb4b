/**
 * The byte forms of a bundle file (docs/proof-format.md §2): only the file form and the compact
 * form pass the canonical form step, whatever else the JSON parser would accept.
 */
import { expect } from "chai";
import fs from "node:fs";
import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import path from "node:path";
import {
  PROOF_MEDIA_TYPE_V2,
  ProofBundle,
  base64urlEncode,
  checkpointMessage,
  keyIdOfSpki,
  bundleCompactText,
  bundleFileText,
  bundleForms,
  canonicalString,
  checkBundle,
  isCoreError,
  recordLeafHash,
  rfc9162,
  rootFromInclusionProof,
  fromHex,
  toChecksumAddress,
  toHex,
  verifyProofOffline,
} from "../../src/core";
import { nodeHasher } from "../../src/crypto/node-hasher";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as {
  jcs(v: unknown): string;
  pretty(v: unknown): string;
};

// A fixed Ed25519 test key (PKCS #8 DER: the RFC 8410 header and a 32-byte seed) to sign checkpoints.
const TEST_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, 7)]),
  format: "der",
  type: "pkcs8",
});
const TEST_SPKI = createPublicKey(TEST_KEY).export({ type: "spki", format: "der" }).toString("base64");

/** The bundle with its checkpoint signed by the test key over its tree head as it now stands. */
function signed(b: ProofBundle): ProofBundle {
  const keyId = keyIdOfSpki(TEST_SPKI)!;
  const head = {
    ledger: b.anchor.ledgerName,
    epoch: b.epoch,
    firstSeq: b.anchor.firstSeq,
    treeSize: b.treeSize,
    root: b.root,
    keyId,
  };
  return {
    ...b,
    checkpoint: {
      keyId,
      publicKey: TEST_SPKI,
      signature: base64urlEncode(new Uint8Array(sign(null, checkpointMessage(head), TEST_KEY))),
    },
  };
}

const exampleText = fs.readFileSync(path.resolve(__dirname, "../../docs/examples/example-proof.json"), "utf8");
const example = JSON.parse(exampleText);
// The published example, or (while docs/examples still holds a version 1 bundle) the same bundle as
// version 2: the development anchorer's account and a checkpoint signed by the test key.
const v2 = example.mediaType === PROOF_MEDIA_TYPE_V2;
const bundle: ProofBundle = v2
  ? example
  : signed({
      ...example,
      mediaType: PROOF_MEDIA_TYPE_V2,
      anchor: { ...example.anchor, anchorer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" },
    });
const text = v2 ? exampleText : bundleFileText(bundle);
const failedStep = (t: string) => verifyProofOffline(t).steps.find((s) => !s.ok);

/** The example with its record's event data replaced, leaf hash and root recomputed and the checkpoint signed again: a bundle that passes offline. */
function withData(extra: Record<string, unknown>): ProofBundle {
  const b = JSON.parse(text) as ProofBundle;
  Object.assign(b.record.event.data, extra);
  const leaf = recordLeafHash(b.record);
  b.leafHash = toHex(leaf);
  b.root = toHex(rootFromInclusionProof(rfc9162, b.leafIndex, b.treeSize, leaf, b.auditPath.map(fromHex)));
  return signed(b);
}

const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)]);

describe("bundle byte forms", () => {
  describe("when the text is the file form or the compact form", () => {
    it("passes, and both forms parse to the same bundle", () => {
      expect(bundleFileText(bundle)).to.equal(text);
      for (const t of [text, bundleCompactText(bundle), bundleCompactText(bundle) + "\n"])
        expect(verifyProofOffline(t).verdict).to.equal("OFFLINE-OK");
      expect(bundleCompactText(bundle)).to.equal(canonicalString(bundle));
    });
  });
  describe("when the same content is written another way", () => {
    it("fails the canonical form step, naming the line", () => {
      const { mediaType, ...rest } = bundle;
      const mediaTypeFirst = { mediaType, ...rest };
      const variants = [
        text.replace(/\n/g, "\r\n"),
        text.trimEnd(),
        text + "\n",
        text.replace('"epoch": 0,\n  "leafHash"', '"epoch": 0,\n  "epoch": 0,\n  "leafHash"'), // duplicate member
        text.replace('"value": 61.5', '"value": 61.50'),
        text.replace('"site": "DE01"', '"site": "\\u0044E01"'),
        JSON.stringify(mediaTypeFirst, null, 2) + "\n", // not in RFC 8785 member order
        JSON.stringify(mediaTypeFirst),
      ];
      for (const v of variants) {
        expect(failedStep(v), JSON.stringify(v.slice(0, 40))).to.deep.include({
          step: "canonical form",
          code: "PROOF_CANONICAL_MISMATCH",
        });
      }
      expect(failedStep(text.replace('"epoch": 0,\n  "leafHash"', '"epoch":  0,\n  "leafHash"'))!.detail).to.match(
        /at line \d+/,
      );
    });
    it("sorts integer-like member names as strings, as RFC 8785 does (not as JavaScript orders them)", () => {
      expect(bundleFileText({ b: { "10": 1, "2": 2, a: 3 } })).to.equal(
        '{\n  "b": {\n    "10": 1,\n    "2": 2,\n    "a": 3\n  }\n}\n',
      );
    });
  });
  describe("when the record is written another way inside an otherwise canonical file", () => {
    it("fails the canonical form step for every byte-level variant of the file and compact forms", () => {
      const compact = bundleCompactText(bundle);
      const variants = [
        text.replace('"value": 61.5', '"value":61.5'),
        text.replace('"value": 61.5', '"value": 61.5 '),
        text.replace('"high": 65,\n        "low": 55,', '"low": 55,\n        "high": 65,'), // member order inside the event
        text
          .replace(
            '"recordVersion": "gxp-ledger.record/1",\n    "salt"',
            '"salt": "' + bundle.record.salt + '",\n    "recordVersion": "gxp-ledger.record/1",\n    "salt"',
          )
          .replace(/,\n {4}"salt": "0x[0-9a-f]+",\n {4}"seq"/, ',\n    "seq"'),
        text.replace('"unit": "degC"', '"unit": "deg\\u0043"'),
        text.replace('"source": "urn:mes', '"source": "urn\\u003ames'),
        text.replace('\n    "event": {', '\n\t"event": {'),
        text.replace(/^ {2}"anchor"/m, '   "anchor"'),
        text.replace(/\n$/, "\r\n"),
        text + " ",
        compact.replace('"value":61.5', '"value": 61.5'),
        compact.replace('"value":61.5', '"value":6.15e1'),
        compact + "\r\n",
        compact + "\n\n",
        " " + compact,
        compact.replace(/^\{/, "{\n"),
      ];
      for (const v of variants) {
        expect(v, "the variant changes the text").to.not.equal(text);
        expect(JSON.parse(v.replace(/^\ufeff/, "")), "the variant is the same content").to.deep.equal(bundle);
        expect(failedStep(v), JSON.stringify(v.slice(0, 40))).to.deep.include({
          step: "canonical form",
          code: "PROOF_CANONICAL_MISMATCH",
        });
      }
      expect(failedStep("\ufeff" + text), "a byte order mark is not JSON").to.deep.include({
        step: "schema",
        code: "PROOF_SCHEMA_INVALID",
      });
    });
    it("names the first differing line of the file form", () => {
      const at = text.indexOf('"value": 61.5');
      const line = text.slice(0, at).split("\n").length;
      expect(failedStep(text.replace('"value": 61.5', '"value":61.5'))!.detail).to.include(`at line ${line} `);
    });
  });
  describe("when a member is added or an element changed", () => {
    it("fails the step that owns it, with the same code as before the fast path", () => {
      const extraTop = bundleFileText({ ...bundle, extra: 1 });
      const extraRecord = bundleFileText({ ...bundle, record: { ...bundle.record, extra: 1 } });
      const extraEvent = bundleFileText({
        ...bundle,
        record: { ...bundle.record, event: { ...bundle.record.event, extra: 1 } },
      });
      const extraData = bundleFileText({
        ...bundle,
        record: {
          ...bundle.record,
          event: { ...bundle.record.event, data: { ...bundle.record.event.data, extra: 1 } },
        },
      });
      const path = bundleFileText({ ...bundle, auditPath: [bundle.auditPath[1], bundle.auditPath[0]] });
      expect(failedStep(extraTop)).to.deep.include({ step: "schema", code: "PROOF_SCHEMA_INVALID" });
      expect(failedStep(extraRecord)).to.deep.include({ step: "schema", code: "PROOF_SCHEMA_INVALID" });
      // The event is not held to the current event schema (test/core/bundle-check.test.ts): a member
      // added to it is a changed record, which the leaf hash refuses.
      expect(failedStep(extraEvent)).to.deep.include({ step: "leaf hash", code: "PROOF_LEAF_MISMATCH" });
      expect(failedStep(extraData)).to.deep.include({ step: "leaf hash", code: "PROOF_LEAF_MISMATCH" });
      expect(failedStep(path)).to.deep.include({ step: "audit path", code: "PROOF_ROOT_MISMATCH" });
    });
  });
  describe("when the event holds a lone surrogate, a number out of range or a deep value", () => {
    it("fails the schema step (the event has no RFC 8785 form)", () => {
      for (const t of [
        text.replace('"unit": "degC"', '"unit": "deg\\ud800"'),
        text.replace('"value": 61.5', '"value": 1e400'),
      ]) {
        expect(failedStep(t)).to.deep.include({ step: "schema", code: "PROOF_SCHEMA_INVALID" });
      }
    });
  });
  describe("when the event holds a surrogate pair or a value nested 60 deep (the checked path)", () => {
    it("passes in file and compact form, with the leaf hash of the record's RFC 8785 form", () => {
      for (const b of [withData({ note: "\ud83d\ude00 ok" }), withData({ deep: nested(60) })]) {
        expect(bundleForms(b), "left to the checked path").to.equal(undefined);
        for (const t of [bundleFileText(b), bundleCompactText(b), bundleCompactText(b) + "\n"]) {
          const r = verifyProofOffline(t, nodeHasher);
          expect(r.verdict, JSON.stringify(r.steps)).to.equal("OFFLINE-OK");
        }
        expect(failedStep(bundleFileText(b).replace('": ', '":'))).to.deep.include({
          step: "canonical form",
          code: "PROOF_CANONICAL_MISMATCH",
        });
        expect(bundleFileText(b)).to.equal(standalone.pretty(b) + "\n");
      }
    });
  });
  describe("when the contract or anchoring account address is not in EIP-55 form", () => {
    it("fails the canonical form step", () => {
      const lower = { ...bundle, anchor: { ...bundle.anchor, contract: bundle.anchor.contract.toLowerCase() } };
      expect(failedStep(bundleFileText(lower))).to.deep.include({ step: "canonical form" });
      const anchorer = { ...bundle, anchor: { ...bundle.anchor, anchorer: bundle.anchor.anchorer.toLowerCase() } };
      expect(failedStep(bundleFileText(anchorer))).to.deep.include({
        step: "canonical form",
        code: "PROOF_CANONICAL_MISMATCH",
      });
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

describe("bundleForms", () => {
  const plain: unknown[] = [
    bundle,
    { b: { "10": 1, "2": 2, a: 3 }, record: { z: [], y: {}, x: [[], [{}]], w: "" } },
    { record: { n: [0, -0, 1e21, 1e-7, -1.5, 2 ** 53, 5e-324, 123456789.125] } },
    { record: { s: ["\u2028\u2029", '\u0000\u001f"\\/', "é€", "\u007f", "a\tb\nc"], t: true, f: false, z: null } },
    { "": 1, "\u00e9": 2, e: 3, E: 4, record: null },
    [1, { b: 2, a: [3] }],
    "top",
    42,
  ];
  describe("when the value is plain JSON data", () => {
    it("gives the file form, the compact form and the record's RFC 8785 text of the reference verifier", () => {
      for (const v of plain) {
        const f = bundleForms(v)!;
        expect(f, JSON.stringify(v)).to.not.equal(undefined);
        expect(f.file).to.equal(standalone.pretty(v) + "\n");
        expect(f.compact).to.equal(standalone.jcs(v)).and.to.equal(canonicalString(v));
        const rec = (v as { record?: unknown } | null)?.record;
        expect(f.record).to.equal(
          v !== null && typeof v === "object" && !Array.isArray(v) && "record" in v ? canonicalString(rec) : undefined,
        );
      }
    });
    it("gives the record text whose leaf hash is the record's", () => {
      expect(bundleForms(bundle)!.record).to.equal(canonicalString(bundle.record));
      expect(toHex(nodeHasher.hashLeafText!(bundleForms(bundle)!.record!))).to.equal(bundle.leafHash);
    });
  });
  describe("when the record nests as deep as the canonical form allows, counted from the record", () => {
    it("verifies the file form, and names the compact form's refusal in the canonical form step", () => {
      const b = withData({ deep: nested(61) }); // 63 levels under the record, 64 under the bundle
      const file = bundleFileText(b);
      expect(verifyProofOffline(file).verdict).to.equal("OFFLINE-OK");
      const compact = standalone.jcs(b);
      expect(JSON.parse(compact)).to.deep.equal(b);
      const failed = failedStep(compact);
      expect(failed).to.deep.include({ step: "canonical form", code: "PROOF_CANONICAL_MISMATCH" });
      expect(failed!.detail).to.match(/no RFC 8785 form.*deeper than 64/);
    });
  });
  describe("when the value holds anything else", () => {
    it("returns undefined, and bundleFileText gives or refuses what the checked path does", () => {
      const odd: [unknown, string | undefined][] = [
        [{ record: { s: "\ud83d\ude00" } }, '{\n  "record": {\n    "s": "\ud83d\ude00"\n  }\n}\n'],
        [{ a: nested(62) }, undefined],
        [{ "\ud83d\ude00": 1 }, '{\n  "\ud83d\ude00": 1\n}\n'],
        [{ s: "\ud800" }, "EVENT_NOT_CANONICALISABLE"],
        [{ n: NaN }, "EVENT_NOT_CANONICALISABLE"],
        [{ n: Infinity }, "EVENT_NOT_CANONICALISABLE"],
        [{ u: undefined }, "EVENT_NOT_CANONICALISABLE"],
        [{ a: [1, undefined] }, "EVENT_NOT_CANONICALISABLE"],
        [{ f: () => 1 }, "EVENT_NOT_CANONICALISABLE"],
        [{ b: 1n }, "EVENT_NOT_CANONICALISABLE"],
        [{ d: new Date(0) }, '{\n  "d": {}\n}\n'],
      ];
      for (const [v, want] of odd) {
        expect(bundleForms(v), String(want)).to.equal(undefined);
        if (want === "EVENT_NOT_CANONICALISABLE") {
          expect(() => bundleFileText(v))
            .to.throw()
            .with.property("code", want);
        } else if (want !== undefined) {
          expect(bundleFileText(v)).to.equal(want);
        } else {
          expect(bundleFileText(v)).to.equal(standalone.pretty(v) + "\n");
        }
      }
    });
  });
});
