/**
 * The trust profile (src/core/trust/profile.ts): validation that names every bad field at once,
 * EIP-55 addresses, key ids against keys, the ledger admin's EIP-191 signature (checked against
 * ethers), the fingerprint, and checkPin with every mismatch code, validity periods and what is
 * left unpinned.
 */
import { expect } from "chai";
import { createHash, generateKeyPairSync } from "node:crypto";
import { Wallet, hashMessage, verifyMessage } from "ethers";
import {
  ProvenanceClaim,
  TRUST_MEDIA_TYPE_V1,
  TrustError,
  TrustPin,
  TrustProfile,
  canonicalString,
  checkPin,
  eip191Hash,
  pinFromProfile,
  recoverEip191Signer,
  recoverTrustProfileSigner,
  toHex,
  trustProfileFingerprint,
  trustProfileFromJSON,
  trustProfileMessage,
} from "../../src/core";

const admin = Wallet.createRandom();
const stranger = Wallet.createRandom();

function ed25519Key() {
  const der = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" });
  return { publicKey: der.toString("base64"), keyId: createHash("sha256").update(der).digest("hex") };
}
const key1 = ed25519Key();
const key2 = ed25519Key();

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ANCHORER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER_ACCOUNT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const GENESIS = "0x" + "6d".repeat(32);

const at = (iso: string) => Date.parse(iso) / 1000;

/** A valid unsigned profile: key1 until 2026-06-01, then key2; one current anchoring account. */
function profile(): TrustProfile {
  return {
    mediaType: TRUST_MEDIA_TYPE_V1,
    organisation: "Example Pharma GmbH",
    site: "DE01",
    ledger: { name: "DE01", id: "0x4445303100000000000000000000000000000000000000000000000000000000" },
    chain: { chainId: "137", genesisHash: GENESIS },
    contract: CONTRACT,
    anchorers: [{ address: ANCHORER, validFrom: "2026-01-01T00:00:00Z", validUntil: null }],
    keys: [
      {
        keyId: key1.keyId,
        algorithm: "Ed25519",
        publicKey: key1.publicKey,
        validFrom: "2026-01-01T00:00:00Z",
        validUntil: "2026-06-01T00:00:00Z",
      },
      {
        keyId: key2.keyId,
        algorithm: "Ed25519",
        publicKey: key2.publicKey,
        validFrom: "2026-06-01T00:00:00Z",
        validUntil: null,
      },
    ],
    issuedAt: "2026-12-04T10:00:00Z",
    development: false,
  };
}

function signedBy(
  p: TrustProfile,
  wallet: { address: string; signMessageSync(m: Uint8Array): string } = admin,
  signer = wallet.address,
): TrustProfile {
  return {
    ...p,
    signature: { scheme: "EIP-191", signer, value: wallet.signMessageSync(trustProfileMessage(p)).toLowerCase() },
  };
}

/** The error a call throws (fails the test when it throws nothing). */
function thrown(f: () => unknown): TrustError {
  try {
    f();
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e;
  }
  expect.fail("expected a TrustError");
}

const paths = (e: TrustError) => (e.info.issues as { path: string }[]).map((i) => i.path);

describe("trustProfileFromJSON", () => {
  describe("when the profile is valid", () => {
    it("returns it, from an object or from JSON text", () => {
      expect(trustProfileFromJSON(profile())).to.deep.equal(profile());
      expect(trustProfileFromJSON(JSON.stringify(profile()))).to.deep.equal(profile());
    });
  });

  describe("when several fields are bad", () => {
    it("names every bad field of the schema at once", () => {
      const p = profile() as unknown as Record<string, unknown>;
      delete p.organisation;
      p.colour = "blue";
      (p.chain as Record<string, unknown>).chainId = "0x89";
      (p.keys as Record<string, unknown>[])[0].algorithm = "RSA";
      (p.anchorers as Record<string, unknown>[])[0].validFrom = "2026-01-01";
      const e = thrown(() => trustProfileFromJSON(p));
      expect(e.code).to.equal("TRUST_PROFILE_INVALID");
      expect(paths(e)).to.include.members([
        "/organisation",
        "/colour",
        "/chain/chainId",
        "/keys/0/algorithm",
        "/anchorers/0/validFrom",
      ]);
    });

    it("names every field that breaks a rule beyond the schema at once", () => {
      const p = profile();
      p.ledger.id = "0x4445303200000000000000000000000000000000000000000000000000000000";
      p.contract = CONTRACT.toLowerCase();
      p.anchorers[0].address = ANCHORER.toLowerCase();
      p.anchorers[0].validUntil = "2025-12-31T23:59:59Z";
      p.keys[1].keyId = key1.keyId;
      p.keys[0].validUntil = p.keys[0].validFrom;
      const e = thrown(() => trustProfileFromJSON(p));
      expect(e.code).to.equal("TRUST_PROFILE_INVALID");
      expect(paths(e)).to.have.members([
        "/ledger/id",
        "/contract",
        "/anchorers/0/address",
        "/anchorers/0/validUntil",
        "/keys/1/keyId",
        "/keys/0/validUntil",
      ]);
    });
  });

  describe("when the media type is not version 1", () => {
    it("refuses it at /mediaType", () => {
      for (const mediaType of ["application/vnd.gxp-ledger.trust+json;version=2", undefined]) {
        const e = thrown(() => trustProfileFromJSON({ ...profile(), mediaType }));
        expect([e.code, paths(e)]).to.deep.equal(["TRUST_PROFILE_INVALID", ["/mediaType"]]);
      }
    });
  });

  describe("when the text is not JSON", () => {
    it("is TRUST_PROFILE_INVALID", () => {
      expect(thrown(() => trustProfileFromJSON("{ not json")).code).to.equal("TRUST_PROFILE_INVALID");
    });
  });

  describe("EIP-55", () => {
    it("accepts the checksum form and refuses all-lowercase, all-uppercase and a wrongly cased letter", () => {
      const wrongCase =
        CONTRACT.slice(0, 3) +
        (CONTRACT[3] === CONTRACT[3].toUpperCase() ? CONTRACT[3].toLowerCase() : CONTRACT[3].toUpperCase()) +
        CONTRACT.slice(4);
      expect(wrongCase).to.not.equal(CONTRACT);
      for (const contract of [CONTRACT.toLowerCase(), "0x" + CONTRACT.slice(2).toUpperCase(), wrongCase]) {
        const e = thrown(() => trustProfileFromJSON({ ...profile(), contract }));
        expect([e.code, paths(e)], contract).to.deep.equal(["TRUST_PROFILE_INVALID", ["/contract"]]);
      }
      expect(trustProfileFromJSON({ ...profile(), contract: CONTRACT }).contract).to.equal(CONTRACT);
    });

    it("applies to the signer too", () => {
      const p = signedBy(profile());
      const e = thrown(() =>
        trustProfileFromJSON({ ...p, signature: { ...p.signature!, signer: admin.address.toLowerCase() } }),
      );
      expect([e.code, paths(e)]).to.deep.equal(["TRUST_PROFILE_INVALID", ["/signature/signer"]]);
    });
  });

  describe("key id against key", () => {
    it("refuses a key id that is another key's", () => {
      const p = profile();
      p.keys[0].keyId = key2.keyId;
      const e = thrown(() => trustProfileFromJSON(p));
      expect([e.code, paths(e)]).to.deep.equal(["TRUST_PROFILE_INVALID", ["/keys/0/keyId"]]);
    });

    it("refuses a 44-byte SubjectPublicKeyInfo that is not Ed25519 (X25519)", () => {
      const der = generateKeyPairSync("x25519").publicKey.export({ type: "spki", format: "der" });
      const p = profile();
      p.keys[0] = {
        ...p.keys[0],
        publicKey: der.toString("base64"),
        keyId: createHash("sha256").update(der).digest("hex"),
      };
      const e = thrown(() => trustProfileFromJSON(p));
      expect([e.code, paths(e)]).to.deep.equal(["TRUST_PROFILE_INVALID", ["/keys/0/publicKey"]]);
    });
  });

  describe("the signature", () => {
    it("accepts a profile signed by the named account", () => {
      const p = signedBy(profile());
      expect(trustProfileFromJSON(p)).to.deep.equal(p);
      expect(recoverTrustProfileSigner(p)).to.equal(admin.address);
    });

    it("is TRUST_PROFILE_SIGNATURE_INVALID when any field changed after signing", () => {
      const p = signedBy(profile());
      const tampered: TrustProfile[] = [
        { ...p, site: "DE02" },
        { ...p, contract: "0x" + "00".repeat(19) + "01" },
        {
          ...p,
          anchorers: [...p.anchorers, { address: OTHER_ACCOUNT, validFrom: "2026-01-01T00:00:00Z", validUntil: null }],
        },
        { ...p, keys: [p.keys[1]] },
        { ...p, development: true },
      ];
      for (const t of tampered)
        expect(thrown(() => trustProfileFromJSON(t)).code).to.equal("TRUST_PROFILE_SIGNATURE_INVALID");
    });

    it("is TRUST_PROFILE_SIGNATURE_INVALID when another account signed in the admin's name", () => {
      const p = signedBy(profile(), stranger, admin.address);
      const e = thrown(() => trustProfileFromJSON(p));
      expect(e.code).to.equal("TRUST_PROFILE_SIGNATURE_INVALID");
      expect(e.info.got).to.equal(stranger.address);
    });

    it("is TRUST_PROFILE_SIGNATURE_INVALID for a flipped bit or an impossible recovery byte", () => {
      const p = signedBy(profile());
      const v = p.signature!.value;
      const flipped = v.slice(0, 10) + (v[10] === "0" ? "1" : "0") + v.slice(11);
      const badV = v.slice(0, 130) + "1d";
      for (const value of [flipped, badV])
        expect(
          thrown(() => trustProfileFromJSON({ ...p, signature: { ...p.signature!, value } })).code,
          value,
        ).to.equal("TRUST_PROFILE_SIGNATURE_INVALID");
    });
  });
});

describe("eip191Hash and recoverEip191Signer", () => {
  it("agree with ethers' hashMessage and verifyMessage", () => {
    const msg = trustProfileMessage(profile());
    expect(toHex(eip191Hash(msg))).to.equal(hashMessage(msg));
    const sig = admin.signMessageSync(msg);
    expect(recoverEip191Signer(msg, sig)).to.equal(verifyMessage(msg, sig));
    expect(recoverEip191Signer(msg, sig)).to.equal(admin.address);
    expect(recoverEip191Signer(msg, "0x1234")).to.equal(undefined);
  });
});

describe("trustProfileFingerprint", () => {
  it("is the first 20 bytes of SHA-256 over the label and the RFC 8785 unsigned profile, in ten groups of four", () => {
    const p = profile();
    const want = createHash("sha256")
      .update("gxp-ledger trust profile v1\n" + canonicalString(p))
      .digest("hex")
      .slice(0, 40)
      .toUpperCase()
      .match(/.{4}/g)!
      .join(" ");
    expect(trustProfileFingerprint(p)).to.equal(want);
    expect(trustProfileFingerprint(p)).to.match(/^([0-9A-F]{4} ){9}[0-9A-F]{4}$/);
  });

  it("is unchanged by signing, changed by any other field", () => {
    const p = profile();
    expect(trustProfileFingerprint(signedBy(p))).to.equal(trustProfileFingerprint(p));
    expect(trustProfileFingerprint({ ...p, issuedAt: "2026-12-04T10:00:01Z" })).to.not.equal(
      trustProfileFingerprint(p),
    );
    expect(trustProfileFingerprint({ ...p, organisation: "Example Pharma AG" })).to.not.equal(
      trustProfileFingerprint(p),
    );
  });
});

describe("pinFromProfile", () => {
  it("pins every member and names the fingerprint as its source", () => {
    const p = profile();
    const pin = pinFromProfile(p);
    expect(pin).to.deep.include({
      organisation: p.organisation,
      site: p.site,
      chainId: "137",
      genesisHash: GENESIS,
      contract: CONTRACT,
      ledgerName: "DE01",
      anchorers: p.anchorers,
      keys: p.keys,
      development: false,
      fingerprint: trustProfileFingerprint(p),
    });
    expect(pin.source).to.equal(`trust profile ${trustProfileFingerprint(p)}`);
  });
});

describe("checkPin", () => {
  const pin = () => pinFromProfile(profile());
  const claim = (over: Partial<ProvenanceClaim> = {}): ProvenanceClaim => ({
    chainId: "137",
    contract: CONTRACT,
    ledgerName: "DE01",
    anchorer: ANCHORER,
    keyId: key2.keyId,
    at: at("2026-07-01T00:00:00Z"),
    ...over,
  });
  const codes = (pinned: TrustPin | undefined, c: ProvenanceClaim) => checkPin(pinned, c).problems.map((p) => p.code);

  describe("when the claim is the pinned ledger's", () => {
    it("finds no problem, leaves nothing unpinned, and lists what matched", () => {
      const r = checkPin(pin(), claim());
      expect(r.problems).to.deep.equal([]);
      expect(r.unpinned).to.deep.equal([]);
      expect(r.matched).to.have.length(5);
    });

    it("compares the contract and the anchoring account without regard to case", () => {
      expect(codes(pin(), claim({ contract: CONTRACT.toLowerCase(), anchorer: ANCHORER.toLowerCase() }))).to.deep.equal(
        [],
      );
    });
  });

  describe("when one pinned value differs", () => {
    const cases: [string, string, Partial<ProvenanceClaim>][] = [
      ["TRUST_CHAIN_MISMATCH", "another chain id", { chainId: "1" }],
      ["TRUST_CONTRACT_MISMATCH", "a look-alike contract", { contract: "0x" + "00".repeat(19) + "01" }],
      ["TRUST_LEDGER_MISMATCH", "another ledger in the contract", { ledgerName: "DE01-shadow" }],
      ["TRUST_ANCHORER_MISMATCH", "an account that is not listed", { anchorer: OTHER_ACCOUNT }],
      ["TRUST_ANCHORER_MISMATCH", "a proof that names no anchoring account", { anchorer: undefined }],
      ["TRUST_KEY_MISMATCH", "a key that is not listed", { keyId: ed25519Key().keyId }],
      ["TRUST_KEY_MISMATCH", "a proof without a ledger signature", { keyId: undefined }],
      ["TRUST_KEY_NOT_VALID", "a listed key after its rotation", { keyId: key1.keyId }],
    ];
    for (const [code, what, over] of cases) {
      it(`is ${code} for ${what}`, () => {
        expect(codes(pin(), claim(over))).to.deep.equal([code]);
      });
    }

    it("is TRUST_ANCHORER_NOT_VALID for a listed account outside its period", () => {
      const p = profile();
      p.anchorers[0].validFrom = "2026-08-01T00:00:00Z";
      expect(codes(pinFromProfile(p), claim())).to.deep.equal(["TRUST_ANCHORER_NOT_VALID"]);
    });

    it("names every difference at once", () => {
      expect(
        codes(
          pin(),
          claim({
            chainId: "1",
            contract: "0x" + "00".repeat(19) + "01",
            ledgerName: "X",
            anchorer: OTHER_ACCOUNT,
            keyId: ed25519Key().keyId,
          }),
        ),
      ).to.deep.equal([
        "TRUST_CHAIN_MISMATCH",
        "TRUST_CONTRACT_MISMATCH",
        "TRUST_LEDGER_MISMATCH",
        "TRUST_ANCHORER_MISMATCH",
        "TRUST_KEY_MISMATCH",
      ]);
    });
  });

  describe("validity periods", () => {
    it("accepts a key from its validFrom, inclusive", () => {
      expect(codes(pin(), claim({ keyId: key2.keyId, at: at("2026-06-01T00:00:00Z") }))).to.deep.equal([]);
      expect(codes(pin(), claim({ keyId: key1.keyId, at: at("2026-01-01T00:00:00Z") }))).to.deep.equal([]);
    });

    it("refuses a key before its validFrom", () => {
      expect(codes(pin(), claim({ keyId: key2.keyId, at: at("2026-05-31T23:59:59Z") }))).to.deep.equal([
        "TRUST_KEY_NOT_VALID",
      ]);
    });

    it("refuses a rotated key from its validUntil on, exclusive, and accepts it the second before", () => {
      expect(codes(pin(), claim({ keyId: key1.keyId, at: at("2026-06-01T00:00:00Z") }))).to.deep.equal([
        "TRUST_KEY_NOT_VALID",
      ]);
      expect(codes(pin(), claim({ keyId: key1.keyId, at: at("2026-05-31T23:59:59Z") }))).to.deep.equal([]);
    });

    it("accepts a current (validUntil null) account and key far in the future", () => {
      expect(codes(pin(), claim({ at: at("2099-01-01T00:00:00Z") }))).to.deep.equal([]);
    });

    it("refuses an anchoring account before its validFrom and after a closed validUntil", () => {
      const p = profile();
      p.anchorers = [{ address: ANCHORER, validFrom: "2026-01-01T00:00:00Z", validUntil: "2026-03-01T00:00:00Z" }];
      const closed = pinFromProfile(p);
      expect(codes(closed, claim({ keyId: key1.keyId, at: at("2026-02-01T00:00:00Z") }))).to.deep.equal([]);
      expect(codes(closed, claim({ keyId: key1.keyId, at: at("2026-03-01T00:00:00Z") }))).to.deep.equal([
        "TRUST_ANCHORER_NOT_VALID",
      ]);
      expect(codes(closed, claim({ keyId: key1.keyId, at: at("2025-12-31T23:59:59Z") }))).to.deep.equal([
        "TRUST_ANCHORER_NOT_VALID",
        "TRUST_KEY_NOT_VALID",
      ]);
    });

    it("accepts an account listed twice when any of its periods holds", () => {
      const p = profile();
      p.anchorers = [
        { address: ANCHORER, validFrom: "2026-01-01T00:00:00Z", validUntil: "2026-02-01T00:00:00Z" },
        { address: ANCHORER, validFrom: "2026-06-01T00:00:00Z", validUntil: null },
      ];
      expect(codes(pinFromProfile(p), claim())).to.deep.equal([]);
      expect(codes(pinFromProfile(p), claim({ keyId: key1.keyId, at: at("2026-03-01T00:00:00Z") }))).to.deep.equal([
        "TRUST_ANCHORER_NOT_VALID",
      ]);
    });
  });

  describe("when the statement's time is unknown", () => {
    it("fails a bounded validity period (TRUST_*_NOT_VALID) and passes only a key pinned for all time", () => {
      const p = pinFromProfile(profile());
      expect(codes(p, claim({ keyId: key1.keyId, at: undefined }))).to.include("TRUST_KEY_NOT_VALID");
      const always = {
        ...p,
        keys: p.keys!.map((k) => ({ ...k, validFrom: "1970-01-01T00:00:00Z", validUntil: null })),
        anchorers: p.anchorers!.map((a) => ({ ...a, validFrom: "1970-01-01T00:00:00Z", validUntil: null })),
      };
      expect(codes(always, claim({ keyId: key1.keyId, at: undefined }))).to.deep.equal([]);
    });
  });

  describe("what is not pinned", () => {
    it("without a pin lists chain id, contract, ledger, anchoring account and key, and finds no problem", () => {
      const r = checkPin(undefined, claim());
      expect(r.problems).to.deep.equal([]);
      expect(r.unpinned).to.deep.equal([
        "chain id",
        "genesis block",
        "contract",
        "ledger",
        "anchoring account",
        "ledger key",
      ]);
    });

    it("without a pin, for a receipt (no anchorer needed), leaves the anchoring account out", () => {
      expect(checkPin(undefined, claim(), { anchorer: false, key: true }).unpinned).to.deep.equal([
        "chain id",
        "genesis block",
        "contract",
        "ledger",
        "ledger key",
      ]);
    });

    it("with a pin of the contract alone lists the rest, and still checks the contract", () => {
      const only: TrustPin = { source: "the values given", contract: CONTRACT };
      expect(checkPin(only, claim()).unpinned).to.deep.equal([
        "chain id",
        "genesis block",
        "ledger",
        "anchoring account",
        "ledger key",
      ]);
      expect(codes(only, claim({ contract: OTHER_ACCOUNT }))).to.deep.equal(["TRUST_CONTRACT_MISMATCH"]);
    });

    it("with every value pinned except the key lists only the key", () => {
      const p = pin();
      expect(checkPin({ ...p, keys: [] }, claim()).unpinned).to.deep.equal(["ledger key"]);
    });
  });
});
