/**
 * Issue 12 item 1 against the real server (bin/ over dist/): the attack that ended the process. A
 * mes client posts a security.event on the ledger's own security source at sourceSequence 2^53−1,
 * then an id conflict makes the ledger record a security event; the server must answer every
 * request and take the next valid event, also after a restart, and `client add` must still record
 * its security event.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { cliAsync, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

describe("the server under the security-source attack (e2e)", () => {
  let dir: string;
  let s: Served | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-writers-e2e-"));
  });
  after(async () => {
    // SIGTERM: the server stops its embedded chain too (SIGKILL would leave Anvil running).
    await s?.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = async (token: string, ev: unknown) => {
    const res = await fetch(`${s!.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(ev),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("answers the hostile post, a conflict and a valid event, before and after a restart; client add records its security event", async () => {
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    const first = await post(token, sampleEvent({ source: "urn:mes:e2e", sourceSequence: 1 }));
    expect(first.status).to.equal(201);
    const name = first.body.ledger as string;
    const hostile = JSON.parse(
      JSON.stringify(
        sampleEvent({
          type: "security.event",
          source: `urn:gxp-ledger:${name}:security`,
          sourceSequence: Number.MAX_SAFE_INTEGER,
          batch: undefined,
          recipe: undefined,
          context: undefined,
          data: { kind: "client.added" },
        }),
      ),
    );
    const attack = await post(token, hostile);
    let n = 2;
    for (let round = 0; round < 2; round++) {
      const ev = sampleEvent({ source: "urn:mes:e2e", sourceSequence: n++ });
      expect((await post(token, ev)).status).to.equal(201);
      const conflict = await post(token, { ...ev, gmpCriticality: "critical" });
      expect(conflict.status).to.equal(409);
      expect(conflict.body.code).to.equal("EVENT_ID_CONFLICT");
      // The security event of the conflict is recorded after the reply: give it time to fail.
      await new Promise((r) => setTimeout(r, 300));
      expect((await post(token, sampleEvent({ source: "urn:mes:e2e", sourceSequence: n++ }))).status).to.equal(201);
      expect(await s.stop("SIGTERM")).to.equal(0);
      s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    }
    expect(attack.status).to.equal(403);
    expect(attack.body.code).to.equal("EVENT_TYPE_RESERVED");

    const added = await cliAsync([
      "--data-dir",
      dir,
      "--json",
      "client",
      "add",
      "pasx-e2e",
      "--role",
      "mes",
      "--source",
      "urn:mes:e2e2",
      "--site",
      "DE01",
    ]);
    expect(added.code, added.stderr).to.equal(0);
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    try {
      const kinds = (
        db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[]
      ).map((r) => JSON.parse(r).event.data);
      expect(kinds.filter((d) => d.kind === "event.id_conflict")).to.have.length(2);
      expect(kinds.find((d) => d.kind === "client.added" && d.client === "pasx-e2e")).to.include({ role: "mes" });
    } finally {
      db.close();
    }
  });
});
