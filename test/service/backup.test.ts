/**
 * backupLedger and restoreLedger on real SQLite files: a backup taken while another process keeps
 * appending and sealing is consistent (restored, it audits clean), and the refusals.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import readline from "node:readline";
import { openLedger } from "../../src/service/app/ledger";
import { backupLedger, restoreLedger } from "../../src/service/app/backup";
import { auditLedger } from "../../src/service/audit/audit";
import { StoreError } from "../../src/store/errors";
import { sampleEvents } from "../helpers/events";

const ROOT = path.resolve(__dirname, "../..");

/** A separate process that appends 20 events per transaction and seals every 100, until killed. */
function startWriter(dir: string): { proc: ChildProcess; written: () => number } {
  const script = `
    const { openLedger } = require("./src/service/app/ledger");
    const { sampleEvents } = require("./test/helpers/events");
    const l = openLedger(${JSON.stringify(dir)}, { maxEvents: 100, maxAgeMs: 60000 });
    let n = 0;
    const step = () => {
      l.events.append(sampleEvents(20, "B-W" + (n % 3)).map((e) => ({ ...e, source: "urn:test:writer" })));
      n += 20;
      if (n % 100 === 0) l.sealer.seal(new Date());
      console.log(n);
      setImmediate(step);
    };
    step();`;
  const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let n = 0;
  readline.createInterface({ input: proc.stdout! }).on("line", (l) => (n = Number(l)));
  return { proc, written: () => n };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(StoreError);
    return (e as StoreError).code;
  }
  return "no error";
};

describe("backupLedger / restoreLedger", function () {
  this.timeout(120_000);
  let dir: string;
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "gxp-backup-"));
  const made: string[] = [];

  before(() => {
    dir = tmp();
    made.push(dir);
    const l = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 });
    l.events.append(sampleEvents(50, "B-W0"));
    l.sealer.seal(new Date());
    l.close();
  });
  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  describe("when another process keeps writing", () => {
    it("copies a consistent snapshot that restores into a new directory and audits clean", async () => {
      const w = startWriter(dir);
      try {
        const wait = async (n: number) => {
          while (w.written() < n) {
            if (w.proc.exitCode !== null) throw new Error("the writer process died");
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await wait(400);
        const out = tmp();
        made.push(out);
        const b = await backupLedger(dir, path.join(out, "ledger.bak"));
        const at = w.written();
        expect(b.events).to.be.greaterThan(400 - 20);
        await wait(at + 200);
        const target = path.join(out, "restored");
        const r = await restoreLedger(b.file, target);
        expect(r).to.include({ events: b.events, epochs: b.epochs });
        const restored = openLedger(target, undefined, undefined, true);
        try {
          const report = await auditLedger(restored);
          expect(report.findings).to.deep.equal([]);
          expect(report.events).to.equal(b.events);
          // the restored events are the original ones, byte for byte
          const live = openLedger(dir, undefined, undefined, true);
          const q =
            "SELECT group_concat(hex(leaf_hash), '') FROM (SELECT leaf_hash FROM events WHERE seq < ? ORDER BY seq)";
          expect(restored.db.prepare(q).pluck().get(b.events)).to.equal(live.db.prepare(q).pluck().get(b.events));
          live.close();
        } finally {
          restored.close();
        }
      } finally {
        w.proc.kill("SIGTERM");
        await new Promise((r) => w.proc.once("exit", r));
      }
    });
  });

  describe("when the target is in the way", () => {
    it("refuses to overwrite an existing backup file", async () => {
      const out = tmp();
      made.push(out);
      fs.writeFileSync(path.join(out, "x.bak"), "keep me");
      expect(await code(backupLedger(dir, path.join(out, "x.bak")))).to.equal("BACKUP_TARGET_EXISTS");
      expect(fs.readFileSync(path.join(out, "x.bak"), "utf8")).to.equal("keep me");
    });

    it("refuses to restore into a non-empty data directory", async () => {
      const out = tmp();
      made.push(out);
      const b = await backupLedger(dir, path.join(out, "ok.bak"));
      fs.mkdirSync(path.join(out, "busy"));
      fs.writeFileSync(path.join(out, "busy", "something"), "x");
      expect(await code(restoreLedger(b.file, path.join(out, "busy")))).to.equal("RESTORE_TARGET_NOT_EMPTY");
      expect(fs.readdirSync(path.join(out, "busy"))).to.deep.equal(["something"]);
    });

    it("refuses a file that is not a ledger backup", async () => {
      const out = tmp();
      made.push(out);
      fs.writeFileSync(path.join(out, "junk.bak"), "not sqlite at all, just text ".repeat(200));
      expect(await code(restoreLedger(path.join(out, "junk.bak"), path.join(out, "new")))).to.equal("BACKUP_INVALID");
    });
  });
});
