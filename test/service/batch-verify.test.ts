/**
 * verify-batch against real ledgers (temporary SQLite files) anchored on a real local chain (Anvil):
 * the generated good batch passes; each broken variant gets its own verdict and names the events
 * involved; deletions and reorders made in the database are caught by the batch chain while every
 * remaining event's own proof still verifies.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { BatchReport, Finding, ProofBundle, TrustPin } from "../../src/core";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { providerTransport } from "../../src/chain/verify-anchor";
import {
  exportBatch,
  verifyPackage,
  PackageManifest,
  PACKAGE_STATEMENT,
  packageMessage,
} from "../../src/service/batch/batch-package";
import { loadReceiptKey, ReceiptKey } from "../../src/crypto/receipt-key";
import { createHash } from "node:crypto";
import { BatchVariant, generateBatch } from "../helpers/batch-fixture";
import { sampleEvents } from "../helpers/events";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";
import { resealInPlace, rewriteRecord, tamper } from "../helpers/tamper";

describe("verifyBatch (real local chain)", function () {
  this.timeout(180_000);
  const { chain: lc, tempDir } = useLocalChain();

  /** A new ledger (and on-chain ledger) holding one generated batch interleaved with another batch's events, sealed in epochs of 25 and anchored. */
  async function ledgerWith(
    variant: BatchVariant,
    anchor = true,
  ): Promise<{ ledger: Ledger; batchId: string; notable: Record<string, string | string[]> }> {
    const dir = tempDir("gxp-batch-");
    const ledger = openLedger(dir, { maxEvents: 25, maxAgeMs: 60_000 }, undefined, false, "batch-test");
    const batchId = `B-${variant}`;
    const fx = generateBatch({ batchId, variant, source: "urn:mes:pasx:site-DE01:prod", startSequence: 1 });
    // Another batch from another line posts in between: the batch chain must skip its events.
    const other = sampleEvents(fx.events.length, "B-OTHER").map((e, i) => ({
      ...e,
      source: "urn:mes:pasx:site-DE01:line2",
      sourceSequence: i + 1,
    }));
    fx.events.forEach((e, i) => {
      ledger.events.append([e]);
      if (i % 3 === 0) ledger.events.append([other[i]]);
    });
    while (ledger.sealer.seal(new Date()));
    if (anchor) await pinTo(ledger, lc.provider, await lc.anchorAll(ledger, "batch-test"));
    return { ledger, batchId, notable: fx.notable };
  }

  const verify = (ledger: Ledger, batchId: string) =>
    verifyBatch(ledger, batchId, {
      confirmations: 1,
      chain: async () => providerTransport(lc.provider),
    }) as Promise<BatchReport>;

  const openCodes = (r: BatchReport) => r.checklist.flatMap((c) => c.findings.map((f) => `${c.id}:${f.code}`)).sort();
  const findingWith = (fs_: Finding[], code: string, ids: string[]) =>
    expect(
      fs_.some((f) => f.code === code && ids.every((id) => f.eventIds.includes(id))),
      `want ${code} naming ${ids.join(", ")} among ${JSON.stringify(fs_, null, 1)}`,
    ).to.equal(true);

  describe("when the batch record is complete and untouched", () => {
    it("passes (exit 0) and lists every signature with printed name, time and meaning", async () => {
      const { ledger, batchId } = await ledgerWith("good");
      const r = await verify(ledger, batchId);
      expect(openCodes(r)).to.deep.equal([]);
      expect(r.integrity.findings).to.deep.equal([]);
      expect(r.verdict).to.equal("PASS");
      expect(r.exitCode).to.equal(0);
      expect(r.anchoring.notAnchored).to.deep.equal([]);
      expect(r.anchoring.epochs.length).to.be.greaterThan(2);
      expect(r.signatures.length).to.be.greaterThan(4);
      for (const s of r.signatures) {
        expect(s.printedName).to.be.a("string").and.not.equal("");
        expect(s.signedAt).to.match(/^\d{4}-\d{2}-\d{2}T/);
        expect(s.meaning).to.be.oneOf([
          "performed",
          "verified",
          "reviewed",
          "approved",
          "released",
          "rejected",
          "authored",
          "responsible",
        ]);
        expect(s.status).to.be.oneOf(["valid", "re-signed"]);
      }
      expect(r.signatures.map((s) => s.meaning)).to.include.members(["performed", "verified", "reviewed", "released"]);
      expect(r.corrections).to.have.length(1);
      expect(r.corrections[0].originalValue).to.not.deep.equal(r.corrections[0].newValue);
      expect(r.disposition?.decision).to.equal("released");
      // The out-of-limit value and its deviation are shown as a handled exception, not hidden.
      expect(r.exceptions.some((f) => f.code === "VALUE_OUT_OF_LIMITS")).to.equal(true);
      ledger.close();
    });
  });

  const variants: [BatchVariant, string, (nt: Record<string, string | string[]>) => string[]][] = [
    ["missing-phase-end", "steps-terminated:STEP_NOT_TERMINATED", (nt) => [nt.missingEndStep as string]],
    ["open-deviation", "deviations-closed:DEVIATION_OPEN", (nt) => [nt.openDeviation as string]],
    ["unsigned-step", "signatures:CRITICAL_EVENT_UNSIGNED", (nt) => [nt.unsignedStep as string]],
    ["same-signer", "signatures:SIGNATURE_SAME_PERSON", (nt) => nt.sameSigner as string[]],
    [
      "correction-without-authoriser",
      "corrections:CORRECTION_WITHOUT_AUTHORISER",
      (nt) => [nt.correctionWithoutAuthoriser as string],
    ],
    [
      "superseded-signature",
      "signatures:SIGNATURE_SUPERSEDED",
      (nt) => (nt.supersededSignatures as string[]).slice(0, 1),
    ],
    ["post-disposition", "disposition:EVENT_AFTER_DISPOSITION", (nt) => [nt.postDisposition as string]],
    ["source-gap", "source-sequence:SOURCE_SEQUENCE_GAP", (nt) => [nt.sourceGap as string]],
    ["out-of-limit-without-deviation", "within-limits:VALUE_OUT_OF_LIMITS", (nt) => [nt.unlinkedOutOfLimit as string]],
  ];
  for (const [variant, code, ids] of variants) {
    describe(`when the batch is ${variant}`, () => {
      it(`keeps integrity, opens ${code} naming the event (exit 4)`, async () => {
        const { ledger, batchId, notable } = await ledgerWith(variant);
        const r = await verify(ledger, batchId);
        expect(r.integrity.findings).to.deep.equal([]);
        const [item, c] = code.split(":");
        const itemOpen = r.checklist.find((x) => x.id === item)!;
        expect(itemOpen.status).to.equal("open");
        findingWith(itemOpen.findings, c, ids(notable));
        // Exactly the one item is open (plus, for same-signer, the missing second person it implies).
        const others = openCodes(r).filter((x) => x !== code && x !== "signatures:SIGNATURE_MISSING");
        expect(others, JSON.stringify(others)).to.deep.equal([]);
        expect(r.verdict).to.equal("OPEN-ITEMS");
        expect(r.exitCode).to.equal(4);
        ledger.close();
      });
    });
  }

  describe("when an event of the batch is deleted from the database", () => {
    it("fails integrity through the batch chain although every remaining proof verifies (exit 1)", async () => {
      const { ledger, batchId } = await ledgerWith("good");
      const rows = ledger.db
        .prepare("SELECT event_id, batch_seq FROM events WHERE batch_id = ? ORDER BY batch_seq")
        .all(batchId) as { event_id: string; batch_seq: number }[];
      const victim = rows[10];
      tamper(ledger, "DELETE FROM events WHERE event_id = ?", victim.event_id);
      const r = await verify(ledger, batchId);
      expect(r.verdict).to.equal("INTEGRITY-FAIL");
      expect(r.exitCode).to.equal(1);
      findingWith(r.integrity.findings, "BATCH_EVENT_MISSING", [rows[9].event_id, rows[11].event_id]);
      expect(r.integrity.findings.find((f) => f.code === "BATCH_EVENT_MISSING")!.message).to.contain(
        "batch sequence 10",
      );
      expect(
        r.integrity.findings.filter((f) => f.code === "EPOCH_PROOF_FAILED" || f.code === "EVENT_ALTERED"),
      ).to.deep.equal([]);
      ledger.close();
    });
  });

  describe("when two events of the batch are swapped in the database", () => {
    it("fails integrity through the batch chain although every proof verifies (exit 1)", async () => {
      const { ledger, batchId } = await ledgerWith("good");
      const rows = ledger.db
        .prepare("SELECT event_id FROM events WHERE batch_id = ? ORDER BY batch_seq")
        .pluck()
        .all(batchId) as string[];
      const [a, b] = [rows[5], rows[6]];
      tamper(ledger, "UPDATE events SET batch_seq = -1 WHERE event_id = ?", a);
      tamper(ledger, "UPDATE events SET batch_seq = 5 WHERE event_id = ?", b);
      tamper(ledger, "UPDATE events SET batch_seq = 6 WHERE event_id = ?", a);
      const r = await verify(ledger, batchId);
      expect(r.verdict).to.equal("INTEGRITY-FAIL");
      findingWith(r.integrity.findings, "BATCH_ORDER_BROKEN", [a, b]);
      expect(
        r.integrity.findings.filter((f) => f.code === "EPOCH_PROOF_FAILED" || f.code === "EVENT_ALTERED"),
      ).to.deep.equal([]);
      ledger.close();
    });
  });

  describe("when a recorded value is edited in the database", () => {
    it("names the altered event (exit 1)", async () => {
      const { ledger, batchId } = await ledgerWith("good");
      const row = ledger.db
        .prepare(
          "SELECT event_id, record FROM events WHERE batch_id = ? AND type = 'parameter.recorded' ORDER BY batch_seq LIMIT 1",
        )
        .get(batchId) as { event_id: string; record: string };
      const edited = row.record.replace(/"value":([0-9.]+)/, (_, v) => `"value":${Number(v) + 1}`);
      expect(edited).to.not.equal(row.record);
      tamper(ledger, "UPDATE events SET record = ? WHERE event_id = ?", edited, row.event_id);
      const r = await verify(ledger, batchId);
      expect(r.verdict).to.equal("INTEGRITY-FAIL");
      findingWith(r.integrity.findings, "EVENT_ALTERED", [row.event_id]);
      ledger.close();
    });

    it("with the leaf, tree and root rewritten to match, is caught at the chain (exit 1)", async () => {
      const { ledger, batchId } = await ledgerWith("good");
      const row = ledger.db
        .prepare(
          "SELECT seq, event_id, record FROM events WHERE batch_id = ? AND type = 'parameter.recorded' ORDER BY batch_seq LIMIT 1",
        )
        .get(batchId) as { seq: number; event_id: string; record: string };
      const edited = row.record.replace(/"value":([0-9.]+)/, (_, v) => `"value":${Number(v) + 1}`);
      rewriteRecord(ledger, row.seq, edited);
      const ep = ledger.epochs.containing(row.seq)!;
      resealInPlace(ledger, ep.epoch);
      const r = await verify(ledger, batchId);
      expect(r.verdict).to.equal("INTEGRITY-FAIL");
      const chainFinding = r.integrity.findings.find(
        (f) => f.message.includes(`epoch ${ep.epoch}`) && f.eventIds.includes(row.event_id),
      );
      expect(chainFinding, JSON.stringify(r.integrity.findings)).to.not.equal(undefined);
      ledger.close();
    });
  });

  describe("when some events are not anchored yet", () => {
    it("says so (exit 5) while integrity so far holds", async () => {
      const { ledger, batchId } = await ledgerWith("good", false);
      const r = await verify(ledger, batchId);
      expect(r.integrity.findings).to.deep.equal([]);
      expect(r.verdict).to.equal("NOT-ANCHORED");
      expect(r.exitCode).to.equal(5);
      expect(r.anchoring.notAnchored.length).to.equal(r.events);
      ledger.close();
    });
  });

  describe("when the batch is unknown", () => {
    it("returns undefined", async () => {
      const { ledger } = await ledgerWith("good", false);
      expect(await verify(ledger, "B-NOPE")).to.equal(undefined);
      ledger.close();
    });
  });
  describe("the regulator package", () => {
    let pkg: string;
    let batchId: string;
    let key: ReceiptKey;
    before(async () => {
      const l = await ledgerWith("open-deviation");
      batchId = l.batchId;
      const report = await verify(l.ledger, batchId);
      pkg = tempDir("gxp-pkg-");
      // The ledger's own key: it signed the epochs' checkpoints and signs the package's manifest.
      key = loadReceiptKey(path.dirname(l.ledger.db.name));
      exportBatch(l.ledger, report, path.join(pkg, "orig"), key);
      l.ledger.close();
    });
    const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
    /** A fresh copy of the package, changed by `edit`. */
    const copy = (edit: (dir: string, m: PackageManifest) => void): string => {
      const dir = fs.mkdtempSync(path.join(pkg, "copy-"));
      fs.cpSync(path.join(pkg, "orig"), dir, { recursive: true });
      const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as PackageManifest;
      edit(dir, m);
      return dir;
    };
    /** Rewrites the manifest to match the files (an attacker covering their tracks). */
    const rehash = (dir: string, m: PackageManifest) => {
      for (const f of m.files)
        if (fs.existsSync(path.join(dir, f.path))) f.sha256 = sha(fs.readFileSync(path.join(dir, f.path)));
      fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(m));
    };
    const check = (dir: string, ledgerKeyPem?: string, pin?: TrustPin) =>
      verifyPackage(dir, { confirmations: 1, ledgerKeyPem, pin, chain: async () => providerTransport(lc.provider) });
    /** What the site would publish: its chain, contract, ledger and anchoring account (the key comes with ledgerKeyPem). */
    const sitePin = async (): Promise<TrustPin> => {
      const b = JSON.parse(
        fs.readFileSync(path.join(pkg, "orig", "events", fs.readdirSync(path.join(pkg, "orig", "events"))[0]), "utf8"),
      ) as ProofBundle;
      const always = { validFrom: "1970-01-01T00:00:00Z", validUntil: null };
      const genesisHash = (await lc.provider.getBlock(0))!.hash!;
      return {
        source: "the site's values",
        chainId: b.anchor.chainId,
        genesisHash,
        contract: b.anchor.contract,
        ledgerName: b.anchor.ledgerName,
        anchorers: [{ address: b.anchor.anchorer, ...always }],
      };
    };
    const codes = (r: BatchReport) => r.integrity.findings.map((f) => f.code);

    it("verifies with only the package and the chain, with the same verdict and checklist as the ledger once pinned (UNPINNED before)", async () => {
      const u = await check(path.join(pkg, "orig"));
      expect(u.integrity.findings).to.deep.equal([]);
      expect([u.verdict, u.exitCode]).to.deep.equal(["UNPINNED", 6]);
      const r = await check(path.join(pkg, "orig"), key.publicKeyPem, await sitePin());
      expect(r.checkedFrom).to.equal("package");
      expect(r.integrity.findings).to.deep.equal([]);
      expect(r.provenance?.pinned).to.equal(true);
      expect(r.verdict).to.equal("OPEN-ITEMS");
      expect(r.exitCode).to.equal(4);
      expect(r.integrity.checks.find((c) => c.check === "ledger signature")!.detail).to.contain(key.keyId);
      expect((await check(path.join(pkg, "orig"), key.publicKeyPem)).integrity.findings).to.deep.equal([]);
      expect(r.checklist.find((c) => c.id === "deviations-closed")!.status).to.equal("open");
      const html = fs.readFileSync(path.join(pkg, "orig", "report.html"), "utf8");
      expect(html).to.contain("Electronic signatures").and.contain("How to verify this package independently");
      expect(fs.readdirSync(path.join(pkg, "orig", "events")).length).to.equal(r.events);
    });

    it("names a removed file", async () => {
      const dir = copy((d) => fs.rmSync(path.join(d, "events", fs.readdirSync(path.join(d, "events"))[3])));
      const r = await check(dir);
      expect(r.exitCode).to.equal(1);
      expect(codes(r)).to.include.members(["PACKAGE_FILE_MISSING", "PACKAGE_EVENT_MISSING"]);
    });

    it("names an added file", async () => {
      const r = await check(copy((d) => fs.writeFileSync(path.join(d, "events", "extra.json"), "{}")));
      expect(r.exitCode).to.equal(1);
      expect(r.integrity.findings.find((f) => f.code === "PACKAGE_FILE_ADDED")!.message).to.contain(
        "events/extra.json",
      );
    });

    it("names an edited bundle even when the manifest is rewritten to match", async () => {
      let victim = "";
      const r = await check(
        copy((d, m) => {
          const f = m.files.find((x) => x.path.startsWith("events/"))!;
          const text = fs.readFileSync(path.join(d, f.path), "utf8");
          victim = (JSON.parse(text) as { record: { event: { id: string } } }).record.event.id;
          // The ledger-set salt: only the leaf hash can tell (an edit of the event itself fails its payloadHash first).
          fs.writeFileSync(
            path.join(d, f.path),
            text.replace(/"salt": "0x(.)/, (_, c: string) => `"salt": "0x${c === "0" ? "1" : "0"}`),
          );
          rehash(d, m);
        }),
      );
      expect(r.exitCode).to.equal(1);
      const f = r.integrity.findings.find((x) => x.eventIds.includes(victim))!;
      expect(f.code, f.message).to.equal("PROOF_LEAF_MISMATCH");
    });

    it("catches an event removed with its manifest and chain entries through the batch chain", async () => {
      let gone = "";
      const r = await check(
        copy((d, m) => {
          const chain = JSON.parse(fs.readFileSync(path.join(d, "batch-chain.json"), "utf8")) as {
            eventId: string;
            file: string;
          }[];
          const [victim] = chain.splice(7, 1);
          gone = victim.eventId;
          fs.rmSync(path.join(d, victim.file));
          fs.writeFileSync(path.join(d, "batch-chain.json"), JSON.stringify(chain));
          m.files = m.files.filter((f) => f.path !== victim.file);
          m.events--;
          rehash(d, m);
        }),
      );
      expect(r.exitCode).to.equal(1);
      const f = r.integrity.findings.find((x) => x.code === "BATCH_EVENT_MISSING")!;
      expect(f.message).to.contain("batch sequence 7");
      expect(gone).to.not.equal("");
    });

    it("catches two events swapped in the listing through the batch chain", async () => {
      const r = await check(
        copy((d, m) => {
          const chain = JSON.parse(fs.readFileSync(path.join(d, "batch-chain.json"), "utf8")) as unknown[];
          [chain[4], chain[5]] = [chain[5], chain[4]];
          fs.writeFileSync(path.join(d, "batch-chain.json"), JSON.stringify(chain));
          rehash(d, m);
        }),
      );
      expect(r.exitCode).to.equal(1);
      expect(codes(r)).to.include("BATCH_ORDER_BROKEN");
    });

    it("catches a doctored report.json", async () => {
      const r = await check(
        copy((d, m) => {
          const rep = JSON.parse(fs.readFileSync(path.join(d, "report.json"), "utf8")) as BatchReport;
          rep.checklist.find((c) => c.id === "deviations-closed")!.status = "pass";
          rep.checklist.find((c) => c.id === "deviations-closed")!.findings = [];
          fs.writeFileSync(path.join(d, "report.json"), JSON.stringify(rep));
          rehash(d, m);
        }),
      );
      expect(r.exitCode).to.equal(1);
      expect(codes(r)).to.include("PACKAGE_REPORT_MISMATCH");
    });
    it("catches the batch cut short at its end with manifest and listing rewritten: the ledger's signature no longer holds", async () => {
      const r = await check(
        copy((d, m) => {
          const chain = JSON.parse(fs.readFileSync(path.join(d, "batch-chain.json"), "utf8")) as {
            eventId: string;
            file: string;
            batchSeq: number;
            leafHash: string;
          }[];
          const cut = chain.splice(chain.length - 3, 3);
          for (const c of cut) fs.rmSync(path.join(d, c.file));
          fs.writeFileSync(path.join(d, "batch-chain.json"), JSON.stringify(chain));
          const last = chain[chain.length - 1];
          m.files = m.files.filter((f) => !cut.some((c) => c.file === f.path));
          m.events = chain.length;
          m.head = { batchSeq: last.batchSeq, eventId: last.eventId, leafHash: last.leafHash };
          rehash(d, m);
        }),
      );
      expect(r.exitCode).to.equal(1);
      expect(codes(r)).to.include("PACKAGE_SIGNATURE_INVALID");
      expect(codes(r).filter((c) => c.startsWith("BATCH_"))).to.deep.equal([]);
    });

    it("catches a manifest re-signed with another key when the inspector pins the ledger's key, and a missing signature", async () => {
      const other = loadReceiptKey(fs.mkdtempSync(path.join(pkg, "otherkey-")));
      const resigned = copy((d) => {
        const bytes = fs.readFileSync(path.join(d, "manifest.json"));
        const digest = sha(bytes);
        fs.writeFileSync(
          path.join(d, "manifest.sig.json"),
          JSON.stringify({
            algorithm: "Ed25519",
            statement: PACKAGE_STATEMENT,
            keyId: other.keyId,
            publicKeyPem: other.publicKeyPem,
            manifestSha256: digest,
            signature: other.signStatement(packageMessage(digest)),
          }),
        );
      });
      expect((await check(resigned)).integrity.findings).to.deep.equal([]);
      const pinned = await check(resigned, key.publicKeyPem);
      expect(pinned.exitCode).to.equal(1);
      expect(codes(pinned)).to.deep.equal(["PACKAGE_SIGNED_BY_OTHER_KEY"]);
      const unsigned = await check(copy((d) => fs.rmSync(path.join(d, "manifest.sig.json"))));
      expect(codes(unsigned)).to.deep.equal(["PACKAGE_SIGNATURE_MISSING"]);
    });
  });
});
