/**
 * The pin store (real SQLite): the pin, the ledger keys and their registrations are append-only; the
 * current pin and key are the newest rows.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, Db } from "../../src/store/sqlite";
import {
  currentLedgerKey,
  currentPin,
  insertKeyRegistration,
  insertLedgerKey,
  insertPin,
  keyRegistration,
  keyRegistrations,
  LedgerPin,
} from "../../src/store/pin-store";

describe("pin store", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-pin-store-"));
    db = openDatabase(path.join(dir, "ledger.sqlite"));
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const pin: LedgerPin = {
    chainId: "31337",
    genesisHash: "0x" + "AB".repeat(32),
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    ledgerId: "0x" + "CD".repeat(32),
    ledgerName: "site",
    development: true,
  };

  describe("currentPin", () => {
    it("is undefined before the first pin, then the newest row (hashes lowercased)", () => {
      expect(currentPin(db)).to.equal(undefined);
      insertPin(db, pin, "2026-12-04T00:00:00.000Z", "first start");
      insertPin(
        db,
        { ...pin, genesisHash: "0x" + "ef".repeat(32) },
        "2026-12-04T01:00:00.000Z",
        "development chain reset",
      );
      expect(currentPin(db)).to.include({
        genesisHash: "0x" + "ef".repeat(32),
        ledgerId: "0x" + "cd".repeat(32),
        reason: "development chain reset",
        development: true,
      });
    });
  });

  describe("when someone edits or deletes a row", () => {
    for (const sql of [
      "UPDATE ledger_pin SET contract = '0xdead'",
      "DELETE FROM ledger_pin",
      "UPDATE ledger_keys SET public_key = 'x'",
      "DELETE FROM ledger_key_registrations",
    ]) {
      it(`refuses ${sql.split(" ").slice(0, 2).join(" ")}`, () => {
        insertPin(db, pin, "2026-12-04T00:00:00.000Z", "first start");
        insertLedgerKey(db, {
          keyId: "k1",
          publicKeyPem: "pem",
          validFrom: "2026-12-04T00:00:00.000Z",
          rotatedFrom: null,
          reason: null,
        });
        insertKeyRegistration(db, {
          keyId: "k1",
          chainId: "31337",
          genesisHash: pin.genesisHash,
          contract: pin.contract,
          ledgerId: pin.ledgerId,
          txHash: "0x01",
          blockNumber: 3,
          registeredAt: "2026-12-04T00:00:00.000Z",
        });
        expect(() => db.exec(sql)).to.throw(/append-only/);
      });
    }
  });

  describe("key registrations", () => {
    it("are kept once per key and pin, found whatever the address's case", () => {
      const reg = {
        keyId: "k1",
        chainId: "31337",
        genesisHash: pin.genesisHash,
        contract: pin.contract,
        ledgerId: pin.ledgerId,
        txHash: "0x01",
        blockNumber: 3,
        registeredAt: "2026-12-04T00:00:00.000Z",
      };
      insertKeyRegistration(db, reg);
      insertKeyRegistration(db, { ...reg, txHash: "0x02" });
      expect(
        keyRegistration(db, "k1", {
          genesisHash: pin.genesisHash.toUpperCase().replace("0X", "0x"),
          contract: pin.contract.toLowerCase(),
        })?.txHash,
      ).to.equal("0x01");
      expect(keyRegistration(db, "k1", { genesisHash: "0x" + "00".repeat(32), contract: pin.contract })).to.equal(
        undefined,
      );
      expect(keyRegistrations(db, "k1")).to.have.length(1);
    });
  });

  describe("currentLedgerKey", () => {
    it("is the newest key", () => {
      insertLedgerKey(db, {
        keyId: "k1",
        publicKeyPem: "p1",
        validFrom: "2026-12-04T00:00:00.000Z",
        rotatedFrom: null,
        reason: null,
      });
      insertLedgerKey(db, {
        keyId: "k2",
        publicKeyPem: "p2",
        validFrom: "2026-12-05T00:00:00.000Z",
        rotatedFrom: "k1",
        reason: "rotation",
      });
      expect(currentLedgerKey(db)).to.include({ keyId: "k2", rotatedFrom: "k1", reason: "rotation" });
    });
  });
});
