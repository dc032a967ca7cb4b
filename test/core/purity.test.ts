/**
 * The architecture rules of CONVENTIONS.md, enforced: the core is pure and browser-safe, and imports
 * point inward only (core ← store, epoch, chain ← service ← http, cli).
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

const SRC = path.resolve(__dirname, "../../src");

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : [],
    );
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|require\(["']([^"']+)["']\)/g)].map(
    (m) => m[1] ?? m[2],
  );
}

/** What each folder of src/ may import. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  crypto: ["core"],
  store: ["core"],
  epoch: ["core", "crypto", "store"],
  chain: ["core", "store"],
  service: ["core", "crypto", "store", "epoch", "chain"],
  http: ["core", "store", "service"],
  cli: ["core", "crypto", "store", "epoch", "chain", "service", "http"],
  web: ["core"],
};

describe("architecture", () => {
  it("keeps src/core free of Node APIs, Buffer, the clock, the environment and I/O", () => {
    for (const f of files(path.join(SRC, "core"))) {
      const text = fs.readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const imp of imports(f))
        expect(imp, `${f} imports ${imp}`).to.not.match(
          /^(node:|fs$|path$|crypto$|os$|child_process$|better-sqlite3|ethers|fastify)/,
        );
      expect(text, f).to.not.match(/\bBuffer\b|\bprocess\.|\bDate\.now\(|new Date\(|\brequire\(/);
    }
  });
  it("points every import inward", () => {
    for (const f of files(SRC)) {
      const from = path.relative(SRC, f).split(path.sep)[0];
      for (const imp of imports(f).filter((i) => i.startsWith("."))) {
        const to = path.relative(SRC, path.resolve(path.dirname(f), imp)).split(path.sep)[0];
        if (to === from) continue;
        expect(ALLOWED[from] ?? [], `${path.relative(SRC, f)} imports ${imp}`).to.include(to);
      }
    }
  });
});
