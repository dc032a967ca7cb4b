/**
 * Source signatures: an MES instance signs each event's RFC 8785 canonical bytes (the event without
 * `sourceSig`), so that the ledger operator cannot forge an MES event. Two standard schemes:
 * - JWS with a detached payload (RFC 7515 Appendix F, RFC 7797-style detached content), alg EdDSA
 *   (Ed25519, RFC 8037) or ES256 (P-256): `sourceSig` = BASE64URL(header) + ".." + BASE64URL(signature),
 *   signing input = BASE64URL(header) + "." + BASE64URL(canonical bytes). Verified with node:crypto
 *   (Ed25519 ~9,000 verifications/s per core).
 * - EIP-191 personal_sign over the canonical bytes, for clients whose key is an Ethereum address
 *   (ethers verifyMessage; ~570 recoveries/s per core, so prefer EdDSA on busy lines).
 */
import { createPublicKey, KeyObject, verify as cryptoVerify, sign as cryptoSign } from "node:crypto";
import { getAddress, verifyMessage } from "ethers";
import { canonicalBytes, GxpEvent } from "../core";

/** A client's registered signing key. */
export interface SigningKey {
  alg: "EIP191" | "EdDSA" | "ES256";
  /** EIP191: checksummed address; EdDSA/ES256: SPKI DER, base64. */
  key: string;
}

/** Why a signature was refused. */
export class SourceSignatureError extends Error {
  readonly code = "SOURCE_SIGNATURE_INVALID";
}

/**
 * Parses what `client add --signing-key` was given: an Ethereum address, or a PEM public key
 * (Ed25519 or P-256).
 * @throws Error naming what is wrong
 */
export function parseSigningKey(input: string): SigningKey {
  const text = input.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) return { alg: "EIP191", key: getAddress(text) };
  let ko: KeyObject;
  try {
    ko = createPublicKey(text);
  } catch {
    throw new Error("signing key must be an Ethereum address (0x + 40 hex) or a PEM public key (Ed25519 or P-256)");
  }
  const spki = ko.export({ type: "spki", format: "der" }).toString("base64");
  if (ko.asymmetricKeyType === "ed25519") return { alg: "EdDSA", key: spki };
  if (ko.asymmetricKeyType === "ec" && ko.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return { alg: "ES256", key: spki };
  throw new Error(
    `unsupported key type ${ko.asymmetricKeyType}${ko.asymmetricKeyDetails?.namedCurve ? ` (${ko.asymmetricKeyDetails.namedCurve})` : ""}: want Ed25519 or P-256`,
  );
}

const keyCache = new Map<string, KeyObject>();
function publicKey(spkiB64: string): KeyObject {
  let k = keyCache.get(spkiB64);
  if (!k) {
    k = createPublicKey({ key: Buffer.from(spkiB64, "base64"), format: "der", type: "spki" });
    keyCache.set(spkiB64, k);
  }
  return k;
}

/** The bytes a source signature covers: the canonical event without `sourceSig`. */
export function signedBytes(event: GxpEvent): Uint8Array {
  const { sourceSig: _omit, ...rest } = event;
  return canonicalBytes(rest);
}

/**
 * Verifies an event's `sourceSig` against the client's key.
 * @throws SourceSignatureError naming the event and why
 */
export function verifySourceSig(event: GxpEvent, key: SigningKey): void {
  const sig = event.sourceSig;
  if (!sig) throw new SourceSignatureError(`event ${event.id}: sourceSig is required for this client (${key.alg})`);
  const payload = signedBytes(event);
  if (key.alg === "EIP191") {
    if (!sig.startsWith("0x"))
      throw new SourceSignatureError(`event ${event.id}: sourceSig must be an EIP-191 signature (0x…) for this client`);
    let signer: string;
    try {
      signer = verifyMessage(payload, sig);
    } catch {
      throw new SourceSignatureError(`event ${event.id}: sourceSig is not a valid EIP-191 signature`);
    }
    if (signer !== key.key)
      throw new SourceSignatureError(
        `event ${event.id}: sourceSig was made by ${signer}, not by the client's key ${key.key}`,
      );
    return;
  }
  const m = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(sig);
  if (!m)
    throw new SourceSignatureError(
      `event ${event.id}: sourceSig must be a detached compact JWS (header..signature) for this client`,
    );
  let header: { alg?: string };
  try {
    header = JSON.parse(Buffer.from(m[1], "base64url").toString("utf8"));
  } catch {
    throw new SourceSignatureError(`event ${event.id}: sourceSig JWS header is not JSON`);
  }
  if (header.alg !== key.alg)
    throw new SourceSignatureError(
      `event ${event.id}: sourceSig alg ${header.alg} does not match the client's key (${key.alg})`,
    );
  const input = Buffer.from(`${m[1]}.${Buffer.from(payload).toString("base64url")}`, "ascii");
  const signature = Buffer.from(m[2], "base64url");
  const ok =
    key.alg === "EdDSA"
      ? cryptoVerify(null, input, publicKey(key.key), signature)
      : cryptoVerify("sha256", input, { key: publicKey(key.key), dsaEncoding: "ieee-p1363" }, signature);
  if (!ok)
    throw new SourceSignatureError(`event ${event.id}: sourceSig does not verify with the client's ${key.alg} key`);
}

/**
 * Signs an event as an MES client would (tests, benchmarks and docs/http-api.md's example): returns the
 * event with `sourceSig` set. `privateKeyPem` is an Ed25519 or P-256 private key.
 */
export function signEventJws<T extends GxpEvent>(event: T, privateKeyPem: string, alg: "EdDSA" | "ES256"): T {
  const header = Buffer.from(JSON.stringify({ alg })).toString("base64url");
  const input = Buffer.from(`${header}.${Buffer.from(signedBytes(event)).toString("base64url")}`, "ascii");
  const sig =
    alg === "EdDSA"
      ? cryptoSign(null, input, privateKeyPem)
      : cryptoSign("sha256", input, { key: privateKeyPem, dsaEncoding: "ieee-p1363" });
  return { ...event, sourceSig: `${header}..${sig.toString("base64url")}` };
}
