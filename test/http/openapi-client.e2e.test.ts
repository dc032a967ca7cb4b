/**
 * Issue 13 item 4: a client generated from /openapi.json works against the real server. The
 * document is fetched from `gxp-ledger serve`, openapi-typescript generates its types, a small client
 * written with openapi-fetch against those types is type-checked with tsc (strict) and then run: it
 * posts an event, reads it back and gets its receipt, as docs/http-api.md tells a client developer
 * to do. A document whose types do not fit what the client must write (an Event without its data
 * members, a problem without `code`, a receipt without its signature) fails the type check.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliAsync, serve, Served } from "../helpers/process";
import { checkResponse, docAjv, OpenApiDoc } from "./openapi-check";

const ROOT = path.resolve(__dirname, "../..");
const NODE_MODULES = path.join(ROOT, "node_modules");

/** The client a developer would write (docs/http-api.md, "Generating a client"). */
const CLIENT = `
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Event = components["schemas"]["Event"];
type Receipt = components["schemas"]["ReceiptV2"];
type Problem = components["schemas"]["Problem"];

/** A parameter.recorded event, written against the generated type. */
export function parameterRecorded(id: string, sourceSequence: number): Event {
  return {
    specversion: "1.0",
    id,
    type: "parameter.recorded",
    source: "urn:mes:client:generated",
    sourceSequence,
    occurredAt: "2026-11-25T09:15:02.120+01:00",
    recordedAt: "2026-11-25T09:15:02.480+01:00",
    timeZone: "Europe/Berlin",
    site: "DE01",
    actor: { type: "person", userId: "u123", printedName: "A. Schmidt", role: "Operator" },
    gmpCriticality: "major",
    batch: { batchId: "B-CLIENT-1", productCode: "P-100" },
    recipe: { masterRecipeId: "MR-7", masterRecipeVersion: "3", controlRecipeId: "CR-B-CLIENT-1" },
    data: { name: "inlet_temperature", value: 61.5, unit: "degC", low: 55, high: 65, withinLimits: true, source: "automatic" },
  };
}

export interface Outcome {
  postStatus: number;
  receipt: Receipt;
  readStatus: string;
  readBatch: string | undefined;
  storedReceiptSignature: string;
  refusal: { status: number; code: Problem["code"]; paths: string[] };
  bulkStatus: number;
  bulkDuplicates: boolean[];
}

export async function run(baseUrl: string, token: string, id: string): Promise<Outcome> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: "Bearer " + token } });
  const event = parameterRecorded(id, 1);
  const posted = await client.POST("/v1/events", { body: event });
  if (!posted.data) throw new Error("post refused: " + JSON.stringify(posted.error));
  const receipt: Receipt = posted.data;
  const read = await client.GET("/v1/events/{id}", { params: { path: { id } } });
  if (!read.data) throw new Error("read refused: " + JSON.stringify(read.error));
  const stored = await client.GET("/v1/events/{id}/receipt", { params: { path: { id } } });
  if (!stored.data) throw new Error("receipt refused: " + JSON.stringify(stored.error));
  const again = await client.POST("/v1/events", { body: { ...event, gmpCriticality: "critical" } });
  if (!again.error) throw new Error("a conflicting post was accepted");
  const bulk = await client.POST("/v1/events:bulk", { body: { events: [event, parameterRecorded(id + "-2", 2)] } });
  if (!bulk.data) throw new Error("bulk refused: " + JSON.stringify(bulk.error));
  return {
    postStatus: posted.response.status,
    receipt,
    readStatus: read.data.status,
    readBatch: read.data.record.event.batch?.batchId,
    storedReceiptSignature: stored.data.signature,
    refusal: { status: again.response.status, code: again.error.code, paths: (again.error.errors ?? []).map((e) => e.path) },
    bulkStatus: bulk.response.status,
    bulkDuplicates: bulk.data.receipts.map((r) => r.duplicate === true),
  };
}
`;

function run(cmd: string[], cwd: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, cmd, { cwd, encoding: "utf8", timeout: 180_000 });
  return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

/** Generates the types of `doc` and type-checks (and compiles) the client against them in `dir`. */
function generateAndCheck(
  dir: string,
  doc: unknown,
): { generate: { code: number; out: string }; tsc: { code: number; out: string } } {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "openapi.json"), JSON.stringify(doc));
  // The very commands of docs/http-api.md: npx openapi-typescript openapi.json -o schema.ts; tsc (strict; the generated types are checked as source).
  const generate = run(
    [path.join(NODE_MODULES, "openapi-typescript", "bin", "cli.js"), "openapi.json", "-o", "schema.ts"],
    dir,
  );
  fs.writeFileSync(path.join(dir, "client.ts"), CLIENT);
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "commonjs",
        moduleResolution: "node10",
        lib: ["ES2022", "DOM"],
        esModuleInterop: true,
        skipLibCheck: true,
        outDir: "out",
      },
      files: ["client.ts"],
    }),
  );
  if (!fs.existsSync(path.join(dir, "node_modules")))
    fs.symlinkSync(NODE_MODULES, path.join(dir, "node_modules"), "dir");
  const tsc = run([path.join(NODE_MODULES, "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir);
  return { generate, tsc };
}

describe("a client generated from /openapi.json (e2e)", () => {
  let dir: string;
  let work: string;
  let s: Served | undefined;
  let doc: OpenApiDoc;
  let mesToken: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-client-e2e-"));
    work = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-client-gen-"));
    s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
    mesToken = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    const res = await fetch(`${s.url}/openapi.json`, { headers: { authorization: `Bearer ${mesToken}` } });
    expect(res.status).to.equal(200);
    doc = (await res.json()) as OpenApiDoc;
  });
  after(async () => {
    // SIGTERM: the server stops its embedded chain too (SIGKILL would leave Anvil running).
    await s?.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("generates types (openapi-typescript), type-checks a client (tsc --strict) and posts, reads and gets the receipt through it (openapi-fetch)", async () => {
    const out = path.join(work, "client");
    const { generate, tsc } = generateAndCheck(out, doc);
    expect(generate.code, generate.out).to.equal(0);
    expect(tsc.code, tsc.out).to.equal(0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const client = require(path.join(out, "out", "client.js")) as {
      run: (url: string, token: string, id: string) => Promise<Record<string, unknown>>;
    };
    const id = `evt-client-${Date.now()}`;
    const o = await client.run(s!.url, mesToken, id);
    expect(o.postStatus).to.equal(201);
    expect(o.receipt).to.include({ id, mediaType: "application/vnd.gxp-ledger.receipt+json;version=2" });
    expect(o.readStatus).to.equal("pending");
    expect(o.readBatch).to.equal("B-CLIENT-1");
    expect(o.storedReceiptSignature).to.equal((o.receipt as { signature: string }).signature);
    expect(o.refusal).to.deep.equal({ status: 409, code: "EVENT_ID_CONFLICT", paths: ["/id"] });
    expect(o.bulkStatus).to.equal(201);
    expect(o.bulkDuplicates).to.deep.equal([true, false]);
  });

  it("fails the type check when the document is wrong (a problem without code, an event without data members, a receipt without signature)", () => {
    const mutations: [string, (d: OpenApiDoc) => void][] = [
      ["Problem.code", (d) => delete (d.components.schemas.Problem.properties as Record<string, unknown>).code],
      [
        "Event.data",
        (d) =>
          ((d.components.schemas.Event.properties as Record<string, Record<string, unknown>>).data = {
            type: "object",
          }),
      ],
      [
        "ReceiptV2.signature",
        (d) => delete (d.components.schemas.ReceiptV2.properties as Record<string, unknown>).signature,
      ],
    ];
    for (const [what, mutate] of mutations) {
      const wrong = JSON.parse(JSON.stringify(doc)) as OpenApiDoc;
      mutate(wrong);
      const { generate, tsc } = generateAndCheck(path.join(work, what), wrong);
      expect(generate.code, generate.out).to.equal(0);
      expect(tsc.code, `${what}: ${tsc.out}`).to.not.equal(0);
    }
  });

  it("serves the proof of an anchored event as documented (200, the proof media type, the ProofBundle schema)", async () => {
    const added = await cliAsync(["--data-dir", dir, "--json", "client", "add", "qa-client-e2e", "--role", "qa"]);
    expect(added.code, added.stderr).to.equal(0);
    const qa = { authorization: `Bearer ${JSON.parse(added.stdout).token}` };
    const id = `evt-client-${Date.now()}`;
    const ev = {
      specversion: "1.0",
      id,
      type: "comment.added",
      source: "urn:mes:client:proof",
      sourceSequence: 1,
      occurredAt: "2026-11-25T09:15:02.120+01:00",
      recordedAt: "2026-11-25T09:15:02.480+01:00",
      timeZone: "Europe/Berlin",
      site: "DE01",
      actor: { type: "person", userId: "u123", printedName: "A. Schmidt", role: "Operator" },
      gmpCriticality: "info",
      data: { text: "checked" },
    };
    const posted = await fetch(`${s!.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${mesToken}`, "content-type": "application/json" },
      body: JSON.stringify(ev),
    });
    expect(posted.status, await posted.clone().text()).to.equal(201);
    const ajv = docAjv(doc);
    const check = async (res: Response) =>
      checkResponse(doc, ajv, "GET", "/v1/events/{id}/proof", {
        status: res.status,
        contentType: res.headers.get("content-type") ?? undefined,
        body: await res.text(),
      });
    const pending = await fetch(`${s!.url}/v1/events/${id}/proof`, { headers: qa });
    expect(pending.status).to.equal(202);
    expect(await check(pending)).to.deep.equal([]);
    for (const cmd of ["seal", "anchor"]) {
      const r = await cliAsync(["--data-dir", dir, cmd]);
      expect(r.code, `${cmd}: ${r.stdout}${r.stderr}`).to.equal(0);
    }
    const proof = await fetch(`${s!.url}/v1/events/${id}/proof`, { headers: qa });
    expect(proof.status).to.equal(200);
    expect(proof.headers.get("content-type"), String(proof.headers.get("content-type"))).to.match(
      /^application\/vnd\.gxp-ledger\.proof\+json;\s*version="?2"?/,
    );
    expect(await check(proof)).to.deep.equal([]);
  });
});
