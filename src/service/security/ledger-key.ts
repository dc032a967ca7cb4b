/**
 * Rotating the ledger key (`gxp-ledger key rotate`): the old key file is kept in keys/retired/, a new
 * key is created, and the rotation is recorded in ledger_keys (rotated_from, reason, valid_from) and
 * as a security event. Epochs sealed before stay verifiable: their checkpoints name the old key,
 * which stays in ledger_keys.
 */
import fs from "node:fs";
import path from "node:path";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { keyIdOf, loadReceiptKey, receiptKeyFile, receiptPublicKeyFile, ReceiptKey } from "../../crypto/receipt-key";
import { currentLedgerKey, insertLedgerKey } from "../../store/pin-store";
import { Ledger } from "../app/ledger";
import { SecurityRecorder, SecurityActor } from "./security";

/** Where retired keys are kept. */
export function retiredKeyFile(dataDir: string, keyId: string): string {
  return path.join(dataDir, "keys", "retired", `${keyId}.pem`);
}

/** Where a retired key's public key is kept. */
export function retiredPublicKeyFile(dataDir: string, keyId: string): string {
  return path.join(dataDir, "keys", "retired", `${keyId}.pub.pem`);
}

/** What a rotation did. */
export interface KeyRotation {
  /** The recorded key it replaces (undefined when none was recorded yet). */
  from?: string;
  /** The key file that was retired, with its key id (it may differ from `from` when the file had been changed). */
  retired?: { keyId: string; file: string };
  to: ReceiptKey;
  validFrom: string;
}

/**
 * Rotates the ledger key of `dataDir`. Works when the key file is present, missing or changed: the
 * file present is retired (never deleted), a new key is made and recorded.
 * Never prints or returns the private key.
 */
export function rotateLedgerKey(
  ledger: Ledger,
  dataDir: string,
  reason: string,
  security: SecurityRecorder,
  actor: SecurityActor,
  now: () => Date = () => new Date(),
): KeyRotation {
  const current = currentLedgerKey(ledger.db);
  const file = receiptKeyFile(dataDir);
  let retired: KeyRotation["retired"];
  if (fs.existsSync(file)) {
    const keyId = keyIdOf(createPublicKey(createPrivateKey(fs.readFileSync(file))));
    const target = retiredKeyFile(dataDir, keyId);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    if (fs.existsSync(target)) fs.rmSync(file);
    else fs.renameSync(file, target);
    // Its public key next to it, for receipts signed before the rotation (verify-receipt --public-key).
    fs.writeFileSync(
      retiredPublicKeyFile(dataDir, keyId),
      createPublicKey(createPrivateKey(fs.readFileSync(target))).export({ type: "spki", format: "pem" }),
    );
    fs.rmSync(receiptPublicKeyFile(dataDir), { force: true });
    retired = { keyId, file: target };
  }
  const to = loadReceiptKey(dataDir);
  const validFrom = now().toISOString();
  insertLedgerKey(ledger.db, {
    keyId: to.keyId,
    publicKeyPem: to.publicKeyPem,
    validFrom,
    rotatedFrom: current?.keyId ?? null,
    reason,
  });
  security.record(
    "ledger.key.rotated",
    {
      keyId: to.keyId,
      rotatedFrom: current?.keyId ?? null,
      retiredFile: retired ? path.relative(dataDir, retired.file) : null,
      reason,
    },
    actor,
  );
  return { from: current?.keyId, retired, to, validFrom };
}
