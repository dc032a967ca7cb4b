/** The anchorer lease: one holder at a time; a dead holder on this host is replaced at once, one on another host only after expiry. */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createLease, leaseHolder } from "../../src/store/lease";

describe("the anchorer lease", () => {
  let dir: string;
  let ledger: Ledger;
  let t: number;
  const now = () => t;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-lease-"));
    ledger = openLedger(dir);
    t = 1_000_000;
  });
  afterEach(() => {
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A pid that existed and has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ["-e", "0"]).pid!;
  /** Writes a lease row as another process would have. */
  const heldBy = (holder: string) => createLease(ledger.db, "anchorer", holder, 60_000, now).acquire();

  it("names the holder by kind, pid and host", () => {
    expect(leaseHolder("serve")).to.match(
      new RegExp(`^serve-${process.pid}@${os.hostname().replace(/[.]/g, "\\.")}/[0-9a-f-]{36}$`),
    );
  });
  it("is held by one holder until it is released or expires", () => {
    const a = createLease(ledger.db, "anchorer", leaseHolder("serve"), 60_000, now);
    const b = createLease(ledger.db, "anchorer", leaseHolder("cli"), 60_000, now);
    expect(a.acquire()).to.equal(true);
    expect(b.acquire()).to.equal(false);
    t += 59_000;
    expect(a.acquire()).to.equal(true); // renewed
    t += 59_000;
    expect(b.acquire()).to.equal(false);
    a.release();
    expect(b.acquire()).to.equal(true);
    expect(a.acquire()).to.equal(false);
    t += 60_001;
    expect(a.acquire()).to.equal(true);
  });
  it("is taken over at once from a holder process of this host that is gone", () => {
    expect(heldBy(`serve-${deadPid()}@${os.hostname()}/00000000-0000-4000-8000-000000000000`)).to.equal(true);
    expect(createLease(ledger.db, "anchorer", leaseHolder("cli"), 60_000, now).acquire()).to.equal(true);
  });
  it("is not taken from a holder of another host or container, whatever its pid, until it expires", () => {
    expect(heldBy(`serve-${deadPid()}@other-container-7f3a/00000000-0000-4000-8000-000000000000`)).to.equal(true);
    const mine = createLease(ledger.db, "anchorer", leaseHolder("cli"), 60_000, now);
    expect(mine.acquire()).to.equal(false);
    t += 60_001;
    expect(mine.acquire()).to.equal(true);
  });
  it("is not taken before expiry from a holder named in the older format without a host", () => {
    expect(heldBy(`serve-${deadPid()}-00000000-0000-4000-8000-000000000000`)).to.equal(true);
    expect(createLease(ledger.db, "anchorer", leaseHolder("cli"), 60_000, now).acquire()).to.equal(false);
  });
});
