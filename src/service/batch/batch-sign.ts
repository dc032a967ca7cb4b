/**
 * `review-batch <id> --sign`: QA's review recorded in the ledger as a signed `batch.review_completed`
 * event, so that the review itself is in the audit trail (issue 13 item 5).
 *
 * Who signs: one named person, as a `qa` API client registered with an Ed25519 public key
 * (`client add <user> --role qa --signing-key qa.pub.pem`). The person keeps the private key,
 * encrypted with a passphrase only they know; each signing needs the key file and the passphrase
 * (two components, 21 CFR 11.200(a)(1)). Client names are never reused and a revoked client cannot
 * sign (11.100(a)). The event carries the 11.50 manifestation (printed name, time with zone,
 * meaning), the verdict, the hash of the report reviewed and the batch head it covers; it is signed
 * over its RFC 8785 bytes with the person's key (a source signature, JWS EdDSA) and ingested like any
 * event: schema, write rules, the signature against the client's registered key, a receipt signed
 * by the ledger; then sealed and anchored. A copy cannot be moved to another batch or report: the
 * signature covers the batch, the report hash and the head's leaf hash (11.70).
 */
import { createPrivateKey, createPublicKey, KeyObject, randomUUID } from "node:crypto";
import {
  BatchReport,
  CoreError,
  GxpEvent,
  INTEGRITY_VERIFIED_MEANING,
  QA_REVIEW_SCOPE,
  integrityVerified,
  reportHashOf,
  toHex,
} from "../../core";
import { signEventJws } from "../../crypto/source-sig";
import { ReceiptKey, SignedReceipt } from "../../crypto/receipt-key";
import { createClientStore } from "../../store/clients";
import { createIngestor } from "../ingest/ingest";
import { Ledger } from "../app/ledger";
import { createSecurityRecorder } from "../security/security";

/** Why a review was not signed. */
export type ReviewSignCode =
  | "REVIEW_SIGNER_UNKNOWN"
  | "REVIEW_SIGNER_REVOKED"
  | "REVIEW_SIGNER_NOT_QA"
  | "REVIEW_SIGNER_NO_KEY"
  | "REVIEW_KEY_UNENCRYPTED"
  | "REVIEW_KEY_REFUSED"
  | "REVIEW_KEY_MISMATCH"
  | "REVIEW_NOT_VERIFIED"
  | "REVIEW_INPUT_INVALID";

/** A review that was not signed, and why. */
export class ReviewSignError extends CoreError<ReviewSignCode> {}

/** What signing needs. */
export interface SignReviewOptions {
  /** The qa client (the person's user id in the ledger). */
  client: string;
  /** The signer's printed name as it is at signing time (stored, never looked up later). */
  printedName: string;
  /** The signer's Ed25519 private key, PKCS#8 PEM encrypted with a passphrase. */
  privateKeyPem: string;
  passphrase: string;
  /** Meaning of the signature; default INTEGRITY_VERIFIED_MEANING (only when integrity verified). */
  meaning?: string;
  /** IANA time zone of the signing time; default the machine's. */
  timeZone?: string;
  /** The signer's role as printed; default "QA". */
  role?: string;
  receiptKey: ReceiptKey;
  anchorWithinMs: number;
  now?: () => Date;
}

/** A recorded review. */
export interface SignedReview {
  event: GxpEvent;
  receipt: SignedReceipt;
  reportHash: string;
}

/** `at` as RFC 3339 with the UTC offset `zone` has then (2026-12-04T19:30:00.000+01:00). */
export function zonedTime(at: Date, zone: string): string {
  let name: string;
  try {
    name =
      new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
        .formatToParts(at)
        .find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  } catch {
    throw new ReviewSignError("REVIEW_INPUT_INVALID", `time zone ${JSON.stringify(zone)}: not an IANA time zone`, {
      field: "timeZone",
    });
  }
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m)
    throw new ReviewSignError("REVIEW_INPUT_INVALID", `time zone ${zone}: unexpected offset ${name}`, {
      field: "timeZone",
    });
  const minutes = m[1] ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return new Date(at.getTime() + minutes * 60_000)
    .toISOString()
    .replace("Z", m[1] ? `${m[1]}${m[2]}:${m[3]}` : "+00:00");
}

/** The person's key, decrypted, checked against the client's registered key. */
function signerKey(pem: string, passphrase: string, registered: string): KeyObject {
  if (!/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem)) {
    throw new ReviewSignError(
      "REVIEW_KEY_UNENCRYPTED",
      "the signing key must be a passphrase-encrypted PKCS#8 PEM (BEGIN ENCRYPTED PRIVATE KEY): a signature needs the key and the passphrase",
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem", passphrase });
  } catch {
    throw new ReviewSignError("REVIEW_KEY_REFUSED", "the signing key could not be opened with this passphrase");
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new ReviewSignError("REVIEW_KEY_REFUSED", `the signing key is ${key.asymmetricKeyType}, not Ed25519`);
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  if (spki.toString("base64") !== registered)
    throw new ReviewSignError("REVIEW_KEY_MISMATCH", "the signing key is not the key registered for this client");
  return key;
}

/**
 * Signs QA's review of `report` and records it in the ledger.
 * @throws ReviewSignError (codes above); the ingestion's own errors (EventError, StoreError,
 *   WriteRefused) for an event the ledger refuses like any other
 */
export function signBatchReview(ledger: Ledger, report: BatchReport, opts: SignReviewOptions): SignedReview {
  const meaning = (opts.meaning ?? INTEGRITY_VERIFIED_MEANING).trim();
  if (!meaning)
    throw new ReviewSignError("REVIEW_INPUT_INVALID", "the meaning of the signature is empty", { field: "meaning" });
  if (!opts.printedName.trim())
    throw new ReviewSignError("REVIEW_INPUT_INVALID", "the printed name is empty", { field: "printedName" });
  if (!integrityVerified(report) && (opts.meaning === undefined || /integrity verified/i.test(meaning))) {
    throw new ReviewSignError(
      "REVIEW_NOT_VERIFIED",
      `batch ${report.batchId} is ${report.verdict}: integrity is not verified, so it cannot be signed as "${INTEGRITY_VERIFIED_MEANING}"; give --meaning with what the signature means instead (e.g. "reviewed — integrity failure acknowledged")`,
      { verdict: report.verdict },
    );
  }
  const clients = createClientStore(ledger.db);
  const client = clients.get(opts.client);
  if (!client)
    throw new ReviewSignError(
      "REVIEW_SIGNER_UNKNOWN",
      `no client named ${opts.client}: register the person with gxp-ledger client add ${opts.client} --role qa --signing-key <public key>`,
    );
  if (client.revokedAt)
    throw new ReviewSignError(
      "REVIEW_SIGNER_REVOKED",
      `client ${client.name} was revoked at ${client.revokedAt}: it signs nothing`,
    );
  if (client.role !== "qa")
    throw new ReviewSignError(
      "REVIEW_SIGNER_NOT_QA",
      `client ${client.name} has role ${client.role}: reviews are signed by qa clients`,
    );
  if (client.signingAlg !== "EdDSA" || !client.signingKey)
    throw new ReviewSignError(
      "REVIEW_SIGNER_NO_KEY",
      `client ${client.name} has no Ed25519 signing key: reviews are signed with the person's own key`,
    );
  const key = signerKey(opts.privateKeyPem, opts.passphrase, client.signingKey);

  const first = ledger.events.byBatch(report.batchId, -1, 1)[0]?.record.event;
  const headEntry = report.trail.reduce<(typeof report.trail)[number] | undefined>(
    (h, t) => (!h || t.batchSeq > h.batchSeq ? t : h),
    undefined,
  );
  const head = headEntry && ledger.events.getById(headEntry.eventId);
  if (!first?.batch || !first.recipe || !headEntry || !head)
    throw new ReviewSignError(
      "REVIEW_INPUT_INVALID",
      `batch ${report.batchId} has no first event with batch and recipe to review`,
    );
  const now = (opts.now ?? (() => new Date()))();
  const zone = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  const signedAt = zonedTime(now, zone);
  const source = `urn:gxp-qa:${client.name}`;
  const last = ledger.events.lastOfSource(source)?.sourceSequence ?? -1;
  const reportHash = reportHashOf(report);
  const event: GxpEvent = {
    specversion: "1.0",
    id: `qa-review-${randomUUID()}`,
    type: "batch.review_completed",
    source,
    sourceSequence: last + 1,
    occurredAt: signedAt,
    recordedAt: signedAt,
    timeZone: zone,
    site: first.site,
    actor: { type: "person", userId: client.name, printedName: opts.printedName.trim(), role: opts.role ?? "QA" },
    gmpCriticality: "critical",
    batch: first.batch,
    recipe: first.recipe,
    refs: [{ eventId: head.eventId, rel: "verifies" }],
    data: {
      reviewScope: QA_REVIEW_SCOPE,
      auditTrailReviewed: true,
      meaning,
      signedAt,
      timeZone: zone,
      verdict: report.verdict,
      integrityOk: report.integrity.ok,
      reportHash,
      reviewedHead: { batchSeq: headEntry.batchSeq, eventId: head.eventId, leafHash: toHex(head.leafHash) },
      authMethod: "ed25519-key+passphrase",
      componentsUsed: "all",
    },
  };
  const signed = signEventJws(event, key.export({ format: "pem", type: "pkcs8" }) as string, "EdDSA");
  const ingestor = createIngestor(ledger, {
    ledgerName: ledger.name,
    receiptKey: opts.receiptKey,
    anchorWithinMs: opts.anchorWithinMs,
    security: createSecurityRecorder(ledger, ledger.name),
  });
  const [r] = ingestor.ingest([signed], client);
  return { event: signed, receipt: r.receipt, reportHash };
}
