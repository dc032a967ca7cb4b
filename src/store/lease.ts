/**
 * A lease in the database: at most one process (the server or a CLI command) runs the anchorer at a
 * time, so that two never send the same epoch. A crashed holder's lease simply expires.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { Db } from "./sqlite";

/** A named lease. */
export interface Lease {
  /** Takes or renews the lease; true when this holder has it now. */
  acquire(): boolean;
  release(): void;
}

/**
 * A holder name for this process: "<kind>-<pid>@<host>/<random>". The host is part of it because a
 * pid means nothing on another machine or in another container sharing the data directory.
 */
export function leaseHolder(kind: string): string {
  return `${kind}-${process.pid}@${os.hostname()}/${randomUUID()}`;
}

/**
 * True when the holder names a process of THIS host that is gone. A holder of another host (or of
 * an older name format without a host) is never judged gone: its lease is left to expire.
 */
function holderGone(holder: string): boolean {
  const m = /^[a-z]+-(\d+)@([^/]+)\//.exec(holder);
  if (!m || m[2] !== os.hostname()) return false;
  const pid = Number(m[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Builds a lease `name` for `holder` (see leaseHolder), valid `ttlMs` after each acquire. A lease
 * whose holder process on this host has died (killed, crashed) is taken over at once rather than
 * after its expiry.
 */
export function createLease(db: Db, name: string, holder: string, ttlMs: number, now: () => number = Date.now): Lease {
  const q = db.prepare<[string], { holder: string; expires_at: number }>(
    "SELECT holder, expires_at FROM leases WHERE name = ?",
  );
  const put = db.prepare(
    "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
  );
  const del = db.prepare("DELETE FROM leases WHERE name = ? AND holder = ?");
  const acquireTx = db.transaction((): boolean => {
    const t = now();
    const cur = q.get(name);
    if (cur && cur.holder !== holder && cur.expires_at > t && !holderGone(cur.holder)) return false;
    put.run(name, holder, t + ttlMs);
    return true;
  });
  return {
    // Held by us with more than half its time left: nobody else may take it before it expires, so
    // it is not rewritten (issue 14: a renewal is a write transaction and an fsync on every tick,
    // taken in the thread that commits the events).
    acquire: () => {
      const cur = q.get(name);
      if (cur && cur.holder === holder && cur.expires_at - now() > ttlMs / 2) return true;
      return acquireTx.immediate();
    },
    release: () => void del.run(name, holder),
  };
}
