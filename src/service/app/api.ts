/**
 * What the HTTP API needs besides the ledger: clients, the security recorder, the receipt key and
 * the ingestion service, built once per process.
 */
import fs from "node:fs";
import path from "node:path";
import { Client, ClientStore, createClientStore, Role, ScopeInput, SigningAlg, tokenHash } from "../../store/clients";
import { tokenCommitment } from "../audit/audit-clients";
import { Ledger, loadLedgerKey } from "./ledger";
import { createIngestor, Ingestor } from "../ingest/ingest";
import { createSecurityRecorder, SecurityRecorder, SecurityActor, LEDGER_ACTOR } from "../security/security";

/** The API's dependencies. */
export interface ApiServices {
  clients: ClientStore;
  security: SecurityRecorder;
  ingestor: Ingestor;
}

/**
 * Builds the API services for `ledger` in `dataDir`. Receipts are signed with the ledger key checked
 * against ledger_keys (loadLedgerKey), the same check the service runs at start.
 * @throws StoreError LEDGER_KEY_CHANGED, LEDGER_KEY_MISSING
 */
export function createApiServices(
  ledger: Ledger,
  dataDir: string,
  ledgerName: string,
  anchorWithinMs: number,
  maxClockSkewMs = 300_000,
): ApiServices {
  const security = createSecurityRecorder(ledger, ledgerName);
  return {
    clients: createClientStore(ledger.db),
    security,
    ingestor: createIngestor(ledger, {
      ledgerName,
      receiptKey: loadLedgerKey(ledger.db, dataDir),
      anchorWithinMs,
      security,
      maxClockSkewMs,
    }),
  };
}

/** Where the development token is written. */
export function devTokenFile(dataDir: string): string {
  return path.join(dataDir, "dev-mes-token");
}

/**
 * On the first start of a development ledger (embedded chain, no clients yet), creates an `mes`
 * client named dev-mes so the quick start works in two commands; returns its token (printed once and
 * written to <dataDir>/dev-mes-token, mode 0600). LEDGER_DEV_TOKEN=off turns this off.
 */
export function ensureDevToken(api: ApiServices, dataDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.LEDGER_DEV_TOKEN === "off" || api.clients.list().length > 0) return undefined;
  const { token } = addClient(
    api.clients,
    api.security,
    { name: "dev-mes", role: "mes", development: true },
    LEDGER_ACTOR,
  );
  fs.writeFileSync(devTokenFile(dataDir), token + "\n", { mode: 0o600 });
  return token;
}

/** A client to create. */
export interface NewClient {
  name: string;
  role: Role;
  signing?: { alg: SigningAlg; key: string };
  scope?: ScopeInput;
  /** The development client of a fresh ledger (recorded so in its security event). */
  development?: boolean;
}

/**
 * Creates a client and records its `client.added` security event in ONE transaction (Annex 11
 * §12.3): if the event cannot be recorded, no client exists.
 * @throws StoreError CLIENT_EXISTS, CLIENT_INVALID, or whatever recording the event threw (nothing stored)
 */
export function addClient(
  clients: ClientStore,
  security: SecurityRecorder,
  c: NewClient,
  actor: SecurityActor,
  now = new Date(),
): { client: Client; token: string } {
  return clients.transaction(() => {
    const r = clients.add(c.name, c.role, c.signing, now, c.scope);
    const x = r.client;
    security.record(
      "client.added",
      {
        client: x.name,
        role: x.role,
        signingAlg: x.signingAlg,
        signingKey: x.signingKey,
        sources: x.sources,
        sites: x.sites,
        // What audit compares the stored token hash with (audit-clients.ts): never the token.
        tokenCommitment: tokenCommitment(tokenHash(r.token)),
        ...(c.development ? { development: true } : {}),
      },
      actor,
    );
    return r;
  });
}

/**
 * Revokes a client and records `client.revoked` in one transaction.
 * @throws StoreError CLIENT_NOT_FOUND, CLIENT_REVOKED (nothing changed)
 */
export function revokeClient(
  clients: ClientStore,
  security: SecurityRecorder,
  name: string,
  actor: SecurityActor,
  now = new Date(),
): Client {
  return clients.transaction(() => {
    const c = clients.revoke(name, now);
    security.record("client.revoked", { client: c.name, role: c.role }, actor);
    return c;
  });
}

/**
 * Binds a client to more sources and sites and records `client.scoped` in one transaction.
 * @throws StoreError CLIENT_NOT_FOUND, CLIENT_REVOKED, CLIENT_INVALID (nothing changed)
 */
export function scopeClient(
  clients: ClientStore,
  security: SecurityRecorder,
  name: string,
  scope: ScopeInput,
  actor: SecurityActor,
  now = new Date(),
): Client {
  return clients.transaction(() => {
    const c = clients.addScope(name, scope, now);
    security.record(
      "client.scoped",
      {
        client: c.name,
        role: c.role,
        addedSources: [...scope.sources],
        addedSites: [...scope.sites],
        sources: c.sources,
        sites: c.sites,
      },
      actor,
    );
    return c;
  });
}
