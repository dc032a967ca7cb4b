/**
 * `batches [--open] [--status s] [--product p] [--prefix p] [--from t] [--to t] [--verify]`: QA's
 * list of batches: id, product, first and last event time, disposition, and the verdict of the last
 * verification ("not verified" when there was none; "(N events since)" when the batch grew after
 * it). Cheap by default; `--verify` verifies each listed batch now (integrity down to the chain).
 * Exit 0, or 2 for a bad filter; with `--verify`, the worst verdict's exit code.
 */
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { BATCH_EXIT, reportHashOf } from "../../core";
import { openLedger } from "../../service/app/ledger";
import { BatchQueryError, listBatches, noteVerification } from "../../service/batch/batch-list";
import { verifyBatch } from "../../service/batch/batch-verify";
import { openReadChain } from "../../service/app/chain-context";
import { providerTransport } from "../../chain/verify-anchor";
import { readDeployment } from "../../chain/deploy";
import { BatchSummary } from "../../store/batch-index";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

interface Flags {
  open?: boolean;
  status?: string;
  product?: string;
  prefix?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  verify?: boolean;
  confirmations?: string;
}

/** The verdict column: the last verification, or "not verified". */
export function verdictText(b: BatchSummary): string {
  const v = b.verification;
  if (!v) return "not verified";
  const since = v.current
    ? ""
    : ` (${Math.max(0, b.events - v.events) || "new"} event${b.events - v.events === 1 ? "" : "s"} since)`;
  return `${v.verdict} ${v.verifiedAt}${since}`;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

/** Renders a page as a table for a terminal. */
export function renderBatches(batches: readonly BatchSummary[], next: string | null): string {
  if (!batches.length) return "no batches match";
  const rows = batches.map((b) => [
    b.batchId,
    b.product ?? "-",
    b.firstEventAt ?? "-",
    b.lastEventAt ?? "-",
    b.disposition,
    b.review ? `${b.review.printedName} ${b.review.signedAt}` : "-",
    verdictText(b),
  ]);
  const head = ["BATCH", "PRODUCT", "FIRST EVENT", "LAST EVENT", "DISPOSITION", "QA REVIEW", "VERDICT (last verified)"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, w[i]))).join("  ");
  return [line(head), ...rows.map(line), ...(next ? [`(more: --cursor ${next})`] : [])].join("\n");
}

/** Registers `batches`. */
export function batchesCommand(): Command {
  return new Command("batches")
    .description("list batches: id, product, first/last event, disposition, QA review and last verdict")
    .option("--open", "only batches with no disposition yet (--status open)")
    .option("--status <status>", "open, released, rejected or quarantined")
    .option("--product <code>", "only batches of this product code")
    .option("--prefix <text>", "only batch ids starting with this")
    .option("--from <time>", "only batches with an event at or after this RFC 3339 date or time")
    .option("--to <time>", "only batches with an event at or before this RFC 3339 date or time")
    .option("--limit <n>", "at most this many (default 100, at most 1000)")
    .option("--cursor <cursor>", "the next page, as a previous listing named it")
    .option(
      "--verify",
      "verify each listed batch now (integrity down to the chain) instead of showing the last verdict",
    )
    .option("--confirmations <n>", "with --verify: confirmations required (LEDGER_CONFIRMATIONS)")
    .action(async (opts: Flags, cmd: Command) => {
      const config = configOf(cmd, { confirmations: opts.confirmations });
      if (opts.open && opts.status && opts.status !== "open")
        throw new CliExit(EXIT.USAGE, `--open and --status ${opts.status} contradict each other`);
      let limit: number | undefined;
      if (opts.limit !== undefined) {
        limit = Number(opts.limit);
        if (!/^\d+$/.test(opts.limit))
          throw new CliExit(EXIT.USAGE, `--limit ${opts.limit}: want an integer from 1 to 1000`);
      }
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      let provider: JsonRpcProvider | undefined;
      try {
        let page;
        try {
          page = listBatches(ledger, {
            ...(opts.open ? { status: "open" } : opts.status ? { status: opts.status } : {}),
            ...(opts.product !== undefined ? { product: opts.product } : {}),
            ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
            ...(opts.from !== undefined ? { from: opts.from } : {}),
            ...(opts.to !== undefined ? { to: opts.to } : {}),
            ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
            ...(limit !== undefined ? { limit } : {}),
          });
        } catch (e) {
          if (e instanceof BatchQueryError) throw new CliExit(EXIT.USAGE, `--${e.field}: ${e.message}`);
          throw e;
        }
        let worst = 0;
        if (opts.verify) {
          const order = [0, 4, 5, 6, 1];
          const chain = async () =>
            providerTransport(
              (provider ??= (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider),
            );
          const deployment = readDeployment(config.dataDir);
          for (const b of page.batches) {
            const report = await verifyBatch(ledger, b.batchId, {
              confirmations: config.confirmations,
              deployment,
              chain,
            });
            if (!report) continue;
            noteVerification(ledger, report, "cli");
            b.verification = {
              verdict: report.verdict,
              integrityOk: report.integrity.ok,
              verifiedAt: report.generatedAt,
              events: report.events,
              current: true,
              verifiedBy: "cli",
              reportHash: reportHashOf(report),
            };
            const code = BATCH_EXIT[report.verdict];
            if (order.indexOf(code) > order.indexOf(worst)) worst = code;
          }
        }
        output(cmd, page, renderBatches(page.batches, page.next));
        process.exitCode = worst;
      } finally {
        provider?.destroy();
        ledger.close();
      }
    });
}
