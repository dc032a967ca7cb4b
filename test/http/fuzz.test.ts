/**
 * Fuzzing the ingestion edge: at least 10,000 random and mutated bodies (valid events with fields
 * dropped, retyped, oversized, Unicode-mangled, byte-corrupted, plus random JSON and random text).
 * No 5xx, no crash, and no row stored for any refused body.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { sampleEvent } from "../helpers/events";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== "object") return [prefix];
  const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
  return [prefix, ...keys.flatMap((k) => paths((v as Record<string, Json>)[k], [...prefix, k]))];
}

function setAt(v: Json, p: string[], f: (old: Json) => Json | undefined): Json {
  if (p.length === 0) return f(v) ?? null;
  const copy: Json = Array.isArray(v) ? [...v] : { ...(v as Record<string, Json>) };
  const [k, ...rest] = p;
  const next = setAt((v as Record<string, Json>)[k], rest, f);
  if (rest.length === 0 && f((v as Record<string, Json>)[k]) === undefined) {
    if (Array.isArray(copy)) copy.splice(Number(k), 1);
    else delete (copy as Record<string, Json>)[k];
  } else (copy as Record<string, Json>)[k] = next;
  return copy;
}

const MANGLE = ["\ud800", "\udfff", "\u0000", "\u202e", "\ufeff", "𝕏", "é", "\uffff", "\\", '"', "\n"];

describe("fuzzing POST /v1/events", function () {
  this.timeout(300_000);
  let dir: string;
  let ledger: Ledger;
  let app: FastifyInstance;
  let token: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-fuzz-"));
    ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 660_000);
    token = api.clients.add("fuzzer", "mes", undefined, new Date()).token;
    app = buildApp({ ledger, ...api, rateLimit: { max: 1_000_000, windowMs: 1000 } });
  });
  after(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const count = () => ledger.db.prepare("SELECT count(*) FROM events").pluck().get() as number;

  it("survives 10,000+ mutated and random bodies with no 5xx and nothing stored for any refusal", async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("retype" as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({
        kind: fc.constant("oversize" as const),
        pick: fc.nat(),
        size: fc.integer({ min: 70_000, max: 1_200_000 }),
      }),
      fc.record({
        kind: fc.constant("mangle" as const),
        pick: fc.nat(),
        char: fc.constantFrom(...MANGLE),
        at: fc.nat(),
      }),
      fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("random-json" as const), value: fc.jsonValue({ maxDepth: 4 }) }),
      fc.record({ kind: fc.constant("random-text" as const), text: fc.string({ unit: "binary", maxLength: 300 }) }),
    );
    let runs = 0;
    let accepted = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        runs++;
        const ev = sampleEvent() as Json;
        const ps = paths(ev).filter((p) => p.length > 0);
        let body: string | Buffer;
        switch (m.kind) {
          case "drop":
            body = JSON.stringify(setAt(ev, ps[m.pick % ps.length], () => undefined));
            break;
          case "retype":
            body = JSON.stringify(setAt(ev, ps[m.pick % ps.length], () => m.value as Json));
            break;
          case "oversize":
            body = JSON.stringify(setAt(ev, ps[m.pick % ps.length], () => "x".repeat(m.size)));
            break;
          case "mangle":
            body = JSON.stringify(
              setAt(ev, ps[m.pick % ps.length], (old) =>
                typeof old === "string"
                  ? old.slice(0, m.at % (old.length + 1)) + m.char + old.slice(m.at % (old.length + 1))
                  : m.char,
              ),
            );
            break;
          case "bytes": {
            const b = Buffer.from(JSON.stringify(ev));
            b[m.at % b.length] = m.byte;
            body = b;
            break;
          }
          case "random-json":
            body = JSON.stringify(m.value) ?? "null";
            break;
          case "random-text":
            body = m.text;
            break;
        }
        const before = count();
        const res = await app.inject({
          method: "POST",
          url: "/v1/events",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          payload: body,
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`5xx for ${m.kind}: ${res.body}`);
        if (res.statusCode === 201) accepted++;
        else if (count() !== before) throw new Error(`a refused body (${res.statusCode}, ${m.kind}) stored a row`);
      }),
      { numRuns: 10_500, seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    );
    expect(runs).to.be.at.least(10_000);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).to.equal(200);
    // The mutations must mostly be refused, and a few (harmless retypes of free-form data) accepted.
    expect(accepted).to.be.lessThan(runs / 2);
    console.log(`      fuzz: ${runs} bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  });
});
