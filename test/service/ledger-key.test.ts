/**
 * The ledger key against ledger_keys (real SQLite, no chain): a changed or missing key is refused, a
 * recorded rotation lets the ledger sign again, and epochs signed by the old key keep verifying.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { openLedger, loadLedgerKey, Ledger } from "../../src/service/app/ledger";
import { rotateLedgerKey, retiredKeyFile, retiredPublicKeyFile } from "../../src/service/security/ledger-key";
import { createSecurityRecorder, cliActor } from "../../src/service/security/security";
import { createCheckpointChecker } from "../../src/service/security/pin-check";
import { receiptKeyFile } from "../../src/crypto/receipt-key";
import { ledgerKeys } from "../../src/store/pin-store";
import { StoreError } from "../../src/store/errors";
import { sampleEvents } from "../helpers/events";

describe("the ledger key", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A ledger with one sealed epoch (signed by its first key). */
  function sealed(): { l: Ledger; dir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-key-"));
    dirs.push(dir);
    const l = openLedger(dir, { maxEvents: 2, maxAgeMs: 60_000 });
    l.events.append(sampleEvents(2, "B-K"));
    expect(l.sealer.seal(new Date())).to.not.equal(undefined);
    return { l, dir };
  }
  const codeOf = (f: () => unknown) => {
    try {
      f();
      return "ok";
    } catch (e) {
      return e instanceof StoreError ? e.code : String(e);
    }
  };

  describe("loadLedgerKey", () => {
    it("refuses a changed key file with LEDGER_KEY_CHANGED", () => {
      const { l, dir } = sealed();
      fs.writeFileSync(
        receiptKeyFile(dir),
        generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }),
      );
      expect(codeOf(() => loadLedgerKey(l.db, dir))).to.equal("LEDGER_KEY_CHANGED");
      l.close();
    });

    it("refuses a missing key file with LEDGER_KEY_MISSING and never creates a new one", () => {
      const { l, dir } = sealed();
      fs.rmSync(receiptKeyFile(dir));
      expect(codeOf(() => loadLedgerKey(l.db, dir))).to.equal("LEDGER_KEY_MISSING");
      expect(fs.existsSync(receiptKeyFile(dir))).to.equal(false);
      l.close();
    });
  });

  describe("rotateLedgerKey", () => {
    for (const [what, prepare] of [
      ["the key file is present", () => undefined],
      ["the key file is missing", (dir: string) => fs.rmSync(receiptKeyFile(dir))],
      [
        "the key file was changed",
        (dir: string) =>
          fs.writeFileSync(
            receiptKeyFile(dir),
            generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }),
          ),
      ],
    ] as [string, (dir: string) => void][]) {
      it(`when ${what}: records the rotation, signs the next epoch with the new key, and the old epoch still verifies`, () => {
        const { l, dir } = sealed();
        const first = ledgerKeys(l.db)[0].keyId;
        prepare(dir);
        const present = fs.existsSync(receiptKeyFile(dir));
        const r = rotateLedgerKey(l, dir, "test rotation", createSecurityRecorder(l, l.name), cliActor());
        expect(r.from).to.equal(first);
        expect(r.to.keyId).to.not.equal(first);
        if (present) {
          expect(fs.existsSync(retiredKeyFile(dir, r.retired!.keyId))).to.equal(true);
          expect(fs.existsSync(retiredPublicKeyFile(dir, r.retired!.keyId))).to.equal(true);
        } else expect(r.retired).to.equal(undefined);
        const keys = ledgerKeys(l.db);
        expect(keys.map((k) => [k.keyId, k.rotatedFrom, k.reason])).to.deep.equal([
          [first, null, null],
          [r.to.keyId, first, "test rotation"],
        ]);
        expect(loadLedgerKey(l.db, dir).keyId).to.equal(r.to.keyId);
        l.close();

        // A new process signs the next epoch with the new key; both checkpoints verify.
        const l2 = openLedger(dir, { maxEvents: 2, maxAgeMs: 60_000 });
        l2.events.append(sampleEvents(2, "B-K2"));
        expect(l2.sealer.seal(new Date())).to.not.equal(undefined);
        expect(l2.epochs.checkpointOf(0)!.keyId).to.equal(first);
        expect(l2.epochs.checkpointOf(1)!.keyId).to.equal(r.to.keyId);
        const cps = createCheckpointChecker(l2.db, l2.name);
        for (const e of l2.epochs.all()) expect(cps.check(e)).to.equal(undefined);
        const kinds = (
          l2.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[]
        ).map((t) => JSON.parse(t).event.data.kind);
        expect(kinds).to.deep.equal(["ledger.key.rotated"]);
        l2.close();
      });
    }
  });
});
