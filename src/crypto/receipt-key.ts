/**
 * The ledger's receipt key (Ed25519): it signs receipts, like a Certificate Transparency SCT, so an
 * MES that keeps its receipts can later prove that the ledger accepted an event. Since receipt
 * version 2 it signs once per commit group (the group's Merkle root), as transparency-log
 * checkpoints do. Created on first use in <dataDir>/keys/receipt-key.pem, readable by the owner
 * only; never logged. This file is the Node adapter: the pure checks are in src/core/receipt.
 */
import fs from "node:fs";
import path from "node:path";
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign,
  verify,
} from "node:crypto";
import {
  Receipt,
  ReceiptGroupHeader,
  ReceiptV1,
  receiptGroupMessage,
  receiptV1Message,
  verifyReceiptWith,
} from "../core";
import { nodeHasher } from "./node-hasher";

/** The unsigned part of a version 1 receipt. */
export type ReceiptBody = Omit<ReceiptV1, "signature">;

/** A signed receipt of either version (see src/core/receipt/receipt.ts). */
export type SignedReceipt = Receipt;

/** The receipt key pair. */
export interface ReceiptKey {
  keyId: string;
  publicKeyPem: string;
  /** Signs a version 1 receipt (events committed without a receipt group). */
  sign(body: ReceiptBody): ReceiptV1;
  /** Signs a commit group's header once (version 2): Ed25519 over receiptGroupMessage, base64url. */
  signGroup(header: ReceiptGroupHeader): string;
  /**
   * Signs another ledger statement (a regulator package's manifest): Ed25519, base64url. The caller
   * prefixes the message with its own domain string, so no statement can pass for a receipt.
   */
  signStatement(message: Uint8Array): string;
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
  return createHash("sha256")
    .update(pub.export({ type: "spki", format: "der" }))
    .digest("hex");
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
      const signature = sign(null, receiptV1Message(body), priv).toString("base64url");
      return { ...body, signature };
    },
    signGroup(header) {
      return sign(null, receiptGroupMessage(header), priv).toString("base64url");
    },
    signStatement(message) {
      return sign(null, message, priv).toString("base64url");
    },
  };
}

/**
 * Verifies a receipt of either version against a receipt public key (PEM): the core's checks
 * (schema, key id, audit path to the group root), then the Ed25519 signature with node:crypto.
 * @throws ReceiptError RECEIPT_SCHEMA_INVALID, RECEIPT_VERSION_UNSUPPORTED, RECEIPT_KEY_MISMATCH,
 *   RECEIPT_PATH_INVALID, RECEIPT_ROOT_MISMATCH, RECEIPT_SIGNATURE_INVALID
 */
export function verifyReceipt(receipt: unknown, publicKeyPem: string): Receipt {
  const pub = createPublicKey(publicKeyPem);
  return verifyReceiptWith(
    receipt,
    keyIdOf(pub),
    (message, signature) => verify(null, message, pub, signature),
    nodeHasher,
  );
}
