#!/usr/bin/env node
// Builds web/dist/verify.html: src/web/main.ts (and the src/core it imports) bundled by esbuild for
// the browser and inlined into src/web/verify.html, so the page is one self-contained file that
// works opened from disk. Required as a module, buildPage() returns the page and the bundle's inputs
// (what test/web/purity.test.ts holds to: no JSON Schema engine, no event schema, a size bound).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "web", "dist", "verify.html");

/** The page's HTML and the bundled input files with their bytes in the output. */
function buildPage() {
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, "src", "web", "main.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    target: ["es2022"],
    minify: true,
    legalComments: "none",
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  // Nothing in the script may close the <script> element early.
  const js = result.outputFiles[0].text.replace(/<\/(script)/gi, "<\\/$1");
  const template = fs.readFileSync(path.join(root, "src", "web", "verify.html"), "utf8");
  if (!template.includes("<!--VERIFIER_SCRIPT-->")) throw new Error("template lacks <!--VERIFIER_SCRIPT-->");
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.fromEntries(Object.entries(output.inputs).map(([file, v]) => [file, v.bytesInOutput]));
  return { html: template.replace("<!--VERIFIER_SCRIPT-->", () => `<script>\n${js}</script>`), inputs };
}

module.exports = { buildPage, out };

if (require.main === module) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, buildPage().html);
  console.log(`web/dist/verify.html: ${(fs.statSync(out).size / 1024).toFixed(0)} KiB`);
}
