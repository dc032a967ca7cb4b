/**
 * The browser page stays browser-safe: src/web imports only src/core and no Node API, and the built
 * page is one self-contained file that loads nothing from anywhere.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

describe("src/web", () => {
  it("imports nothing but src/core and itself, and no Node API", () => {
    const dir = path.join(ROOT, "src", "web");
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      for (const m of text.matchAll(/from\s+["']([^"']+)["']/g)) expect(m[1], `${f} imports ${m[1]}`).to.match(/^(\.\.\/core|\.\/)/);
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
});
