/**
 * Crash safety end to end: the real `serve` (built CLI, real SQLite file, embedded Anvil chain) is
 * SIGKILLed at chosen and random moments while clients post events concurrently, then restarted.
 * After every kill and every restart: every event that got a 2xx is stored at the seq its receipt
 * named with the leaf hash it named, sequence numbers are gap-free, epochs are contiguous, the chain
 * holds exactly one EpochAnchored log per epoch, contiguous from 0, with the roots the ledger sealed,
 * and (once the restarted ledger has caught up) `audit --json` is clean.
 *
 * Kill moments, one per cycle, in turn:
 * - `anchor-sent`: right after the log line "anchor tx sent" (mined at once, receipt not recorded yet);
 * - `unmined-mined`: mining paused on the chain (`evm_setAutomine false`), killed once the anchor tx
 *   is sent and pending; the orphaned chain then mines it before the restart (mined after the crash);
 * - `ingest`: a random moment while posts, sealing and anchoring go on;
 * - `unmined-dropped`: as `unmined-mined`, but the pending tx is left in the orphan's pool;
 * - `seal`: right after the log line "epoch sealed";
 * - `startup`: a random moment during posts, then again at a random moment while the next server
 *   starts (stopping the orphaned chain, starting its own, checking the deployment).
 * - `power-loss`: a random moment during posts, the server and its chain killed together, so the
 *   chain loses what it did since its last state dump (up to a second) and the ledger must notice
 *   anchors it recorded that the chain no longer holds, and send them again.
 * No test-only code path exists in the server: the chain is driven through its own RPC.
 *
 * CRASH_CYCLES sets the number of kills (default 5; `npm run test:crash` runs 30); CRASH_SEED
 * replays a run's random choices (the seed is printed).
 */
import { expect } from "chai";
import { spawn, ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import Database from "better-sqlite3";
import { JsonRpcProvider } from "ethers";
import { BIN, cliAsync } from "../helpers/process";
import { sampleEvent } from "../helpers/events";
import { anchorInterface } from "../../src/chain/contract";
import { readDeployment } from "../../src/chain/deploy";

const CYCLES = Number(process.env.CRASH_CYCLES ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ALL_MODES = [
  "anchor-sent",
  "unmined-mined",
  "ingest",
  "unmined-dropped",
  "seal",
  "startup",
  "power-loss",
] as const;
type Mode = (typeof ALL_MODES)[number];
/** CRASH_MODES=a,b runs only those kill moments (to chase one). */
const MODES: readonly Mode[] = process.env.CRASH_MODES
  ? (process.env.CRASH_MODES.split(",") as Mode[]).filter((m) => ALL_MODES.includes(m))
  : ALL_MODES;
const SERVER_ENV = { LEDGER_TICK_MS: "100", LEDGER_EPOCH_MAX_EVENTS: "60", LEDGER_EPOCH_MAX_AGE_SECONDS: "1" };
const TRIGGER_TIMEOUT_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 60_000;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `serve` child whose log lines can be watched as they arrive (for killing at a log line). */
interface Proc {
  proc: ChildProcess;
  logs: string[];
  url: Promise<string>;
  chainUrl?: string;
  exited: Promise<void>;
  /** Resolves with the first log line (parsed) whose msg is `msg`, seen from now on. */
  waitFor(msg: string, timeoutMs: number): Promise<Record<string, unknown> | undefined>;
  kill(): Promise<void>;
}

/** Every server started, so that none outlives the test. */
const started: Proc[] = [];

function start(dir: string): Proc {
  const proc = spawn(process.execPath, [BIN, "--data-dir", dir, "serve", "--port", "0", "--chain-port", "0"], {
    env: { ...process.env, ...SERVER_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const watchers = new Set<(j: Record<string, unknown>) => void>();
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const p: Proc = {
    proc,
    logs,
    exited,
    url: new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
        logs.push(line);
        let j: Record<string, unknown>;
        try {
          j = JSON.parse(line);
        } catch {
          return;
        }
        if (j.msg === "gxp-ledger listening") {
          p.chainUrl = j.embeddedChain as string;
          resolve(j.url as string);
        }
        for (const w of watchers) w(j);
      });
      void exited.then(() =>
        reject(
          new Error(
            `serve exited (${proc.exitCode ?? proc.signalCode}) before listening:\n${logs.slice(-20).join("\n")}\n${stderr}`,
          ),
        ),
      );
    }),
    waitFor: (msg, timeoutMs) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => done(undefined), timeoutMs);
        const w = (j: Record<string, unknown>) => j.msg === msg && done(j);
        const done = (j: Record<string, unknown> | undefined) => {
          clearTimeout(timer);
          watchers.delete(w);
          resolve(j);
        };
        watchers.add(w);
        void exited.then(() => done(undefined));
      }),
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
  p.url.catch(() => undefined); // a startup kill rejects it on purpose
  started.push(p);
  return p;
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

/** Live processes whose argv passes `match`. */
function processes(match: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3))) continue;
      if (match(fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0"))) pids.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}
/** Live anvil processes whose command line uses this state file. */
const anvilsOf = (stateFile: string) =>
  processes((argv) => path.basename(argv[0]).startsWith("anvil") && argv[argv.indexOf("--state") + 1] === stateFile);
/** Live `serve` processes of this data directory. */
const serversOf = (dir: string) =>
  processes((argv) => argv.includes("serve") && argv[argv.indexOf("--data-dir") + 1] === dir);

interface Acked {
  seq: number;
  leafHash: string;
}

describe("serve under SIGKILL (real server, embedded chain, concurrent posts)", function () {
  this.timeout(120_000 + CYCLES * 60_000);
  const rand = prng(SEED);
  const violations: string[] = [];
  const acked = new Map<string, Acked>();
  const inDoubt = new Map<string, Record<string, unknown>>();
  const modes: Record<string, number> = {};
  /** How the restarted ledgers reconciled (log messages counted) and where the time went. */
  const seen: Record<string, number> = {};
  const phaseMs: Record<string, number> = {};
  const timed = async <T>(phase: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      phaseMs[phase] = (phaseMs[phase] ?? 0) + Date.now() - t;
    }
  };
  const RECONCILING = [
    "adopted anchor already on chain",
    "epoch was anchored meanwhile: adopting it",
    "waiting on an anchor tx sent earlier",
    "chain lost an anchor the ledger had recorded: re-anchoring",
    "anchor dropped by a chain reorganisation before it was final: anchoring the epoch again",
    "the embedded chain lost the contract (hard stop before its state was saved): deploying again; lost anchors will be re-sent",
    "anchoring failed; will retry",
    "anchor tx sent",
    "epoch anchored",
  ];
  const countLogs = (p: Proc) => {
    for (const line of p.logs) {
      let msg = "";
      try {
        msg = (JSON.parse(line) as { msg?: string }).msg ?? "";
      } catch {
        /* not a log line */
      }
      if (RECONCILING.includes(msg)) seen[msg] = (seen[msg] ?? 0) + 1;
    }
  };
  const figures = {
    cycles: 0,
    acknowledged: 0,
    found: 0,
    inDoubt: 0,
    inDoubtStored: 0,
    epochsSealed: 0,
    epochsAnchored: 0,
    duplicates: 0,
    skips: 0,
    audits: 0,
    orphansAfterKill: 0,
    startupKills: 0,
    anchorTxs: 0,
    revertedAnchorTxs: 0,
    ms: 0,
  };
  let dir = "";
  let token = "";
  let current: Proc | undefined;

  const violation = (cycle: number, what: string) => violations.push(`cycle ${cycle} (seed ${SEED}): ${what}`);

  /** Posts until the server goes away; a network error leaves the event in doubt (kept for a retry). */
  async function worker(url: string, cycle: number, w: number, bulk: boolean, stop: () => boolean): Promise<void> {
    let n = 0;
    while (!stop()) {
      const events = Array.from({ length: bulk ? 5 : 1 }, () =>
        sampleEvent({ source: `urn:mes:crash:c${cycle}:w${w}`, sourceSequence: ++n }, `B-CR-${cycle}-${w}`),
      );
      const ok = await post(url, events, cycle);
      if (!ok) return;
      await sleep(Math.floor(Math.random() * 8)); // jitter off the seeded stream: it is timing-dependent
    }
  }

  /** One post; its status when acknowledged (200 replay, 201 stored), 0 when the server is gone (events in doubt). */
  async function post(url: string, events: Record<string, unknown>[], cycle: number): Promise<number> {
    const bulk = events.length > 1;
    let res: Response;
    let body: { receipts?: (Acked & { id: string })[] } & Partial<Acked & { id: string }>;
    try {
      res = await fetch(`${url}/v1/events${bulk ? ":bulk" : ""}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(bulk ? { events } : events[0]),
      });
      body = (await res.json()) as typeof body;
    } catch {
      for (const e of events) inDoubt.set(e.id as string, e);
      return 0;
    }
    if (res.status !== 200 && res.status !== 201) {
      violation(cycle, `post answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      return 0;
    }
    for (const r of body.receipts ?? [body as Acked & { id: string }]) {
      const prev = acked.get(r.id);
      if (prev && (prev.seq !== r.seq || prev.leafHash !== r.leafHash))
        violation(cycle, `event ${r.id} acknowledged twice with different receipts`);
      acked.set(r.id, { seq: r.seq, leafHash: r.leafHash });
      inDoubt.delete(r.id);
    }
    return res.status;
  }

  /** Ledger invariants read from the SQLite file (server dead or alive: a WAL reader). */
  function checkDb(
    cycle: number,
    when: string,
  ): { epochs: { epoch: number; firstSeq: number; size: number; root: string }[]; anchors: Map<number, string> } {
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true, fileMustExist: true });
    try {
      return db.transaction(() => {
        const q = db.prepare("SELECT seq, lower(hex(leaf_hash)) AS leaf FROM events WHERE event_id = ?");
        for (const [id, a] of acked) {
          const row = q.get(id) as { seq: number; leaf: string } | undefined;
          if (!row) violation(cycle, `${when}: acknowledged event ${id} (seq ${a.seq}) is missing`);
          else if (row.seq !== a.seq || `0x${row.leaf}` !== a.leafHash)
            violation(
              cycle,
              `${when}: event ${id} stored at seq ${row.seq} leaf 0x${row.leaf}, receipt said seq ${a.seq} leaf ${a.leafHash}`,
            );
        }
        const { n, lo, hi } = db.prepare("SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events").get() as {
          n: number;
          lo: number | null;
          hi: number | null;
        };
        if (n > 0 && (lo !== 0 || hi !== n - 1))
          violation(cycle, `${when}: sequence not gap-free: ${n} events, seq ${lo}..${hi}`);
        const epochs = db
          .prepare(
            "SELECT epoch, first_seq AS firstSeq, size, '0x' || lower(hex(root)) AS root FROM epochs ORDER BY epoch",
          )
          .all() as { epoch: number; firstSeq: number; size: number; root: string }[];
        let next = 0;
        epochs.forEach((e, i) => {
          if (e.epoch !== i || e.firstSeq !== next)
            violation(cycle, `${when}: epoch ${e.epoch} at index ${i} starts at seq ${e.firstSeq}, expected ${next}`);
          next = e.firstSeq + e.size;
        });
        if (next > n) violation(cycle, `${when}: epochs cover ${next} events, only ${n} stored`);
        const anchors = new Map<number, string>();
        for (const r of db.prepare("SELECT epoch, tx_hash AS tx FROM anchors ORDER BY id").all() as {
          epoch: number;
          tx: string;
        }[])
          anchors.set(r.epoch, r.tx);
        return { epochs, anchors };
      })();
    } finally {
      db.close();
    }
  }

  /**
   * The chain's EpochAnchored logs of this ledger: exactly one per epoch, contiguous from 0, with the
   * root, size and first seq the ledger sealed. `settled`: the ledger has caught up, so the chain
   * must hold every sealed epoch and the ledger's current anchor of each must be that log's tx.
   */
  async function checkChain(cycle: number, when: string, chainUrl: string, settled: boolean): Promise<void> {
    const { epochs, anchors } = checkDb(cycle, when);
    const d = readDeployment(dir)!;
    const provider = new JsonRpcProvider(chainUrl, undefined, { staticNetwork: true });
    try {
      const ev = anchorInterface.getEvent("EpochAnchored")!;
      const logs = await provider.getLogs({
        address: d.contract,
        fromBlock: 0,
        toBlock: "latest",
        topics: [ev.topicHash, d.ledgerId],
      });
      const byEpoch = new Map<number, { root: string; size: number; firstSeq: number; tx: string }[]>();
      for (const l of logs) {
        const p = anchorInterface.parseLog(l)!;
        const e = Number(p.args.epoch);
        byEpoch.set(e, [
          ...(byEpoch.get(e) ?? []),
          {
            root: String(p.args.root).toLowerCase(),
            size: Number(p.args.treeSize),
            firstSeq: Number(p.args.firstSeq),
            tx: l.transactionHash,
          },
        ]);
      }
      const dupes = [...byEpoch].filter(([, v]) => v.length > 1);
      for (const [e, v] of dupes)
        violation(cycle, `${when}: epoch ${e} anchored ${v.length} times on chain (${v.map((x) => x.tx).join(", ")})`);
      const onChain = [...byEpoch.keys()].sort((a, b) => a - b);
      const skipped = onChain.filter((e, i) => e !== i);
      if (skipped.length) violation(cycle, `${when}: on-chain epochs not contiguous from 0: ${onChain.join(",")}`);
      for (const e of onChain) {
        const local = epochs[e];
        const [c] = byEpoch.get(e)!;
        if (!local) violation(cycle, `${when}: chain holds epoch ${e} which the ledger never sealed`);
        else if (local.root !== c.root || local.size !== c.size || local.firstSeq !== c.firstSeq)
          violation(cycle, `${when}: epoch ${e} on chain differs from the sealed one`);
        const rec = anchors.get(e);
        if (settled && rec !== c.tx)
          violation(cycle, `${when}: ledger records anchor tx ${rec} for epoch ${e}, chain has ${c.tx}`);
      }
      if (settled && onChain.length !== epochs.length)
        violation(cycle, `${when}: ${epochs.length} epochs sealed, ${onChain.length} anchored on chain`);
      if (settled) {
        figures.epochsSealed = epochs.length;
        figures.epochsAnchored = onChain.length;
        figures.duplicates = dupes.length;
        figures.skips = skipped.length + Math.max(0, epochs.length - onChain.length);
      }
    } finally {
      provider.destroy();
    }
  }

  /** Waits until everything posted is sealed and every sealed epoch anchored. */
  async function catchUp(url: string, cycle: number): Promise<boolean> {
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      const r = (await (await fetch(`${url}/readyz`)).json()) as {
        pendingEvents: number;
        unanchoredEpochs: number;
        reasons: string[];
      };
      last = r;
      if (r.pendingEvents === 0 && r.unanchoredEpochs === 0) return true;
      await sleep(100);
    }
    violation(
      cycle,
      `ledger did not catch up within ${CATCH_UP_TIMEOUT_MS} ms after restart: ${JSON.stringify(last)}; last log lines: ${current?.logs.slice(-5).join(" | ")}`,
    );
    return false;
  }

  /** Restart, retry what was in doubt, catch up, check ledger and chain, audit. */
  async function restart(cycle: number): Promise<string> {
    current = start(dir);
    const url = await timed("start", () => current!.url);
    token ||= fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    const anvils = anvilsOf(path.join(dir, "chain", "anvil-state.json"));
    if (anvils.length !== 1)
      violation(
        cycle,
        `${anvils.length} embedded chains running for this data directory after restart (pids ${anvils.join(",")})`,
      );
    const servers = serversOf(dir);
    if (servers.length !== 1)
      violation(
        cycle,
        `${servers.length} servers running on this data directory after restart (pids ${servers.join(",")})`,
      );
    // An event whose post got no answer may or may not be stored: the same event again must be
    // answered 200 with its original receipt (stored) or 201 (not stored); either way it is now acknowledged.
    for (const [id, e] of [...inDoubt]) {
      figures.inDoubt++;
      const status = await post(url, [e], cycle);
      if (status === 200) figures.inDoubtStored++;
      if (!acked.has(id)) violation(cycle, `in-doubt event ${id} not acknowledged on retry (status ${status})`);
    }
    if ((await timed("catch-up", () => catchUp(url, cycle))) && cycle >= 0) {
      await checkChain(cycle, "after restart", current.chainUrl!, true);
      const a = await timed("audit", () => cliAsync(["--data-dir", dir, "--json", "audit"]));
      figures.audits++;
      let report: { findings?: unknown[]; chain?: string } = {};
      try {
        report = JSON.parse(a.stdout);
      } catch {
        /* reported below */
      }
      if (a.code !== 0 || report.chain !== "checked" || report.findings?.length !== 0)
        violation(cycle, `audit after restart: exit ${a.code}, ${a.stdout.slice(0, 600)} ${a.stderr.slice(0, 300)}`);
    }
    return url;
  }

  /** One cycle: ingest concurrently, kill at the mode's moment, check what the crash left. */
  async function cycle(c: number, url: string): Promise<void> {
    const mode: Mode = MODES[c % MODES.length];
    modes[mode] = (modes[mode] ?? 0) + 1;
    const p = current!;
    const t0 = Date.now();
    let stopped = false;
    const workers = [0, 1, 2, 3].map((w) => worker(url, c, w, w === 3, () => stopped));
    let pendingTx: string | undefined;
    if (mode === "ingest" || mode === "startup" || mode === "power-loss") {
      await sleep(200 + Math.floor(rand() * 2500));
    } else if (mode === "anchor-sent" || mode === "seal") {
      const line = await p.waitFor(mode === "seal" ? "epoch sealed" : "anchor tx sent", TRIGGER_TIMEOUT_MS);
      if (!line) violation(c, `mode ${mode}: its log line never came`);
    } else if (mode === "unmined-mined" || mode === "unmined-dropped") {
      await sleep(Math.floor(rand() * 500));
      await rpc(p.chainUrl!, "evm_setAutomine", [false]);
      // A tx sent just before mining paused is mined at once although its log line comes after:
      // wait for the first anchor tx that is really pending.
      let line: Record<string, unknown> | undefined;
      for (const deadline = Date.now() + TRIGGER_TIMEOUT_MS; ;) {
        line = await p.waitFor("anchor tx sent", Math.max(1, deadline - Date.now()));
        if (!line) break;
        const tx = (await rpc(p.chainUrl!, "eth_getTransactionByHash", [line.txHash])) as {
          blockNumber: string | null;
        } | null;
        if (tx && tx.blockNumber === null) break;
      }
      if (!line) violation(c, `mode ${mode}: no pending anchor tx was sent`);
      pendingTx = line?.txHash as string | undefined;
      await sleep(Math.floor(rand() * 300)); // the server sits in its wait for the receipt
    }
    if (mode === "power-loss") {
      const chains = anvilsOf(path.join(dir, "chain", "anvil-state.json"));
      p.proc.kill("SIGKILL");
      for (const pid of chains) process.kill(pid, "SIGKILL");
    }
    await p.kill();
    stopped = true;
    await Promise.all(workers);
    phaseMs.run = (phaseMs.run ?? 0) + Date.now() - t0;
    countLogs(p);

    const anvils = anvilsOf(path.join(dir, "chain", "anvil-state.json"));
    if (mode !== "power-loss") figures.orphansAfterKill += anvils.length;
    const chainUrl = p.chainUrl!;
    if (pendingTx) {
      const tx = (await rpc(chainUrl, "eth_getTransactionByHash", [pendingTx])) as {
        blockNumber: string | null;
      } | null;
      if (!tx || tx.blockNumber !== null)
        violation(c, `mode ${mode}: anchor tx ${pendingTx} was not pending at the kill (${JSON.stringify(tx)})`);
      if (mode === "unmined-mined") await rpc(chainUrl, "evm_mine");
    }
    // The chain (orphaned, still running) may be ahead of the ledger's records, never behind its seals.
    if (anvils.length) await checkChain(c, `after kill (${mode})`, chainUrl, false);
    else checkDb(c, `after kill (${mode})`);
    if (mode === "startup") await startupKill(c);
    figures.cycles++;
  }

  /** A kill while the server starts: before or after it listens, whatever the moment hits. */
  async function startupKill(c: number): Promise<void> {
    const p = start(dir);
    const listening = await Promise.race([
      sleep(Math.floor(rand() * 1000)).then(() => false),
      p.url.then(
        () => true,
        () => false,
      ),
    ]);
    await p.kill();
    if (!listening) figures.startupKills++;
    countLogs(p);
    checkDb(c, "after startup kill");
  }

  before(async () => {
    const t0 = Date.now();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-crash-"));
    let url = await restart(-1);
    for (let c = 0; c < CYCLES; c++) {
      await cycle(c, url);
      url = await restart(c);
    }
    checkDb(CYCLES, "final");
    // An anchor tx that reverted was sent for an epoch the chain already held (safe, but gas spent).
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    const sent = db.prepare("SELECT tx_hash FROM anchor_txs").pluck().all() as string[];
    const q = db.prepare("SELECT 1 FROM events WHERE event_id = ?").pluck();
    figures.acknowledged = acked.size;
    figures.found = [...acked.keys()].filter((id) => q.get(id)).length;
    db.close();
    figures.anchorTxs = sent.length;
    for (const h of sent)
      if (
        ((await rpc(current!.chainUrl!, "eth_getTransactionReceipt", [h])) as { status?: string } | null)?.status ===
        "0x0"
      )
        figures.revertedAnchorTxs++;
    figures.ms = Date.now() - t0;
    countLogs(current!);
    console.log(`      crash test (seed ${SEED}): ${JSON.stringify(figures)}`);
    console.log(
      `      kills by mode ${JSON.stringify(modes)}; server log lines ${JSON.stringify(seen)}; ms by phase ${JSON.stringify(phaseMs)}`,
    );
  });

  after(async () => {
    for (const p of started) await p.kill();
    // Stop the orphaned chain gracefully, as the next start would.
    if (dir) {
      for (const pid of anvilsOf(path.join(dir, "chain", "anvil-state.json"))) process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && dir && anvilsOf(path.join(dir, "chain", "anvil-state.json")).length; i++)
        await sleep(50);
      if (violations.length === 0) fs.rmSync(dir, { recursive: true, force: true });
      else console.log(`      data directory kept for inspection: ${dir}`);
    }
  });

  describe(`when killed ${CYCLES} times`, () => {
    it(`ran every cycle, each of the first ${Math.min(CYCLES, MODES.length)} kill modes at least once`, () => {
      expect(figures.cycles).to.equal(CYCLES);
      if (CYCLES >= 6) expect(figures.startupKills, "kills that hit a server while it started").to.be.greaterThan(0);
      for (const m of MODES.slice(0, Math.min(CYCLES, MODES.length))) expect(modes[m], m).to.be.greaterThan(0);
      expect(figures.acknowledged).to.be.greaterThan(CYCLES * 20);
    });
    it("loses no acknowledged event, keeps sequence numbers gap-free, anchors each epoch once and none skipped, audits clean", () => {
      expect(violations, violations.join("\n")).to.deep.equal([]);
      expect(figures.found).to.equal(figures.acknowledged);
      expect(figures.epochsAnchored).to.equal(figures.epochsSealed).and.to.be.greaterThan(CYCLES);
      expect(figures.duplicates).to.equal(0);
      expect(figures.skips).to.equal(0);
      expect(figures.audits).to.equal(CYCLES);
    });
  });
});
