/**
 * `review-batch <batchId>` (alias `verify-batch`): QA's review of one batch record before release.
 * Exit 0 all pass, 1 integrity fails, 4 integrity holds but the checklist has open items, 5 some
 * events not yet anchored with the confirmations required, 2 unknown batch (with close ids
 * suggested), 3 chain unreachable. With `--sign` QA's review is recorded in the ledger as a signed
 * `batch.review_completed` event (src/service/batch-sign.ts); `--html` and `--pdf` write the report
 * as a printable controlled record.
 */
import fs from "node:fs";
import { Command } from "commander";
import { openLedger, Ledger, loadLedgerKey } from "../../service/app/ledger";
import { LedgerConfig } from "../../service/app/config";
import { BatchReport, integrityVerified } from "../../core";
import { openReadChain } from "../../service/app/chain-context";
import { verifyBatch } from "../../service/batch/batch-verify";
import { noteVerification, unknownBatchMessage } from "../../service/batch/batch-list";
import { ReviewSignError, signBatchReview } from "../../service/batch/batch-sign";
import { batchReportHtml, documentIdOf } from "../../service/batch/batch-html";
import { htmlToPdf, PdfError } from "../../service/batch/batch-pdf";
import { currentPin } from "../../store/pin-store";
import { providerTransport } from "../../chain/verify-anchor";
import { JsonRpcProvider } from "ethers";
import { readDeployment } from "../../chain/deploy";
import { renderBatchReport } from "../render-batch";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/**
 * Opens the ledger, reviews one batch against it and the chain, notes the verdict for `batches`, and
 * hands the report (with the open ledger) to `use`; closes both after. Shared by review-batch,
 * verify-batch and export-batch.
 * @throws CliExit USAGE for a batch with no events, naming close batch ids
 */
export async function withBatchReview<T>(
  config: LedgerConfig,
  batchId: string,
  use: (report: BatchReport, ledger: Ledger) => T | Promise<T>,
): Promise<T> {
  const ledger = openLedger(config.dataDir, config.seal, undefined, true);
  let provider: JsonRpcProvider | undefined;
  try {
    const report = await verifyBatch(ledger, batchId, {
      confirmations: config.confirmations,
      deployment: readDeployment(config.dataDir),
      chain: async () =>
        providerTransport(
          (provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider),
        ),
    });
    if (!report) throw new CliExit(EXIT.USAGE, unknownBatchMessage(ledger, batchId));
    noteVerification(ledger, report, "cli");
    return await use(report, ledger);
  } finally {
    provider?.destroy();
    ledger.close();
  }
}

/** Options of review-batch. */
interface ReviewFlags {
  all?: boolean;
  confirmations?: string;
  sign?: boolean;
  as?: string;
  name?: string;
  key?: string;
  passphraseFile?: string;
  meaning?: string;
  timeZone?: string;
  role?: string;
  reportOut?: string;
  html?: string;
  pdf?: string;
}

const SIGN_EXIT: Record<ReviewSignError["code"], number> = {
  REVIEW_SIGNER_UNKNOWN: EXIT.USAGE,
  REVIEW_SIGNER_REVOKED: EXIT.USAGE,
  REVIEW_SIGNER_NOT_QA: EXIT.USAGE,
  REVIEW_SIGNER_NO_KEY: EXIT.USAGE,
  REVIEW_KEY_UNENCRYPTED: EXIT.USAGE,
  REVIEW_KEY_REFUSED: EXIT.USAGE,
  REVIEW_KEY_MISMATCH: EXIT.USAGE,
  REVIEW_NOT_VERIFIED: EXIT.FAILED,
  REVIEW_INPUT_INVALID: EXIT.USAGE,
};

function readSecretFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Writes a new file (never over one), as text. */
function writeNew(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text, { flag: "wx" });
  } catch (e) {
    throw new CliExit(
      (e as NodeJS.ErrnoException).code === "EEXIST" ? EXIT.USAGE : EXIT.IO,
      `${file}: ${(e as NodeJS.ErrnoException).code === "EEXIST" ? "exists; not overwritten" : (e as Error).message}`,
    );
  }
}

/** Registers `review-batch`, also callable as `verify-batch`. */
export function verifyBatchCommand(): Command {
  return new Command("review-batch")
    .alias("verify-batch")
    .description(
      "review one batch record: integrity down to the chain, batch chain, signatures, completeness checklist; --sign records QA's signed review in the ledger",
    )
    .argument("<batchId>", "the batch (lot) id as the MES sends it")
    .option("--all", "print the full audit trail too")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .option("--sign", "record this review in the ledger as a signed batch.review_completed event")
    .option("--as <client>", "with --sign: the signer's qa client (user id), registered with their Ed25519 public key")
    .option("--name <printed name>", "with --sign: the signer's printed name as it is today")
    .option("--key <file>", "with --sign: the signer's Ed25519 private key, passphrase-encrypted PKCS#8 PEM")
    .option("--passphrase-file <file>", "with --sign: file holding the key's passphrase (LEDGER_SIGN_PASSPHRASE_FILE)")
    .option(
      "--meaning <text>",
      `with --sign: meaning of the signature (default "reviewed — integrity verified", only when integrity is verified)`,
    )
    .option("--time-zone <zone>", "with --sign: IANA time zone of the signing time (default: this machine's)")
    .option("--role <text>", "with --sign: the signer's role as printed (default QA)")
    .option("--report-out <file>", "write the report reviewed (JSON; its SHA-256 is what --sign signs)")
    .option(
      "--html <file>",
      "write the report as a printable HTML record (document id, site, page numbers, sign-off block)",
    )
    .option(
      "--pdf <file>",
      "write the report as a PDF with the installed Chromium (LEDGER_CHROMIUM, default /usr/bin/chromium)",
    )
    .action(async (batchId: string, opts: ReviewFlags, cmd: Command) => {
      const config = configOf(cmd, { confirmations: opts.confirmations });
      if (opts.sign) {
        const missing = (["as", "name", "key"] as const).filter((k) => !opts[k]);
        if (missing.length) throw new CliExit(EXIT.USAGE, `--sign needs ${missing.map((k) => `--${k}`).join(", ")}`);
        if (!opts.passphraseFile && !process.env.LEDGER_SIGN_PASSPHRASE_FILE)
          throw new CliExit(
            EXIT.USAGE,
            "--sign needs --passphrase-file (or LEDGER_SIGN_PASSPHRASE_FILE): the key's passphrase is asked at every signing",
          );
      }
      await withBatchReview(config, batchId, async (report, ledger) => {
        const lines: string[] = [renderBatchReport(report, opts.all)];
        const result: Record<string, unknown> = { ...report };
        if (opts.reportOut) writeNew(opts.reportOut, JSON.stringify(report, null, 1) + "\n");
        if (opts.html || opts.pdf) {
          const pin = currentPin(ledger.db);
          const html = batchReportHtml(report, {
            chainId: pin?.chainId ?? "(none yet)",
            contract: pin?.contract ?? "(none yet)",
            ledgerName: ledger.name,
          });
          const docId = documentIdOf(report);
          if (opts.html) {
            writeNew(opts.html, html);
            lines.push(`report ${docId} written to ${opts.html}`);
          }
          if (opts.pdf) {
            try {
              const r = await htmlToPdf(html, opts.pdf);
              lines.push(
                `report ${docId} written to ${opts.pdf} (${r.pages} page${r.pages === 1 ? "" : "s"}, ${r.bytes} bytes)`,
              );
              result.pdf = { file: opts.pdf, documentId: docId, ...r };
            } catch (e) {
              if (e instanceof PdfError) throw new CliExit(EXIT.IO, `${e.code}: ${e.message}`);
              if ((e as NodeJS.ErrnoException).code === "EEXIST")
                throw new CliExit(EXIT.USAGE, `${opts.pdf}: exists; not overwritten`);
              throw e;
            }
          }
        }
        if (opts.sign) {
          try {
            const signed = signBatchReview(ledger, report, {
              client: opts.as!,
              printedName: opts.name!,
              privateKeyPem: readSecretFile(opts.key!, "--key"),
              passphrase: readSecretFile(
                opts.passphraseFile ?? process.env.LEDGER_SIGN_PASSPHRASE_FILE!,
                "--passphrase-file",
              ).replace(/\r?\n$/, ""),
              ...(opts.meaning !== undefined ? { meaning: opts.meaning } : {}),
              ...(opts.timeZone !== undefined ? { timeZone: opts.timeZone } : {}),
              ...(opts.role !== undefined ? { role: opts.role } : {}),
              receiptKey: loadLedgerKey(ledger.db, config.dataDir),
              anchorWithinMs: config.anchorWithinMs,
            });
            const d = signed.event.data as Record<string, unknown>;
            lines.push(
              "",
              `SIGNED review recorded in the ledger: ${signed.event.id} (seq ${signed.receipt.seq})`,
              `  ${signed.event.actor.printedName} (${signed.event.actor.role}, ${signed.event.actor.userId}) "${String(d.meaning)}" at ${String(d.signedAt)} ${String(d.timeZone)}`,
              `  verdict ${report.verdict}, report ${signed.reportHash}, batch head ${(d.reviewedHead as { eventId: string }).eventId}`,
            );
            result.review = { event: signed.event, receipt: signed.receipt, reportHash: signed.reportHash };
          } catch (e) {
            if (e instanceof ReviewSignError) throw new CliExit(SIGN_EXIT[e.code], `${e.code}: ${e.message}`);
            throw e;
          }
        } else if (integrityVerified(report)) {
          lines.push(
            "",
            `(to record this review, signed, in the ledger: gxp-ledger review-batch ${batchId} --sign --as <qa client> --name "<printed name>" --key <key.pem> --passphrase-file <file>)`,
          );
        }
        output(cmd, opts.sign || opts.pdf ? result : report, lines.join("\n"));
        process.exitCode = report.exitCode;
      });
    });
}
