/**
 * The embedded chain's state file (embedded-chain.ts): checked before anvil loads it, restored from the
 * last good copy when a kill truncated it, and kept to the chain's first genesis block.
 */
import * as fs from "fs";
import * as path from "path";

/**
 * Anvil rewrites the state file in place; a kill during the write truncates it and anvil then refuses to start.
 * Keep a copy of the last file that parsed, and fall back to it.
 */
export function checkStateFile(stateFile: string, log: (msg: string) => void): void {
  const backup = `${stateFile}.bak`;
  if (!fs.existsSync(stateFile)) {
    if (parsesAsJson(backup)) {
      throw new Error(
        `embedded chain: ${stateFile} is missing but ${backup} exists. Refusing to start a new chain over an old one: ` +
          `copy the backup to ${path.basename(stateFile)} to resume the chain (losing what happened after it was taken), or delete the backup to start a new chain.`,
      );
    }
    return;
  }
  if (parsesAsJson(stateFile)) {
    keepOneGenesis(stateFile, log);
    const tmp = `${backup}.tmp`;
    fs.copyFileSync(stateFile, tmp);
    fs.renameSync(tmp, backup);
    return;
  }
  const corrupt = `${stateFile}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  fs.renameSync(stateFile, corrupt);
  if (!parsesAsJson(backup)) {
    throw new Error(
      `embedded chain: state file ${stateFile} is unreadable (truncated?) and there is no usable backup; moved it to ${corrupt}. ` +
        "Refusing to start a new chain silently: restore a good state file or remove the chain directory deliberately.",
    );
  }
  fs.copyFileSync(backup, stateFile);
  log(
    `WARNING: state file was unreadable (anvil was probably killed while writing it); moved it to ${corrupt} and restored ${backup} ` +
      "(the state as of the previous start). Blocks and transactions after that point are lost; anchors in them must be re-submitted.",
  );
}

/**
 * Anvil 1.7.1 adds a genesis block of its own (timestamped at load) to the state's blocks every time
 * it loads a state file, and dumps them all; on the next load it serves whichever block 0 it meets
 * last, so the genesis hash flips between restarts (seen here: three block-0 entries after two
 * restarts, `eth_getBlockByNumber(0)` alternating), while block 1 still names the first genesis as
 * its parent. A pinned genesis hash (issue 11) needs the chain's real genesis: keep the earliest
 * block 0 (the one the chain was made with) and drop the others before anvil loads the file.
 */
function keepOneGenesis(stateFile: string, log: (msg: string) => void): void {
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as {
    blocks?: { header?: { number?: string; timestamp?: string } }[];
  };
  if (!Array.isArray(state.blocks)) return;
  const genesis = state.blocks.filter((b) => b.header?.number === "0x0");
  if (genesis.length < 2) return;
  const first = genesis.reduce((a, b) =>
    BigInt(b.header!.timestamp ?? "0x0") < BigInt(a.header!.timestamp ?? "0x0") ? b : a,
  );
  state.blocks = state.blocks.filter((b) => b.header?.number !== "0x0" || b === first);
  writeFileAtomic(stateFile, JSON.stringify(state));
  log(
    `state file: kept the chain's first genesis block, dropped ${genesis.length - 1} added by earlier loads (anvil would serve one of them as block 0)`,
  );
}

function parsesAsJson(file: string): boolean {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}

/** Writes `file` (mode 600) through a temporary file and a rename, so a reader never sees half of it. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
