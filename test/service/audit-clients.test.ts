/**
 * `audit` against file-level edits of the client tables (issue 12: "edits of `clients` (an injected
 * token) go unnoticed"): every client row must be what the ledger's own, anchored client events say.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { auditLedger } from "../../src/service/audit/audit";
import { addClient, revokeClient, scopeClient } from "../../src/service/app/api";
import { createClientStore, tokenHash } from "../../src/store/clients";
import { createSecurityRecorder, LEDGER_ACTOR } from "../../src/service/security/security";
import { tamper } from "../helpers/tamper";

describe("auditClients (audit of the client tables)", () => {
  let dir: string;
  let ledger: Ledger;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-audit-clients-"));
    ledger = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 }, undefined, false, "DE01");
    const clients = createClientStore(ledger.db);
    const security = createSecurityRecorder(ledger, ledger.name);
    addClient(
      clients,
      security,
      { name: "pasx-a", role: "mes", scope: { sources: ["urn:mes:pasx:site-DE01:a"], sites: ["DE01"] } },
      LEDGER_ACTOR,
    );
    addClient(clients, security, { name: "qa-1", role: "qa" }, LEDGER_ACTOR);
    addClient(clients, security, { name: "old-mes", role: "mes" }, LEDGER_ACTOR);
    revokeClient(clients, security, "old-mes", LEDGER_ACTOR);
    scopeClient(clients, security, "pasx-a", { sources: ["urn:mes:pasx:site-DE01:b"], sites: [] }, LEDGER_ACTOR);
  });
  afterEach(() => {
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The attacker with file access drops the clients tables' guards first. */
  const fileEdit = (sql: string, ...params: unknown[]) => {
    ledger.db.exec("DROP TRIGGER IF EXISTS clients_no_delete; DROP TRIGGER IF EXISTS clients_only_revoke;");
    tamper(ledger, sql, ...params);
  };
  const codes = async () =>
    (await auditLedger(ledger)).findings
      .filter((f) => f.code.startsWith("CLIENT_"))
      .map((f) => `${f.code}: ${f.message}`);

  it("is clean when every client change went through the ledger (with its security event)", async () => {
    expect(await codes()).to.deep.equal([]);
  });

  it("names a client written into the file (an injected token)", async () => {
    fileEdit(
      "INSERT INTO clients (name, role, token_hash, created_at) VALUES (?, 'admin', ?, ?)",
      "backdoor",
      tokenHash("gxpl_" + randomBytes(32).toString("base64url")),
      new Date().toISOString(),
    );
    const f = await codes();
    expect(f).to.have.length(1);
    expect(f[0]).to.match(/^CLIENT_NOT_RECORDED: client backdoor \(role admin\)/);
  });

  it("names a replaced token hash, an undone revocation, a changed role and a widened scope", async () => {
    fileEdit(
      "UPDATE clients SET token_hash = ? WHERE name = 'qa-1'",
      tokenHash("gxpl_" + randomBytes(32).toString("base64url")),
    );
    fileEdit("UPDATE clients SET revoked_at = NULL WHERE name = 'old-mes'");
    fileEdit("UPDATE clients SET role = 'admin' WHERE name = 'pasx-a'");
    fileEdit(
      "INSERT INTO client_scopes (client, kind, value, added_at) VALUES ('pasx-a', 'source', 'urn:mes:pasx:site-DE01:other', ?)",
      new Date().toISOString(),
    );
    const f = (await codes()).join("\n");
    expect(f).to.contain("client qa-1: its token hash was replaced");
    expect(f).to.contain("client old-mes was revoked (client.revoked event) but the table shows it active");
    expect(f).to.contain("client pasx-a: the table says role admin, its client.added event says mes");
    expect(f).to.contain("client pasx-a: scope urn:mes:pasx:site-DE01:other is in the table");
  });

  it("names a client deleted from the file", async () => {
    fileEdit("DELETE FROM client_scopes WHERE client = 'qa-1'");
    fileEdit("DELETE FROM clients WHERE name = 'qa-1'");
    expect(await codes()).to.deep.equal([
      "CLIENT_NOT_AS_RECORDED: client qa-1 was added (client.added event) but is missing from the clients table: it was deleted from the file",
    ]);
  });
});
