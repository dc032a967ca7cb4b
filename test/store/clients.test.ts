import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/store/sqlite";
import { createClientStore } from "../../src/store/clients";

describe("createClientStore", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-clients-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stores only the token's hash, never reuses a name, and refuses a revoked token at once, even when another process revokes it", () => {
    const file = path.join(dir, "ledger.sqlite");
    const server = createClientStore(openDatabase(file));
    const { token } = server.add("pasx-1", "mes", undefined, new Date());
    const raw =
      fs.readFileSync(file).toString("latin1") +
      (fs.existsSync(file + "-wal") ? fs.readFileSync(file + "-wal").toString("latin1") : "");
    expect(raw).to.not.include(token);
    expect(server.authenticate(token)?.name).to.equal("pasx-1");
    expect(server.authenticate(token)?.name).to.equal("pasx-1"); // served from the cache now
    // The CLI revokes it through its own connection.
    const cli = createClientStore(openDatabase(file));
    cli.revoke("pasx-1", new Date());
    expect(server.authenticate(token)).to.equal(undefined);
    expect(() => cli.add("pasx-1", "mes", undefined, new Date())).to.throw(/never reused/);
  });

  describe("scopes", () => {
    const store = () => {
      const db = openDatabase(path.join(dir, "ledger.sqlite"));
      return { db, clients: createClientStore(db) };
    };
    it("binds an mes client to its sources and sites, and a scope added by another process reaches a cached token", () => {
      const { clients } = store();
      const { token, client } = clients.add("pasx-1", "mes", undefined, new Date(), {
        sources: ["urn:mes:a"],
        sites: ["DE01"],
      });
      expect({ sources: client.sources, sites: client.sites }).to.deep.equal({
        sources: ["urn:mes:a"],
        sites: ["DE01"],
      });
      expect(clients.authenticate(token)?.sources).to.deep.equal(["urn:mes:a"]);
      store().clients.addScope("pasx-1", { sources: ["urn:mes:b"], sites: [] }, new Date());
      expect(clients.authenticate(token)?.sources).to.deep.equal(["urn:mes:a", "urn:mes:b"]);
    });
    it("refuses a scope for a role that writes nothing, half a scope, and a ledger source", () => {
      const { clients } = store();
      for (const [role, scope] of [
        ["qa", { sources: ["urn:mes:a"], sites: ["DE01"] }],
        ["mes", { sources: ["urn:mes:a"], sites: [] }],
        ["mes", { sources: ["urn:gxp-ledger:x:security"], sites: ["DE01"] }],
      ] as const) {
        expect(() => clients.add(`c-${Math.random().toString(36).slice(2, 8)}`, role, undefined, new Date(), scope))
          .to.throw()
          .with.property("code", "CLIENT_INVALID");
      }
      expect(clients.list()).to.deep.equal([]);
    });
    it("keeps scopes append-only", () => {
      const { db, clients } = store();
      clients.add("pasx-1", "mes", undefined, new Date(), { sources: ["urn:mes:a"], sites: ["DE01"] });
      expect(() => db.prepare("UPDATE client_scopes SET value = 'urn:mes:z'").run()).to.throw(/append-only/);
      expect(() => db.prepare("DELETE FROM client_scopes").run()).to.throw(/append-only/);
    });
  });
});
