import { expect } from "chai";
import { createHash, generateKeyPairSync, KeyObject, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import {
  RECEIPT_MEDIA_TYPE_V2,
  ReceiptEntry,
  ReceiptV1,
  ReceiptV2,
  base64urlDecode,
  base64urlEncode,
  buildReceiptTree,
  isCoreError,
  receiptGroupMessage,
  receiptGroupRef,
  receiptLeafBytes,
  rfc9162,
  toHex,
  verifyReceiptWith,
} from "../../src/core";
import { referencePath, referenceRoot } from "../helpers/merkle-reference";

const keys = generateKeyPairSync("ed25519");
const keyId = createHash("sha256")
  .update(keys.publicKey.export({ type: "spki", format: "der" }))
  .digest("hex");
const check = (pub: KeyObject) => (message: Uint8Array, signature: Uint8Array) => verify(null, message, pub, signature);

function entries(n: number, from = 100): ReceiptEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `evt-${from + i}`,
    seq: from + i,
    leafHash: toHex(
      createHash("sha256")
        .update(`record ${from + i}`)
        .digest(),
    ),
    receivedAt: `2026-11-26T10:00:00.${String(i % 1000).padStart(3, "0")}Z`,
  }));
}

/** The receipts of one commit group, signed once, as the ingestor issues them. */
function group(n: number, ledger = "DE01", anchorBy = "2026-11-26T10:21:00.000Z"): ReceiptV2[] {
  const es = entries(n);
  const tree = buildReceiptTree(es);
  const signature = sign(
    null,
    receiptGroupMessage({ ledger, keyId, anchorBy, size: n, root: tree.root }),
    keys.privateKey,
  ).toString("base64url");
  return es.map((e, i) => ({
    mediaType: RECEIPT_MEDIA_TYPE_V2,
    ...e,
    anchorBy,
    ledger,
    keyId,
    group: receiptGroupRef(tree, i),
    signature,
  }));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isCoreError(e), String(e)).to.equal(true);
    return (e as { code: string }).code;
  }
  return "verified";
}

const verifies = (r: unknown) => codeOf(() => verifyReceiptWith(r, keyId, check(keys.publicKey)));
const flipHex = (h: string) => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");

describe("verifyReceiptWith", () => {
  describe("when the receipt is version 2", () => {
    it("verifies every receipt of groups of 1 to 17, all under one signature", () => {
      for (let n = 1; n <= 17; n++) {
        const rs = group(n);
        expect(new Set(rs.map((r) => r.signature)).size).to.equal(1);
        for (const r of rs) expect(verifies(r), `index ${r.group.index} of ${n}`).to.equal("verified");
      }
    });
    it("signs the RFC 9162 root of the receipt leaves (checked against the spec-literal reference)", () => {
      const es = entries(7);
      const leaves = es.map((e) => rfc9162.hashLeaf(receiptLeafBytes(e)));
      const tree = buildReceiptTree(es);
      expect(tree.root).to.equal(toHex(referenceRoot(rfc9162, leaves)));
      es.forEach((_, i) =>
        expect(receiptGroupRef(tree, i).auditPath).to.deep.equal(referencePath(rfc9162, i, leaves).map(toHex)),
      );
    });
    it("hashes a domain-separated leaf and signs a domain-separated header", () => {
      const e = entries(1)[0];
      const leaf = new TextDecoder().decode(receiptLeafBytes(e));
      expect(leaf).to.equal(
        `gxp-ledger receipt leaf v2\n{"id":"${e.id}","leafHash":"${e.leafHash}","receivedAt":"${e.receivedAt}","seq":${e.seq}}`,
      );
      const msg = new TextDecoder().decode(
        receiptGroupMessage({
          ledger: "DE01",
          keyId,
          anchorBy: "2026-11-26T10:21:00.000Z",
          size: 3,
          root: "0x" + "ab".repeat(32),
        }),
      );
      expect(msg).to.equal(
        `gxp-ledger receipt group v2\n{"anchorBy":"2026-11-26T10:21:00.000Z","keyId":"${keyId}","ledger":"DE01","root":"0x${"ab".repeat(32)}","size":3}`,
      );
    });
    it("accepts the unsigned duplicate flag of a bulk reply", () => {
      expect(verifies({ ...group(3)[1], duplicate: true })).to.equal("verified");
    });

    const r = group(5)[2]; // audit path of 3 hashes
    const mutations: [string, (x: ReceiptV2) => unknown, string][] = [
      ["id", (x) => ({ ...x, id: "evt-999" }), "RECEIPT_ROOT_MISMATCH"],
      ["seq", (x) => ({ ...x, seq: x.seq + 1 }), "RECEIPT_ROOT_MISMATCH"],
      ["leafHash", (x) => ({ ...x, leafHash: flipHex(x.leafHash) }), "RECEIPT_ROOT_MISMATCH"],
      ["receivedAt", (x) => ({ ...x, receivedAt: "2026-11-25T00:00:00.000Z" }), "RECEIPT_ROOT_MISMATCH"],
      ["anchorBy", (x) => ({ ...x, anchorBy: "2026-12-31T00:00:00.000Z" }), "RECEIPT_SIGNATURE_INVALID"],
      ["ledger", (x) => ({ ...x, ledger: "DE02" }), "RECEIPT_SIGNATURE_INVALID"],
      ["keyId", (x) => ({ ...x, keyId: flipHex(x.keyId) }), "RECEIPT_KEY_MISMATCH"],
      [
        "mediaType",
        (x) => ({ ...x, mediaType: "application/vnd.gxp-ledger.receipt+json;version=3" }),
        "RECEIPT_VERSION_UNSUPPORTED",
      ],
      ["group index + 1", (x) => ({ ...x, group: { ...x.group, index: x.group.index + 1 } }), "RECEIPT_ROOT_MISMATCH"],
      ["group index - 2", (x) => ({ ...x, group: { ...x.group, index: x.group.index - 2 } }), "RECEIPT_ROOT_MISMATCH"],
      ["group index = size", (x) => ({ ...x, group: { ...x.group, index: x.group.size } }), "RECEIPT_PATH_INVALID"],
      ["group size - 1", (x) => ({ ...x, group: { ...x.group, size: x.group.size - 1 } }), "RECEIPT_PATH_INVALID"],
      // Leaf 2's path in a tree of 6 hashes like in a tree of 5: the signed size catches it.
      ["group size + 1", (x) => ({ ...x, group: { ...x.group, size: x.group.size + 1 } }), "RECEIPT_SIGNATURE_INVALID"],
      ["group root", (x) => ({ ...x, group: { ...x.group, root: flipHex(x.group.root) } }), "RECEIPT_ROOT_MISMATCH"],
      [
        "audit path element",
        (x) => ({
          ...x,
          group: { ...x.group, auditPath: x.group.auditPath.map((p, k) => (k === 1 ? flipHex(p) : p)) },
        }),
        "RECEIPT_ROOT_MISMATCH",
      ],
      [
        "audit path reversed",
        (x) => ({ ...x, group: { ...x.group, auditPath: [...x.group.auditPath].reverse() } }),
        "RECEIPT_ROOT_MISMATCH",
      ],
      [
        "audit path short",
        (x) => ({ ...x, group: { ...x.group, auditPath: x.group.auditPath.slice(1) } }),
        "RECEIPT_PATH_INVALID",
      ],
      [
        "audit path long",
        (x) => ({ ...x, group: { ...x.group, auditPath: [...x.group.auditPath, x.group.root] } }),
        "RECEIPT_PATH_INVALID",
      ],
      [
        "signature byte",
        (x) => ({
          ...x,
          signature:
            (x.signature[10] === "A" ? "B" : "A").padStart(11, x.signature.slice(0, 10)) + x.signature.slice(11),
        }),
        "RECEIPT_SIGNATURE_INVALID",
      ],
      [
        "signature of another group",
        (x) => ({ ...x, signature: group(5, "DE01", "2026-11-26T10:21:00.001Z")[2].signature }),
        "RECEIPT_SIGNATURE_INVALID",
      ],
      [
        "signature non-canonical base64url",
        (x) => ({ ...x, signature: x.signature.slice(0, 85) + (x.signature[85] === "B" ? "C" : "B") }),
        "RECEIPT_SCHEMA_INVALID",
      ],
      ["signature truncated", (x) => ({ ...x, signature: x.signature.slice(0, 80) }), "RECEIPT_SCHEMA_INVALID"],
      ["unknown field", (x) => ({ ...x, note: "x" }), "RECEIPT_SCHEMA_INVALID"],
      ["missing group", ({ group: _g, ...x }) => x, "RECEIPT_SCHEMA_INVALID"],
      ["seq as a string", (x) => ({ ...x, seq: String(x.seq) }), "RECEIPT_SCHEMA_INVALID"],
    ];
    for (const [what, mutate, code] of mutations) {
      it(`fails with ${code} when the ${what} is altered`, () => {
        expect(verifies(r)).to.equal("verified");
        expect(verifies(mutate(r))).to.equal(code);
      });
    }
    it("fails with RECEIPT_KEY_MISMATCH against another ledger's key, and RECEIPT_SIGNATURE_INVALID when that key claims our key id", () => {
      const other = generateKeyPairSync("ed25519");
      const otherId = createHash("sha256")
        .update(other.publicKey.export({ type: "spki", format: "der" }))
        .digest("hex");
      expect(codeOf(() => verifyReceiptWith(r, otherId, check(other.publicKey)))).to.equal("RECEIPT_KEY_MISMATCH");
      expect(codeOf(() => verifyReceiptWith(r, keyId, check(other.publicKey)))).to.equal("RECEIPT_SIGNATURE_INVALID");
    });
    it("fails with RECEIPT_SCHEMA_INVALID on text that is not JSON", () => {
      expect(verifies("{")).to.equal("RECEIPT_SCHEMA_INVALID");
      expect(verifies(JSON.stringify(r))).to.equal("verified");
    });
  });

  describe("when the receipt is version 1 (one signature per receipt, as issued before groups)", () => {
    // Signed as the version 1 code did: Ed25519 over the RFC 8785 form of the receipt without signature.
    const body = { ...entries(1)[0], anchorBy: "2026-11-26T10:11:00.000Z", ledger: "DE01", keyId };
    const v1: ReceiptV1 = {
      ...body,
      signature: sign(null, Buffer.from(canonicalize(body) as string), keys.privateKey).toString("base64url"),
    };
    it("verifies", () => {
      expect(verifies(v1)).to.equal("verified");
    });
    for (const [field, value] of [
      ["id", "evt-1"],
      ["seq", 7],
      ["receivedAt", "2026-11-25T00:00:00.000Z"],
      ["anchorBy", "2026-12-31T00:00:00.000Z"],
      ["ledger", "DE02"],
    ] as const) {
      it(`fails with RECEIPT_SIGNATURE_INVALID when the ${field} is altered`, () => {
        expect(verifies({ ...v1, [field]: value })).to.equal("RECEIPT_SIGNATURE_INVALID");
      });
    }
    it("fails with RECEIPT_SCHEMA_INVALID when it carries a group (a version 2 field without the media type)", () => {
      expect(verifies({ ...v1, group: group(1)[0].group })).to.equal("RECEIPT_SCHEMA_INVALID");
    });
  });
});

describe("base64urlDecode", () => {
  it("round-trips every length and refuses non-canonical or foreign text", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = base64urlEncode(bytes);
      expect(text).to.equal(Buffer.from(bytes).toString("base64url"));
      expect(Array.from(base64urlDecode(text) ?? [])).to.deep.equal(Array.from(bytes));
    }
    expect(base64urlDecode("AB")).to.equal(undefined); // trailing bits set
    expect(base64urlDecode("AA==")).to.equal(undefined);
    expect(base64urlDecode("A+/A")).to.equal(undefined);
    expect(base64urlDecode("AAAAA")).to.equal(undefined);
  });
});
