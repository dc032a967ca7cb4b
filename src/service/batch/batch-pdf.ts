/**
 * The printed batch report as a PDF, rendered by the installed Chromium through playwright-core
 * (issue 13 item 5). Only where a Chromium is present: `LEDGER_CHROMIUM`, else /usr/bin/chromium;
 * otherwise a clear error, never a silent fallback. The page layout (A4, running header with the
 * document id, "page n of m") comes from the report's own CSS @page rules.
 */
import fs from "node:fs";
import { CoreError } from "../../core";

/** Why no PDF was made. */
export class PdfError extends CoreError<"PDF_CHROMIUM_MISSING" | "PDF_RENDER_FAILED"> {}

/** The Chromium binary to use. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LEDGER_CHROMIUM || "/usr/bin/chromium";
}

/** Pages of a PDF file as Chromium writes it (one `/Type /Page` object per page). */
export function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString("latin1").match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

/**
 * Renders `html` to the PDF file `out` (refused if it exists).
 * @returns pages and bytes written
 * @throws PdfError PDF_CHROMIUM_MISSING (no Chromium or no playwright-core), PDF_RENDER_FAILED
 */
export async function htmlToPdf(
  html: string,
  out: string,
  executablePath = chromiumPath(),
): Promise<{ pages: number; bytes: number }> {
  if (!fs.existsSync(executablePath)) {
    throw new PdfError(
      "PDF_CHROMIUM_MISSING",
      `no Chromium at ${executablePath}: install one (apt-get install chromium) or set LEDGER_CHROMIUM; the HTML report (--html) prints from any browser`,
      { executablePath },
    );
  }
  let chromium: typeof import("playwright-core").chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    throw new PdfError(
      "PDF_CHROMIUM_MISSING",
      "playwright-core is not installed: PDF output needs it (npm install playwright-core)",
    );
  }
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] }).catch((e: Error) => {
    throw new PdfError("PDF_RENDER_FAILED", `Chromium at ${executablePath} did not start: ${e.message.split("\n")[0]}`);
  });
  try {
    const page = await browser.newPage();
    // The report is self-contained (no script, no external resource): nothing to wait for.
    await page.setContent(html, { waitUntil: "load" });
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true, tagged: true });
    fs.writeFileSync(out, pdf, { flag: "wx" });
    return { pages: pdfPageCount(pdf), bytes: pdf.length };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw e;
    throw new PdfError("PDF_RENDER_FAILED", `rendering the PDF failed: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await browser.close();
  }
}
