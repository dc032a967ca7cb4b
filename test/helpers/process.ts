/**
 * Running the real CLI and the real server as child processes, on free ports and temporary data
 * directories (never 8080 or 8545).
 */
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";

export const BIN = path.resolve(__dirname, "../../bin/gxp-ledger.js");

/** Result of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gxp-ledger <args>` to completion. */
export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `gxp-ledger <args>` without blocking the event loop (needed while the test also serves). */
export function cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A running `serve`. */
export interface Served {
  url: string;
  proc: ChildProcess;
  logs: string[];
  /** Sends `signal` and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `gxp-ledger serve` on free ports and waits until it listens. */
export async function serve(
  dataDir: string,
  env: Record<string, string> = {},
  extra: string[] = [],
  nodeArgs: string[] = [],
): Promise<Served> {
  const proc = spawn(
    process.execPath,
    [...nodeArgs, BIN, "--data-dir", dataDir, "serve", "--port", "0", "--chain-port", "0", ...extra],
    {
      env: { ...process.env, LEDGER_TICK_MS: "100", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: string[] = [];
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGTERM"); // never leave a half-started server (and its chain) behind
      reject(new Error(`serve did not start in 60 s:\n${logs.join("\n")}\n${stderr}`));
    }, 60_000);
    readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
      logs.push(line);
      try {
        const j = JSON.parse(line);
        if (j.msg === "gxp-ledger listening") {
          clearTimeout(timer);
          resolve(j.url);
        }
      } catch {
        /* not a log line */
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${logs.join("\n")}\n${stderr}`));
    });
  });
  return {
    url,
    proc,
    logs,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once("exit", (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}
