/**
 * The embedded chain's leftovers (embedded-chain.ts): an anvil still running on this data directory's
 * state file after a crash of ours is found (pid file, or /proc on Linux) and stopped gracefully, so
 * it writes its newest state before a new one loads it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The pid file written next to the state file while anvil runs. */
export interface PidFile {
  pid: number;
  host: string;
  port: number;
  rpcUrl: string;
  stateFile: string;
  startedAt: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stops any anvil left running on `stateFile` (SIGTERM, then SIGKILL after `stopTimeoutMs`) and removes its pid file. */
export async function stopOrphans(
  pidFile: string,
  stateFile: string,
  log: (msg: string) => void,
  stopTimeoutMs: number,
): Promise<void> {
  const pids = new Set<number>();
  const rec = readPidFile(pidFile);
  if (rec) {
    if (isOurAnvil(rec.pid, stateFile)) pids.add(rec.pid);
    else log(`stale ${pidFile} (pid ${rec.pid} is not a running anvil for this data dir); ignoring it`);
  }
  for (const pid of findAnvilsUsingState(stateFile)) pids.add(pid);
  for (const pid of pids) {
    log(
      `found a running anvil pid ${pid} left over for ${stateFile}; stopping it gracefully so it writes its newest state`,
    );
    const graceful = await stopForeignPid(pid, stateFile, stopTimeoutMs);
    log(
      graceful
        ? `old anvil pid ${pid} stopped`
        : `old anvil pid ${pid} did not stop within ${stopTimeoutMs / 1000} s: SIGKILLed (changes since its last interval dump are lost)`,
    );
  }
  if (rec) fs.rmSync(pidFile, { force: true });
}

async function stopForeignPid(pid: number, stateFile: string, timeoutMs: number): Promise<boolean> {
  const signalIt = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  };
  signalIt("SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurAnvil(pid, stateFile)) return true;
    await sleep(50);
  }
  signalIt("SIGKILL");
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && isOurAnvil(pid, stateFile)) await sleep(50);
  return false;
}

/** The pid file's record, or undefined when missing, unreadable or without a valid pid. */
export function readPidFile(pidFile: string): PidFile | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(pidFile, "utf8")) as PidFile;
    return Number.isInteger(rec.pid) && rec.pid > 0 ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the pid file when it still names `pid` (a newer anvil's file is left alone). */
export function removePidFileIfOurs(pidFile: string, pid: number): void {
  if (readPidFile(pidFile)?.pid === pid) fs.rmSync(pidFile, { force: true });
}

/** argv of a live (non-zombie) process, or undefined. */
function processArgv(pid: number): string[] | undefined {
  if (process.platform === "linux" || fs.existsSync("/proc/self/cmdline")) {
    try {
      // A zombie (exited, not yet reaped, e.g. under a PID 1 that never reaps) still answers kill(pid, 0).
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") return undefined;
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const argv = raw.split("\0");
      if (argv[argv.length - 1] === "") argv.pop();
      return argv.length ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    process.kill(pid, 0);
    const out = execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" }).trim();
    return out ? out.split(/\s+/) : undefined; // approximate: paths with spaces are split
  } catch {
    return undefined;
  }
}

function isOurAnvil(pid: number, stateFile: string): boolean {
  if (pid === process.pid) return false;
  const argv = processArgv(pid);
  if (!argv) return false;
  if (!/^anvil(\.exe)?$/.test(path.basename(argv[0]))) return false;
  const i = argv.indexOf("--state");
  return i >= 0 && argv[i + 1] !== undefined && path.resolve(argv[i + 1]) === stateFile;
}

/** Linux: any live anvil whose command line uses this state file (e.g. pid file lost). */
function findAnvilsUsingState(stateFile: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (isOurAnvil(pid, stateFile)) pids.push(pid);
  }
  return pids;
}
