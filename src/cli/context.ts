/**
 * What every command shares: the global options, the configuration, output in text or JSON, and
 * mapping errors to exit codes.
 */
import { Command } from "commander";
import { isCoreError } from "../core";
import { ChainError } from "../chain/errors";
import { StoreError } from "../store/errors";
import { buildConfig, ConfigError, LedgerConfig } from "../service/app/config";
import { safeErrorMessage } from "../chain/provider";
import { CliExit, EXIT } from "./exit";

/** Global options (on the root command). */
export interface GlobalOptions {
  dataDir?: string;
  rpc?: string;
  json?: boolean;
}

/** The configuration from the root's global options and the command's own flags. */
export function configOf(cmd: Command, own: Record<string, unknown> = {}): LedgerConfig {
  const g = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
  try {
    return buildConfig({ ...g, ...own, dataDir: g.dataDir, rpc: g.rpc }, process.env, process.cwd());
  } catch (e) {
    if (e instanceof ConfigError) throw new CliExit(EXIT.USAGE, e.message);
    throw e;
  }
}

/** True when --json was given. */
export function jsonOf(cmd: Command): boolean {
  return !!(cmd.optsWithGlobals() as GlobalOptions).json;
}

/** Prints `value` as JSON, or `text` for people. */
export function output(cmd: Command, value: unknown, text: string): void {
  process.stdout.write(jsonOf(cmd) ? JSON.stringify(value, null, 2) + "\n" : text.endsWith("\n") ? text : text + "\n");
}

/** The exit code and message for an error that escaped a command. */
export function exitFor(e: unknown): { code: number; message: string } {
  if (e instanceof CliExit) return { code: e.exitCode, message: e.message };
  if (e instanceof ChainError)
    return {
      code:
        e.code === "CHAIN_UNREACHABLE"
          ? EXIT.IO
          : e.code === "CHAIN_ID_MISMATCH" || e.code === "CHAIN_NOT_CONFIGURED"
            ? EXIT.USAGE
            : EXIT.FAILED,
      message: e.message,
    };
  if (e instanceof StoreError)
    return {
      code: ["EVENT_ID_CONFLICT", "LEDGER_NOT_FOUND", "SOURCE_SEQUENCE_NOT_INCREASING"].includes(e.code)
        ? EXIT.USAGE
        : EXIT.IO,
      message: e.message,
    };
  if (isCoreError(e)) return { code: EXIT.USAGE, message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "EADDRINUSE") return { code: EXIT.IO, message: `port already in use: ${err.message}` };
  if (err?.code && /^E[A-Z]+$/.test(err.code)) return { code: EXIT.IO, message: safeErrorMessage(err) };
  return { code: EXIT.IO, message: `unexpected error: ${safeErrorMessage(e)}` };
}
