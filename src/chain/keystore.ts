/**
 * Encrypted JSON keystores (the Web3 Secret Storage format ethers, geth and Foundry read and write):
 * how an operator keeps the anchorer's and the ledger admin's keys. The password comes from a file or
 * an interactive prompt on a terminal (never echoed), never from the command line. No function here
 * prints, logs or puts in an error a key or a password: errors name the file, never its content.
 */
import fs from "node:fs";
import { Wallet, HDNodeWallet, hexlify, isKeystoreJson, randomBytes } from "ethers";
import { CoreError } from "../core";

/** Codes of keystore failures. */
export type KeystoreErrorCode =
  | "KEYSTORE_UNREADABLE"
  | "KEYSTORE_INVALID"
  | "KEYSTORE_PASSWORD_WRONG"
  | "KEYSTORE_PASSWORD_MISSING"
  | "KEYSTORE_PASSWORD_FILE_UNREADABLE"
  | "KEYSTORE_EXISTS";

/** A keystore or its password could not be used; `info.file` names the file. */
export class KeystoreError extends CoreError<KeystoreErrorCode> {}

/**
 * The password in `file`: its first line, without the newline (as `echo pw > file` writes it).
 * @throws KeystoreError KEYSTORE_PASSWORD_FILE_UNREADABLE (missing, unreadable or empty)
 */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new KeystoreError(
      "KEYSTORE_PASSWORD_FILE_UNREADABLE",
      `password file ${file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`,
      { file },
    );
  }
  const password = text.split(/\r?\n/)[0];
  if (password === "")
    throw new KeystoreError("KEYSTORE_PASSWORD_FILE_UNREADABLE", `password file ${file} is empty`, { file });
  return password;
}

/**
 * Asks for a password on the controlling terminal without echoing it. Refuses when stdin is not a
 * terminal (a service, a pipe): then the password must come from a file.
 * @throws KeystoreError KEYSTORE_PASSWORD_MISSING when there is no terminal or the input ends
 */
export async function promptPassword(prompt: string, what: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") {
    throw new KeystoreError(
      "KEYSTORE_PASSWORD_MISSING",
      `${what}: no password file given and no terminal to ask on; give a password file`,
      { what },
    );
  }
  const wasRaw = stdin.isRaw;
  // Echo off before the prompt shows: anything typed after seeing it is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = "";
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            return typed
              ? resolve(typed)
              : reject(new KeystoreError("KEYSTORE_PASSWORD_MISSING", `${what}: empty password`, { what }));
          }
          if (ch === "\u0003" || ch === "\u0004") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            return reject(new KeystoreError("KEYSTORE_PASSWORD_MISSING", `${what}: no password entered`, { what }));
          }
          if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(wasRaw);
    stdin.pause();
  }
}

/** Where a keystore's password comes from: a file, else the terminal. */
export interface PasswordSource {
  passwordFile?: string;
  /** Names the key in a prompt and in errors ("the anchorer keystore anchor-key.json"). */
  what: string;
}

/** The password from the file, else asked on the terminal. */
export async function passwordOf(src: PasswordSource, confirm = false): Promise<string> {
  if (src.passwordFile) return readPasswordFile(src.passwordFile);
  const pw = await promptPassword(`password for ${src.what}: `, src.what);
  if (confirm && (await promptPassword(`again: `, src.what)) !== pw) {
    throw new KeystoreError("KEYSTORE_PASSWORD_MISSING", `${src.what}: the passwords differ`, { what: src.what });
  }
  return pw;
}

/**
 * Decrypts the keystore in `file` with `password`.
 * @throws KeystoreError KEYSTORE_UNREADABLE, KEYSTORE_INVALID (not a keystore), KEYSTORE_PASSWORD_WRONG
 */
export async function readKeystore(file: string, password: string): Promise<Wallet> {
  let json: string;
  try {
    json = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new KeystoreError(
      "KEYSTORE_UNREADABLE",
      `keystore ${file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`,
      { file },
    );
  }
  if (!isKeystoreJson(json))
    throw new KeystoreError(
      "KEYSTORE_INVALID",
      `keystore ${file} is not an encrypted JSON keystore (Web3 Secret Storage, version 3)`,
      { file },
    );
  let w: Wallet | HDNodeWallet;
  try {
    w = await Wallet.fromEncryptedJson(json, password);
  } catch (e) {
    const err = e as { code?: string; argument?: string };
    if (err.code === "INVALID_ARGUMENT" && err.argument === "password") {
      throw new KeystoreError("KEYSTORE_PASSWORD_WRONG", `keystore ${file}: wrong password`, { file });
    }
    throw new KeystoreError("KEYSTORE_INVALID", `keystore ${file} cannot be decrypted: ${err.code ?? "malformed"}`, {
      file,
    });
  }
  // A keystore written with a mnemonic decrypts to an HDNodeWallet: keep only its key.
  return w instanceof Wallet ? w : new Wallet(w.privateKey);
}

/**
 * Makes a new random key and writes it to `file` as an encrypted JSON keystore, readable by its owner
 * only (mode 600), never over an existing file. Returns only the address.
 * @throws KeystoreError KEYSTORE_EXISTS
 */
export async function writeNewKeystore(file: string, password: string): Promise<{ address: string }> {
  if (fs.existsSync(file))
    throw new KeystoreError("KEYSTORE_EXISTS", `${file} exists: a keystore is never overwritten`, { file });
  const wallet = new Wallet(hexlify(randomBytes(32)));
  const json = await wallet.encrypt(password);
  try {
    // wx: fails if the file appeared meanwhile, and never follows a symbolic link planted there.
    fs.writeFileSync(file, json + "\n", { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new KeystoreError("KEYSTORE_EXISTS", `${file} exists: a keystore is never overwritten`, { file });
    throw e;
  }
  return { address: wallet.address };
}
