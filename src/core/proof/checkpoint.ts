/**
 * Epoch checkpoints: the ledger's own signature over each sealed epoch's tree head, as transparency
 * logs sign their checkpoints (C2SP tlog-checkpoint, RFC 9162 §4.10 signed tree heads). An anchor
 * shows *that* a root was on chain by some block; the checkpoint shows that *this ledger* sealed it.
 * A root put into the contract by a stolen anchorer key, or by anyone else, has no checkpoint signed
 * by the site's pinned key and fails verification.
 *
 * What is signed (UTF-8):
 *   message = "gxp-ledger checkpoint v1\n" ‖ JCS({epoch, firstSeq, keyId, ledger, root, treeSize})
 * `ledger` is the ledger's name, `keyId` the SHA-256 of the key's SubjectPublicKeyInfo DER (lowercase
 * hex, the receipt key id). The label keeps the domain apart from receipts ("gxp-ledger receipt …"),
 * package manifests and ledger records (JSON, starting with "{"). The checkpoint names no chain: an
 * epoch stays the ledger's statement if its anchors ever move to another chain.
 *
 * Ed25519 is checked with @noble/curves (pure, audited), so the browser page, the CLI and the tests
 * run the same code.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";
import { canonicalBytes } from "../canonical";
import { bytesEqual, concatBytes, utf8 } from "../hex";
import { bytesToHex } from "@noble/hashes/utils";
import { base64urlDecode } from "../receipt/base64url";

/** Domain label prefixed to a checkpoint before signing. */
export const CHECKPOINT_LABEL = "gxp-ledger checkpoint v1\n";

/** The tree head of one sealed epoch, as the ledger signs it. */
export interface Checkpoint {
  ledger: string;
  epoch: number;
  firstSeq: number;
  treeSize: number;
  /** RFC 9162 root, `0x` lowercase hex. */
  root: string;
  /** SHA-256 of the signing key's SPKI DER, lowercase hex without 0x. */
  keyId: string;
}

/** A checkpoint signature as a bundle carries it. */
export interface CheckpointSignature {
  keyId: string;
  /** The Ed25519 public key: base64 of its SubjectPublicKeyInfo DER (a PEM body on one line). */
  publicKey: string;
  /** Ed25519 over checkpointMessage, base64url without padding. */
  signature: string;
}

/** The exact bytes the ledger signs for a checkpoint. */
export function checkpointMessage(c: Checkpoint): Uint8Array {
  return concatBytes(
    utf8(CHECKPOINT_LABEL),
    canonicalBytes({
      epoch: c.epoch,
      firstSeq: c.firstSeq,
      keyId: c.keyId,
      ledger: c.ledger,
      root: c.root,
      treeSize: c.treeSize,
    }),
  );
}

// RFC 8410 §4: the SubjectPublicKeyInfo of an Ed25519 key is this 12-byte header and the 32-byte key.
const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (with padding) of bytes. */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      B64[(n >> 18) & 63] +
      B64[(n >> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=") +
      (i + 2 < bytes.length ? B64[n & 63] : "=");
  }
  return out;
}

/** Standard base64 to bytes; undefined unless the text is canonical base64 with padding. */
export function base64Decode(text: string): Uint8Array | undefined {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const url = text.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const bytes = base64urlDecode(url);
  if (!bytes || base64Encode(bytes) !== text) return undefined;
  return bytes;
}

/**
 * The raw 32-byte Ed25519 key of an SPKI DER in base64 (PEM armour and line breaks allowed), or
 * undefined when it is not an Ed25519 SubjectPublicKeyInfo.
 */
export function ed25519RawOfSpki(spkiBase64OrPem: string): Uint8Array | undefined {
  const body = spkiBase64OrPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  const der = base64Decode(body);
  if (!der || der.length !== 44 || !bytesEqual(der.subarray(0, 12), ED25519_SPKI_PREFIX)) return undefined;
  return der.subarray(12);
}

/** The base64 SPKI DER of a public key PEM (its body without armour and line breaks). */
export function spkiOfPem(pem: string): string {
  return pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
}

/** A public key PEM of a base64 SPKI DER. */
export function pemOfSpki(spki: string): string {
  return `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

/** Base64 SPKI DER of a raw Ed25519 public key. */
export function spkiOfEd25519Raw(raw: Uint8Array): string {
  return base64Encode(concatBytes(ED25519_SPKI_PREFIX, raw));
}

/** The key id of an Ed25519 public key given as base64 SPKI DER or PEM: SHA-256 of the DER, hex. */
export function keyIdOfSpki(spkiBase64OrPem: string): string | undefined {
  const raw = ed25519RawOfSpki(spkiBase64OrPem);
  return raw && bytesToHex(sha256(concatBytes(ED25519_SPKI_PREFIX, raw)));
}

// Every bundle of an epoch carries the same checkpoint: a package of 10,000 events over 20 epochs
// would verify 20 signatures 500 times each (~1.3 ms per Ed25519 verify here). The answer depends
// only on these inputs, so it is kept for each distinct checkpoint, signature and key.
const checked = new Map<string, string | undefined>();
const CHECKED_MAX = 4096;

/** Why a checkpoint signature did not verify, or undefined when it did. */
export function checkpointSignatureProblem(c: Checkpoint, sig: CheckpointSignature): string | undefined {
  const key = `${sig.publicKey}|${sig.keyId}|${sig.signature}|${c.ledger}|${c.epoch}|${c.firstSeq}|${c.treeSize}|${c.root}|${c.keyId}`;
  if (checked.has(key)) return checked.get(key);
  const problem = checkpointProblemOnce(c, sig);
  if (checked.size >= CHECKED_MAX) checked.clear();
  checked.set(key, problem);
  return problem;
}

function checkpointProblemOnce(c: Checkpoint, sig: CheckpointSignature): string | undefined {
  const raw = ed25519RawOfSpki(sig.publicKey);
  if (!raw) return "the public key is not an Ed25519 SubjectPublicKeyInfo";
  const keyId = bytesToHex(sha256(concatBytes(ED25519_SPKI_PREFIX, raw)));
  if (keyId !== sig.keyId) return `key id ${sig.keyId} is not the id of the key given (${keyId})`;
  if (c.keyId !== sig.keyId) return `the checkpoint names key ${c.keyId}, the signature key ${sig.keyId}`;
  const signature = base64urlDecode(sig.signature);
  if (!signature || signature.length !== 64) return "the signature is not 64 bytes of base64url";
  let ok: boolean;
  try {
    ok = ed25519.verify(signature, checkpointMessage(c), raw, { zip215: false });
  } catch {
    ok = false;
  }
  return ok
    ? undefined
    : `the signature does not verify with key ${sig.keyId}: the tree head was not signed by this key`;
}

/** Verifies an Ed25519 signature (base64url) over `message` with a base64 SPKI key; pure. */
export function ed25519Verify(spkiBase64OrPem: string, message: Uint8Array, signatureB64url: string): boolean {
  const raw = ed25519RawOfSpki(spkiBase64OrPem);
  const signature = base64urlDecode(signatureB64url);
  if (!raw || !signature || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, raw, { zip215: false });
  } catch {
    return false;
  }
}
