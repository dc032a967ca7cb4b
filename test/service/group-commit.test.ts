import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger } from "../../src/service/ledger";
import { createApiServices } from "../../src/service/api";
import { StoreError } from "../../src/store/errors";
import { sampleEvent } from "../helpers/events";

describe("Ingestor.submit (group commit)", () => {
  it("commits calls of the same turn in one transaction, and refuses only the call that conflicts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-group-"));
    const ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 60_000);
    const client = api.clients.add("mes-1", "mes", undefined, new Date()).client;
    const first = sampleEvent();
    await api.ingestor.submit([first], client);

    const groups: number[] = [];
    const original = ledger.events.appendGroup.bind(ledger.events);
    ledger.events.appendGroup = (calls) => {
      groups.push(calls.length);
      return original(calls);
    };
    const evs = Array.from({ length: 50 }, () => sampleEvent());
    const conflicting = { ...first, gmpCriticality: "critical" };
    const settled = await Promise.allSettled([...evs.slice(0, 25), conflicting, ...evs.slice(25)].map((e) => api.ingestor.submit([e], client)));

    expect(groups).to.deep.equal([51]);
    expect(settled.filter((s) => s.status === "fulfilled")).to.have.length(50);
    const rejected = settled.find((s) => s.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).to.be.instanceOf(StoreError).with.property("code", "EVENT_ID_CONFLICT");
    // Gap-free sequence numbers in submission order, the refused call leaving no hole.
    const seqs = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value[0].receipt.seq] : []));
    expect(seqs).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
