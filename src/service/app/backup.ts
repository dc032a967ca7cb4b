/**
 * Backup and restore (EU GMP Annex 11 §7.2): an online, consistent copy of the ledger database made
 * with SQLite's backup API while the server keeps writing, and its restore into a new data directory.
 *
 * The copy is taken in one backup step: in WAL mode that step reads one snapshot while writers go
 * on, and a step-by-step copy would restart each time another connection commits (SQLite backup
 * API, sqlite3_backup_step), which a busy server would make endless. The chain deployment (contract,
 * chain id, ledger id: public facts) travels inside the copy's `meta` table so a restored ledger can
 * be audited against its chain; the receipt signing key does not (it is a secret: back up
 * `keys/` separately, under its own protection).
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "../../store/errors";
import { openDatabase } from "../../store/sqlite";
import { Deployment, readDeployment, writeDeployment } from "../../chain/deploy";
import { ledgerDbFile } from "./ledger";

/** What a backup or a restore copied. */
export interface BackupResult {
  file: string;
  bytes: number;
  events: number;
  epochs: number;
  /** Whether the chain deployment was carried along. */
  deployment: boolean;
}

const META_KEY = "backup.deployment";
/** Pages per backup step: all of them, so the copy is one snapshot (see the module comment). */
const ALL_PAGES = 0x7fffffff;

function counts(db: Database.Database): { events: number; epochs: number } {
  return {
    events: db.prepare("SELECT count(*) FROM events").pluck().get() as number,
    epochs: db.prepare("SELECT count(*) FROM epochs").pluck().get() as number,
  };
}

/**
 * Copies the ledger of `dataDir` to `file` while it may be in use.
 * @throws StoreError LEDGER_NOT_FOUND, BACKUP_TARGET_EXISTS, BACKUP_FAILED
 */
export async function backupLedger(dataDir: string, file: string): Promise<BackupResult> {
  const src = ledgerDbFile(dataDir);
  if (!fs.existsSync(src))
    throw new StoreError("LEDGER_NOT_FOUND", `no ledger in ${dataDir}: check --data-dir / LEDGER_DATA_DIR`);
  const target = path.resolve(file);
  if (fs.existsSync(target))
    throw new StoreError("BACKUP_TARGET_EXISTS", `backup file ${target} already exists: refusing to overwrite it`, {
      file: target,
    });
  // Owner only (issue 12 item 8): created 0600 before SQLite writes the copy into it.
  try {
    fs.closeSync(fs.openSync(target, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new StoreError("BACKUP_TARGET_EXISTS", `backup file ${target} already exists: refusing to overwrite it`, {
        file: target,
      });
    throw new StoreError("BACKUP_FAILED", `backup to ${target} failed: ${(e as Error).message}`, { file: target });
  }
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 10000");
    await db.backup(target, { progress: () => ALL_PAGES });
  } catch (e) {
    fs.rmSync(target, { force: true });
    throw new StoreError("BACKUP_FAILED", `backup to ${target} failed: ${(e as Error).message}`, { file: target });
  } finally {
    db.close();
  }
  const copy = new Database(target);
  try {
    const d = readDeployment(dataDir);
    if (d) copy.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(META_KEY, JSON.stringify(d));
    const check = copy.pragma("quick_check", { simple: true });
    if (check !== "ok")
      throw new StoreError("BACKUP_FAILED", `backup ${target} fails SQLite's quick_check: ${check}`, { file: target });
    return { file: target, bytes: fs.statSync(target).size, ...counts(copy), deployment: !!d };
  } finally {
    copy.close();
  }
}

/**
 * Restores a backup file into `dataDir`, which must be new or empty.
 * @throws StoreError RESTORE_TARGET_NOT_EMPTY, BACKUP_INVALID
 */
export async function restoreLedger(file: string, dataDir: string): Promise<BackupResult> {
  const source = path.resolve(file);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new StoreError(
      "RESTORE_TARGET_NOT_EMPTY",
      `data directory ${dataDir} is not empty: restore only into a new or empty directory`,
      { dataDir },
    );
  }
  let src: Database.Database;
  try {
    src = new Database(source, { readonly: true, fileMustExist: true });
    if (
      src.pragma("quick_check", { simple: true }) !== "ok" ||
      !src.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()
    )
      throw new Error("not a ledger database");
  } catch (e) {
    throw new StoreError("BACKUP_INVALID", `${source} is not a readable ledger backup: ${(e as Error).message}`, {
      file: source,
    });
  }
  const target = ledgerDbFile(dataDir);
  let deployment: Deployment | undefined;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(target, "wx", 0o600));
    await src.backup(target, { progress: () => ALL_PAGES });
    const d = src.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(META_KEY) as string | undefined;
    deployment = d ? (JSON.parse(d) as Deployment) : undefined;
  } finally {
    src.close();
  }
  if (deployment) writeDeployment(dataDir, deployment);
  // Opened as the service opens it: WAL, and any migration newer than the backup applied.
  const db = openDatabase(target);
  try {
    return { file: target, bytes: fs.statSync(target).size, ...counts(db), deployment: !!deployment };
  } finally {
    db.close();
  }
}
