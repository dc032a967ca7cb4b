import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { openLedger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { verifyStoredEvent } from "../../src/service/proof/verify-event";
import { parseSigningKey, signEventJws } from "../../src/crypto/source-sig";
import { sampleEvent } from "../helpers/events";

describe("verifyStoredEvent", () => {
  it("shows which client signed an event and with which key", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-verify-"));
    const ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 60_000);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const client = api.clients.add(
      "pasx-signing",
      "mes",
      parseSigningKey(publicKey.export({ type: "spki", format: "pem" }).toString()),
      new Date(),
    ).client;
    const ev = signEventJws(
      sampleEvent() as never,
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      "EdDSA",
    ) as { id: string };
    api.ingestor.ingest([ev], client);
    ledger.sealer.seal(new Date());
    const r = (await verifyStoredEvent(ledger, ev.id, undefined))!;
    expect(r.outcome).to.equal("not-anchored");
    const sig = r.checks.find((c) => c.check === "source signature")!;
    expect(sig.ok).to.equal(true);
    expect(sig.detail).to.match(/^signed by client pasx-signing with EdDSA key sha256:[0-9a-f]{16}/);
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
