/**
 * Hostile packages (issue 12 item 7): verify-package and the standalone script's package mode read
 * only regular files whose real path is inside the package, with a size cap. `../` names in the
 * manifest or batch-chain.json, symbolic links out of the package (to /etc/passwd, to /dev/zero),
 * FIFOs and oversized files are named (PACKAGE_FILE_UNSAFE) and never read, never hang.
 */
import { expect } from "chai";
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BatchReport } from "../../src/core";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { writeDeployment } from "../../src/chain/deploy";
import { cli } from "../helpers/process";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { providerTransport } from "../../src/chain/verify-anchor";
import {
  exportBatch,
  PackageError,
  verifyPackage,
  PackageManifest,
  PackageChainEntry,
  PACKAGE_FILE_MAX_BYTES,
} from "../../src/service/batch/batch-package";
import { loadReceiptKey } from "../../src/crypto/receipt-key";
import { generateBatch } from "../helpers/batch-fixture";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as {
  verifyPackage(dir: string, rpcs: string[], opts?: object): Promise<unknown>;
  Failure: new (...a: unknown[]) => Error;
};

/** The size cap verify-package applies (PACKAGE_FILE_MAX_BYTES). */
const CAP = 64 * 1024 * 1024;
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("hostile packages", function () {
  this.timeout(180_000);
  const { chain: lc, tempDir } = useLocalChain();
  let pkg: string;
  let outside: string;
  const SECRET = "root:x:0:0:secret-outside-the-package";
  const watchdogs: ChildProcess[] = [];

  let dataDir: string;
  let ledger: Ledger;
  let report: BatchReport;
  let firstEventId: string;
  before(async () => {
    const dir = (dataDir = tempDir("gxp-hostile-pkg-"));
    ledger = openLedger(dir, { maxEvents: 25, maxAgeMs: 60_000 }, undefined, false, "hostile-pkg");
    const fx = generateBatch({
      batchId: "B-HOSTILE",
      variant: "good",
      source: "urn:mes:pasx:site-DE01:prod",
      startSequence: 1,
    });
    for (const e of fx.events) ledger.events.append([e]);
    while (ledger.sealer.seal(new Date()));
    firstEventId = String(fx.events[0].id);
    const d = await lc.anchorAll(ledger, "hostile-pkg");
    await pinTo(ledger, lc.provider, d);
    // The deployment file the CLI's proof command reads.
    writeDeployment(dir, {
      chainId: String((await lc.provider.getNetwork()).chainId),
      contract: d.contract,
      ledgerName: "hostile-pkg",
      ledgerId: d.ledgerId,
      rpcUrl: lc.rpcUrl,
      deployTx: "",
      deployBlock: 0,
      admin: "",
      anchorer: "",
      development: true,
    });
    report = (await verifyBatch(ledger, "B-HOSTILE", {
      confirmations: 1,
      chain: async () => providerTransport(lc.provider),
    })) as BatchReport;
    pkg = tempDir("gxp-hostile-out-");
    exportBatch(ledger, report, path.join(pkg, "orig"), loadReceiptKey(dir));
    outside = path.join(pkg, "secret.txt");
    fs.writeFileSync(outside, SECRET + "\n");
  });
  after(() => ledger?.close());
  afterEach(() => {
    for (const w of watchdogs.splice(0)) if (w.exitCode === null) w.kill("SIGKILL");
  });

  /** A fresh copy of the package, changed by `edit`; the manifest is rewritten after (an attacker's own package). */
  const copy = (edit: (dir: string, m: PackageManifest, chain: PackageChainEntry[]) => void): string => {
    const dir = fs.mkdtempSync(path.join(pkg, "copy-"));
    fs.cpSync(path.join(pkg, "orig"), dir, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as PackageManifest;
    const chain = JSON.parse(fs.readFileSync(path.join(dir, "batch-chain.json"), "utf8")) as PackageChainEntry[];
    edit(dir, m, chain);
    fs.writeFileSync(path.join(dir, "batch-chain.json"), JSON.stringify(chain));
    const listing = m.files.find((f) => f.path === "batch-chain.json");
    if (listing) listing.sha256 = sha(fs.readFileSync(path.join(dir, "batch-chain.json")));
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(m));
    return dir;
  };
  /** Swaps the first bundle for `make(fullPath)` (a link, a FIFO, …), keeping its name in manifest and listing. */
  const swapBundle = (make: (full: string) => void) =>
    copy((d, _m, chain) => {
      const full = path.join(d, chain[0].file);
      fs.rmSync(full);
      make(full);
    });
  const check = (dir: string) =>
    verifyPackage(dir, { confirmations: 1, chain: async () => providerTransport(lc.provider) });
  const expectUnsafe = async (dir: string) => {
    const t0 = Date.now();
    const r = await check(dir);
    expect(Date.now() - t0, "took too long: a read blocked").to.be.below(8000);
    const codes = r.integrity.findings.map((f) => f.code);
    expect(codes, JSON.stringify(r.integrity.findings, null, 1)).to.include("PACKAGE_FILE_UNSAFE");
    expect(r.exitCode).to.equal(1);
    expect(JSON.stringify(r)).to.not.contain("secret-outside-the-package");
    return r;
  };
  /** The standalone script's package mode refuses it too, without reading it. */
  const expectStandaloneRefuses = async (dir: string, step = "package files") => {
    const t0 = Date.now();
    const e = await standalone.verifyPackage(dir, [lc.rpcUrl]).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(Date.now() - t0).to.be.below(8000);
    expect(e).to.be.instanceOf(standalone.Failure);
    expect((e as Error & { step?: string }).step, e?.message).to.equal(step);
    expect(String(e?.message)).to.not.contain("secret-outside-the-package");
  };

  it("names a ../ path in the manifest and never reads it", async () => {
    const dir = copy((_d, m) =>
      m.files.push({ path: "../secret.txt", sha256: sha(SECRET + "\n") } as PackageManifest["files"][number]),
    );
    await expectUnsafe(dir);
    await expectStandaloneRefuses(dir);
  });

  it("names a ../ bundle in batch-chain.json and never reads it", async () => {
    const dir = copy((_d, _m, chain) => (chain[0].file = "../secret.txt"));
    const r = await expectUnsafe(dir);
    expect(r.integrity.findings.find((f) => f.code === "PACKAGE_FILE_UNSAFE")!.eventIds).to.include(
      JSON.parse(fs.readFileSync(path.join(dir, "batch-chain.json"), "utf8"))[0].eventId,
    );
    // The script checks the manifest's signature before it reads any bundle: the rewritten listing stops it there.
    await expectStandaloneRefuses(dir, "manifest signature");
  });

  it("names a bundle that is a symbolic link out of the package (to a secret, to /etc/passwd) and never reads it", async () => {
    await expectUnsafe(swapBundle((full) => fs.symlinkSync(outside, full)));
    const dir = swapBundle((full) => fs.symlinkSync("/etc/passwd", full));
    const r = await expectUnsafe(dir);
    expect(JSON.stringify(r)).to.not.match(/root:x?:0:0/);
    await expectStandaloneRefuses(dir);
  });

  it("names a directory of the package that is a symbolic link out of it", async () => {
    const dir = copy((d, m) => {
      fs.mkdirSync(path.join(pkg, "evil"), { recursive: true });
      fs.writeFileSync(path.join(pkg, "evil", "x.json"), SECRET);
      fs.symlinkSync(path.join(pkg, "evil"), path.join(d, "docs2"));
      m.files.push({ path: "docs2/x.json", sha256: sha(SECRET) } as PackageManifest["files"][number]);
    });
    await expectUnsafe(dir);
    await expectStandaloneRefuses(dir);
  });

  it("names a bundle that is a FIFO and does not hang on it", async () => {
    const dir = swapBundle((full) => execFileSync("mkfifo", [full]));
    const fifo = path.join(
      dir,
      (JSON.parse(fs.readFileSync(path.join(dir, "batch-chain.json"), "utf8")) as PackageChainEntry[])[0].file,
    );
    for (let i = 0; i < 50 && !fs.existsSync(fifo); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.lstatSync(fifo).isFIFO()).to.equal(true);
    // A watchdog frees every reader blocked on the FIFO from 10 s on, so a regression fails on time instead of hanging the suite.
    watchdogs.push(
      spawn(
        process.execPath,
        ["-e", `setTimeout(() => { for (;;) require("fs").writeFileSync(${JSON.stringify(fifo)}, "{}"); }, 10000)`],
        { stdio: "ignore" },
      ),
    );
    await expectUnsafe(dir);
    await expectStandaloneRefuses(dir);
  });

  it("names a bundle that is a link to /dev/zero and does not read it", async () => {
    const dir = swapBundle((full) => fs.symlinkSync("/dev/zero", full));
    await expectUnsafe(dir);
    await expectStandaloneRefuses(dir);
  });

  it("names a file over the size cap and does not read it", async () => {
    const dir = copy((d, m) => {
      const big = path.join(d, "docs", "big.bin");
      fs.writeFileSync(big, "");
      fs.truncateSync(big, CAP + 1); // sparse: no disk used
      m.files.push({ path: "docs/big.bin", sha256: sha(Buffer.alloc(CAP + 1)) } as PackageManifest["files"][number]);
    });
    const r = await expectUnsafe(dir);
    expect(r.integrity.findings.find((f) => f.code === "PACKAGE_FILE_UNSAFE")!.message).to.contain("docs/big.bin");
    expect(PACKAGE_FILE_MAX_BYTES).to.equal(CAP);
    const t0 = Date.now();
    const e = (await standalone.verifyPackage(dir, [lc.rpcUrl]).catch((x: Error) => x)) as Error;
    expect(Date.now() - t0).to.be.below(8000);
    expect(e.message).to.contain("docs/big.bin").and.contain("limit");
  });

  describe("writing: export-batch -o and proof -o", () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
        return undefined;
      } catch (e) {
        expect(e).to.be.instanceOf(PackageError);
        return (e as PackageError).code;
      }
    };

    it("export-batch refuses a target that is a symbolic link (unless forced) or a file, writing nothing", () => {
      const key = loadReceiptKey(dataDir);
      const elsewhere = fs.mkdtempSync(path.join(pkg, "elsewhere-"));
      const link = path.join(pkg, `link-${Date.now()}`);
      fs.symlinkSync(elsewhere, link);
      expect(codeOf(() => exportBatch(ledger, report, link, key))).to.equal("PACKAGE_TARGET_UNSAFE");
      expect(fs.readdirSync(elsewhere)).to.deep.equal([]);
      const file = path.join(pkg, `file-${Date.now()}`);
      fs.writeFileSync(file, "keep me");
      expect(codeOf(() => exportBatch(ledger, report, file, key))).to.equal("PACKAGE_TARGET_UNSAFE");
      expect(fs.readFileSync(file, "utf8")).to.equal("keep me");
      // Told to: the package goes where the link points.
      exportBatch(ledger, report, link, key, new Date(), undefined, { force: true });
      expect(fs.readdirSync(elsewhere)).to.include("manifest.json");
    });

    it("proof -o refuses to overwrite a file or write through a symbolic link unless --force", () => {
      const out = fs.mkdtempSync(path.join(pkg, "proof-out-"));
      const victim = path.join(out, "victim.txt");
      fs.writeFileSync(victim, "ORIGINAL");
      const link = path.join(out, "link.json");
      fs.symlinkSync(victim, link);
      const viaLink = cli(["--data-dir", dataDir, "proof", firstEventId, "-o", link]);
      expect(viaLink.code, viaLink.stderr).to.equal(2);
      expect(fs.readFileSync(victim, "utf8")).to.equal("ORIGINAL");
      const existing = path.join(out, "existing.json");
      fs.writeFileSync(existing, "ORIGINAL");
      const over = cli(["--data-dir", dataDir, "proof", firstEventId, "-o", existing]);
      expect(over.code, over.stderr).to.equal(2);
      expect(fs.readFileSync(existing, "utf8")).to.equal("ORIGINAL");
      // A new file is written; --force overwrites.
      const fresh = cli(["--data-dir", dataDir, "proof", firstEventId, "-o", path.join(out, "new.json")]);
      expect(fresh.code, fresh.stderr).to.equal(0);
      expect(JSON.parse(fs.readFileSync(path.join(out, "new.json"), "utf8")).record.event.id).to.equal(firstEventId);
      const forced = cli(["--data-dir", dataDir, "proof", firstEventId, "-o", existing, "--force"]);
      expect(forced.code, forced.stderr).to.equal(0);
      expect(JSON.parse(fs.readFileSync(existing, "utf8")).record.event.id).to.equal(firstEventId);
    });
  });
});
