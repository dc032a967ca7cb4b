/**
 * API clients and their bearer tokens. A token is 32 random bytes, shown once at creation and stored
 * only as its SHA-256 hash. Clients are never deleted and names never reused; revocation takes effect
 * on the next request.
 */
import { createHash, randomBytes } from "node:crypto";
import { Db } from "./sqlite";
import { StoreError } from "./errors";

/** Roles (21 CFR 11.10(g)): mes writes events; qa and auditor read; admin manages clients. */
export const ROLES = ["mes", "qa", "auditor", "admin"] as const;
/** A client role. */
export type Role = (typeof ROLES)[number];

/** Signature schemes a client may sign its events with. */
export type SigningAlg = "EIP191" | "EdDSA" | "ES256";

/** A registered client (never its token). */
export interface Client {
  name: string;
  role: Role;
  signingAlg: SigningAlg | null;
  /** EIP191: the checksummed address; EdDSA/ES256: the SPKI public key, base64. */
  signingKey: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** The sources an mes client may write (exact URNs); empty for a client created before scopes. */
  sources: string[];
  /** The sites an mes client may write; empty for a client created before scopes. */
  sites: string[];
}

/** What a new or existing client is bound to (sources and sites it may write). */
export interface ScopeInput {
  sources: readonly string[];
  sites: readonly string[];
}

interface Row {
  name: string;
  role: Role;
  signing_alg: SigningAlg | null;
  signing_key: string | null;
  created_at: string;
  revoked_at: string | null;
}

const toClientWith =
  (scopesOf: (name: string) => { kind: "source" | "site"; value: string }[]) =>
  (r: Row): Client => {
    const scopes = scopesOf(r.name);
    return {
      name: r.name,
      role: r.role,
      signingAlg: r.signing_alg,
      signingKey: r.signing_key,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
      sources: scopes.filter((x) => x.kind === "source").map((x) => x.value),
      sites: scopes.filter((x) => x.kind === "site").map((x) => x.value),
    };
  };

/** Token prefix, so a leaked token is recognisable by secret scanners. */
export const TOKEN_PREFIX = "gxpl_";

/** SHA-256 of a token (what is stored and looked up). */
export function tokenHash(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** The client repository. */
export interface ClientStore {
  /**
   * Creates a client and returns its token (the only time it is ever available). An mes client
   * should name the sources and sites it may write (at least one of each when any); without them it
   * is unscoped (flagged by `client list`). Other roles write nothing and take no scope. The caller records the security event in the same transaction (createClientAdmin).
   * @throws StoreError CLIENT_EXISTS, CLIENT_INVALID
   */
  add(
    name: string,
    role: Role,
    signing: { alg: SigningAlg; key: string } | undefined,
    now: Date,
    scope?: ScopeInput,
  ): { client: Client; token: string };
  /**
   * Binds an existing mes client to more sources and sites (append-only: never narrowed; revoke and
   * add a new client for that).
   * @throws StoreError CLIENT_NOT_FOUND, CLIENT_REVOKED, CLIENT_INVALID
   */
  addScope(name: string, scope: ScopeInput, now: Date): Client;
  /** The active (not revoked) client holding `token`. */
  authenticate(token: string): Client | undefined;
  get(name: string): Client | undefined;
  list(): Client[];
  /**
   * Revokes a client; its token stops working at once.
   * @throws StoreError CLIENT_NOT_FOUND, CLIENT_REVOKED
   */
  revoke(name: string, now: Date): Client;
  /** Runs `fn` in one immediate transaction of the client database (a change and its security event). */
  transaction<T>(fn: () => T): T;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A source URN or a site code as a scope: printable, no spaces, at most 512 characters. */
const SCOPE_RE = /^[\x21-\x7e]{1,512}$/;

/** Builds the client repository. */
export function createClientStore(db: Db): ClientStore {
  const ins = db.prepare(
    "INSERT INTO clients (name, role, token_hash, signing_alg, signing_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const byName = db.prepare<[string], Row>("SELECT * FROM clients WHERE name = ?");
  const byHash = db.prepare<[Buffer], Row>("SELECT * FROM clients WHERE token_hash = ? AND revoked_at IS NULL");
  const all = db.prepare<[], Row>("SELECT * FROM clients ORDER BY created_at, name");
  const rev = db.prepare("UPDATE clients SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL");
  const qScopes = db.prepare<[string], { kind: "source" | "site"; value: string }>(
    "SELECT kind, value FROM client_scopes WHERE client = ? ORDER BY kind, value",
  );
  const insScope = db.prepare(
    "INSERT OR IGNORE INTO client_scopes (client, kind, value, added_at) VALUES (?, ?, ?, ?)",
  );
  const toClient = toClientWith((name) => qScopes.all(name));
  const checkScope = (role: Role, scope: ScopeInput | undefined, adding: boolean): void => {
    const n = (scope?.sources.length ?? 0) + (scope?.sites.length ?? 0);
    if (role !== "mes") {
      if (n)
        throw new StoreError(
          "CLIENT_INVALID",
          `role ${role} writes no events: --source and --site are for mes clients`,
        );
      return;
    }
    if (!adding && n > 0 && (!scope?.sources.length || !scope.sites.length))
      throw new StoreError(
        "CLIENT_INVALID",
        "a scoped mes client names both the sources and the sites it may write: at least one --source and one --site",
      );
    if (adding && n === 0) throw new StoreError("CLIENT_INVALID", "name at least one --source or --site to add");
    for (const v of [...(scope?.sources ?? []), ...(scope?.sites ?? [])]) {
      if (!SCOPE_RE.test(v))
        throw new StoreError(
          "CLIENT_INVALID",
          `scope ${JSON.stringify(v.slice(0, 80))}: want 1-512 printable characters without spaces`,
        );
    }
    for (const s of scope?.sources ?? [])
      if (s.toLowerCase().startsWith("urn:gxp-ledger:"))
        throw new StoreError("CLIENT_INVALID", `source ${s}: urn:gxp-ledger:* sources are the ledger's own`);
  };
  const insertScope = (name: string, scope: ScopeInput, now: Date) => {
    for (const s of scope.sources) insScope.run(name, "source", s, now.toISOString());
    for (const s of scope.sites) insScope.run(name, "site", s, now.toISOString());
  };
  // Tokens already seen, so that each request costs no hash and no query. PRAGMA data_version changes
  // whenever another connection (a CLI `client revoke`) commits, and revoke() below clears it too, so
  // a revocation still takes effect on the very next request.
  const qVersion = db.prepare("PRAGMA data_version").pluck();
  const cache = new Map<string, Client>();
  let version: unknown;
  return {
    add(name, role, signing, now, scope) {
      if (!NAME_RE.test(name))
        throw new StoreError(
          "CLIENT_INVALID",
          `client name ${JSON.stringify(name)}: want 1-64 characters of A-Z a-z 0-9 . _ -`,
        );
      if (!ROLES.includes(role))
        throw new StoreError("CLIENT_INVALID", `role ${JSON.stringify(role)}: want one of ${ROLES.join(", ")}`);
      if (byName.get(name))
        throw new StoreError("CLIENT_EXISTS", `client ${name} exists (names are never reused, even after revocation)`);
      checkScope(role, scope, false);
      const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
      db.transaction(() => {
        ins.run(name, role, tokenHash(token), signing?.alg ?? null, signing?.key ?? null, now.toISOString());
        if (scope) insertScope(name, scope, now);
      })();
      return { client: toClient(byName.get(name)!), token };
    },
    addScope(name, scope, now) {
      const c = byName.get(name);
      if (!c) throw new StoreError("CLIENT_NOT_FOUND", `no client named ${name}`);
      if (c.revoked_at) throw new StoreError("CLIENT_REVOKED", `client ${name} was revoked at ${c.revoked_at}`);
      checkScope(c.role, scope, true);
      insertScope(name, scope, now);
      cache.clear();
      return toClient(byName.get(name)!);
    },
    authenticate(token) {
      if (typeof token !== "string" || !token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
      const v = qVersion.get();
      if (v !== version) {
        cache.clear();
        version = v;
      }
      const hit = cache.get(token);
      if (hit) return hit;
      const r = byHash.get(tokenHash(token));
      if (!r) return undefined;
      const c = toClient(r);
      if (cache.size < 10_000) cache.set(token, c);
      return c;
    },
    get(name) {
      const r = byName.get(name);
      return r && toClient(r);
    },
    list: () => all.all().map(toClient),
    revoke(name, now) {
      const c = byName.get(name);
      if (!c) throw new StoreError("CLIENT_NOT_FOUND", `no client named ${name}`);
      if (c.revoked_at) throw new StoreError("CLIENT_REVOKED", `client ${name} was already revoked at ${c.revoked_at}`);
      rev.run(now.toISOString(), name);
      cache.clear();
      return toClient(byName.get(name)!);
    },
    transaction<T>(fn: () => T): T {
      try {
        return db.transaction(fn).immediate();
      } finally {
        cache.clear();
      }
    },
  };
}
