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
import { openLedger } from "../../src/service/ledger";
import { verifyBatch } from "../../src/service/batch-verify";
import { providerTransport } from "../../src/chain/verify-anchor";
import { exportBatch, verifyPackage, PackageManifest, PackageChainEntry, PACKAGE_FILE_MAX_BYTES } from "../../src/service/batch-package";
import { loadReceiptKey } from "../../src/crypto/receipt-key";
import { generateBatch } from "../../scripts/batch-fixture";
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

  before(async () => {
    const dir = tempDir("gxp-hostile-pkg-");
    const ledger = openLedger(dir, { maxEvents: 25, maxAgeMs: 60_000 }, undefined, false, "hostile-pkg");
    const fx = generateBatch({ batchId: "B-HOSTILE", variant: "good", source: "urn:mes:pasx:site-DE01:prod", startSequence: 1 });
    for (const e of fx.events) ledger.events.append([e]);
    while (ledger.sealer.seal(new Date()));
    await pinTo(ledger, lc.provider, await lc.anchorAll(ledger, "hostile-pkg"));
    const report = (await verifyBatch(ledger, "B-HOSTILE", { confirmations: 1, chain: async () => providerTransport(lc.provider) })) as BatchReport;
    pkg = tempDir("gxp-hostile-out-");
    exportBatch(ledger, report, path.join(pkg, "orig"), loadReceiptKey(dir));
    ledger.close();
    outside = path.join(pkg, "secret.txt");
    fs.writeFileSync(outside, SECRET + "\n");
  });
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
  const check = (dir: string) => verifyPackage(dir, { confirmations: 1, chain: async () => providerTransport(lc.provider) });
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
    const dir = copy((_d, m) => m.files.push({ path: "../secret.txt", sha256: sha(SECRET + "\n") } as PackageManifest["files"][number]));
    await expectUnsafe(dir);
    await expectStandaloneRefuses(dir);
  });

  it("names a ../ bundle in batch-chain.json and never reads it", async () => {
    const dir = copy((_d, _m, chain) => (chain[0].file = "../secret.txt"));
    const r = await expectUnsafe(dir);
    expect(r.integrity.findings.find((f) => f.code === "PACKAGE_FILE_UNSAFE")!.eventIds).to.include(JSON.parse(fs.readFileSync(path.join(dir, "batch-chain.json"), "utf8"))[0].eventId);
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
    const fifo = path.join(dir, (JSON.parse(fs.readFileSync(path.join(dir, "batch-chain.json"), "utf8")) as PackageChainEntry[])[0].file);
    for (let i = 0; i < 50 && !fs.existsSync(fifo); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.lstatSync(fifo).isFIFO()).to.equal(true);
    // A watchdog frees every reader blocked on the FIFO from 10 s on, so a regression fails on time instead of hanging the suite.
    watchdogs.push(spawn(process.execPath, ["-e", `setTimeout(() => { for (;;) require("fs").writeFileSync(${JSON.stringify(fifo)}, "{}"); }, 10000)`], { stdio: "ignore" }));
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
});
