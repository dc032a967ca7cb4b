/**
 * docs/configuration.md cannot drift from the code: every environment variable read anywhere in src/
 * is in its tables and every one there is read; each default the tables give for a setting of
 * src/service/app/config.ts is the one buildConfig applies; every flag they name exists.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { buildConfig } from "../../src/service/app/config";
import { buildCli } from "../../src/cli/main";

const ROOT = path.resolve(__dirname, "../..");
const doc = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? files(path.join(dir, d.name)) : /\.(ts|js)$/.test(d.name) ? [path.join(dir, d.name)] : [],
    );
}

/** Environment variables a source text reads: env.NAME, env["NAME"], process.env.NAME. */
export function envReads(text: string): string[] {
  return [...text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\])/g)].map(
    (m) => m[1] ?? m[2],
  );
}

interface Row {
  setting: string;
  flags: string;
  env: string[];
  def: string;
}

/** The rows of every table of the doc whose header is `setting | flag | environment | default`. */
function rows(markdown: string): Row[] {
  const out: Row[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\| setting \| flag \| environment \| default \|$/.test(lines[i])) continue;
    for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) {
      const cells = lines[i]
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim());
      expect(cells, lines[i]).to.have.length(4);
      out.push({
        setting: cells[0],
        flags: cells[1],
        env: [...cells[2].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]),
        def: cells[3],
      });
    }
  }
  return out;
}

const srcReads = new Map<string, string[]>();
for (const f of files(path.join(ROOT, "src"))) {
  for (const name of envReads(fs.readFileSync(f, "utf8")))
    srcReads.set(name, [...(srcReads.get(name) ?? []), path.relative(ROOT, f)]);
}
const table = rows(doc);
const documented = new Set(table.flatMap((r) => r.env));

describe("docs/configuration.md", () => {
  it("finds what it checks: the tables and the code's reads", () => {
    expect(table.length).to.be.greaterThan(20);
    expect(envReads('env.LEDGER_A; process.env.B_2; env["C"]; environment.D')).to.deep.equal(["LEDGER_A", "B_2", "C"]);
  });

  it("documents every environment variable read in src/", () => {
    const missing = [...srcReads.keys()]
      .filter((n) => !documented.has(n))
      .map((n) => `${n} (${srcReads.get(n)!.join(", ")})`);
    expect(missing).to.deep.equal([]);
  });

  it("documents no environment variable that src/ does not read", () => {
    expect([...documented].filter((n) => !srcReads.has(n))).to.deep.equal([]);
  });

  it("gives each default of buildConfig as buildConfig applies it", () => {
    const config = readFileSafe(path.join(ROOT, "src/service/app/config.ts"));
    const base = buildConfig({}, {}, "/cwd");
    let checked = 0;
    for (const r of table) {
      const def = r.def.match(/^`([^`]+)`$/)?.[1];
      if (!def) continue;
      for (const name of r.env.filter((n) => envReads(config).includes(n))) {
        // Setting the variable to the documented default changes nothing, and to something else
        // changes the configuration: the variable is read by buildConfig, with that default.
        expect(buildConfig({}, { [name]: def }, "/cwd"), `${name}=${def}`).to.deep.equal(base);
        const other = /^\d+$/.test(def) ? String(Number(def) + 1) : `${def.replace(/^\.\//, "")}x`;
        expect(buildConfig({}, { [name]: other }, "/cwd"), `${name}=${other}`).to.not.deep.equal(base);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(15);
  });

  it("names only flags the CLI has", () => {
    const flags = new Set<string>();
    const walk = (c: Command): void => {
      for (const o of c.options) if (o.long) flags.add(o.long);
      c.commands.forEach(walk);
    };
    walk(buildCli());
    const named = table.flatMap((r) => [...r.flags.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));
    expect(named.length).to.be.greaterThan(5);
    expect(named.filter((f) => !flags.has(f))).to.deep.equal([]);
  });
});

function readFileSafe(file: string): string {
  return fs.readFileSync(file, "utf8");
}
