/**
 * The site's trust profile: the small published document that says *whose* ledger a proof comes from,
 * in the spirit of Sigstore's trusted root and Certificate Transparency's log lists. A verifier that
 * is given it (pinned) checks every bundle, receipt and package against it: the chain (id and genesis
 * block hash), the contract, the ledger id, the accounts allowed to anchor (with validity periods),
 * and the ledger's signing keys (with validity periods). Without a pin a verifier can prove that
 * bytes are unchanged and anchored in *some* contract, never whose: it answers UNPINNED, not PASS.
 *
 * Format: docs/trust-profile.md and docs/trust-profile.schema.json (TRUST_PROFILE_SCHEMA_V1 in
 * profile-schema.ts, kept identical by a test; checked here by hand, so a verifier needs no schema
 * engine). The profile may be signed by the ledger admin's account (EIP-191 over
 * trustProfileMessage); its fingerprint is short enough to print in a quality agreement.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import { secp256k1 } from "@noble/curves/secp256k1";
import { canonicalBytes } from "../canonical";
import { CoreError, FieldIssue } from "../errors";
import { concatBytes, fromHex, toHex, utf8 } from "../hex";
import { LEDGER_NAME_PATTERN } from "../ledger-name";
import { toChecksumAddress } from "../proof/bundle-text";
import { keyIdOfSpki, spkiOfPem } from "../proof/checkpoint";
import {
  FieldCheck,
  ObjectShape,
  arrayOf,
  exactly,
  isBoolean,
  matching,
  objectOf,
  orNull,
  textOf,
} from "../field-check";

/** Media type of version 1 trust profiles. */
export const TRUST_MEDIA_TYPE_V1 = "application/vnd.gxp-ledger.trust+json;version=1";
/** Domain label of the bytes signed and fingerprinted. */
export const TRUST_PROFILE_LABEL = "gxp-ledger trust profile v1\n";

/** Codes of trust failures: a malformed profile, or a pinned value that a proof does not match. */
export type TrustErrorCode =
  | "TRUST_PROFILE_INVALID"
  | "TRUST_PROFILE_SIGNATURE_INVALID"
  | "TRUST_CHAIN_MISMATCH"
  | "TRUST_GENESIS_MISMATCH"
  | "TRUST_CONTRACT_MISMATCH"
  | "TRUST_LEDGER_MISMATCH"
  | "TRUST_ANCHORER_MISMATCH"
  | "TRUST_ANCHORER_NOT_VALID"
  | "TRUST_KEY_MISMATCH"
  | "TRUST_KEY_NOT_VALID";

/** A trust profile is malformed or its signature does not verify. */
export class TrustError extends CoreError<TrustErrorCode> {}

/** An account allowed to anchor the ledger's epochs, and when. */
export interface TrustedAnchorer {
  /** EIP-55 address. */
  address: string;
  /** RFC 3339 UTC; anchors in blocks before this time are not accepted. */
  validFrom: string;
  /** RFC 3339 UTC, or null while the account is current. */
  validUntil: string | null;
}

/** A ledger signing key (receipts, epoch checkpoints, package manifests), and when. */
export interface TrustedKey {
  /** SHA-256 of the SPKI DER, lowercase hex. */
  keyId: string;
  algorithm: "Ed25519";
  /** Base64 of the SubjectPublicKeyInfo DER. */
  publicKey: string;
  validFrom: string;
  validUntil: string | null;
}

/** A version 1 trust profile. */
export interface TrustProfile {
  mediaType: typeof TRUST_MEDIA_TYPE_V1;
  organisation: string;
  site: string;
  ledger: { name: string; id: string };
  chain: { chainId: string; genesisHash: string };
  /** The GxpAnchor contract, EIP-55. */
  contract: string;
  anchorers: TrustedAnchorer[];
  keys: TrustedKey[];
  issuedAt: string;
  /** True for a ledger on the embedded development chain with Hardhat's public keys. */
  development: boolean;
  /** The ledger admin's EIP-191 signature over trustProfileMessage, when signed. */
  signature?: { scheme: "EIP-191"; signer: string; value: string };
}

// The hand-written check of TRUST_PROFILE_SCHEMA_V1 (a test holds the two together): verifiers,
// the browser page among them, carry no JSON Schema engine.
const TIME = matching(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/,
  "an RFC 3339 UTC time (YYYY-MM-DDThh:mm:ss[.sss]Z)",
);
const ADDRESS = matching(/^0x[0-9a-fA-F]{40}$/, "0x and 40 hex digits (an address)");
const HASH32 = matching(/^0x[0-9a-f]{64}$/, "0x and 64 lowercase hex digits (32 bytes)");
const PROFILE_SHAPE: ObjectShape = {
  members: {
    mediaType: exactly(TRUST_MEDIA_TYPE_V1),
    organisation: textOf(1, 200),
    site: textOf(1, 200),
    ledger: objectOf({
      members: {
        name: matching(
          new RegExp(LEDGER_NAME_PATTERN),
          "1 to 31 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit",
        ),
        id: HASH32,
      },
    }),
    chain: objectOf({
      members: { chainId: matching(/^[1-9][0-9]{0,77}$/, "a decimal chain id"), genesisHash: HASH32 },
    }),
    contract: ADDRESS,
    anchorers: arrayOf(objectOf({ members: { address: ADDRESS, validFrom: TIME, validUntil: orNull(TIME) } }), 1, 64),
    keys: arrayOf(
      objectOf({
        members: {
          keyId: matching(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
          algorithm: exactly("Ed25519"),
          publicKey: matching(/^[A-Za-z0-9+/]{59}=$/, "base64 of a 44-byte SubjectPublicKeyInfo"),
          validFrom: TIME,
          validUntil: orNull(TIME),
        },
      }),
      1,
      64,
    ),
    issuedAt: TIME,
    development: isBoolean,
    signature: objectOf({
      members: {
        scheme: exactly("EIP-191"),
        signer: ADDRESS,
        value: matching(/^0x[0-9a-f]{130}$/, "0x and 130 lowercase hex digits"),
      },
    }),
  },
  optional: ["signature"],
};

/** Every field of a trust profile that breaks TRUST_PROFILE_SCHEMA_V1, checked by hand. Empty when none does. */
export function trustProfileShapeIssues(input: unknown): FieldIssue[] {
  const c = new FieldCheck();
  c.object("", input, PROFILE_SHAPE);
  return c.issues;
}

function invalid(issues: FieldIssue[]): never {
  throw new TrustError(
    "TRUST_PROFILE_INVALID",
    `invalid trust profile: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    { issues },
  );
}

/** bytes32 of a ledger name (UTF-8, right-padded with zeros). */
function ledgerWord(name: string): string {
  const b = utf8(name);
  const w = new Uint8Array(32);
  w.set(b.subarray(0, 32));
  return toHex(w);
}

/**
 * Parses and validates a trust profile: schema (every bad field named), the ledger id against the
 * name, each key id against its key, addresses in EIP-55 form, validity periods in order, and the
 * signature when present.
 * @throws TrustError TRUST_PROFILE_INVALID, TRUST_PROFILE_SIGNATURE_INVALID
 */
export function trustProfileFromJSON(input: unknown): TrustProfile {
  let obj = input;
  if (typeof input === "string") {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      invalid([{ path: "/", message: `is not JSON: ${(e as Error).message}` }]);
    }
  }
  const mt = (obj as { mediaType?: unknown } | null)?.mediaType;
  if (mt !== TRUST_MEDIA_TYPE_V1)
    invalid([
      { path: "/mediaType", message: `unsupported media type ${JSON.stringify(mt)}: want ${TRUST_MEDIA_TYPE_V1}` },
    ]);
  const shapeIssues = trustProfileShapeIssues(obj);
  if (shapeIssues.length) invalid(shapeIssues);
  const p = obj as TrustProfile;
  const issues: FieldIssue[] = [];
  if (ledgerWord(p.ledger.name) !== p.ledger.id)
    issues.push({
      path: "/ledger/id",
      message: `is not bytes32 of the name ${JSON.stringify(p.ledger.name)} (${ledgerWord(p.ledger.name)})`,
    });
  if (toChecksumAddress(p.contract) !== p.contract)
    issues.push({ path: "/contract", message: `is not in EIP-55 form (${toChecksumAddress(p.contract)})` });
  p.anchorers.forEach((a, i) => {
    if (toChecksumAddress(a.address) !== a.address)
      issues.push({
        path: `/anchorers/${i}/address`,
        message: `is not in EIP-55 form (${toChecksumAddress(a.address)})`,
      });
    if (a.validUntil !== null && Date.parse(a.validUntil) <= Date.parse(a.validFrom))
      issues.push({ path: `/anchorers/${i}/validUntil`, message: "is not after validFrom" });
  });
  p.keys.forEach((k, i) => {
    const id = keyIdOfSpki(k.publicKey);
    if (id === undefined)
      issues.push({ path: `/keys/${i}/publicKey`, message: "is not an Ed25519 SubjectPublicKeyInfo" });
    else if (id !== k.keyId) issues.push({ path: `/keys/${i}/keyId`, message: `is not the id of the key (${id})` });
    if (k.validUntil !== null && Date.parse(k.validUntil) <= Date.parse(k.validFrom))
      issues.push({ path: `/keys/${i}/validUntil`, message: "is not after validFrom" });
  });
  if (p.signature && toChecksumAddress(p.signature.signer) !== p.signature.signer)
    issues.push({ path: "/signature/signer", message: "is not in EIP-55 form" });
  if (issues.length) invalid(issues);
  if (p.signature) {
    const signer = recoverTrustProfileSigner(p);
    if (signer !== p.signature.signer) {
      throw new TrustError(
        "TRUST_PROFILE_SIGNATURE_INVALID",
        `trust profile signature is not by ${p.signature.signer}${signer ? ` (it recovers to ${signer})` : ""}: the profile was altered after signing`,
        {
          got: signer,
          want: p.signature.signer,
        },
      );
    }
  }
  return p;
}

/** The profile without its signature: what is signed and fingerprinted. */
function unsigned(p: TrustProfile): Omit<TrustProfile, "signature"> {
  const { signature: _signature, ...rest } = p;
  return rest;
}

/** The bytes the ledger admin signs (EIP-191 personal_sign) and the fingerprint hashes. */
export function trustProfileMessage(p: TrustProfile): Uint8Array {
  return concatBytes(utf8(TRUST_PROFILE_LABEL), canonicalBytes(unsigned(p)));
}

/**
 * The profile's fingerprint: the first 20 bytes of SHA-256 of trustProfileMessage, as ten groups of
 * four upper-case hex digits ("5F3A 91C0 …"), short enough for a quality agreement or a site master
 * file. The signature is not part of it: signing a profile does not change its fingerprint.
 */
export function trustProfileFingerprint(p: TrustProfile): string {
  const h = bytesToHex(sha256(trustProfileMessage(p)).subarray(0, 20)).toUpperCase();
  return h.match(/.{4}/g)!.join(" ");
}

/** EIP-191 hash of a message: keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message). */
export function eip191Hash(message: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(utf8(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

/** The EIP-55 address that made an EIP-191 signature (0x + 65 bytes r ‖ s ‖ v), or undefined. */
export function recoverEip191Signer(message: Uint8Array, signatureHex: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signatureHex)) return undefined;
  const sig = fromHex(signatureHex.toLowerCase());
  const v = sig[64];
  const rec = v >= 27 ? v - 27 : v;
  if (rec !== 0 && rec !== 1) return undefined;
  try {
    const pub = secp256k1.Signature.fromCompact(sig.subarray(0, 64))
      .addRecoveryBit(rec)
      .recoverPublicKey(eip191Hash(message))
      .toRawBytes(false);
    return toChecksumAddress(toHex(keccak_256(pub.subarray(1)).subarray(12)));
  } catch {
    return undefined;
  }
}

/** The account that signed a profile, or undefined when it is unsigned or the signature is malformed. */
export function recoverTrustProfileSigner(p: TrustProfile): string | undefined {
  return p.signature ? recoverEip191Signer(trustProfileMessage(p), p.signature.value) : undefined;
}

/**
 * What a verifier pins: from a trust profile, or from explicit values (`--contract`, `--ledger`,
 * `--anchorer`, `--ledger-key`). An absent member is not pinned.
 */
export interface TrustPin {
  /** Where the pin came from, for messages: "trust profile <fingerprint>" or "the values given". */
  source: string;
  organisation?: string;
  site?: string;
  fingerprint?: string;
  chainId?: string;
  genesisHash?: string;
  contract?: string;
  ledgerName?: string;
  anchorers?: TrustedAnchorer[];
  keys?: TrustedKey[];
  development?: boolean;
}

/** The pin of a validated profile. */
export function pinFromProfile(p: TrustProfile): TrustPin {
  const fingerprint = trustProfileFingerprint(p);
  return {
    source: `trust profile ${fingerprint}`,
    organisation: p.organisation,
    site: p.site,
    fingerprint,
    chainId: p.chain.chainId,
    genesisHash: p.chain.genesisHash,
    contract: p.contract,
    ledgerName: p.ledger.name,
    anchorers: p.anchorers,
    keys: p.keys,
    development: p.development,
  };
}

/** What a proof claims about where it comes from (after the chain confirmed it, or as claimed offline). */
export interface ProvenanceClaim {
  chainId: string;
  contract: string;
  ledgerName: string;
  /** The anchoring account (the bundle's `anchor.anchorer`), when the proof has one. */
  anchorer?: string;
  /** The signing key id (checkpoint, receipt or manifest signature). */
  keyId?: string;
  /** When the signed or anchored statement was made: the anchor block's time (Unix seconds) or a receipt's time. */
  at?: number;
}

/** One pinned value a claim does not match. */
export interface PinProblem {
  code: TrustErrorCode;
  detail: string;
}

/** The comparison of a claim with a pin. */
export interface PinCheck {
  problems: PinProblem[];
  /** What was not pinned (never empty for a pin from bare flags that omit some). */
  unpinned: string[];
  /** What matched, for the PASS line. */
  matched: string[];
}

// Inside a validity period. An unknown time passes only a period that is not bounded at all.
const within = (at: number | undefined, from: string, until: string | null) =>
  at === undefined
    ? Date.parse(from) <= 0 && until === null
    : at * 1000 >= Date.parse(from) && (until === null || at * 1000 < Date.parse(until));

/**
 * {@link checkPin} for a receipt: its ledger against the pinned one and its signing key's validity at
 * the receipt's time (a receipt names no chain: the pin's chain and contract stand for it).
 */
export function checkReceiptPin(pin: TrustPin, r: { ledger: string; keyId: string; receivedAt: string }): PinCheck {
  return checkPin(
    pin,
    {
      chainId: pin.chainId!,
      contract: pin.contract!,
      ledgerName: r.ledger,
      keyId: r.keyId,
      at: Math.floor(Date.parse(r.receivedAt) / 1000),
    },
    { anchorer: false, key: true },
  );
}

/**
 * Compares a claim with a pin, naming every difference. A pinned value the claim lacks (a bundle
 * without an anchorer, say) is a mismatch; a value the pin lacks is listed in `unpinned`.
 */
export function checkPin(
  pin: TrustPin | undefined,
  c: ProvenanceClaim,
  need: { anchorer: boolean; key: boolean } = { anchorer: true, key: true },
): PinCheck {
  const out: PinCheck = { problems: [], unpinned: [], matched: [] };
  const bad = (code: TrustErrorCode, detail: string) => out.problems.push({ code, detail });
  if (!pin) {
    out.unpinned.push(
      "chain id",
      "genesis block",
      "contract",
      "ledger",
      ...(need.anchorer ? ["anchoring account"] : []),
      ...(need.key ? ["ledger key"] : []),
    );
    return out;
  }
  if (pin.chainId === undefined) out.unpinned.push("chain id");
  // Another chain with the same id (a fork, a private copy) is told apart only by its genesis block.
  if (pin.genesisHash === undefined) out.unpinned.push("genesis block");
  else if (pin.chainId !== c.chainId) bad("TRUST_CHAIN_MISMATCH", `chain ${c.chainId}, pinned chain ${pin.chainId}`);
  else out.matched.push(`chain ${c.chainId}`);
  if (pin.contract === undefined) out.unpinned.push("contract");
  else if (pin.contract.toLowerCase() !== c.contract.toLowerCase())
    bad("TRUST_CONTRACT_MISMATCH", `contract ${c.contract}, pinned contract ${pin.contract}`);
  else out.matched.push(`contract ${pin.contract}`);
  if (pin.ledgerName === undefined) out.unpinned.push("ledger");
  else if (pin.ledgerName !== c.ledgerName)
    bad("TRUST_LEDGER_MISMATCH", `ledger ${c.ledgerName}, pinned ledger ${pin.ledgerName}`);
  else out.matched.push(`ledger ${pin.ledgerName}`);
  if (need.anchorer) {
    if (!pin.anchorers?.length) out.unpinned.push("anchoring account");
    else if (!c.anchorer) bad("TRUST_ANCHORER_MISMATCH", "the proof names no anchoring account, the pin requires one");
    else {
      const a = pin.anchorers.filter((x) => x.address.toLowerCase() === c.anchorer!.toLowerCase());
      if (a.length === 0)
        bad(
          "TRUST_ANCHORER_MISMATCH",
          `anchored by ${c.anchorer}, which is not a pinned anchoring account (${pin.anchorers.map((x) => x.address).join(", ")})`,
        );
      else if (!a.some((x) => within(c.at, x.validFrom, x.validUntil))) {
        bad(
          "TRUST_ANCHORER_NOT_VALID",
          `anchored by ${c.anchorer} at ${isoOf(c.at)}, outside the account's pinned validity (${a.map((x) => `${x.validFrom} to ${x.validUntil ?? "now"}`).join(", ")})`,
        );
      } else out.matched.push(`anchoring account ${toChecksumAddress(c.anchorer)}`);
    }
  }
  if (need.key) {
    if (!pin.keys?.length) out.unpinned.push("ledger key");
    else if (!c.keyId) bad("TRUST_KEY_MISMATCH", "the proof carries no ledger signature, the pin requires one");
    else {
      const k = pin.keys.filter((x) => x.keyId === c.keyId);
      if (k.length === 0)
        bad(
          "TRUST_KEY_MISMATCH",
          `signed by key ${c.keyId}, which is not a pinned ledger key (${pin.keys.map((x) => x.keyId.slice(0, 16) + "…").join(", ")})`,
        );
      else if (!k.some((x) => within(c.at, x.validFrom, x.validUntil))) {
        bad(
          "TRUST_KEY_NOT_VALID",
          `signed by key ${c.keyId} for a statement of ${isoOf(c.at)}, outside the key's pinned validity (${k.map((x) => `${x.validFrom} to ${x.validUntil ?? "now"}`).join(", ")})`,
        );
      } else out.matched.push(`ledger key ${c.keyId.slice(0, 16)}…`);
    }
  }
  return out;
}

function isoOf(at: number | undefined): string {
  return at === undefined ? "an unknown time" : `Unix time ${at}`;
}

/** A key pinned by its PEM (or base64 SPKI) alone, valid at all times; undefined unless Ed25519. */
export function trustedKeyOf(pemOrSpki: string): TrustedKey | undefined {
  const publicKey = spkiOfPem(pemOrSpki);
  const keyId = keyIdOfSpki(publicKey);
  return keyId === undefined
    ? undefined
    : { keyId, algorithm: "Ed25519", publicKey, validFrom: "1970-01-01T00:00:00Z", validUntil: null };
}

/** The public key (base64 SPKI) of a pinned key id, if pinned. */
export function pinnedKey(pin: TrustPin | undefined, keyId: string): TrustedKey | undefined {
  return pin?.keys?.find((k) => k.keyId === keyId);
}

/** One line naming who the pin says this is: organisation, site, contract, ledger. */
export function pinSummary(pin: TrustPin): string {
  const who = [pin.organisation, pin.site].filter(Boolean).join(", ");
  return `${who ? who + ": " : ""}ledger ${pin.ledgerName ?? "(not pinned)"}, contract ${pin.contract ?? "(not pinned)"} on chain ${pin.chainId ?? "(not pinned)"}${pin.fingerprint ? ` [trust profile ${pin.fingerprint}]` : ""}`;
}

/** Sha-256 hex of bytes (for adapters that fingerprint files the same way). */
export function sha256Hex(b: Uint8Array): string {
  return bytesToHex(sha256(b));
}

/** The key id of a base64 SPKI key (re-exported for pins built from flags). */
export { keyIdOfSpki };
