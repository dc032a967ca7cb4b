/**
 * Keys an operator can live with (issue 13 item 2): encrypted JSON keystores written by `key new`
 * (mode 600, never over a file, only the address printed), read with a password file or a terminal
 * prompt, errors naming the file and never a key or a password; the one place that builds a signer
 * refuses the public test keys off development chains, from a keystore too.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { KeystoreError, readKeystore, readPasswordFile, writeNewKeystore } from "../../src/chain/keystore";
import { signerOf, SignerSource } from "../../src/chain/signer";
import { devWallet } from "../../src/chain/dev-keys";
import { ChainError } from "../../src/chain/errors";
import { spawnSync } from "node:child_process";
import { BIN, cliAsync as cli } from "../helpers/process";

/**
 * Runs argv on a pseudo-terminal (python3's pty module: Node has none), answers each password prompt
 * with `password` once it shows, and returns everything the terminal showed.
 */
const PTY_DRIVER = `
import os, pty, sys, time, select
pw = os.environ["PTY_PASSWORD"].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
def read_until(token, timeout=60):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for prompt in (b"password for", b"again: "):
    read_until(prompt)
    os.write(fd, pw + b"\\r")
read_until(b"\\x00", 30)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf8", "replace"))
sys.exit(os.WEXITSTATUS(status))
`;

const PASSWORD = "a password nobody prints 7f3a";

async function rejection(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; info?: Record<string, unknown> }> {
  return p.then(
    () => {
      throw new Error("resolved, want a rejection");
    },
    (e: KeystoreError | ChainError) => e,
  );
}

describe("src/chain/keystore", function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  let address: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-keystore-"));
    file = path.join(dir, "anchor-key.json");
    ({ address } = await writeNewKeystore(file, PASSWORD));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("writeNewKeystore", () => {
    it("writes an encrypted keystore readable by its owner only, and returns only the address", async () => {
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const w = await readKeystore(file, PASSWORD);
      expect(w.address).to.equal(address);
      expect(fs.readFileSync(file, "utf8")).to.not.include(w.privateKey.slice(2));
    });

    it("never writes over an existing file or through a symbolic link", async () => {
      const before = fs.readFileSync(file, "utf8");
      expect((await rejection(writeNewKeystore(file, "other"))).code).to.equal("KEYSTORE_EXISTS");
      expect(fs.readFileSync(file, "utf8")).to.equal(before);
      const link = path.join(dir, "link.json");
      fs.symlinkSync(path.join(dir, "target-not-there.json"), link);
      expect((await rejection(writeNewKeystore(link, "other"))).code).to.equal("KEYSTORE_EXISTS");
      expect(fs.existsSync(path.join(dir, "target-not-there.json"))).to.equal(false);
    });
  });

  describe("readKeystore", () => {
    it("refuses a wrong password, naming the file and neither password", async () => {
      const e = await rejection(readKeystore(file, "wrong password 99"));
      expect([e.code, e.info?.file]).to.deep.equal(["KEYSTORE_PASSWORD_WRONG", file]);
      expect(e.message).to.include(file).and.not.include(PASSWORD).and.not.include("wrong password 99");
    });

    it("refuses a file that is not a keystore, and a missing one, naming the file, never its content", async () => {
      const notKeystore = path.join(dir, "raw-key.txt");
      const raw = Wallet.createRandom().privateKey;
      fs.writeFileSync(notKeystore, raw);
      const e = await rejection(readKeystore(notKeystore, PASSWORD));
      expect([e.code, e.info?.file]).to.deep.equal(["KEYSTORE_INVALID", notKeystore]);
      expect(e.message).to.not.include(raw.slice(2));
      expect((await rejection(readKeystore(path.join(dir, "missing.json"), PASSWORD))).code).to.equal(
        "KEYSTORE_UNREADABLE",
      );
    });
  });

  describe("readPasswordFile", () => {
    it("reads the first line without its newline, and refuses an empty or missing file", () => {
      const f = path.join(dir, "pw");
      fs.writeFileSync(f, `${PASSWORD}\n`);
      expect(readPasswordFile(f)).to.equal(PASSWORD);
      fs.writeFileSync(f, "\n");
      expect(() => readPasswordFile(f))
        .to.throw(KeystoreError)
        .with.property("code", "KEYSTORE_PASSWORD_FILE_UNREADABLE");
      expect(() => readPasswordFile(path.join(dir, "nope")))
        .to.throw(KeystoreError)
        .with.property("code", "KEYSTORE_PASSWORD_FILE_UNREADABLE");
    });
  });
});

describe("signerOf", function () {
  this.timeout(120_000);
  let dir: string;
  const source = (s: Partial<SignerSource>): SignerSource => ({
    role: "anchorer",
    keystoreOption: "--anchor-keystore",
    keyVariable: "LEDGER_ANCHOR_KEY",
    ...s,
  });
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-signer-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("builds the signer from a keystore and its password file", async () => {
    const f = path.join(dir, "k.json");
    const pw = path.join(dir, "k.pw");
    fs.writeFileSync(pw, PASSWORD + "\n");
    const { address } = await writeNewKeystore(f, PASSWORD);
    expect(await (await signerOf(source({ keystore: f, passwordFile: pw }), false)).getAddress()).to.equal(address);
  });

  it("refuses a keystore holding a public test key off a development chain, naming the account, never the key", async () => {
    const dev = devWallet(1);
    const f = path.join(dir, "dev.json");
    const pw = path.join(dir, "dev.pw");
    fs.writeFileSync(f, await new Wallet(dev.privateKey).encrypt(PASSWORD, undefined));
    fs.writeFileSync(pw, PASSWORD);
    const e = await rejection(signerOf(source({ keystore: f, passwordFile: pw }), false));
    expect([e.code, e.info?.address]).to.deep.equal(["CHAIN_NOT_CONFIGURED", dev.address]);
    expect(e.message).to.not.include(dev.privateKey.slice(2));
    expect(await (await signerOf(source({ keystore: f, passwordFile: pw }), true)).getAddress()).to.equal(dev.address);
    expect((await rejection(signerOf(source({ privateKey: dev.privateKey }), false))).code).to.equal(
      "CHAIN_NOT_CONFIGURED",
    );
  });

  it("refuses no key at all, and a malformed raw key without echoing it", async () => {
    expect((await rejection(signerOf(source({}), false))).code).to.equal("CHAIN_NOT_CONFIGURED");
    const e = await rejection(signerOf(source({ privateKey: "0xnot-a-key-5ecret" }), false));
    expect(e.code).to.equal("CHAIN_NOT_CONFIGURED");
    expect(e.message).to.not.include("5ecret");
  });
});

describe("gxp-ledger key new, and serve --anchor-keystore with a wrong password", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-key-new-"));
    fs.writeFileSync(path.join(dir, "pw"), PASSWORD + "\n");
    fs.writeFileSync(path.join(dir, "wrong.pw"), "not the password\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prints only the address, writes mode 600, and refuses to overwrite (exit 2)", async () => {
    const f = path.join(dir, "anchor-key.json");
    const r = await cli(["key", "new", "-o", f, "--password-file", path.join(dir, "pw")]);
    expect(r.code, r.stderr).to.equal(0);
    const w = await readKeystore(f, PASSWORD);
    expect(r.stdout).to.equal(`${w.address}\n`);
    expect(fs.statSync(f).mode & 0o777).to.equal(0o600);
    expect(r.stdout + r.stderr)
      .to.not.include(w.privateKey.slice(2))
      .and.not.include(PASSWORD);
    const again = await cli(["key", "new", "-o", f, "--password-file", path.join(dir, "pw")]);
    expect(again.code).to.equal(2);
    expect((await readKeystore(f, PASSWORD)).address).to.equal(w.address);
  });

  it("on a terminal, asks for the password twice without echoing it", function () {
    if (spawnSync("python3", ["-c", "import pty"]).status !== 0) this.skip(); // no python3: no pseudo-terminal to test with
    const f = path.join(dir, "typed.json");
    const r = spawnSync("python3", ["-c", PTY_DRIVER, process.execPath, BIN, "key", "new", "-o", f], {
      encoding: "utf8",
      env: { ...process.env, PTY_PASSWORD: "typed on the terminal 42" },
      timeout: 90_000,
    });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout)
      .to.include("password for the new keystore")
      .and.include("again:")
      .and.not.include("typed on the terminal 42");
    return readKeystore(f, "typed on the terminal 42").then((w) => expect(r.stdout).to.include(w.address));
  });

  it("without a password file and without a terminal, refuses (exit 2) instead of waiting", async () => {
    const r = await cli(["key", "new", "-o", path.join(dir, "no-tty.json")]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("no terminal");
    expect(fs.existsSync(path.join(dir, "no-tty.json"))).to.equal(false);
  });

  it("serve with a wrong keystore password stops at start (exit 2) naming the keystore file, with no key or password in its output", async () => {
    const f = path.join(dir, "anchor-key.json");
    const key = (await readKeystore(f, PASSWORD)).privateKey;
    const r = await cli(
      [
        "--rpc",
        "http://127.0.0.1:9",
        "--data-dir",
        path.join(dir, "data"),
        "serve",
        "--port",
        "0",
        "--contract",
        "0x" + "11".repeat(20),
        "--ledger",
        "DE01",
        "--anchor-keystore",
        f,
        "--anchor-keystore-password-file",
        path.join(dir, "wrong.pw"),
      ],
      { LEDGER_ANCHOR_KEY: "", LEDGER_ANCHOR_KEYSTORE: "", LEDGER_ANCHOR_KEYSTORE_PASSWORD_FILE: "" },
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include(f).and.include("wrong password");
    const out = (r.stdout + r.stderr).toLowerCase();
    expect(out)
      .to.not.include(key.slice(2))
      .and.not.include(PASSWORD.toLowerCase())
      .and.not.include("not the password");
  });
});
