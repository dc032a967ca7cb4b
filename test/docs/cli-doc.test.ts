/**
 * docs/cli.md cannot drift from the CLI: every command and option commander knows is documented,
 * every documented command exists, and the exit code table is the one of src/cli/exit.ts (and of the
 * batch verdicts, src/core/batch/types.ts).
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { buildCli } from "../../src/cli/main";
import { EXIT } from "../../src/cli/exit";
import { BATCH_EXIT } from "../../src/core/batch/types";

const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/cli.md"), "utf8");

/** Every command without subcommands, by its path ("client add"), with the command itself. */
function leaves(c: Command, prefix: string[] = []): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const s of c.commands) {
    const p = [...prefix, s.name()];
    if (s.commands.length === 0) out.set(p.join(" "), s);
    for (const [k, v] of leaves(s, p)) out.set(k, v);
  }
  return out;
}

/** The doc's sections: heading text → the text up to the next heading of the same or a higher level. */
function sections(markdown: string, level: number): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`^${"#".repeat(level)} (.+)$`, "gm");
  const heads = [...markdown.matchAll(re)];
  heads.forEach((h, i) => {
    const start = h.index! + h[0].length;
    const rest = markdown.slice(start, i + 1 < heads.length ? heads[i + 1].index : undefined);
    const stop = rest.search(new RegExp(`^#{1,${level - 1}} `, "m"));
    out.set(h[1].trim(), stop < 0 ? rest : rest.slice(0, stop));
  });
  return out;
}

/** The inline code spans of a text. */
function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
}

const cli = buildCli();
const commands = leaves(cli);
const commandSections = new Map([...sections(doc, 3)].filter(([h]) => /^`[^`]+`$/.test(h)).map(([h, body]) => [h.slice(1, -1), body]));

describe("docs/cli.md", () => {
  it("has a section for every command of the CLI", () => {
    const missing = [...commands.keys()].filter((c) => !commandSections.has(c));
    expect(missing, "commands without a ### `command` section").to.deep.equal([]);
  });

  it("documents no command the CLI does not have", () => {
    const unknown = [...commandSections.keys()].filter((c) => !commands.has(c));
    expect(unknown, "sections of commands the CLI does not know").to.deep.equal([]);
  });

  it("names every option of every command in that command's section", () => {
    const missing: string[] = [];
    for (const [name, c] of commands) {
      const spans = codeSpans(commandSections.get(name) ?? "");
      for (const o of c.options) {
        for (const flag of [o.long, o.short].filter((f): f is string => !!f)) {
          const re = new RegExp("(?:^|[\\s,])" + flag + "(?![\\w-])");
          if (!spans.some((span) => re.test(span))) missing.push(`${name} ${flag}`);
        }
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it("names every global option in its Global options section", () => {
    const body = sections(doc, 2).get("Global options") ?? "";
    const missing = cli.options.map((o) => o.long!).filter((flag) => !body.includes("`" + flag));
    expect(missing).to.deep.equal([]);
    expect(cli.options.length).to.be.greaterThan(0);
  });

  it("has the exit code table of src/cli/exit.ts and of the batch verdicts", () => {
    const body = sections(doc, 2).get("Exit codes") ?? "";
    const rows = [...body.matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)].map((m) => [Number(m[1]), m[2]] as const);
    const expected = new Map<number, string>(Object.entries(EXIT).map(([k, v]) => [v as number, `EXIT.${k}`]));
    for (const [verdict, code] of Object.entries(BATCH_EXIT)) if (!expected.has(code)) expected.set(code, verdict);
    expect(rows).to.deep.equal([...expected].sort((a, b) => a[0] - b[0]));
  });

  it("gives each command's exit codes from that table only", () => {
    const codes = new Set<number>([...Object.values(EXIT), ...Object.values(BATCH_EXIT)]);
    const bad: string[] = [];
    for (const [name, body] of commandSections) {
      const line = body.match(/(?:^|\. )Exit: ([^\n]+(?:\n(?!\n)[^\n]*)*)/m);
      if (!line) {
        bad.push(`${name}: no "Exit:" line`);
        continue;
      }
      for (const n of line[1].match(/(?<![\w.-])\d+(?![\w.])/g) ?? []) if (!codes.has(Number(n))) bad.push(`${name}: exit ${n}`);
    }
    expect(bad).to.deep.equal([]);
  });
});
