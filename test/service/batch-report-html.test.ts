/**
 * The printable batch report (issue 13 item 5): the HTML a package carries is a controlled record
 * (document id, site, running header, page numbers, sign-off block, PASS worded as integrity), and
 * packages exported before it (report.html of the earlier rendering, manifest signed by the ledger)
 * still verify; a report.html that is neither rendering is still named (PACKAGE_REPORT_MISMATCH).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BatchReport, reportHashOf } from "../../src/core";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { providerTransport } from "../../src/chain/verify-anchor";
import { exportBatch, packageMessage, PackageManifest, verifyPackage } from "../../src/service/batch/batch-package";
import { batchReportHtml, documentIdOf, PRINTED_VERDICT } from "../../src/service/batch/batch-html";
import { batchReportHtmlV1 } from "../../src/service/batch/batch-html-v1";
import { loadReceiptKey } from "../../src/crypto/receipt-key";
import { generateBatch } from "../helpers/batch-fixture";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("the printable batch report", function () {
  this.timeout(180_000);
  const { chain: lc, tempDir } = useLocalChain();
  let dir: string;
  let ledger: Ledger;
  let report: BatchReport;

  before(async () => {
    dir = tempDir("gxp-report-html-");
    ledger = openLedger(dir, { maxEvents: 50, maxAgeMs: 60_000 }, undefined, false, "report-html");
    ledger.events.append(generateBatch({ batchId: "LOT-2026-011", source: "urn:mes:pasx:site-DE01:prod" }).events);
    while (ledger.sealer.seal(new Date()));
    const d = await lc.anchorAll(ledger, "report-html");
    await pinTo(ledger, lc.provider, d);
    report = (await verifyBatch(ledger, "LOT-2026-011", {
      confirmations: 1,
      chain: async () => providerTransport(lc.provider),
    }))!;
    expect(report.verdict).to.equal("PASS");
  });
  after(() => ledger.close());

  const pkg = { chainId: "31337", contract: "0x" + "11".repeat(20), ledgerName: "report-html" };

  it("is a controlled record: document id, site, running header, page numbers, sign-off block, integrity wording", () => {
    const html = batchReportHtml(report, pkg);
    const docId = documentIdOf(report);
    expect(docId).to.equal(`GXPL-BR-LOT-2026-011-${report.generatedAt.replace(/[-:]/g, "").replace(/\.\d+/, "")}`);
    expect(html).to.contain(`<title>${docId} Batch record review LOT-2026-011</title>`);
    expect(html).to.contain(`<tr><th>Document id</th><td><code>${docId}</code></td></tr>`);
    expect(html).to.contain("<tr><th>Site</th><td>DE01</td></tr>");
    expect(html).to.contain(`<code>${reportHashOf(report)}</code>`);
    expect(html).to.contain(`@top-left{content:"${docId}"`);
    expect(html).to.contain('@top-right{content:"Batch LOT-2026-011, site DE01"');
    expect(html).to.contain('@bottom-right{content:"Page " counter(page) " of " counter(pages)');
    expect(html).to.contain("<h2>Review and approval</h2>");
    expect(html).to.contain(
      "<tr><td>Reviewed by (QA)</td><td></td><td></td><td></td><td>reviewed: integrity verified</td></tr>",
    );
    expect(html).to.contain(`<span class="v PASS">${PRINTED_VERDICT.PASS}</span>`);
    expect(html).to.not.match(/>PASS</);
  });

  it("cannot end its style sheet from a batch id", () => {
    const hostile = { ...report, batchId: 'X</style><script>alert(1)</script>"' };
    const html = batchReportHtml(hostile, pkg);
    expect(html.match(/<\/style>/g)).to.have.length(1);
    expect(html).to.not.contain("<script>");
  });

  it("verify-package accepts a package exported before the printable record, and still names any other report.html", async () => {
    const out = tempDir("gxp-report-pkg-");
    const key = loadReceiptKey(dir);
    exportBatch(ledger, report, path.join(out, "p"), key);
    const p = path.join(out, "p");
    /** Replaces report.html and re-signs the manifest as the ledger did at export. */
    const withReportHtml = (html: string) => {
      fs.writeFileSync(path.join(p, "report.html"), html);
      const manifest = JSON.parse(fs.readFileSync(path.join(p, "manifest.json"), "utf8")) as PackageManifest;
      const f = manifest.files.find((x) => x.path === "report.html")!;
      f.sha256 = sha(html);
      f.bytes = Buffer.byteLength(html);
      const bytes = Buffer.from(JSON.stringify(manifest, null, 1) + "\n", "utf8");
      fs.writeFileSync(path.join(p, "manifest.json"), bytes);
      const sig = JSON.parse(fs.readFileSync(path.join(p, "manifest.sig.json"), "utf8"));
      fs.writeFileSync(
        path.join(p, "manifest.sig.json"),
        JSON.stringify(
          { ...sig, manifestSha256: sha(bytes), signature: key.signStatement(packageMessage(sha(bytes))) },
          null,
          1,
        ) + "\n",
      );
    };
    const codes = async () =>
      (
        await verifyPackage(p, { confirmations: 1, chain: async () => providerTransport(lc.provider) })
      ).integrity.findings.map((f) => f.code);
    expect(await codes()).to.deep.equal([]);
    const stated = JSON.parse(fs.readFileSync(path.join(p, "report.json"), "utf8")) as BatchReport;
    const manifest = JSON.parse(fs.readFileSync(path.join(p, "manifest.json"), "utf8")) as PackageManifest;
    const a = {
      chainId: manifest.ledger.chainId,
      contract: manifest.ledger.contract,
      ledgerName: manifest.ledger.name,
    };
    withReportHtml(batchReportHtmlV1(stated, a));
    expect(await codes()).to.deep.equal([]);
    withReportHtml(batchReportHtmlV1(stated, a).replace("Batch record", "Batch rec0rd"));
    expect(await codes()).to.deep.equal(["PACKAGE_REPORT_MISMATCH"]);
  });
});
