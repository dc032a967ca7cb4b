/**
 * The runnable shell examples of a format document: in its worked example section, a ```sh block
 * followed by a line "→ `expected`". Each runs with bash in docs/examples/ and must exit 0 and print
 * the expected text: its first word (a hash followed by "  -", say), or the whole trimmed output when
 * the expected text has spaces in it.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";

/** One runnable example. */
export interface OneLiner {
  cmd: string;
  want: string;
}

/** The runnable examples of the section that starts with `heading`. */
export function oneLiners(doc: string, heading: string): OneLiner[] {
  const at = doc.indexOf(heading);
  expect(at, `no section ${heading}`).to.be.greaterThan(-1);
  return [...doc.slice(at).matchAll(/```sh\n([\s\S]*?)\n```\n→ `([^`]+)`/g)].map((m) => ({ cmd: m[1], want: m[2] }));
}

/** The tools of `tools` that are not installed. */
export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => spawnSync("bash", ["-c", `command -v ${t}`]).status !== 0);
}

/** True when this machine's openssl verifies Ed25519 over raw input (`pkeyutl -rawin`, OpenSSL 3.0+). */
export function opensslEd25519(): boolean {
  const r = spawnSync("bash", ["-c", "openssl pkeyutl -help 2>&1 | grep -q -- -rawin"]);
  return r.status === 0;
}

/** Runs one example in `cwd` and asserts its exit status and output. */
export function expectOneLiner({ cmd, want }: OneLiner, cwd: string): void {
  const r = spawnSync("bash", ["-c", cmd], { cwd, encoding: "utf8" });
  expect(r.status, `${cmd}\n${r.stderr}`).to.equal(0);
  const out = r.stdout.trim();
  expect(/\s/.test(want) ? out : out.split(/\s+/)[0], cmd).to.equal(want);
}
