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
}

interface Row {
  name: string;
  role: Role;
  signing_alg: SigningAlg | null;
  signing_key: string | null;
  created_at: string;
  revoked_at: string | null;
}

const toClient = (r: Row): Client => ({ name: r.name, role: r.role, signingAlg: r.signing_alg, signingKey: r.signing_key, createdAt: r.created_at, revokedAt: r.revoked_at });

/** Token prefix, so a leaked token is recognisable by secret scanners. */
export const TOKEN_PREFIX = "gxpl_";

/** SHA-256 of a token (what is stored and looked up). */
export function tokenHash(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** The client repository. */
export interface ClientStore {
  /**
   * Creates a client and returns its token (the only time it is ever available).
   * @throws StoreError CLIENT_EXISTS
   */
  add(name: string, role: Role, signing: { alg: SigningAlg; key: string } | undefined, now: Date): { client: Client; token: string };
  /** The active (not revoked) client holding `token`. */
  authenticate(token: string): Client | undefined;
  get(name: string): Client | undefined;
  list(): Client[];
  /**
   * Revokes a client; its token stops working at once.
   * @throws StoreError CLIENT_NOT_FOUND, CLIENT_REVOKED
   */
  revoke(name: string, now: Date): Client;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Builds the client repository. */
export function createClientStore(db: Db): ClientStore {
  const ins = db.prepare("INSERT INTO clients (name, role, token_hash, signing_alg, signing_key, created_at) VALUES (?, ?, ?, ?, ?, ?)");
  const byName = db.prepare<[string], Row>("SELECT * FROM clients WHERE name = ?");
  const byHash = db.prepare<[Buffer], Row>("SELECT * FROM clients WHERE token_hash = ? AND revoked_at IS NULL");
  const all = db.prepare<[], Row>("SELECT * FROM clients ORDER BY created_at, name");
  const rev = db.prepare("UPDATE clients SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL");
  // Tokens already seen, so that each request costs no hash and no query. PRAGMA data_version changes
  // whenever another connection (a CLI `client revoke`) commits, and revoke() below clears it too, so
  // a revocation still takes effect on the very next request.
  const qVersion = db.prepare("PRAGMA data_version").pluck();
  const cache = new Map<string, Client>();
  let version: unknown;
  return {
    add(name, role, signing, now) {
      if (!NAME_RE.test(name)) throw new StoreError("CLIENT_INVALID", `client name ${JSON.stringify(name)}: want 1-64 characters of A-Z a-z 0-9 . _ -`);
      if (!ROLES.includes(role)) throw new StoreError("CLIENT_INVALID", `role ${JSON.stringify(role)}: want one of ${ROLES.join(", ")}`);
      if (byName.get(name)) throw new StoreError("CLIENT_EXISTS", `client ${name} exists (names are never reused, even after revocation)`);
      const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
      ins.run(name, role, tokenHash(token), signing?.alg ?? null, signing?.key ?? null, now.toISOString());
      return { client: toClient(byName.get(name)!), token };
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
  };
}
