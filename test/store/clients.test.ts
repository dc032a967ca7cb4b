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
    const raw = fs.readFileSync(file).toString("latin1") + (fs.existsSync(file + "-wal") ? fs.readFileSync(file + "-wal").toString("latin1") : "");
    expect(raw).to.not.include(token);
    expect(server.authenticate(token)?.name).to.equal("pasx-1");
    expect(server.authenticate(token)?.name).to.equal("pasx-1"); // served from the cache now
    // The CLI revokes it through its own connection.
    const cli = createClientStore(openDatabase(file));
    cli.revoke("pasx-1", new Date());
    expect(server.authenticate(token)).to.equal(undefined);
    expect(() => cli.add("pasx-1", "mes", undefined, new Date())).to.throw(/never reused/);
  });
});
