/**
 * The ledger's receipt key (Ed25519): it signs every receipt, like a Certificate Transparency SCT, so
 * an MES that keeps its receipts can later prove that the ledger accepted an event. Created on first
 * use in <dataDir>/keys/receipt-key.pem, readable by the owner only; never logged.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from "node:crypto";
import { canonicalBytes } from "../core";

/** The unsigned part of a receipt. */
export interface ReceiptBody {
  id: string;
  seq: number;
  leafHash: string;
  receivedAt: string;
  /** The latest time by which the ledger promises the event's epoch will be anchored. */
  anchorBy: string;
  ledger: string;
  /** SHA-256 of the receipt key's SPKI, hex: which key signed. */
  keyId: string;
}

/** A signed receipt. */
export interface SignedReceipt extends ReceiptBody {
  /** Ed25519 over the RFC 8785 form of the receipt without `signature`, base64url. */
  signature: string;
}

/** The receipt key pair. */
export interface ReceiptKey {
  keyId: string;
  publicKeyPem: string;
  sign(body: ReceiptBody): SignedReceipt;
}

/** Path of the key in a data directory. */
export function receiptKeyFile(dataDir: string): string {
  return path.join(dataDir, "keys", "receipt-key.pem");
}

/** Path of the public key that verifiers use. */
export function receiptPublicKeyFile(dataDir: string): string {
  return path.join(dataDir, "keys", "receipt-key.pub.pem");
}

/** Key id: SHA-256 of the SPKI DER, hex. */
export function keyIdOf(pub: KeyObject): string {
  return createHash("sha256").update(pub.export({ type: "spki", format: "der" })).digest("hex");
}

/** Loads the receipt key of a data directory, creating it (mode 0600) on first use. */
export function loadReceiptKey(dataDir: string): ReceiptKey {
  const file = receiptKeyFile(dataDir);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    fs.writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    fs.writeFileSync(receiptPublicKeyFile(dataDir), publicKey.export({ type: "spki", format: "pem" }));
  }
  const priv = createPrivateKey(fs.readFileSync(file));
  const pub = createPublicKey(priv);
  const publicKeyPem = pub.export({ type: "spki", format: "pem" }).toString();
  if (!fs.existsSync(receiptPublicKeyFile(dataDir))) fs.writeFileSync(receiptPublicKeyFile(dataDir), publicKeyPem);
  const keyId = keyIdOf(pub);
  return {
    keyId,
    publicKeyPem,
    sign(body) {
      const signature = sign(null, canonicalBytes(body), priv).toString("base64url");
      return { ...body, signature };
    },
  };
}

/**
 * Verifies a receipt against a receipt public key (PEM).
 * @throws Error naming what does not match
 */
export function verifyReceipt(receipt: SignedReceipt, publicKeyPem: string): void {
  const pub = createPublicKey(publicKeyPem);
  const { signature, ...body } = receipt;
  if (typeof signature !== "string") throw new Error("receipt has no signature");
  if (body.keyId !== keyIdOf(pub)) throw new Error(`receipt was signed by key ${body.keyId}, not by this ledger's key ${keyIdOf(pub)}`);
  if (!verify(null, canonicalBytes(body), pub, Buffer.from(signature, "base64url"))) throw new Error("receipt signature does not verify: the receipt was altered or not signed by this ledger");
}
