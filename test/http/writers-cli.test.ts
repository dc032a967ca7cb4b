/**
 * Issue 12 items 2–3 at the CLI: `client add --source --site` binds a client (its security event in
 * the same transaction), `client list` flags unscoped mes clients, `client scope` binds one, and
 * `append` refuses the ledger's own type and sources.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { cli } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

describe("client and append commands (issue 12)", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-writers-cli-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => cli(["--data-dir", dir, "--json", ...args]);
  const securityData = () => {
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    try {
      return (
        db.prepare("SELECT record FROM events WHERE type = 'security.event' ORDER BY seq").pluck().all() as string[]
      ).map((r) => JSON.parse(r).event.data);
    } finally {
      db.close();
    }
  };

  it("adds a bound client, flags an unbound one in client list until client scope binds it, each change with its security event", () => {
    const a = run("client", "add", "pasx-a", "--role", "mes", "--source", "urn:mes:a", "urn:mes:a2", "--site", "DE01");
    expect(a.code, a.stderr).to.equal(0);
    expect(JSON.parse(a.stdout).client).to.include.keys("sources", "sites");
    expect(JSON.parse(a.stdout).client.sources).to.deep.equal(["urn:mes:a", "urn:mes:a2"]);
    expect(run("client", "add", "legacy", "--role", "mes").code).to.equal(0);
    const half = run("client", "add", "half", "--role", "mes", "--source", "urn:mes:h");
    expect(half.code).to.equal(2);
    const list = () =>
      Object.fromEntries(
        (JSON.parse(run("client", "list").stdout).clients as { name: string; scoped: boolean }[]).map((c) => [
          c.name,
          c.scoped,
        ]),
      );
    expect(list()).to.deep.equal({ "pasx-a": true, legacy: false });
    expect(run("client", "scope", "legacy", "--source", "urn:mes:l", "--site", "DE01").code).to.equal(0);
    expect(list()).to.deep.equal({ "pasx-a": true, legacy: true });
    expect(securityData().map((d) => `${d.kind}:${d.client}`)).to.deep.equal([
      "client.added:pasx-a",
      "client.added:legacy",
      "client.scoped:legacy",
    ]);
    expect(securityData()[0]).to.deep.include({ sources: ["urn:mes:a", "urn:mes:a2"], sites: ["DE01"] });
  });

  it("refuses to append a security.event or an event on a urn:gxp-ledger:* source, storing nothing", () => {
    const file = path.join(dir, "hostile.ndjson");
    for (const ev of [
      JSON.parse(
        JSON.stringify(
          sampleEvent({
            type: "security.event",
            source: "urn:mes:x",
            batch: undefined,
            recipe: undefined,
            context: undefined,
            data: { kind: "client.added" },
          }),
        ),
      ),
      sampleEvent({ source: "urn:gxp-ledger:default:security", sourceSequence: Number.MAX_SAFE_INTEGER }),
    ]) {
      fs.writeFileSync(file, JSON.stringify(sampleEvent({ source: "urn:mes:ok" })) + "\n" + JSON.stringify(ev) + "\n");
      const r = run("append", file);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/line 2: (EVENT_TYPE_RESERVED|SOURCE_RESERVED)/);
    }
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM events WHERE type != 'security.event'").pluck().get()).to.equal(0);
    } finally {
      db.close();
    }
  });
});
