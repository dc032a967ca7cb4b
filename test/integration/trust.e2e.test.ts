/**
 * Whose ledger, end to end (issue 11): the real server on the embedded chain, its trust profile from
 * `trust export`, and the verifiers that take it: `verify-receipt --trust`, `export-batch --trust` and
 * `verify-package --trust`. Without a pin no verifier says PASS (UNPINNED, exit 6); with the site's
 * profile they PASS naming the site; with another site's profile, or a package re-signed by a key
 * that is not the site's, they FAIL naming what differs.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { cli, serve, Served } from "../helpers/process";
import { generateBatch } from "../helpers/batch-fixture";
import { PROOF_MEDIA_TYPE_V1, TrustProfile, toChecksumAddress, trustProfileFingerprint } from "../../src/core";

describe("trust profile and pinned verifiers (real server, embedded chain)", function () {
  this.timeout(300_000);
  let dir: string;
  let s: Served;
  let token: string;
  let rpc: string;
  let receipt: string;
  const batchId = "B-TRUST-1";
  const trustFile = () => path.join(dir, "site-trust.json");
  const pkg = () => path.join(dir, "pkg");

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-trust-e2e-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_EVENTS: "40", LEDGER_EPOCH_MAX_AGE_SECONDS: "1" });
    token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    rpc = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8")).rpcUrl;
    const fx = generateBatch({ batchId, source: "urn:mes:pasx:site-DE01:trust" });
    const res = await fetch(`${s.url}/v1/events:bulk`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: fx.events }),
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const { receipts } = (await res.json()) as { receipts: unknown[] };
    receipt = path.join(dir, "receipt.json");
    fs.writeFileSync(receipt, JSON.stringify(receipts[0]));
    // Wait until the whole batch is anchored (verify-batch stops answering 5 "not anchored" / 3).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const v = cli(["--data-dir", dir, "verify-batch", batchId]);
      if ((v.code !== 5 && v.code !== 3) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("trust export writes a signed profile of this ledger; trust show checks it against the chain and prints its fingerprint", () => {
    const e = cli([
      "--data-dir",
      dir,
      "trust",
      "export",
      "-o",
      trustFile(),
      "--organisation",
      "Example Pharma AG",
      "--site",
      "Site DE01 Solid Dose",
      "--sign",
    ]);
    expect(e.code, e.stdout + e.stderr).to.equal(0);
    const p = JSON.parse(fs.readFileSync(trustFile(), "utf8")) as TrustProfile;
    const d = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8"));
    expect(p.contract.toLowerCase()).to.equal(d.contract.toLowerCase());
    expect(p.ledger.name).to.equal("default");
    expect(p.anchorers.map((a) => a.address.toLowerCase())).to.deep.equal([d.anchorer.toLowerCase()]);
    expect(p.keys).to.have.length(1);
    expect(p.signature?.signer.toLowerCase()).to.equal(d.admin.toLowerCase());
    expect(e.stdout).to.contain(`fingerprint: ${trustProfileFingerprint(p)}`);
    const show = cli(["--data-dir", dir, "trust", "show", trustFile()]);
    expect(show.code, show.stdout + show.stderr).to.equal(0);
    expect(show.stdout)
      .to.contain("the signer holds the ledger admin role on chain")
      .and.to.contain("consistent with the chain");
    // Refuses to overwrite.
    expect(cli(["--data-dir", dir, "trust", "export", "-o", trustFile()]).code).to.equal(2);
  });

  it("trust show names a profile altered after signing, and one the chain contradicts", () => {
    const p = JSON.parse(fs.readFileSync(trustFile(), "utf8")) as TrustProfile;
    const altered = path.join(dir, "altered-trust.json");
    fs.writeFileSync(altered, JSON.stringify({ ...p, site: "Somewhere else" }));
    const a = cli(["--data-dir", dir, "trust", "show", altered]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.contain("TRUST_PROFILE_SIGNATURE_INVALID");
    const { signature: _s, ...unsigned } = p;
    fs.writeFileSync(
      altered,
      JSON.stringify({ ...unsigned, chain: { ...p.chain, genesisHash: "0x" + "ab".repeat(32) } }),
    );
    const g = cli(["--data-dir", dir, "trust", "show", altered]);
    expect(g.code, g.stdout + g.stderr).to.equal(1);
    expect(g.stdout).to.contain("another chain");
  });

  it("verify-receipt: UNPINNED (exit 6) with the data directory's key, VALID (exit 0) pinned by the profile, INVALID against another site's key", () => {
    const u = cli(["--data-dir", dir, "verify-receipt", receipt]);
    expect(u.code, u.stdout + u.stderr).to.equal(6);
    expect(u.stdout).to.match(/^UNPINNED receipt/);
    const v = cli(["--data-dir", dir, "verify-receipt", receipt, "--trust", trustFile()]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^VALID receipt \(pinned: Example Pharma AG, Site DE01 Solid Dose/);
    const other = otherSiteProfile(JSON.parse(fs.readFileSync(trustFile(), "utf8")));
    const o = cli(["--data-dir", dir, "--json", "verify-receipt", receipt, "--trust", other]);
    expect(o.code, o.stdout + o.stderr).to.equal(1);
    expect(JSON.parse(o.stdout).code).to.equal("TRUST_KEY_MISMATCH");
  });

  it("export-batch --trust writes a package an inspector can check off site: the page, the standalone script, the docs and the profile's copy, all in the manifest", () => {
    const e = cli(["--data-dir", dir, "export-batch", batchId, "-o", pkg(), "--trust", trustFile()]);
    expect(e.code, e.stdout + e.stderr).to.equal(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(pkg(), "manifest.json"), "utf8")) as {
      files: { path: string }[];
    };
    const files = manifest.files.map((f) => f.path);
    for (const f of [
      "verify.html",
      "verify-proof-standalone.js",
      "docs/proof-format.md",
      "docs/trust-profile.md",
      "docs/proof.schema.json",
      "docs/trust-profile.schema.json",
      "site-trust.json",
      "README.txt",
    ]) {
      expect(files, f).to.include(f);
    }
    const readme = fs.readFileSync(path.join(pkg(), "README.txt"), "utf8");
    expect(readme).to.contain("node verify-proof-standalone.js --package . --trust site-trust.json --rpc");
    expect(readme).to.contain(trustProfileFingerprint(JSON.parse(fs.readFileSync(trustFile(), "utf8"))));
    expect(readme).to.not.contain("npx gxp-ledger");
    const bundle = JSON.parse(
      fs.readFileSync(path.join(pkg(), "events", fs.readdirSync(path.join(pkg(), "events"))[0]), "utf8"),
    );
    expect(bundle.mediaType).to.match(/version=2$/);
    expect(bundle.checkpoint.keyId).to.equal(JSON.parse(fs.readFileSync(trustFile(), "utf8")).keys[0].keyId);
  });

  it("verify-package: UNPINNED (exit 6) without a pin, PASS naming the site with the profile", () => {
    const inspector = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-inspector-"));
    try {
      const u = cli(["--data-dir", inspector, "verify-package", pkg(), "--rpc", rpc]);
      expect(u.code, u.stdout + u.stderr).to.equal(6);
      expect(u.stdout).to.match(new RegExp(`^UNPINNED batch ${batchId}`, "m"));
      expect(u.stdout).to.contain("NOT PINNED: nothing pinned");
      const v = cli(["--data-dir", inspector, "verify-package", pkg(), "--rpc", rpc, "--trust", trustFile()]);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      expect(v.stdout).to.match(new RegExp(`^PASS batch ${batchId}`, "m"));
      expect(v.stdout).to.contain("pinned: Example Pharma AG, Site DE01 Solid Dose: ledger default");
      expect(v.stdout).to.contain("manifest signed by the pinned ledger key");
    } finally {
      fs.rmSync(inspector, { recursive: true, force: true });
    }
  });

  it("verify-package with another site's profile fails naming the contract, anchoring account and key", () => {
    const other = otherSiteProfile(JSON.parse(fs.readFileSync(trustFile(), "utf8")));
    const v = cli(["--data-dir", dir, "--json", "verify-package", pkg(), "--rpc", rpc, "--trust", other]);
    expect(v.code, v.stdout + v.stderr).to.equal(1);
    const codes = new Set((JSON.parse(v.stdout).integrity.findings as { code: string }[]).map((f) => f.code));
    expect([...codes]).to.include.members(["TRUST_CONTRACT_MISMATCH", "PACKAGE_SIGNED_BY_OTHER_KEY"]);
  });

  it("a package cut short and re-signed with another key: UNPINNED without a pin (never PASS), FAIL with the site's profile", () => {
    const cut = path.join(dir, "pkg-resigned");
    fs.cpSync(pkg(), cut, { recursive: true });
    // The attacker drops the batch's last event and rewrites batch-chain.json, the manifest and its signature.
    const chain = JSON.parse(fs.readFileSync(path.join(cut, "batch-chain.json"), "utf8")) as {
      file: string;
      eventId: string;
      batchSeq: number;
      leafHash: string;
    }[];
    const last = chain.pop()!;
    fs.rmSync(path.join(cut, last.file));
    fs.writeFileSync(path.join(cut, "batch-chain.json"), JSON.stringify(chain, null, 1) + "\n");
    const m = JSON.parse(fs.readFileSync(path.join(cut, "manifest.json"), "utf8"));
    const sha = (p: string) =>
      createHash("sha256")
        .update(fs.readFileSync(path.join(cut, p)))
        .digest("hex");
    m.files = m.files
      .filter((f: { path: string }) => f.path !== last.file)
      .map((f: { path: string }) => ({ ...f, sha256: sha(f.path), bytes: fs.statSync(path.join(cut, f.path)).size }));
    m.events = chain.length;
    const head = chain[chain.length - 1];
    m.head = { batchSeq: head.batchSeq, eventId: head.eventId, leafHash: head.leafHash };
    const bytes = Buffer.from(JSON.stringify(m, null, 1) + "\n");
    fs.writeFileSync(path.join(cut, "manifest.json"), bytes);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const spki = publicKey.export({ type: "spki", format: "der" });
    const digest = createHash("sha256").update(bytes).digest("hex");
    const statement = "gxp-ledger batch package manifest v1";
    fs.writeFileSync(
      path.join(cut, "manifest.sig.json"),
      JSON.stringify({
        algorithm: "Ed25519",
        statement,
        keyId: createHash("sha256").update(spki).digest("hex"),
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
        manifestSha256: digest,
        signature: sign(null, Buffer.from(`${statement}\n${digest}`), privateKey).toString("base64url"),
      }),
    );
    const u = cli(["--data-dir", dir, "verify-package", cut, "--rpc", rpc]);
    expect(u.code, u.stdout + u.stderr).to.not.equal(0);
    expect(u.stdout).to.not.match(/^PASS/m);
    const v = cli(["--data-dir", dir, "--json", "verify-package", cut, "--rpc", rpc, "--trust", trustFile()]);
    expect(v.code, v.stdout + v.stderr).to.equal(1);
    expect((JSON.parse(v.stdout).integrity.findings as { code: string }[]).map((f) => f.code)).to.include(
      "PACKAGE_SIGNED_BY_OTHER_KEY",
    );
  });

  it("a version 1 bundle is refused with a message saying to export the proof again", () => {
    const f = path.join(pkg(), "events", fs.readdirSync(path.join(pkg(), "events"))[0]);
    const v1 = path.join(dir, "v1.proof.json");
    const b = JSON.parse(fs.readFileSync(f, "utf8"));
    fs.writeFileSync(v1, JSON.stringify({ ...b, mediaType: PROOF_MEDIA_TYPE_V1 }));
    const v = cli(["--data-dir", dir, "verify-proof", v1, "--rpc", rpc]);
    expect(v.code).to.equal(1);
    expect(v.stdout).to.contain("export the proof again");
  });

  /** Writes a profile of "another site": another contract, anchoring account and key (unsigned). */
  function otherSiteProfile(p: TrustProfile): string {
    const { publicKey } = generateKeyPairSync("ed25519");
    const der = publicKey.export({ type: "spki", format: "der" });
    const { signature: _s, ...unsigned } = p;
    const other: TrustProfile = {
      ...unsigned,
      organisation: "Other Pharma",
      contract: toChecksumAddress("0x000000000000000000000000000000000000dead"),
      anchorers: [
        {
          address: toChecksumAddress("0x000000000000000000000000000000000000beef"),
          validFrom: p.anchorers[0].validFrom,
          validUntil: null,
        },
      ],
      keys: [
        {
          keyId: createHash("sha256").update(der).digest("hex"),
          algorithm: "Ed25519",
          publicKey: der.toString("base64"),
          validFrom: p.keys[0].validFrom,
          validUntil: null,
        },
      ],
    };
    const file = path.join(dir, `other-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(other, null, 2));
    return file;
  }
});
