/**
 * The browser page stays browser-safe: src/web imports only src/core and no Node API, and the built
 * page is one self-contained file that loads nothing from anywhere.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPage } = require("../../scripts/build-web.js") as {
  buildPage(): { html: string; inputs: Record<string, number> };
};

/** What the page may be at most: 102,119 bytes when the hand-written checks replaced Ajv (250,875 with it). */
const PAGE_MAX_BYTES = 120_000;

describe("src/web", () => {
  it("imports nothing but src/core and itself, and no Node API", () => {
    const dir = path.join(ROOT, "src", "web");
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      for (const m of text.matchAll(/from\s+["']([^"']+)["']/g))
        expect(m[1], `${f} imports ${m[1]}`).to.match(/^(\.\.\/core|\.\/)/);
      expect(text, f).to.not.match(/\bBuffer\b|\bprocess\.|\brequire\(/);
    }
  });
  it("builds to one self-contained web/dist/verify.html that fetches no script, style or font", () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-web.js")], { stdio: "ignore" });
    const html = fs.readFileSync(path.join(ROOT, "web", "dist", "verify.html"), "utf8");
    expect(html.match(/<script>/g)).to.have.length(1);
    const markup = html.replace(/<script>[\s\S]*<\/script>/, "");
    expect(markup).to.not.match(/<script[^>]+src=|<link[^>]+href=|<img|<iframe/i);
    expect(markup, "CSS loads nothing").to.not.match(/url\(|@import/);
  });
  it("bundles no JSON Schema engine and no event schema, and stays below its size bound", () => {
    const { html, inputs } = buildPage();
    const files = Object.keys(inputs);
    expect(
      files.some((f) => f.endsWith("src/core/proof/bundle-check.ts")),
      "the inputs are the bundle's",
    ).to.equal(true);
    const engines = files.filter((f) =>
      /node_modules\/(ajv|ajv-formats|fast-uri|json-schema-traverse|fast-deep-equal)\//.test(f),
    );
    expect(engines, "a JSON Schema engine in the page").to.deep.equal([]);
    const ledgerSide = files.filter((f) =>
      /src\/core\/(event\/|receipt\/receipt|schema-issues|index\.ts)|-schema\.ts$/.test(f),
    );
    expect(ledgerSide, "the ledger's own validation or a published schema in the page").to.deep.equal([]);
    const bytes = Buffer.byteLength(html, "utf8");
    console.log(`      web/dist/verify.html: ${bytes} bytes (bound ${PAGE_MAX_BYTES})`);
    expect(bytes).to.be.below(PAGE_MAX_BYTES);
  });
});
