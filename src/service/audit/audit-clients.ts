/**
 * The clients half of `audit` (issue 12): the `clients` and `client_scopes` tables are not ledger
 * records, so a file-level edit of them (an injected client, a replaced token, a revocation undone,
 * a widened scope) changes no leaf. What makes them checkable is that every client change commits
 * in one transaction with the ledger's own `security.event` (src/service/app/api.ts), which *is* a
 * record, sealed and anchored: `client.added` names the client, its role, signing key, scope and a
 * commitment to its token's hash; `client.revoked` and `client.scoped` follow. Audit replays those
 * events and compares the tables with what they say.
 *
 * Clients added before token commitments were recorded (their `client.added` has no
 * `tokenCommitment`) are compared on everything but the token.
 */
import { createHash } from "node:crypto";
import { Db } from "../../store/sqlite";
import { AuditFinding } from "./audit-findings";

/** Domain label of a token commitment. */
const TOKEN_COMMITMENT_LABEL = "gxp-ledger client token v1\n";

/**
 * What a `client.added` event records of a token: SHA-256 of a label and the stored SHA-256 of the
 * token, hex. It tells whether the stored hash was replaced, and nothing about the token itself.
 */
export function tokenCommitment(tokenHash: Uint8Array): string {
  return createHash("sha256").update(TOKEN_COMMITMENT_LABEL).update(tokenHash).digest("hex");
}

interface ClientRow {
  name: string;
  role: string;
  token_hash: Buffer;
  signing_alg: string | null;
  signing_key: string | null;
  revoked_at: string | null;
}

interface Recorded {
  role?: string;
  signingAlg?: string | null;
  signingKey?: string | null;
  tokenCommitment?: string;
  revoked: boolean;
  sources: Set<string>;
  sites: Set<string>;
}

/** Findings about the client tables against the ledger's own client events. */
export function auditClients(db: Db, ledgerName: string): { clients: number; findings: AuditFinding[] } {
  const findings: AuditFinding[] = [];
  const source = `urn:gxp-ledger:${ledgerName}:security`;
  const events = db
    .prepare<[string, string], { seq: number; kind: string; data: string }>(
      `SELECT seq, json_extract(record, '$.event.data.kind') AS kind, json_extract(record, '$.event.data') AS data FROM events
       WHERE type = 'security.event' AND client = 'gxp-ledger' AND (source = ? OR source LIKE ?)
         AND json_extract(record, '$.event.data.kind') IN ('client.added', 'client.revoked', 'client.scoped') ORDER BY seq`,
    )
    .all(source, `${source}:%`);
  const recorded = new Map<string, Recorded>();
  for (const e of events) {
    const d = JSON.parse(e.data) as {
      client?: string;
      role?: string;
      signingAlg?: string | null;
      signingKey?: string | null;
      tokenCommitment?: string;
      sources?: string[];
      sites?: string[];
    };
    if (typeof d.client !== "string") continue;
    const r = recorded.get(d.client) ?? { revoked: false, sources: new Set<string>(), sites: new Set<string>() };
    if (e.kind === "client.added")
      Object.assign(r, {
        role: d.role,
        signingAlg: d.signingAlg ?? null,
        signingKey: d.signingKey ?? null,
        tokenCommitment: d.tokenCommitment,
      });
    if (e.kind === "client.revoked") r.revoked = true;
    for (const s of d.sources ?? []) r.sources.add(s);
    for (const s of d.sites ?? []) r.sites.add(s);
    recorded.set(d.client, r);
  }
  const rows = db
    .prepare<[], ClientRow>(
      "SELECT name, role, token_hash, signing_alg, signing_key, revoked_at FROM clients ORDER BY name",
    )
    .all();
  const scopes = new Map<string, { sources: Set<string>; sites: Set<string> }>();
  const hasScopes =
    db.prepare<[], number>("SELECT count(*) FROM sqlite_master WHERE name = 'client_scopes'").pluck().get()! > 0;
  if (hasScopes) {
    for (const s of db
      .prepare<[], { client: string; kind: string; value: string }>("SELECT client, kind, value FROM client_scopes")
      .all()) {
      const x = scopes.get(s.client) ?? { sources: new Set<string>(), sites: new Set<string>() };
      (s.kind === "source" ? x.sources : x.sites).add(s.value);
      scopes.set(s.client, x);
    }
  }
  const bad = (message: string) => findings.push({ code: "CLIENT_NOT_AS_RECORDED", message });
  for (const c of rows) {
    const r = recorded.get(c.name);
    if (!r || r.role === undefined) {
      findings.push({
        code: "CLIENT_NOT_RECORDED",
        message: `client ${c.name} (role ${c.role}) is in the clients table but no client.added security event of the ledger records it: it was written into the file`,
      });
      continue;
    }
    if (r.role !== c.role)
      bad(`client ${c.name}: the table says role ${c.role}, its client.added event says ${r.role}`);
    if ((r.signingAlg ?? null) !== c.signing_alg || (r.signingKey ?? null) !== c.signing_key)
      bad(`client ${c.name}: its signing key in the table is not the one its client.added event records`);
    if (r.tokenCommitment !== undefined && r.tokenCommitment !== tokenCommitment(c.token_hash))
      bad(
        `client ${c.name}: its token hash was replaced after the client was added (the client.added event commits to another)`,
      );
    if (r.revoked && c.revoked_at === null)
      bad(
        `client ${c.name} was revoked (client.revoked event) but the table shows it active: the revocation was undone in the file`,
      );
    if (!r.revoked && c.revoked_at !== null)
      bad(`client ${c.name} is revoked in the table but no client.revoked event records it`);
    const s = scopes.get(c.name);
    const extra = s
      ? [...[...s.sources].filter((x) => !r.sources.has(x)), ...[...s.sites].filter((x) => !r.sites.has(x))]
      : [];
    if (extra.length)
      bad(
        `client ${c.name}: scope ${extra.join(", ")} is in the table but in none of its client.added or client.scoped events`,
      );
  }
  const names = new Set(rows.map((c) => c.name));
  for (const [name, r] of recorded) {
    if (r.role !== undefined && !names.has(name))
      findings.push({
        code: "CLIENT_NOT_AS_RECORDED",
        message: `client ${name} was added (client.added event) but is missing from the clients table: it was deleted from the file`,
      });
  }
  return { clients: rows.length, findings };
}
