/**
 * docs/http-api.md cannot rot: every operation of the served OpenAPI document is in its endpoint
 * table (operationId, method and path), every problem code the error handler maps is listed, and
 * every `sh` block runs as written, in order, against a fresh server, answering the status (and
 * problem code and error path) its `# → …` comment says.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliAsync, serve, Served } from "../helpers/process";
import { OpenApiDoc } from "./openapi-check";

const ROOT = path.resolve(__dirname, "../..");
const DOC = fs.readFileSync(path.join(ROOT, "docs", "http-api.md"), "utf8");

/** The `sh` blocks of the doc, in order. */
export function shBlocks(md: string): string[] {
  return [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** What a block's `# → <status> [<code> [<path>]]` comment expects; undefined: only success. */
export function expectation(block: string): { status: number; code?: string; path?: string } | undefined {
  const m = /^# → (\d{3})(?: ([A-Z][A-Z0-9_]*))?(?: (\/\S+))?\s*$/m.exec(block);
  return m ? { status: Number(m[1]), code: m[2], path: m[3] } : undefined;
}

describe("docs/http-api.md", () => {
  let dir: string;
  let work: string;
  let s: Served | undefined;
  let doc: OpenApiDoc;
  let env: Record<string, string>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-api-doc-"));
    work = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-api-doc-cwd-"));
    // npx finds openapi-typescript and tsc here, never on the network (npm_config_offline below).
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "node_modules"), "dir");
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    const added = await cliAsync(["--data-dir", dir, "--json", "client", "add", "qa-1", "--role", "qa"]);
    expect(added.code, added.stderr).to.equal(0);
    env = {
      LEDGER: s.url,
      MES_TOKEN: fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim(),
      QA_TOKEN: JSON.parse(added.stdout).token,
    };
    const res = await fetch(`${s.url}/openapi.json`, { headers: { authorization: `Bearer ${env.MES_TOKEN}` } });
    doc = (await res.json()) as OpenApiDoc;
  });
  after(async () => {
    // SIGTERM: the server stops its embedded chain too (SIGKILL would leave Anvil running).
    await s?.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("lists every operation of /openapi.json with its method and path in the endpoint table", () => {
    const ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item).map(([m, op]) => ({ id: op.operationId!, method: m.toUpperCase(), path: p })),
    );
    expect(ops.length).to.be.greaterThan(10);
    for (const op of ops)
      expect(DOC, op.id).to.match(
        new RegExp(
          "\\n\\| `" + op.id + "` \\| `" + op.method + " " + op.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "[`?]",
        ),
      );
  });

  it("lists every problem code the error handler maps", () => {
    const app = fs.readFileSync(path.join(ROOT, "src", "http", "app.ts"), "utf8");
    const mapped = [...app.matchAll(/^ {2}([A-Z][A-Z0-9_]+): \d{3},$/gm)].map((m) => m[1]);
    expect(mapped.length).to.be.greaterThan(10);
    for (const code of [
      ...mapped,
      "BODY_TOO_LARGE",
      "BODY_MEDIA_TYPE_UNSUPPORTED",
      "RATE_LIMITED",
      "BYTE_QUOTA_EXCEEDED",
      "INTERNAL",
    ])
      expect(DOC, code).to.include("`" + code + "`");
  });

  it("runs every sh block as written, answering what its comment says", function () {
    this.timeout(300_000);
    const blocks = shBlocks(DOC);
    expect(blocks.length).to.be.greaterThan(10);
    for (const block of blocks) {
      const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", block], {
        cwd: work,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, ...env, npm_config_offline: "true" },
      });
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, `${block}\n${out}`).to.equal(0);
      // The client of "Generating a client" compiles (tsc --strict) and prints the receipt's id and signature.
      if (block.includes("node client.js")) expect(r.stdout, out).to.match(/^evt-doc-0001 [A-Za-z0-9_-]{86}$/m);
      const want = expectation(block);
      if (!want) continue;
      const statuses = [...r.stdout.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]));
      expect(statuses.at(-1), `${block}\n${out}`).to.equal(want.status);
      if (want.code || want.path) {
        const body = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("\r\n\r\n") + 4)) as {
          code: string;
          errors?: { path: string }[];
        };
        if (want.code) expect(body.code, out).to.equal(want.code);
        if (want.path)
          expect(
            body.errors?.map((e) => e.path),
            out,
          ).to.deep.equal([want.path]);
      }
    }
    expect(blocks.filter((b) => b.includes("node client.js"))).to.have.length(1);
  });
});
