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
const commandSections = new Map(
  [...sections(doc, 3)].filter(([h]) => /^`[^`]+`$/.test(h)).map(([h, body]) => [h.slice(1, -1), body]),
);

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
      for (const n of line[1].match(/(?<![\w.-])\d+(?![\w.])/g) ?? [])
        if (!codes.has(Number(n))) bad.push(`${name}: exit ${n}`);
    }
    expect(bad).to.deep.equal([]);
  });
});

/** Shell words of a command line (quotes kept together, a trailing # comment dropped). */
export function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? m[4]);
  }
  return out;
}

/** Every `gxp-ledger …` command line of the ```sh blocks of a markdown text, continuations joined. */
export function gxpLines(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .flatMap((m) => m[1].replace(/\\\n\s*/g, " ").split("\n"))
    .flatMap((l) => l.split(/\s*(?:&&|;)\s*/))
    .map((l) => l.trim().replace(/^(?:[A-Z_]+=\S+\s+)*/, ""))
    .filter((l) => /^npx gxp-ledger\b/.test(l));
}

/** Checks one `npx gxp-ledger …` line against the CLI: the command exists, its options and arguments fit. */
export function checkLine(root: Command, line: string): string[] {
  const w = words(line).slice(2);
  const problems: string[] = [];
  const takeOption = (cmds: Command[], i: number): number => {
    const [flag, inline] = w[i].split(/=(.*)/s);
    const o = cmds.flatMap((c) => c.options).find((x) => x.long === flag || x.short === flag);
    if (!o) {
      problems.push(`${line}: no option ${flag}`);
      return i + 1;
    }
    if (!(o.required || o.optional) || inline !== undefined) return i + 1;
    if (o.variadic) {
      let j = i + 1;
      while (j < w.length && !w[j].startsWith("-")) j++;
      return j;
    }
    return i + 2;
  };
  let i = 0;
  while (i < w.length && w[i].startsWith("-")) i = takeOption([root], i);
  let cmd = root;
  while (i < w.length && cmd.commands.length) {
    const sub = cmd.commands.find((c) => c.name() === w[i] || c.aliases().includes(w[i]));
    if (!sub) return [...problems, `${line}: no command ${w[i]}`];
    cmd = sub;
    i++;
  }
  if (cmd === root || cmd.commands.length) return [...problems, `${line}: no command`];
  const positional: string[] = [];
  while (i < w.length) {
    if (w[i].startsWith("-") && w[i] !== "-") i = takeOption([cmd, root], i);
    else positional.push(w[i++]);
  }
  const args = cmd.registeredArguments;
  const required = args.filter((a) => a.required).length;
  if (positional.length < required || (!args.some((a) => a.variadic) && positional.length > args.length)) {
    problems.push(`${line}: ${positional.length} argument(s), want ${required}..${args.length}`);
  }
  return problems;
}

describe("gxp-ledger command lines in README.md and docs/*.md", () => {
  const ROOT = path.resolve(__dirname, "../..");
  const docs = [
    "README.md",
    ...fs
      .readdirSync(path.join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const lines = docs.flatMap((d) => gxpLines(fs.readFileSync(path.join(ROOT, d), "utf8")).map((l) => [d, l] as const));

  it("name existing commands with their options and arguments", () => {
    expect(lines.length).to.be.greaterThan(30);
    expect(lines.flatMap(([d, l]) => checkLine(cli, l).map((p) => `${d}: ${p}`))).to.deep.equal([]);
  });

  it("are checked by a rule that catches a wrong command, option or argument count", () => {
    expect(checkLine(cli, "npx gxp-ledger verify-proof p.json --trust t.json --rpc A --rpc B")).to.deep.equal([]);
    expect(checkLine(cli, "npx gxp-ledger client add x --role mes --source a b --site DE01")).to.deep.equal([]);
    expect(checkLine(cli, "npx gxp-ledger verfy evt-1")).to.have.length(1);
    expect(checkLine(cli, "npx gxp-ledger proof evt-1 --out f")).to.include(
      "npx gxp-ledger proof evt-1 --out f: no option --out",
    );
    expect(checkLine(cli, "npx gxp-ledger proof")).to.have.length(1);
    expect(checkLine(cli, "npx gxp-ledger seal now")).to.have.length(1);
  });
});

describe("npm scripts named in README.md and docs/*.md", () => {
  it("exist in package.json", () => {
    const ROOT = path.resolve(__dirname, "../..");
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
    const docs = [
      "README.md",
      ...fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    const named = docs.flatMap((d) =>
      [...fs.readFileSync(path.join(ROOT, d), "utf8").matchAll(/npm run ([\w:-]+)/g)].map((m) => `${d}: ${m[1]}`),
    );
    expect(named.length).to.be.greaterThan(5);
    expect(named.filter((n) => !scripts.includes(n.split(": ")[1]))).to.deep.equal([]);
  });
});
