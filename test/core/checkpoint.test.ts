/**
 * Epoch checkpoints (src/core/proof/checkpoint.ts): the exact bytes signed, Ed25519 checked with
 * @noble/curves against signatures made by node:crypto, the key id, and every way a checkpoint
 * signature must fail.
 */
import { expect } from "chai";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  CHECKPOINT_LABEL,
  Checkpoint,
  CheckpointSignature,
  ProofBundle,
  base64Decode,
  base64Encode,
  checkpointMessage,
  checkpointOfBundle,
  checkpointSignatureProblem,
  ed25519RawOfSpki,
  ed25519Verify,
  keyIdOfSpki,
  spkiOfEd25519Raw,
} from "../../src/core";

const keys = generateKeyPairSync("ed25519");
const spkiDer = keys.publicKey.export({ type: "spki", format: "der" });
const spki = spkiDer.toString("base64");
const keyId = createHash("sha256").update(spkiDer).digest("hex");

const head = (over: Partial<Checkpoint> = {}): Checkpoint => ({
  ledger: "DE01",
  epoch: 7,
  firstSeq: 700,
  treeSize: 100,
  root: "0x" + "ab".repeat(32),
  keyId,
  ...over,
});

function signed(c: Checkpoint, privateKey = keys.privateKey): CheckpointSignature {
  return {
    keyId: c.keyId,
    publicKey: spki,
    signature: sign(null, checkpointMessage(c), privateKey).toString("base64url"),
  };
}

/** The signature with one bit of one byte flipped. */
function flipBit(sigB64url: string, byte: number, bit: number): string {
  const b = Buffer.from(sigB64url, "base64url");
  b[byte] ^= 1 << bit;
  return b.toString("base64url");
}

describe("checkpointMessage", () => {
  it("is the label and the RFC 8785 tree head, byte for byte (known answer)", () => {
    const msg = checkpointMessage({
      ledger: "DE01",
      epoch: 7,
      firstSeq: 700,
      treeSize: 100,
      root: "0x" + "ab".repeat(32),
      keyId: "0f".repeat(32),
    });
    expect(Buffer.from(msg).toString("utf8")).to.equal(
      'gxp-ledger checkpoint v1\n{"epoch":7,"firstSeq":700,"keyId":"' +
        "0f".repeat(32) +
        '","ledger":"DE01","root":"0x' +
        "ab".repeat(32) +
        '","treeSize":100}',
    );
    expect(CHECKPOINT_LABEL).to.equal("gxp-ledger checkpoint v1\n");
  });

  it("is the message of the published example bundle (docs/proof-format.md §8)", () => {
    const b = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, "../../docs/examples/example-proof.json"), "utf8"),
    ) as ProofBundle;
    const msg = Buffer.from(checkpointMessage(checkpointOfBundle(b))).toString("utf8");
    expect(msg).to.equal(
      'gxp-ledger checkpoint v1\n{"epoch":0,"firstSeq":0,"keyId":"a97a3f8a5b66f161db45b15c802ae2347f22813160aeca13c1f0eb420d811c05","ledger":"default","root":"0x1c01ab448fb9c820d7aec498f6bb70de936910ce01de70d91deb910af23573d0","treeSize":4}',
    );
    expect(checkpointSignatureProblem(checkpointOfBundle(b), b.checkpoint)).to.equal(undefined);
  });

  it("ignores members other than the six signed ones and their order", () => {
    const c = head();
    const shuffled = {
      treeSize: c.treeSize,
      root: c.root,
      keyId: c.keyId,
      ledger: c.ledger,
      firstSeq: c.firstSeq,
      epoch: c.epoch,
      extra: "x",
    } as unknown as Checkpoint;
    expect(Buffer.from(checkpointMessage(shuffled)).equals(Buffer.from(checkpointMessage(c)))).to.equal(true);
  });

  it("differs for every signed member", () => {
    const base = Buffer.from(checkpointMessage(head()));
    const changes: Partial<Checkpoint>[] = [
      { ledger: "DE02" },
      { epoch: 8 },
      { firstSeq: 701 },
      { treeSize: 101 },
      { root: "0x" + "ac".repeat(32) },
      { keyId: "00".repeat(32) },
    ];
    for (const ch of changes)
      expect(Buffer.from(checkpointMessage(head(ch))).equals(base), JSON.stringify(ch)).to.equal(false);
  });
});

describe("checkpointSignatureProblem", () => {
  describe("when node:crypto signed the tree head with the named key", () => {
    it("finds no problem", () => {
      const c = head();
      expect(checkpointSignatureProblem(c, signed(c))).to.equal(undefined);
    });

    it("accepts the key as PEM too", () => {
      const c = head();
      const pem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
      expect(checkpointSignatureProblem(c, { ...signed(c), publicKey: pem })).to.equal(undefined);
    });
  });

  describe("when the key id is not the id of the key given", () => {
    it("names the key id", () => {
      const c = head({ keyId: "11".repeat(32) });
      const s = { ...signed(c), keyId: "11".repeat(32) };
      expect(checkpointSignatureProblem(c, s)).to.match(/is not the id of the key given/);
    });
  });

  describe("when the checkpoint names another key than the signature", () => {
    it("is a problem even though the signature is good", () => {
      const c = head();
      const s = signed(c);
      expect(checkpointSignatureProblem({ ...c, keyId: "22".repeat(32) }, s)).to.match(/names key/);
    });
  });

  describe("when another key signed", () => {
    it("does not verify", () => {
      const other = generateKeyPairSync("ed25519");
      const c = head();
      expect(checkpointSignatureProblem(c, signed(c, other.privateKey))).to.match(/does not verify/);
    });
  });

  describe("when one bit is flipped", () => {
    it("does not verify for a bit of the signature, in R and in S", () => {
      const c = head();
      const s = signed(c);
      for (const [byte, bit] of [
        [0, 0],
        [17, 5],
        [40, 3],
        [63, 0],
      ]) {
        expect(
          checkpointSignatureProblem(c, { ...s, signature: flipBit(s.signature, byte, bit) }),
          `byte ${byte} bit ${bit}`,
        ).to.be.a("string");
      }
    });

    it("does not verify for a bit of the root, or another size or first seq", () => {
      const c = head();
      const s = signed(c);
      expect(checkpointSignatureProblem({ ...c, root: "0x" + "ab".repeat(31) + "aa" }, s)).to.match(/does not verify/);
      expect(checkpointSignatureProblem({ ...c, treeSize: 101 }, s)).to.match(/does not verify/);
      expect(checkpointSignatureProblem({ ...c, firstSeq: 699 }, s)).to.match(/does not verify/);
    });
  });

  describe("when the key or the signature is malformed", () => {
    it("names the key that is not Ed25519", () => {
      const x = generateKeyPairSync("x25519").publicKey.export({ type: "spki", format: "der" }).toString("base64");
      const c = head();
      expect(checkpointSignatureProblem(c, { ...signed(c), publicKey: x })).to.match(/not an Ed25519/);
    });

    it("names a signature that is not 64 bytes", () => {
      const c = head();
      const s = signed(c);
      expect(checkpointSignatureProblem(c, { ...s, signature: s.signature.slice(0, 80) })).to.match(/64 bytes/);
    });
  });
});

describe("keyIdOfSpki", () => {
  it("is the SHA-256 of the SubjectPublicKeyInfo DER, from base64 or PEM", () => {
    expect(keyIdOfSpki(spki)).to.equal(keyId);
    expect(keyIdOfSpki(keys.publicKey.export({ type: "spki", format: "pem" }).toString())).to.equal(keyId);
  });

  it("is undefined for a key that is not Ed25519 and for text that is not base64", () => {
    expect(
      keyIdOfSpki(generateKeyPairSync("x25519").publicKey.export({ type: "spki", format: "der" }).toString("base64")),
    ).to.equal(undefined);
    expect(keyIdOfSpki("not a key")).to.equal(undefined);
  });

  it("round-trips through the raw key", () => {
    const raw = ed25519RawOfSpki(spki)!;
    expect(raw.length).to.equal(32);
    expect(spkiOfEd25519Raw(raw)).to.equal(spki);
  });
});

describe("base64Encode and base64Decode", () => {
  it("agree with Buffer for every length mod 3", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 44, 64]) {
      const b = createHash("sha512").update(String(n)).digest().subarray(0, n);
      expect(base64Encode(b)).to.equal(Buffer.from(b).toString("base64"));
      expect(Buffer.from(base64Decode(base64Encode(b))!).equals(Buffer.from(b))).to.equal(true);
    }
  });

  it("refuse text that is not canonical padded base64", () => {
    for (const t of ["QQ", "QR==", "QQ=", "Q Q==", "QQ==QQ==", "-_8="]) expect(base64Decode(t), t).to.equal(undefined);
  });
});

describe("ed25519Verify", () => {
  it("is true for a node:crypto signature and false after a flipped bit", () => {
    const msg = Buffer.from("any statement");
    const sig = sign(null, msg, keys.privateKey).toString("base64url");
    expect(ed25519Verify(spki, msg, sig)).to.equal(true);
    expect(ed25519Verify(spki, msg, flipBit(sig, 10, 1))).to.equal(false);
    expect(ed25519Verify(spki, Buffer.from("any statemenu"), sig)).to.equal(false);
  });
});
