/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. the ingestion bench's `--profile DIR`): the
 * functions with the most self time, and self time grouped by where the code lives (this project's
 * src/, fastify, better-sqlite3, ajv, node internals, GC, idle), as markdown table rows.
 *
 * Usage: ts-node bench/lib/profile.ts <file.cpuprofile> [--top N]
 */
import fs from "node:fs";
import path from "node:path";

interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives. */
function area(url: string, fn: string): string {
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)") return "program (native, unattributed)";
  if (!url) return "native / builtins";
  if (url.startsWith("node:")) return "node internals";
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const d = /\/(dist|src)\/(.*)$/.exec(url);
  if (d) return `ledger ${d[2].split("/").slice(0, -1).join("/") || "."}`;
  return path.basename(url);
}

/** Self time per function and per area, ms, from sample time deltas. */
export function summarise(file: string, top = 25): string[] {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
    .reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(node_modules|dist|src)\//, "$1/").replace(/^file:\/\//, "")}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + ms);
    const a = area(f.url, f.functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
  }
  // Inclusive (total) time per function: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: Node) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? `${n.callFrame.url.replace(/^.*\/(node_modules|dist|src)\//, "$1/").replace(/^file:\/\//, "")}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
  const incl = new Map<string, number>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur)!);
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + ms);
      }
    }
  }
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)} %`;
  const lines = [
    `profile ${path.basename(file)}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (not idle); shares are of busy time`,
    "",
    "| area | self ms | share |",
    "|---|---|---|",
  ];
  for (const [a, ms] of [...areas].filter(([a]) => a !== "idle").sort((x, y) => y[1] - x[1]))
    lines.push(`| ${a} | ${ms.toFixed(0)} | ${pct(ms)} |`);
  lines.push("", "| function (self time) | self ms | share |", "|---|---|---|");
  for (const [k, ms] of [...fns]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((x, y) => y[1] - x[1])
    .slice(0, top))
    lines.push(`| \`${k}\` | ${ms.toFixed(0)} | ${pct(ms)} |`);
  lines.push("", "| function (total time, with callees; ledger code only) | total ms | share |", "|---|---|---|");
  for (const [k, ms] of [...incl]
    .filter(([k]) => / (dist|src)\//.test(k))
    .sort((x, y) => y[1] - x[1])
    .slice(0, top))
    lines.push(`| \`${k}\` | ${ms.toFixed(0)} | ${pct(ms)} |`);
  return lines;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf("--top");
  console.log(summarise(argv[0], i >= 0 ? Number(argv[i + 1]) : 25).join("\n"));
}
