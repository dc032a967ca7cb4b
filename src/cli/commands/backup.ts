/**
 * `backup <file>` and `restore <file> --data-dir <new>`: an online, consistent copy of the ledger
 * (SQLite backup API) while the server runs, and its restore into a new or empty data directory.
 * Exit 0 done, 2 bad usage (target exists, restore target not empty, not a ledger backup), 3 I/O.
 */
import { Command } from "commander";
import { backupLedger, restoreLedger, BackupResult } from "../../service/app/backup";
import { StoreError } from "../../store/errors";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

const USAGE_CODES = new Set(["BACKUP_TARGET_EXISTS", "RESTORE_TARGET_NOT_EMPTY", "BACKUP_INVALID", "LEDGER_NOT_FOUND"]);

async function usageOnRefusal<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof StoreError && USAGE_CODES.has(e.code)) throw new CliExit(EXIT.USAGE, e.message);
    throw e;
  }
}

const summary = (r: BackupResult) =>
  `${r.events} events, ${r.epochs} epochs, ${r.bytes} bytes${r.deployment ? ", chain deployment included" : ""}`;

/** Registers `backup`. */
export function backupCommand(): Command {
  return new Command("backup")
    .description(
      "copy the ledger database to <file> while the service runs (SQLite online backup); the receipt key is not included",
    )
    .argument("<file>", "the backup file to create (must not exist)")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const r = await usageOnRefusal(backupLedger(config.dataDir, file));
      output(cmd, r, `backup written to ${r.file}: ${summary(r)}`);
    });
}

/** Registers `restore`. */
export function restoreCommand(): Command {
  return new Command("restore")
    .description("restore a backup file into a new or empty data directory (--data-dir); run `audit` on it afterwards")
    .argument("<file>", "a file written by `backup`")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals() as { dataDir?: string };
      if (!g.dataDir) throw new CliExit(EXIT.USAGE, "restore needs the new data directory: --data-dir <dir>");
      const config = configOf(cmd);
      const r = await usageOnRefusal(restoreLedger(file, config.dataDir));
      output(
        cmd,
        r,
        `restored into ${config.dataDir}: ${summary(r)}; the receipt key (keys/) is not part of a backup; run \`gxp-ledger --data-dir ${config.dataDir} audit\` next`,
      );
    });
}
