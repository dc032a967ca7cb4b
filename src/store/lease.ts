/**
 * A lease in the database: at most one process (the server or a CLI command) runs the anchorer at a
 * time, so that two never send the same epoch. A crashed holder's lease simply expires.
 */
import { Db } from "./sqlite";

/** A named lease. */
export interface Lease {
  /** Takes or renews the lease; true when this holder has it now. */
  acquire(): boolean;
  release(): void;
}

/** True when the holder names a process of this machine that is gone (holder = "<kind>-<pid>-<id>"). */
function holderGone(holder: string): boolean {
  const pid = Number(/^[a-z]+-(\d+)-/.exec(holder)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Builds a lease `name` for `holder`, valid `ttlMs` after each acquire. A lease whose holder process
 * has died (killed, crashed) is taken over at once rather than after its expiry.
 */
export function createLease(db: Db, name: string, holder: string, ttlMs: number, now: () => number = Date.now): Lease {
  const q = db.prepare<[string], { holder: string; expires_at: number }>("SELECT holder, expires_at FROM leases WHERE name = ?");
  const put = db.prepare("INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at");
  const del = db.prepare("DELETE FROM leases WHERE name = ? AND holder = ?");
  const acquireTx = db.transaction((): boolean => {
    const t = now();
    const cur = q.get(name);
    if (cur && cur.holder !== holder && cur.expires_at > t && !holderGone(cur.holder)) return false;
    put.run(name, holder, t + ttlMs);
    return true;
  });
  return {
    acquire: () => acquireTx.immediate(),
    release: () => void del.run(name, holder),
  };
}
