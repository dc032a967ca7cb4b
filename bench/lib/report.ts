/**
 * Renders bench/RESULTS.md from bench/results/latest.json: the machine, the load average, the targets
 * with their references, then every part's printed lines, each with its own load average. The notes
 * written by hand (what limits a missed target, with profile evidence) come from bench/results-notes.md.
 */
import fs from "node:fs";
import path from "node:path";
import type { MachineInfo } from "./stats";
import type { TargetRow } from "./targets";

interface Latest {
  startedAt: string;
  finishedAt: string;
  argv: string[];
  machine: MachineInfo;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  parts: Record<
    string,
    {
      at?: string;
      loadAverageBefore: number[];
      loadAverageAfter: number[];
      ms: number;
      lines: string[];
      error?: string;
    }
  >;
  targets: TargetRow[];
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** Writes bench/RESULTS.md from a results object; returns the file written. */
export function writeResultsMd(r: Latest): string {
  const bench = path.resolve(__dirname, "..");
  const m = r.machine;
  const out: string[] = [
    "# Benchmark results",
    "",
    `Rendered by bench/lib/report.ts (what \`npm run bench -- --write-md\` runs at its end) from bench/results/latest.json, last written ${r.finishedAt}. Parts may come from different runs (a long part such as \`load\`, or \`proof\` at another ledger size, runs on its own): each part below gives its own start time and load average.`,
    `Machine: ${m.cpuCount} × ${m.cpuModel}, Node ${m.node}, ${m.platform}, ${m.totalMemoryMB} MB RAM. The machine is shared: other engineers' tests ran at the same time, so every figure stands next to its reference measured in the same run, and each part notes its load average (1-minute, before → after).`,
    "",
    "## Targets (issue 7)",
    "",
    "| target | measured (median unless p50/p99) | reference, same run | met | load avg |",
    "|---|---|---|---|---|",
    ...r.targets.map(
      (t) =>
        `| ${cell(t.target)} | ${cell(t.measured)} | ${cell(t.reference)} | ${t.met === undefined ? "n/a" : t.met ? "yes" : "**no**"} | ${t.loadAverage ?? "-"} |`,
    ),
    "",
    "## Every part",
    "",
  ];
  for (const [name, p] of Object.entries(r.parts)) {
    out.push(
      `### ${name}`,
      "",
      `Run ${p.at ?? r.startedAt}, ${(p.ms / 1000).toFixed(0)} s, load average ${p.loadAverageBefore.join(" ")} before, ${p.loadAverageAfter.join(" ")} after.`,
      "",
      "```",
      ...p.lines,
      ...(p.error ? [`FAILED: ${p.error.split("\n")[0]}`] : []),
      "```",
      "",
    );
  }
  const notes = path.join(bench, "results-notes.md");
  if (fs.existsSync(notes)) out.push(fs.readFileSync(notes, "utf8").trim(), "");
  const file = path.join(bench, "RESULTS.md");
  fs.writeFileSync(file, out.join("\n"));
  return file;
}

// `ts-node bench/lib/report.ts`: re-renders RESULTS.md from the last results file.
if (require.main === module) {
  const r = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "results", "latest.json"), "utf8")) as Latest;
  console.log(writeResultsMd(r));
}
