/**
 * File modes (issue 12 item 8): a new ledger's data directory is 0700; its database, WAL, SHM,
 * backups and chain/deployment.json are 0600 (keys already were); `status` warns, naming the file
 * and its mode, when any is wider.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, ledgerDbFile } from "../../src/service/app/ledger";
import { backupLedger, restoreLedger } from "../../src/service/app/backup";
import { writeDeployment } from "../../src/chain/deploy";
import { loadReceiptKey, receiptKeyFile } from "../../src/crypto/receipt-key";
import { fileModeWarnings } from "../../src/service/proof/status";
import { sampleEvents } from "../helpers/events";
import { cli } from "../helpers/process";

const modeOf = (p: string) => "0" + (fs.statSync(p).mode & 0o777).toString(8);

describe("file modes of a ledger", function () {
  this.timeout(60_000);
  let root: string;
  let oldUmask: number;
  before(() => {
    // The usual umask: files 0644 and directories 0755 unless the ledger asks for less.
    oldUmask = process.umask(0o022);
  });
  after(() => process.umask(oldUmask));
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-modes-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const deployment = {
    chainId: "31337",
    contract: "0x" + "11".repeat(20),
    ledgerName: "modes",
    ledgerId: "0x" + "22".repeat(32),
    rpcUrl: "",
    deployTx: "",
    deployBlock: 0,
    admin: "",
    anchorer: "",
    development: true,
  };

  it("creates the data directory 0700 and the database, WAL, SHM, key, deployment and backups 0600", async () => {
    const dir = path.join(root, "data");
    const ledger = openLedger(dir);
    ledger.events.append(sampleEvents(3));
    loadReceiptKey(dir);
    writeDeployment(dir, deployment);
    const db = ledgerDbFile(dir);
    expect(fs.existsSync(`${db}-wal`)).to.equal(true);
    expect({
      dir: modeOf(dir),
      db: modeOf(db),
      wal: modeOf(`${db}-wal`),
      shm: modeOf(`${db}-shm`),
      key: modeOf(receiptKeyFile(dir)),
      chain: modeOf(path.join(dir, "chain")),
      deployment: modeOf(path.join(dir, "chain", "deployment.json")),
    }).to.deep.equal({
      dir: "0700",
      db: "0600",
      wal: "0600",
      shm: "0600",
      key: "0600",
      chain: "0700",
      deployment: "0600",
    });
    expect(fileModeWarnings(dir)).to.deep.equal([]);
    const backup = path.join(root, "ledger-backup.sqlite");
    await backupLedger(dir, backup);
    ledger.close();
    expect(modeOf(backup)).to.equal("0600");
    const restored = path.join(root, "restored");
    await restoreLedger(backup, restored);
    expect([
      modeOf(restored),
      modeOf(ledgerDbFile(restored)),
      modeOf(path.join(restored, "chain", "deployment.json")),
    ]).to.deep.equal(["0700", "0600", "0600"]);
  });

  it("status warns about a file or directory readable by others, naming it and its mode", () => {
    const dir = path.join(root, "data");
    const ledger = openLedger(dir);
    ledger.events.append(sampleEvents(2));
    ledger.close();
    const db = ledgerDbFile(dir);
    fs.chmodSync(db, 0o644);
    fs.chmodSync(dir, 0o755);
    expect(fileModeWarnings(dir)).to.deep.include.members([
      { file: db, mode: "0644", want: "0600" },
      { file: dir, mode: "0755", want: "0700" },
    ]);
    const text = cli(["--data-dir", dir, "status"]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.contain(`${db} has mode 0644`).and.contain(`${dir} has mode 0755`);
    const json = cli(["--data-dir", dir, "--json", "status"]);
    expect(JSON.parse(json.stdout).fileModes).to.deep.include({ file: db, mode: "0644", want: "0600" });
    // Put back to owner only: no warning.
    fs.chmodSync(db, 0o600);
    fs.chmodSync(dir, 0o700);
    const ok = cli(["--data-dir", dir, "--json", "status"]);
    expect(JSON.parse(ok.stdout).fileModes).to.deep.equal([]);
  });
});
