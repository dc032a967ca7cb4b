/**
 * QA's daily work end to end (issue 13 item 5), real server on the embedded chain and the real CLI
 * (dist): `gxp-ledger batches` lists the fixture batches posted with `npm run fixture:batch`
 * (the acceptance of issue 13), an unknown id is answered with close ids, `review-batch --sign`
 * records QA's signed review in the ledger and `verify-batch` afterwards lists it, `GET /v1/batches`
 * shows it, and the report prints as a controlled record in HTML and PDF.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cli, serve, Served } from "../helpers/process";
import { BatchReport, reportHashOf } from "../../src/core";
import { pdfPageCount } from "../../src/service/batch/batch-pdf";

const ROOT = path.resolve(__dirname, "../..");
const BATCHES = [
  ["LOT-2026-011", "good"],
  ["LOT-2026-012", "open-deviation"],
  ["LOT-2026-020", "superseded-signature"],
] as const;

describe("QA's daily work end to end (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let token: string;

  async function settled(args: string[]): Promise<ReturnType<typeof cli>> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const v = cli(["--data-dir", dir, ...args]);
      if ((v.code !== 5 && v.code !== 3) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-qa-e2e-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_EVENTS: "50", LEDGER_EPOCH_MAX_AGE_SECONDS: "1" });
    token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gxp-ledger batches lists the fixture batches posted with npm run fixture:batch", () => {
    let seq = 0;
    for (const [id, variant] of BATCHES) {
      const p = spawnSync(
        "npm",
        [
          "run",
          "--silent",
          "fixture:batch",
          "--",
          "--batch",
          id,
          "--variant",
          variant,
          "--start-sequence",
          String(seq),
          "--post",
          s.url,
          "--token",
          token,
        ],
        { cwd: ROOT, encoding: "utf8" },
      );
      expect(p.status, p.stdout + p.stderr).to.equal(0);
      seq = Number(/next sourceSequence (\d+)/.exec(p.stdout)![1]);
    }
    const b = cli(["--data-dir", dir, "batches"]);
    expect(b.code, b.stderr).to.equal(0);
    const lines = b.stdout.trim().split("\n");
    expect(lines[0]).to.match(/^BATCH\s+PRODUCT\s+FIRST EVENT\s+LAST EVENT\s+DISPOSITION\s+QA REVIEW\s+VERDICT/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).to.deep.equal(BATCHES.map(([id]) => id));
    for (const l of lines.slice(1)) expect(l).to.match(/FG-IBU400-FCT\s+\S+\s+\S+\s+released\s+-\s+not verified$/);
    const json = JSON.parse(cli(["--data-dir", dir, "--json", "batches"]).stdout);
    expect(json.batches.map((x: { batchId: string }) => x.batchId)).to.deep.equal(BATCHES.map(([id]) => id));
    expect(json.next).to.equal(null);
    const pre = JSON.parse(cli(["--data-dir", dir, "--json", "batches", "--prefix", "LOT-2026-01"]).stdout);
    expect(pre.batches.map((x: { batchId: string }) => x.batchId)).to.deep.equal(["LOT-2026-011", "LOT-2026-012"]);
    expect(JSON.parse(cli(["--data-dir", dir, "--json", "batches", "--open"]).stdout).batches).to.deep.equal([]);
    expect(cli(["--data-dir", dir, "batches", "--status", "shipped"]).code).to.equal(2);
  });

  it("review-batch, verify-batch and export-batch answer an unknown id with close ids (exit 2)", () => {
    for (const cmd of [["review-batch"], ["verify-batch"], ["export-batch", "-o", path.join(dir, "nope")]]) {
      const r = cli(["--data-dir", dir, cmd[0], "LOT-2026-01", ...cmd.slice(1)]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain("did you mean LOT-2026-011, LOT-2026-012?");
    }
  });

  it("the listing shows the verdict of the last verification once a batch was reviewed", async () => {
    const v = await settled(["review-batch", "LOT-2026-011"]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    const rows = JSON.parse(cli(["--data-dir", dir, "--json", "batches"]).stdout).batches as {
      batchId: string;
      verification: { verdict: string; current: boolean } | null;
    }[];
    expect(rows[0].verification).to.include({ verdict: "PASS", current: true });
    expect(rows[1].verification).to.equal(null);
    expect(cli(["--data-dir", dir, "batches", "--prefix", "LOT-2026-011"]).stdout).to.match(
      /LOT-2026-011 .* PASS 20\d\d-/,
    );
  });

  describe("review-batch --sign", () => {
    let keyFile: string;
    let passFile: string;
    let qaToken: string;
    before(() => {
      const k = generateKeyPairSync("ed25519", {
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: {
          type: "pkcs8",
          format: "pem",
          cipher: "aes-256-cbc",
          passphrase: "m.keller's passphrase",
        },
      });
      keyFile = path.join(dir, "qa.mkeller.key.pem");
      passFile = path.join(dir, "qa.mkeller.pass");
      fs.writeFileSync(keyFile, k.privateKey, { mode: 0o600 });
      fs.writeFileSync(passFile, "m.keller's passphrase\n", { mode: 0o600 });
      fs.writeFileSync(path.join(dir, "qa.mkeller.pub.pem"), k.publicKey);
      const added = cli([
        "--data-dir",
        dir,
        "--json",
        "client",
        "add",
        "qa.mkeller",
        "--role",
        "qa",
        "--signing-key",
        path.join(dir, "qa.mkeller.pub.pem"),
      ]);
      expect(added.code, added.stderr).to.equal(0);
      qaToken = JSON.parse(added.stdout).token;
    });
    const sign = (extra: string[] = []) =>
      cli([
        "--data-dir",
        dir,
        "review-batch",
        "LOT-2026-011",
        "--sign",
        "--as",
        "qa.mkeller",
        "--name",
        "Dr. Maria Keller",
        "--key",
        keyFile,
        "--passphrase-file",
        passFile,
        "--time-zone",
        "Europe/Berlin",
        ...extra,
      ]);

    it("refuses a wrong passphrase (exit 2, REVIEW_KEY_REFUSED) and records nothing", () => {
      const wrong = path.join(dir, "wrong.pass");
      fs.writeFileSync(wrong, "guess\n");
      const r = cli([
        "--data-dir",
        dir,
        "review-batch",
        "LOT-2026-011",
        "--sign",
        "--as",
        "qa.mkeller",
        "--name",
        "Dr. Maria Keller",
        "--key",
        keyFile,
        "--passphrase-file",
        wrong,
      ]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain("REVIEW_KEY_REFUSED");
      expect(
        JSON.parse(cli(["--data-dir", dir, "--json", "verify-batch", "LOT-2026-011"]).stdout).reviews,
      ).to.deep.equal([]);
    });

    it("records the signed review, and verify-batch afterwards lists it with name, time, zone and meaning", async () => {
      const reportFile = path.join(dir, "reviewed-report.json");
      const r = sign(["--report-out", reportFile]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/SIGNED review recorded in the ledger: qa-review-\S+ \(seq \d+\)/);
      const reviewed = JSON.parse(fs.readFileSync(reportFile, "utf8")) as BatchReport;
      const hash = reportHashOf(reviewed);
      expect(r.stdout).to.contain(`verdict PASS, report ${hash}`);
      // The review event is sealed and anchored like any other; then the batch passes again.
      const v = await settled(["verify-batch", "LOT-2026-011"]);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      expect(v.stdout).to.match(
        /Dr\. Maria Keller \(QA, qa\.mkeller\) "reviewed — integrity verified" at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00 Europe\/Berlin: verdict PASS, report sha256:[0-9a-f]{64}, head LOT-2026-011-\d+ \[signed EdDSA\]/,
      );
      const json = JSON.parse(
        cli(["--data-dir", dir, "--json", "verify-batch", "LOT-2026-011", "--all"]).stdout,
      ) as BatchReport;
      expect(json.reviews).to.have.length(1);
      expect(json.reviews![0]).to.include({ reportHash: hash, status: "valid", client: "qa.mkeller" });
      expect(json.integrity.checks.find((c) => c.check === "source signatures")!.ok).to.equal(true);
      // GET /v1/batches shows the review to qa.
      const res = await fetch(`${s.url}/v1/batches?prefix=LOT-2026-011`, {
        headers: { authorization: `Bearer ${qaToken}` },
      });
      expect(res.status).to.equal(200);
      const body = await res.json();
      expect(body.batches[0].review).to.include({
        printedName: "Dr. Maria Keller",
        verdict: "PASS",
        eventId: json.reviews![0].eventId,
      });
    });
  });

  describe("the printable record", () => {
    it("writes HTML with the document id, running header, page numbers and sign-off block, and a PDF with the installed Chromium", async function () {
      if (!fs.existsSync("/usr/bin/chromium")) this.skip();
      const html = path.join(dir, "LOT-2026-011.html");
      const pdf = path.join(dir, "LOT-2026-011.pdf");
      const r = cli(["--data-dir", dir, "--json", "review-batch", "LOT-2026-011", "--html", html, "--pdf", pdf]);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as { pdf: { documentId: string; pages: number; bytes: number } };
      const docId = out.pdf.documentId;
      expect(docId).to.match(/^GXPL-BR-LOT-2026-011-\d{8}T\d{6}Z$/);
      const text = fs.readFileSync(html, "utf8");
      expect(text).to.contain(`<tr><th>Document id</th><td><code>${docId}</code></td></tr>`);
      expect(text).to.contain("<tr><th>Site</th><td>DE01</td></tr>");
      expect(text).to.contain(`@top-left{content:"${docId}"`);
      expect(text).to.contain('@bottom-right{content:"Page " counter(page) " of " counter(pages)');
      expect(text).to.contain("<h2>Review and approval</h2>");
      expect(text).to.contain("Integrity verified: every event anchored, checklist complete");
      expect(text).to.not.match(/class="v PASS">PASS</);
      const bytes = fs.readFileSync(pdf);
      expect(bytes.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
      expect(bytes.length).to.equal(out.pdf.bytes);
      expect(pdfPageCount(bytes)).to.equal(out.pdf.pages);
      expect(out.pdf.pages).to.be.greaterThan(1);
      expect(bytes.toString("latin1")).to.contain(`/Title (${docId} Batch record review LOT-2026-011)`);
    });

    it("says clearly that there is no Chromium (exit 3, PDF_CHROMIUM_MISSING) and writes no PDF", () => {
      const pdf = path.join(dir, "none.pdf");
      const r = cli(["--data-dir", dir, "review-batch", "LOT-2026-011", "--pdf", pdf], {
        LEDGER_CHROMIUM: path.join(dir, "no-chromium"),
      });
      expect(r.code).to.equal(3);
      expect(r.stderr).to.contain("PDF_CHROMIUM_MISSING");
      expect(fs.existsSync(pdf)).to.equal(false);
    });
  });
});
