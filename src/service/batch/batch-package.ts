/**
 * The regulator package of one batch (`export-batch`) and its verification with only the package and
 * the chain (`verify-package`). The package holds every event of the batch as a proof bundle, the
 * batch chain, the ledger's report (JSON and printable HTML), a README on verifying it, and a
 * manifest listing every file with its SHA-256. Removing, adding or editing any file or event makes
 * verification fail, naming what is wrong.
 */
import { PinError } from "../security/pin-check";
import fs from "node:fs";
import path from "node:path";
import { createHash, createPublicKey, KeyObject, verify } from "node:crypto";
import { keyIdOf, ReceiptKey } from "../../crypto/receipt-key";
import {
  BatchEntry,
  BatchReport,
  BatchSourceGap,
  Finding,
  IntegrityCheck,
  JsonRpcTransport,
  ProofBundle,
  TrustPin,
  TrustProfile,
  batchReportOf,
  bundleFileText,
  checkPin,
  pinSummary,
  trustProfileFingerprint,
  trustedKeyOf,
  reviewBatch,
  verifyProofOffline,
} from "../../core";
import { nodeHasher } from "../../crypto/node-hasher";
import { buildProof } from "../proof/proof";
import { Ledger } from "../app/ledger";
import { batchReportHtml } from "./batch-html";
import { batchReportHtmlV1 } from "./batch-html-v1";
import { checkEpochAnchors, EpochClaim } from "./epoch-anchors";

/** Package format identifier. */
export const PACKAGE_VERSION = "gxp-ledger.batch-package/1";

/** One line of batch-chain.json. */
export interface PackageChainEntry {
  batchSeq: number;
  seq: number;
  eventId: string;
  type: string;
  leafHash: string;
  prevLeafHash: string | null;
  epoch: number;
  file: string;
}

/** manifest.json. */
export interface PackageManifest {
  packageVersion: typeof PACKAGE_VERSION;
  batchId: string;
  generatedAt: string;
  ledger: { name: string; chainId: string; contract: string; ledgerId: string };
  events: number;
  /** The last event of the batch at export: the package cannot show that none came after it. */
  head: { batchSeq: number; eventId: string; leafHash: string };
  /** Source sequence gaps the ledger flagged at ingestion for events of this batch. */
  sourceGaps: BatchSourceGap[];
  files: { path: string; sha256: string; bytes: number }[];
}

/** Domain string of the ledger's signature over a package manifest. */
export const PACKAGE_STATEMENT = "gxp-ledger batch package manifest v1";

/** manifest.sig.json: the ledger's receipt key over the manifest's SHA-256. */
export interface PackageSignature {
  algorithm: "Ed25519";
  statement: typeof PACKAGE_STATEMENT;
  keyId: string;
  publicKeyPem: string;
  manifestSha256: string;
  signature: string;
}

/** The bytes signed: the statement, a newline, the manifest's SHA-256 in hex. */
export function packageMessage(manifestSha256: string): Buffer {
  return Buffer.from(`${PACKAGE_STATEMENT}\n${manifestSha256}`, "utf8");
}

/** Why an export was refused. */
export class PackageError extends Error {
  constructor(
    readonly code:
      | "BATCH_NOT_FOUND"
      | "BATCH_INTEGRITY_FAILED"
      | "BATCH_NOT_ANCHORED"
      | "PACKAGE_TARGET_NOT_EMPTY"
      | "PACKAGE_UNREADABLE"
      | "PACKAGE_TOOLS_MISSING"
      | "PACKAGE_TRUST_MISMATCH"
      | "PACKAGE_TARGET_UNSAFE",
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const safe = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, "_");

const ROOT = path.resolve(__dirname, "..", "..", "..");

/**
 * What an inspector checks the package with off site, shipped inside it (and listed in the manifest):
 * the browser page, the standalone script and the format documents. [file in the package, source].
 */
export const PACKAGE_TOOLS: readonly [string, string][] = [
  ["verify.html", path.join(ROOT, "web", "dist", "verify.html")],
  ["verify-proof-standalone.js", path.join(ROOT, "scripts", "verify-proof-standalone.js")],
  ["docs/proof-format.md", path.join(ROOT, "docs", "proof-format.md")],
  ["docs/proof.schema.json", path.join(ROOT, "docs", "proof.schema.json")],
  ["docs/trust-profile.md", path.join(ROOT, "docs", "trust-profile.md")],
  ["docs/trust-profile.schema.json", path.join(ROOT, "docs", "trust-profile.schema.json")],
];

/** Options of exportBatch. */
export interface ExportOptions {
  /** Write into the directory a symbolic link `dir` points to (refused without). */
  force?: boolean;
}

/**
 * Writes the package of a batch into `dir` (created; must not exist or be empty; a symbolic link
 * only with `opts.force`; no file is ever overwritten). Refuses a batch
 * whose integrity fails or whose events are not all anchored with the confirmations required. With
 * `trust`, a copy of the site's trust profile goes in too (it must name this ledger's chain,
 * contract and ledger): the README tells the inspector to compare its fingerprint with the one the
 * site gave them before using it.
 * @throws PackageError; ChainError CHAIN_UNREACHABLE
 */
export function exportBatch(
  ledger: Ledger,
  report: BatchReport,
  dir: string,
  key: ReceiptKey,
  now: Date = new Date(),
  trust?: TrustProfile,
  opts: ExportOptions = {},
): PackageManifest {
  if (report.verdict === "INTEGRITY-FAIL") {
    throw new PackageError(
      "BATCH_INTEGRITY_FAILED",
      `batch ${report.batchId} fails integrity (${report.integrity.findings[0]?.message}); run verify-batch: no package is made of a tampered record`,
    );
  }
  if (report.verdict === "NOT-ANCHORED") {
    throw new PackageError(
      "BATCH_NOT_ANCHORED",
      `batch ${report.batchId}: ${report.anchoring.notAnchored.length} events are not yet anchored with the confirmations required; export once they are`,
    );
  }
  // The target (issue 12 item 7): never through a symbolic link unless told, never over a file.
  let target: fs.Stats | undefined;
  try {
    target = fs.lstatSync(dir);
  } catch {
    target = undefined;
  }
  if (target?.isSymbolicLink() && !opts.force)
    throw new PackageError(
      "PACKAGE_TARGET_UNSAFE",
      `${dir} is a symbolic link: pass --force to write into the directory it points to`,
    );
  if (target && !target.isSymbolicLink() && !target.isDirectory())
    throw new PackageError(
      "PACKAGE_TARGET_UNSAFE",
      `${dir} exists and is not a directory: export into a new directory`,
    );
  if (fs.existsSync(dir) && fs.readdirSync(dir).length)
    throw new PackageError("PACKAGE_TARGET_NOT_EMPTY", `${dir} is not empty: export into a new directory`);
  for (const [, src] of PACKAGE_TOOLS) {
    if (!fs.existsSync(src)) {
      throw new PackageError(
        "PACKAGE_TOOLS_MISSING",
        `${path.relative(ROOT, src)} is missing from this installation${src.endsWith(".html") ? ": run `npm run build` (it builds the verifier page the package carries)" : ""}`,
      );
    }
  }
  fs.mkdirSync(path.join(dir, "events"), { recursive: true });
  fs.mkdirSync(path.join(dir, "docs"), { recursive: true });
  const files: PackageManifest["files"] = [];
  const write = (rel: string, text: string) => {
    const buf = Buffer.from(text, "utf8");
    fs.writeFileSync(path.join(dir, rel), buf, { flag: "wx" }); // never over a file or through a link that appeared meanwhile
    files.push({ path: rel, sha256: sha256(buf), bytes: buf.length });
  };

  const chain: PackageChainEntry[] = [];
  const anchorers = new Set<string>();
  const keyIds = new Set<string>();
  let bundle: ProofBundle | undefined;
  for (const t of report.trail) {
    const ev = ledger.events.getById(t.eventId)!;
    let r: ReturnType<typeof buildProof>;
    try {
      r = buildProof(ledger, ev);
    } catch (e) {
      // The ledger's pin (src/service/security/pin-check.ts): no package of epochs it cannot show as its own.
      if (e instanceof PinError)
        throw new PackageError(
          "BATCH_INTEGRITY_FAILED",
          `batch ${report.batchId}, event ${t.eventId}: ${e.message}; no package is made of a record the ledger cannot show as its own`,
        );
      throw e;
    }
    if (!r.ok) throw new PackageError("BATCH_NOT_ANCHORED", `event ${t.eventId} is ${r.position.status}: no proof yet`);
    bundle = r.bundle;
    anchorers.add(bundle.anchor.anchorer);
    keyIds.add(bundle.checkpoint.keyId);
    const file = `events/${String(t.batchSeq).padStart(6, "0")}-${safe(t.eventId)}.proof.json`;
    write(file, bundleFileText(bundle));
    chain.push({
      batchSeq: t.batchSeq,
      seq: t.seq,
      eventId: t.eventId,
      type: t.type,
      leafHash: bundle.leafHash,
      prevLeafHash: bundle.record.batchLink?.prevLeafHash ?? null,
      epoch: bundle.epoch,
      file,
    });
  }
  const a = bundle!.anchor;
  const pkg = { chainId: a.chainId, contract: a.contract, ledgerName: a.ledgerName };
  if (
    trust &&
    (trust.chain.chainId !== a.chainId ||
      trust.contract.toLowerCase() !== a.contract.toLowerCase() ||
      trust.ledger.name !== a.ledgerName)
  ) {
    throw new PackageError(
      "PACKAGE_TRUST_MISMATCH",
      `the trust profile names ledger ${trust.ledger.name} in ${trust.contract} on chain ${trust.chain.chainId}; this batch is anchored for ledger ${a.ledgerName} in ${a.contract} on chain ${a.chainId}`,
    );
  }
  write("batch-chain.json", JSON.stringify(chain, null, 1) + "\n");
  write("report.json", JSON.stringify(report, null, 1) + "\n");
  write("report.html", batchReportHtml(report, pkg));
  for (const [rel, src] of PACKAGE_TOOLS) write(rel, fs.readFileSync(src, "utf8"));
  if (trust) write("site-trust.json", JSON.stringify(trust, null, 2) + "\n");
  write(
    "README.txt",
    readme(report.batchId, {
      ...pkg,
      anchorers: [...anchorers],
      keyIds: [...keyIds],
      fingerprint: trust && trustProfileFingerprint(trust),
    }),
  );
  const last = chain[chain.length - 1];
  const ids = new Set(chain.map((c) => c.eventId));
  const manifest: PackageManifest = {
    packageVersion: PACKAGE_VERSION,
    batchId: report.batchId,
    generatedAt: now.toISOString(),
    ledger: { name: a.ledgerName, chainId: a.chainId, contract: a.contract, ledgerId: a.ledgerId },
    events: chain.length,
    head: { batchSeq: last.batchSeq, eventId: last.eventId, leafHash: last.leafHash },
    sourceGaps: ledger.events
      .sourceGaps()
      .filter((g) => ids.has(g.eventId))
      .map((g) => ({ eventId: g.eventId, source: g.source, expected: g.expected, got: g.got })),
    files,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 1) + "\n", "utf8");
  fs.writeFileSync(path.join(dir, "manifest.json"), manifestBytes, { flag: "wx" });
  // The ledger signs the manifest (and with it the head): cutting events off the end of the batch
  // and rewriting the manifest to match then needs the ledger's key.
  const manifestSha256 = sha256(manifestBytes);
  const signature: PackageSignature = {
    algorithm: "Ed25519",
    statement: PACKAGE_STATEMENT,
    keyId: key.keyId,
    publicKeyPem: key.publicKeyPem,
    manifestSha256,
    signature: key.signStatement(packageMessage(manifestSha256)),
  };
  fs.writeFileSync(path.join(dir, "manifest.sig.json"), JSON.stringify(signature, null, 1) + "\n", { flag: "wx" });
  return manifest;
}

function readme(
  batchId: string,
  pkg: {
    chainId: string;
    contract: string;
    ledgerName: string;
    anchorers: string[];
    keyIds: string[];
    fingerprint?: string;
  },
): string {
  return `Regulator package of batch ${batchId} (gxp-ledger, ${PACKAGE_VERSION})

manifest.json               every file of the package with its SHA-256 and size
manifest.sig.json           the ledger's Ed25519 signature over manifest.json
report.html, report.json    the batch record review, for reading and printing, and for machines
batch-chain.json            the events in batch order: batch sequence, ledger sequence, leaf hash, previous leaf hash, epoch, file
events/                     one proof bundle per event (application/vnd.gxp-ledger.proof+json;version=2)
verify-proof-standalone.js  a verifier in plain Node.js (18 or later), no dependencies, short enough to read
verify.html                 the same checks in a browser page, opened from disk
docs/                       the proof bundle and trust profile formats, with their JSON Schemas
${pkg.fingerprint ? `site-trust.json             a COPY of the site's trust profile (fingerprint ${pkg.fingerprint})\n` : ""}
What the package claims: the events were recorded by ledger "${pkg.ledgerName}", whose epoch roots are
anchored on EVM chain ${pkg.chainId} in contract ${pkg.contract}, by account(s) ${pkg.anchorers.join(", ")},
and signed by ledger key(s) ${pkg.keyIds.join(", ")}.

A claim is only as good as what you compare it with. Anyone can deploy a copy of the contract, anchor
roots of their own and write a package like this one. What makes it the site's ledger is the site's
TRUST PROFILE (site-trust.json): get it from the site through a channel you trust, and check that its
fingerprint equals the one in the quality agreement or site master file:

  node verify-proof-standalone.js --fingerprint site-trust.json

${pkg.fingerprint ? "The copy in this package is a convenience: use it only if its fingerprint matches the one the site gave you.\n" : ""}
Then verify with only this directory, Node.js and any node of chain ${pkg.chainId} (no software from the site):

  node verify-proof-standalone.js --package . --trust site-trust.json --rpc <URL of a node of chain ${pkg.chainId}>

It checks every file against the manifest, the manifest's signature by a key of the profile, every
event's record, audit path and the ledger's checkpoint signature, and on chain the anchor of every
epoch: contract, ledger, anchoring account and genesis block as the profile pins them. It ends in
"VERIFIED (pinned) …" naming the organisation, site, contract, ledger and anchoring account, and
exits 0; "UNPINNED" (exit 6) means it was run without a trust profile and proves nothing about whose
ledger this is; "FAILED <step>: …" (exit 1) names what does not hold.

In a browser: open verify.html, load site-trust.json, drop any file of events/, type an RPC URL of
chain ${pkg.chainId}, press Verify: each step is listed, and the verdict names the pinned site.

With gxp-ledger itself (at the site): gxp-ledger verify-package <this directory> --trust site-trust.json --rpc <URL>

By hand (docs/proof-format.md): leaf = SHA-256(0x00 || RFC 8785 form of "record"); the audit path leads
to "root" (RFC 9162 section 2.1.3); getAnchor(ledgerId, epoch) on the contract returns that root; the
anchor transaction was sent by the pinned anchoring account. Each record's batchLink.batchSeq counts
0, 1, 2, ... and batchLink.prevLeafHash is the leaf hash of the batch's previous event: a missing,
inserted or reordered event breaks that chain. manifest.sig.json fixes every file's hash and the
batch's last event ("head"): cutting events off the end needs the ledger's key. That no event of the
batch came after the head is shown by the ledger's own verify-batch or by the MES's receipts.
`;
}

/** Options of verifyPackage. */
export interface VerifyPackageOptions {
  /** The chain; connected once the package's own checks ran. */
  chain?: () => Promise<JsonRpcTransport>;
  /**
   * What the inspector pins (the site's trust profile, or explicit values): every bundle's chain,
   * contract, ledger, anchoring account and checkpoint key, and the manifest's signing key, must be
   * the pinned ones. Without a complete pin the verdict is UNPINNED at best.
   */
  pin?: TrustPin;
  /** The ledger's receipt public key (PEM) the inspector got from the site: pins the key (added to `pin`). */
  ledgerKeyPem?: string;
  confirmations: number;
  now?: () => Date;
}

/** A pin with the key of a PEM added (a key valid at all times). */
function withKey(pin: TrustPin | undefined, pem: string | undefined): TrustPin | undefined {
  if (!pem) return pin;
  const key = trustedKeyOf(createPublicKey(pem).export({ type: "spki", format: "pem" }).toString());
  if (!key) throw new PackageError("PACKAGE_UNREADABLE", "the ledger key given is not an Ed25519 public key");
  return { ...(pin ?? { source: "the ledger key given" }), keys: [...(pin?.keys ?? []), key] };
}

/** Largest file of a package read by verify-package (a bundle is a few KB; the tools, under 1 MiB). */
export const PACKAGE_FILE_MAX_BYTES = 64 * 1024 * 1024;
/** Most entries below a package directory listed by verify-package. */
const PACKAGE_MAX_ENTRIES = 1_000_000;

/** A file of a package that is not read: outside the package, not a regular file, or too large. */
class UnsafeFile extends Error {
  readonly code = "PACKAGE_FILE_UNSAFE";
}

/**
 * The package's entries (relative paths, "/"-separated): regular files, and, named in `unsafe`, any
 * other kind (symbolic links, FIFOs, devices, sockets), which are never followed nor read.
 */
function listFiles(dir: string, unsafe: Map<string, string>, rel = "", seen = { n: 0 }): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    if (++seen.n > PACKAGE_MAX_ENTRIES)
      throw new PackageError("PACKAGE_UNREADABLE", `${dir}: more than ${PACKAGE_MAX_ENTRIES} entries`);
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) return listFiles(dir, unsafe, p, seen);
    if (!d.isFile()) unsafe.set(p, d.isSymbolicLink() ? "a symbolic link" : "not a regular file");
    return [p];
  });
}

/**
 * Reads the package file `rel` only when it is a regular file whose real path lies inside `dir`, at
 * most `PACKAGE_FILE_MAX_BYTES`: never a `../` name, an absolute path, a symbolic link (the last
 * component is opened with O_NOFOLLOW, and the real path is checked for links on the way), a FIFO
 * (opened non-blocking, so it cannot hang), a device or a socket.
 * @returns the bytes, or undefined when there is no such file
 * @throws UnsafeFile naming why it was not read
 */
function readPackageFile(dir: string, rel: unknown): Buffer | undefined {
  if (
    typeof rel !== "string" ||
    rel === "" ||
    rel.includes("\0") ||
    rel.includes("\\") ||
    path.isAbsolute(rel) ||
    rel.split("/").some((s) => s === ".." || s === "." || s === "")
  ) {
    throw new UnsafeFile(`${JSON.stringify(rel)} is not a plain relative path inside the package`);
  }
  const root = fs.realpathSync(dir);
  const full = path.join(root, rel);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      // A dangling symbolic link is still a link: name it rather than calling it missing.
      try {
        if (fs.lstatSync(full).isSymbolicLink()) throw new UnsafeFile(`${rel} is a symbolic link`);
      } catch (e2) {
        if (e2 instanceof UnsafeFile) throw e2;
      }
      return undefined;
    }
    throw new UnsafeFile(`${rel} cannot be resolved (${(e as NodeJS.ErrnoException).code})`);
  }
  if (real !== full)
    throw new UnsafeFile(
      `${rel} is reached through a symbolic link${real.startsWith(root + path.sep) ? "" : " out of the package"}`,
    );
  let fd: number;
  try {
    fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new UnsafeFile(`${rel} cannot be opened safely (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFile(`${rel} is not a regular file`);
    if (st.size > PACKAGE_FILE_MAX_BYTES)
      throw new UnsafeFile(`${rel} has ${st.size} bytes, over the ${PACKAGE_FILE_MAX_BYTES}-byte limit`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

/** A package file as UTF-8 text, read as readPackageFile does. @throws UnsafeFile; Error when missing */
function readText(dir: string, rel: unknown): string {
  const b = readPackageFile(dir, rel);
  if (!b) throw new Error(`${String(rel)}: no such file`);
  return b.toString("utf8");
}

/**
 * Verifies a package with only its files and the chain. Returns the batch report recomputed from the
 * package's records (checkedFrom "package"), with every problem found named.
 * @throws PackageError PACKAGE_UNREADABLE when there is no readable manifest; ChainError CHAIN_UNREACHABLE
 *   when the package's own checks pass and the chain cannot be asked
 */
export async function verifyPackage(dir: string, opts: VerifyPackageOptions): Promise<BatchReport> {
  let manifest: PackageManifest;
  // Read once: parsed here, hashed as these very bytes for the ledger's signature.
  let manifestBytes: Buffer;
  try {
    const b = readPackageFile(dir, "manifest.json");
    if (!b) throw new Error("no such file");
    manifestBytes = b;
    manifest = JSON.parse(manifestBytes.toString("utf8")) as PackageManifest;
  } catch (e) {
    throw new PackageError(
      "PACKAGE_UNREADABLE",
      `${dir}: no readable manifest.json (${(e as Error).message.split("\n")[0]})`,
    );
  }
  if (manifest.packageVersion !== PACKAGE_VERSION || !Array.isArray(manifest.files)) {
    throw new PackageError("PACKAGE_UNREADABLE", `${dir}/manifest.json is not a ${PACKAGE_VERSION} manifest`);
  }
  const findings: Finding[] = [];
  const checks: IntegrityCheck[] = [];
  const fail = (code: string, message: string, eventIds: string[] = []) => findings.push({ code, message, eventIds });
  const pin = withKey(opts.pin, opts.ledgerKeyPem);
  const unpinned = new Set<string>();

  // 0. The ledger's signature over the manifest (which fixes the batch's head and every file's hash),
  //    by a pinned key valid when the package was made.
  checks.push(checkPackageSignature(dir, manifestBytes, pin, Date.parse(manifest.generatedAt), fail, unpinned));

  // 1. Files: exactly the manifest's, each with its hash.
  //    Only regular files inside the package are read (issue 12 item 7): a `../` name, a symbolic
  //    link, a FIFO or a device is named PACKAGE_FILE_UNSAFE and never opened for reading.
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const unsafeEntries = new Map<string, string>();
  const present = listFiles(dir, unsafeEntries).filter((p) => p !== "manifest.json" && p !== "manifest.sig.json");
  for (const [p, why] of unsafeEntries) fail("PACKAGE_FILE_UNSAFE", `${p} is ${why}: not read`);
  for (const p of present)
    if (!listed.has(p)) fail("PACKAGE_FILE_ADDED", `file ${p} is not in the manifest: it was added`);
  for (const f of manifest.files) {
    let bytes: Buffer | undefined;
    try {
      bytes = unsafeEntries.has(f.path) ? undefined : readPackageFile(dir, f.path);
    } catch (e) {
      if (!(e instanceof UnsafeFile)) throw e;
      fail("PACKAGE_FILE_UNSAFE", `file listed in the manifest: ${e.message}: not read`);
      continue;
    }
    if (unsafeEntries.has(f.path)) continue; // named above
    if (!bytes) fail("PACKAGE_FILE_MISSING", `file ${f.path} listed in the manifest is missing: it was removed`);
    else if (sha256(bytes) !== f.sha256)
      fail("PACKAGE_FILE_EDITED", `file ${f.path} does not have the SHA-256 the manifest lists: it was edited`);
  }
  const fileFindings = findings.filter((f) => f.code.startsWith("PACKAGE_FILE"));
  checks.push({
    check: "package files",
    ok: fileFindings.length === 0,
    detail: fileFindings.length
      ? fileFindings.map((f) => f.message).join("; ")
      : `${manifest.files.length} files present, none added, each with its SHA-256`,
  });

  // 2. The batch chain listing and one proof bundle per event, each checked offline.
  let chain: PackageChainEntry[] = [];
  try {
    const parsed = JSON.parse(readText(dir, "batch-chain.json")) as unknown;
    if (!Array.isArray(parsed)) throw new Error("not an array");
    chain = parsed as PackageChainEntry[];
  } catch (e) {
    if (e instanceof UnsafeFile) fail("PACKAGE_FILE_UNSAFE", `batch-chain.json: ${e.message}: not read`);
    else fail("PACKAGE_FILE_MISSING", "batch-chain.json is missing or not JSON");
  }
  if (chain.length !== manifest.events)
    fail("PACKAGE_EVENT_COUNT", `batch-chain.json lists ${chain.length} events, the manifest ${manifest.events}`);
  const entries: BatchEntry[] = [];
  const claims = new Map<string, EpochClaim>();
  let bad = 0;
  for (const c of chain) {
    let text: string;
    try {
      text = readText(dir, c.file);
    } catch (e) {
      bad++;
      if (e instanceof UnsafeFile) {
        fail("PACKAGE_FILE_UNSAFE", `event ${c.eventId} (batch seq ${c.batchSeq}): its bundle ${e.message}: not read`, [
          c.eventId,
        ]);
        continue;
      }
      fail("PACKAGE_EVENT_MISSING", `event ${c.eventId} (batch seq ${c.batchSeq}): its bundle ${c.file} is missing`, [
        c.eventId,
      ]);
      continue;
    }
    const r = verifyProofOffline(text, { hasher: nodeHasher, pin });
    r.trust?.check.unpinned.forEach((u) => unpinned.add(u));
    if (!r.checked || r.verdict === "FAIL") {
      bad++;
      const step = r.steps.find((s) => !s.ok)!;
      fail(step.code ?? "PROOF_INVALID", `event ${c.eventId} (${c.file}): ${step.step}: ${step.detail}`, [c.eventId]);
      if (!r.checked) continue;
    }
    const b = r.checked.bundle;
    if (b.record.event.id !== c.eventId || b.leafHash !== c.leafHash || b.record.seq !== c.seq) {
      bad++;
      fail(
        "PACKAGE_CHAIN_MISMATCH",
        `batch-chain.json says ${c.file} holds event ${c.eventId} (seq ${c.seq}, leaf ${c.leafHash}); it holds ${b.record.event.id} (seq ${b.record.seq}, leaf ${b.leafHash})`,
        [c.eventId],
      );
    }
    if (
      b.anchor.chainId !== manifest.ledger.chainId ||
      b.anchor.contract.toLowerCase() !== manifest.ledger.contract.toLowerCase() ||
      b.anchor.ledgerId !== manifest.ledger.ledgerId
    ) {
      bad++;
      fail(
        "PACKAGE_LEDGER_MISMATCH",
        `event ${c.eventId}: its bundle is anchored in another ledger (${b.anchor.chainId} ${b.anchor.contract} ${b.anchor.ledgerId}) than the manifest's`,
        [c.eventId],
      );
    }
    entries.push({ record: b.record, leafHash: b.leafHash });
    const key = JSON.stringify(r.checked.claim);
    const g = claims.get(key) ?? { claim: r.checked.claim, eventIds: [] };
    g.eventIds.push(b.record.event.id);
    claims.set(key, g);
  }
  const last = entries[entries.length - 1];
  if (last && (last.record.event.id !== manifest.head.eventId || last.leafHash !== manifest.head.leafHash)) {
    fail(
      "PACKAGE_HEAD_MISMATCH",
      `the last event is ${last.record.event.id} (leaf ${last.leafHash}); the manifest's head is ${manifest.head.eventId} (leaf ${manifest.head.leafHash})`,
      [last.record.event.id],
    );
  }
  const trustFindings = findings.filter((f) => f.code.startsWith("TRUST_"));
  checks.push({
    check: "proof bundles",
    ok: bad === 0 && trustFindings.length === 0,
    detail: `${chain.length - bad} of ${chain.length} bundles verify offline (leaf hash, audit path, the ledger's checkpoint signature)`,
  });
  const provenance = {
    pinned: !!pin && unpinned.size === 0,
    detail: pin
      ? `${pinSummary(pin)}${unpinned.size ? `; NOT PINNED: ${[...unpinned].join(", ")}` : ": every bundle's chain, contract, ledger, anchoring account and checkpoint key, and the manifest's key, as pinned"}`
      : "nothing pinned: the package is unchanged and anchored in the contract its bundles name, but nothing shows whose contract, anchoring account and key these are (pass --trust site-trust.json)",
    unpinned: pin ? [...unpinned] : ["chain", "contract", "ledger", "anchoring account", "ledger key"],
  };
  checks.push({
    check: "provenance",
    ok: trustFindings.length === 0,
    detail: trustFindings.length ? trustFindings.map((f) => f.message).join("; ") : provenance.detail,
  });

  // 3. Every epoch's anchor on chain (one check per distinct claim), the chain's genesis when pinned.
  const chainResult = await checkEpochAnchors(
    [...claims.values()],
    opts.chain,
    opts.confirmations,
    findings.length,
    "of the package",
    pin?.genesisHash,
  );
  checks.push(chainResult.check);
  findings.push(...chainResult.findings);
  const anchoredIds = new Set(chainResult.anchored);
  const notAnchored = chainResult.notFinal;

  const review = reviewBatch({
    batchId: manifest.batchId,
    entries,
    sourceGaps: Array.isArray(manifest.sourceGaps) ? manifest.sourceGaps : [],
  });

  // 4. The ledger's report in the package says what the records say, and the HTML renders it.
  try {
    const stated = JSON.parse(readText(dir, "report.json")) as BatchReport;
    const view = (r: {
      checklist: BatchReport["checklist"];
      signatures: BatchReport["signatures"];
      corrections: BatchReport["corrections"];
      trail: BatchReport["trail"];
    }) =>
      JSON.stringify([
        r.checklist.map((c) => [c.id, c.status, c.findings.length]),
        r.signatures,
        r.corrections,
        r.trail.map((t) => [t.eventId, t.batchSeq, t.summary]),
      ]);
    if (view(stated) !== view(review))
      fail(
        "PACKAGE_REPORT_MISMATCH",
        "report.json does not say what the package's records say (checklist, signatures, changed values or audit trail differ)",
      );
    const a = stated.trail.length && entries.length ? manifest.ledger : undefined;
    const html = readPackageFile(dir, "report.html")?.toString("utf8") ?? "";
    // The current rendering, or that of packages exported before the printable record (issue 13).
    const renderings = [batchReportHtml, batchReportHtmlV1];
    if (
      a &&
      !renderings.some(
        (render) => html === render(stated, { chainId: a.chainId, contract: a.contract, ledgerName: a.name }),
      )
    ) {
      fail("PACKAGE_REPORT_MISMATCH", "report.html is not the rendering of report.json");
    }
  } catch (e) {
    if (e instanceof UnsafeFile) fail("PACKAGE_FILE_UNSAFE", `${e.message}: not read`);
    else
      fail("PACKAGE_REPORT_MISMATCH", `report.json is missing or unreadable: ${(e as Error).message.split("\n")[0]}`);
  }

  return batchReportOf(
    review,
    {
      checks,
      findings,
      anchoring: {
        anchored: anchoredIds.size,
        notAnchored,
        epochs: [...new Set(chain.map((c) => c.epoch))].sort((a, b) => a - b),
      },
      provenance,
    },
    (opts.now ?? (() => new Date()))().toISOString(),
    "package",
  );
}

function checkPackageSignature(
  dir: string,
  manifestBytes: Buffer,
  pin: TrustPin | undefined,
  generatedAt: number,
  fail: (code: string, message: string) => void,
  unpinned: Set<string>,
): IntegrityCheck {
  const bad = (code: string, detail: string): IntegrityCheck => (
    fail(code, detail),
    { check: "ledger signature", ok: false, detail }
  );
  let sig: PackageSignature;
  try {
    sig = JSON.parse(readText(dir, "manifest.sig.json")) as PackageSignature;
  } catch (e) {
    if (e instanceof UnsafeFile)
      return bad(
        "PACKAGE_FILE_UNSAFE",
        `manifest.sig.json: ${e.message}: not read; the manifest's signature is unchecked`,
      );
    return bad(
      "PACKAGE_SIGNATURE_MISSING",
      "manifest.sig.json is missing or unreadable: the manifest is not signed by the ledger",
    );
  }
  let pub: KeyObject;
  try {
    pub = createPublicKey(sig.publicKeyPem);
  } catch {
    return bad("PACKAGE_SIGNATURE_INVALID", "manifest.sig.json holds no readable public key");
  }
  if (keyIdOf(pub) !== sig.keyId)
    return bad("PACKAGE_SIGNATURE_INVALID", `manifest.sig.json: key id ${sig.keyId} is not the id of its public key`);
  const digest = sha256(manifestBytes);
  if (sig.manifestSha256 !== digest)
    return bad(
      "PACKAGE_SIGNATURE_INVALID",
      `manifest.json was changed after the ledger signed it (SHA-256 ${digest}, signed ${sig.manifestSha256})`,
    );
  let ok = false;
  try {
    ok = verify(null, packageMessage(digest), pub, Buffer.from(String(sig.signature), "base64url"));
  } catch {
    ok = false;
  }
  if (!ok)
    return bad("PACKAGE_SIGNATURE_INVALID", `the signature in manifest.sig.json does not verify with key ${sig.keyId}`);
  if (!pin?.keys?.length) {
    unpinned.add("ledger key");
    return {
      check: "ledger signature",
      ok: true,
      detail: `manifest signed by key ${sig.keyId}, which is NOT PINNED: nothing shows it is the site's key (pass --trust site-trust.json)`,
    };
  }
  const k = checkPin(
    { source: pin.source, keys: pin.keys },
    {
      chainId: "",
      contract: "",
      ledgerName: "",
      keyId: sig.keyId,
      at: Number.isFinite(generatedAt) ? Math.floor(generatedAt / 1000) : undefined,
    },
    { anchorer: false, key: true },
  );
  const keyProblem = k.problems.find((p) => p.code.startsWith("TRUST_KEY"));
  if (keyProblem)
    return bad(
      "PACKAGE_SIGNED_BY_OTHER_KEY",
      `the manifest is signed by key ${sig.keyId}, not by a pinned ledger key: ${keyProblem.detail}`,
    );
  return {
    check: "ledger signature",
    ok: true,
    detail: `manifest signed by the pinned ledger key ${sig.keyId} (${pin.source})`,
  };
}
