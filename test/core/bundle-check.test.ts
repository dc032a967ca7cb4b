/**
 * The hand-written bundle check (src/core/proof/bundle-check.ts) and trust profile check: every bad
 * field at once, the event never held to the current event schema, and the same verdict as the
 * published JSON Schemas (run here with Ajv, which the verifiers no longer carry) for every
 * one-member change of a valid document.
 */
import { expect } from "chai";
import Ajv from "ajv";
import fs from "node:fs";
import path from "node:path";
import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import {
  PROOF_BUNDLE_SCHEMA_V2,
  ProofBundle,
  TRUST_PROFILE_SCHEMA_V1,
  assertEvent,
  base64urlEncode,
  bundleCompactText,
  bundleFileText,
  bundleFromJSON,
  bundleIssues,
  checkBundle,
  checkpointMessage,
  fromHex,
  isCoreError,
  keyIdOfSpki,
  ledgerIdOfName,
  recordFieldIssues,
  recordLeafHash,
  rfc9162,
  rootFromInclusionProof,
  toHex,
  trustProfileShapeIssues,
  verifyProofOffline,
} from "../../src/core";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require("../../scripts/verify-proof-standalone.js") as {
  verify(text: string, rpcs: string[]): Promise<unknown>;
  pretty(v: unknown): string;
};

/** The standalone script's first failing step for a bundle text (offline: no RPC URL, so at best "anchor"). */
async function standaloneFailure(text: string): Promise<{ step: string; message: string }> {
  try {
    await standalone.verify(text, []);
  } catch (e) {
    return { step: (e as { step: string }).step, message: (e as Error).message };
  }
  expect.fail("the standalone script accepted a bundle without an RPC URL");
}

const DOCS = path.resolve(__dirname, "../../docs");
const example = JSON.parse(fs.readFileSync(path.join(DOCS, "examples", "example-proof.json"), "utf8")) as ProofBundle;
const exampleTrust = JSON.parse(fs.readFileSync(path.join(DOCS, "examples", "example-trust.json"), "utf8"));

// A fixed Ed25519 test key (PKCS #8 DER: the RFC 8410 header and a 32-byte seed) to sign checkpoints.
const TEST_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, 9)]),
  format: "der",
  type: "pkcs8",
});
const TEST_SPKI = createPublicKey(TEST_KEY).export({ type: "spki", format: "der" }).toString("base64");

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The example with its event changed by `change`, leaf hash and root recomputed, the checkpoint signed again: consistent, so only the schema step could refuse it. */
function withEvent(change: (event: Record<string, unknown>) => void): ProofBundle {
  const b = clone(example);
  change(b.record.event as unknown as Record<string, unknown>);
  const leaf = recordLeafHash(b.record);
  b.leafHash = toHex(leaf);
  b.root = toHex(rootFromInclusionProof(rfc9162, b.leafIndex, b.treeSize, leaf, b.auditPath.map(fromHex)));
  const keyId = keyIdOfSpki(TEST_SPKI)!;
  const head = {
    ledger: b.anchor.ledgerName,
    epoch: b.epoch,
    firstSeq: b.anchor.firstSeq,
    treeSize: b.treeSize,
    root: b.root,
    keyId,
  };
  b.checkpoint = {
    keyId,
    publicKey: TEST_SPKI,
    signature: base64urlEncode(new Uint8Array(sign(null, checkpointMessage(head), TEST_KEY))),
  };
  return b;
}

/** The code and issue paths of what `f` throws (fails the test when it throws nothing). */
function refusal(f: () => unknown): { code: string; paths: string[] } {
  try {
    f();
  } catch (e) {
    if (!isCoreError(e)) throw e;
    return { code: e.code, paths: ((e.info.issues as { path: string }[] | undefined) ?? []).map((i) => i.path) };
  }
  expect.fail("accepted");
}

describe("checkBundle's schema step (hand-written)", () => {
  describe("when the event would fail today's event schema, but the record is the one hashed and anchored", () => {
    const stricter: Record<string, (e: Record<string, unknown>) => void> = {
      "a member the schema does not know": (e) => void (e.legacyNote = "written by an earlier ledger version"),
      "a type the schema does not allow": (e) => void (e.type = "legacy.parameter"),
      "a member the schema now requires, missing": (e) => void delete e.timeZone,
      "a member of a type the schema no longer allows": (e) => void (e.sourceSequence = "17"),
    };
    for (const [what, change] of Object.entries(stricter)) {
      it(`passes every offline step, in the core and the standalone script: ${what}`, async () => {
        const b = withEvent(change);
        expect(
          refusal(() => assertEvent(b.record.event)).code,
          "the premise: today's event schema refuses it",
        ).to.equal("EVENT_SCHEMA_INVALID");
        for (const t of [bundleFileText(b), bundleCompactText(b)]) {
          const r = verifyProofOffline(t);
          expect(r.verdict, JSON.stringify(r.steps.filter((s) => !s.ok))).to.equal("OFFLINE-OK");
          expect((await standaloneFailure(t)).step, "the standalone script passes every offline step").to.equal(
            "anchor",
          );
        }
      });
    }
  });

  describe("when several fields are bad", () => {
    it("refuses the bundle once, with PROOF_SCHEMA_INVALID listing every bad field's path (the standalone script too)", async () => {
      const b = clone(example) as unknown as Record<string, any>;
      b.leafHash = b.leafHash.toUpperCase().replace("0X", "0x");
      b.leafIndex = 1.5;
      b.treeSize = 0;
      b.auditPath = ["0x12"];
      b.note = "not a bundle member";
      b.record.salt = "0x12";
      b.record.event.id = 42;
      delete b.anchor.txHash;
      b.anchor.colour = "blue";
      b.anchor.epoch = 7;
      b.anchor.ledgerId = ledgerIdOfName("DE02");
      b.checkpoint.signature = "x";
      const want = [
        "/leafHash",
        "/leafIndex",
        "/treeSize",
        "/auditPath/0",
        "/note",
        "/record/salt",
        "/record/event/id",
        "/anchor/txHash",
        "/anchor/colour",
        "/anchor/epoch",
        "/anchor/ledgerId",
        "/checkpoint/signature",
      ];
      const e = refusal(() => checkBundle(bundleFileText(b)));
      expect(e.code).to.equal("PROOF_SCHEMA_INVALID");
      expect(e.paths).to.have.members(want);
      const step = verifyProofOffline(bundleFileText(b)).steps.find((s) => !s.ok)!;
      expect([step.step, step.code]).to.deep.equal(["schema", "PROOF_SCHEMA_INVALID"]);
      for (const p of want) expect(step.detail, p).to.include(`${p} `);
      const st = await standaloneFailure(bundleFileText(b));
      expect(st.step, "the standalone script").to.equal("schema");
      for (const p of want) expect(st.message, `the standalone script names ${p}`).to.include(`${p} `);
    });

    it("names a record that is no object, and an event that is no object or has no id", () => {
      const noRecord = { ...clone(example), record: [] };
      expect(refusal(() => bundleFromJSON(noRecord))).to.deep.equal({
        code: "PROOF_SCHEMA_INVALID",
        paths: ["/record"],
      });
      for (const [event, p] of [
        [null, "/record/event"],
        [["evt-1"], "/record/event"],
        [{ type: "parameter.recorded" }, "/record/event/id"],
      ] as const) {
        const b = clone(example);
        (b.record as unknown as Record<string, unknown>).event = event;
        expect(
          refusal(() => bundleFromJSON(b)),
          JSON.stringify(event),
        ).to.deep.equal({ code: "PROOF_SCHEMA_INVALID", paths: [p] });
      }
      const b = clone(example);
      delete (b.record as unknown as Record<string, unknown>).event;
      expect(refusal(() => bundleFromJSON(b)).paths).to.deep.equal(["/record/event"]);
    });

    it("names a member that is missing or not an object at every level", () => {
      const b = clone(example) as unknown as Record<string, unknown>;
      delete b.root;
      b.anchor = "0x00";
      b.checkpoint = {};
      expect(refusal(() => bundleFromJSON(b)).paths).to.have.members([
        "/root",
        "/anchor",
        "/checkpoint/keyId",
        "/checkpoint/publicKey",
        "/checkpoint/signature",
      ]);
    });
  });
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Values of every JSON type, and strings shaped like the formats used (right and nearly right).
const REPLACEMENTS: Json[] = [
  null,
  true,
  0,
  -1,
  1,
  1.5,
  2 ** 53,
  "",
  "x",
  "1",
  "0x" + "ab".repeat(32),
  "0x" + "AB".repeat(32),
  "0x" + "ab".repeat(31),
  "ab".repeat(32),
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "A".repeat(59) + "=",
  "A".repeat(86),
  "2026-01-01T00:00:00Z",
  "2026-01-01T00:00:00.000Z",
  "2026-01-01",
  "DE-02",
  [],
  ["0x" + "ab".repeat(32)],
  {},
];

/** Every document that differs from `doc` in one member: each value replaced, each member removed, an unknown member added to each object. */
function oneMemberChanges(doc: Json): { at: string; doc: Json }[] {
  const out: { at: string; doc: Json }[] = [];
  const walk = (node: Json, at: (string | number)[]): void => {
    const edit = (f: (parent: any, key: string | number) => void, where: string) => {
      const d = clone(doc);
      let parent: any = d;
      for (const k of at.slice(0, -1)) parent = parent[k];
      f(parent, at[at.length - 1]);
      out.push({ at: where, doc: d });
    };
    const ptr = at.map((k) => "/" + k).join("");
    if (at.length) {
      for (const r of REPLACEMENTS) edit((p, k) => void (p[k] = clone(r)), `${ptr} = ${JSON.stringify(r)}`);
      if (typeof at[at.length - 1] === "string") edit((p, k) => void delete p[k], `${ptr} removed`);
    }
    if (Array.isArray(node)) node.forEach((x, i) => walk(x, [...at, i]));
    else if (node !== null && typeof node === "object") {
      const d = clone(doc);
      let n: any = d;
      for (const k of at) n = n[k];
      n.zzUnknown = 1;
      out.push({ at: `${ptr}/zzUnknown added`, doc: d });
      for (const k of Object.keys(node)) walk(node[k], [...at, k]);
    }
  };
  walk(doc, []);
  return out;
}

describe("bundleIssues against docs/proof.schema.json", () => {
  it("refuses exactly what the schema refuses, plus the record's own rules and anchor.epoch and anchor.ledgerId against the bundle, for every one-member change", () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(
      JSON.parse(fs.readFileSync(path.join(DOCS, "proof.schema.json"), "utf8")),
    );
    expect(JSON.parse(fs.readFileSync(path.join(DOCS, "proof.schema.json"), "utf8"))).to.deep.equal(
      JSON.parse(JSON.stringify(PROOF_BUNDLE_SCHEMA_V2)),
    );
    const changes = oneMemberChanges(example as unknown as Json);
    let eventChangesAccepted = 0;
    for (const { at, doc } of changes) {
      const b = doc as any;
      const schemaOk =
        validate(doc) &&
        b.anchor.epoch === b.epoch &&
        ledgerIdOfName(b.anchor.ledgerName) === b.anchor.ledgerId &&
        recordFieldIssues(b.record).length === 0;
      let handOk = true;
      try {
        bundleFromJSON(b);
      } catch (e) {
        // The canonical form step comes after: an address not in EIP-55 form passed the schema step.
        if (isCoreError(e, "PROOF_SCHEMA_INVALID")) handOk = false;
        else if (!isCoreError(e, "PROOF_CANONICAL_MISMATCH")) throw e;
      }
      expect(handOk, at).to.equal(schemaOk);
      if (handOk && at.startsWith("/record/event/")) eventChangesAccepted++;
      // bundleIssues leaves the media type to bundleFromJSON, which chose the version by it.
      if (!handOk && !at.startsWith("/mediaType")) expect(bundleIssues(b).length, at).to.be.greaterThan(0);
    }
    expect(changes.length).to.be.greaterThan(1500);
    // Inside the event only its id is the bundle's business; the rest is the leaf hash's.
    const eventChanges = changes.filter(
      (c) => c.at.startsWith("/record/event/") && !c.at.startsWith("/record/event/id "),
    ).length;
    expect(eventChangesAccepted).to.be.at.least(eventChanges);
  });
});

describe("the standalone script's schema step against the core's", () => {
  it("refuses exactly the one-member changes of a bundle that the core's schema step refuses", async () => {
    const changes = oneMemberChanges(example as unknown as Json);
    for (const { at, doc } of changes) {
      const text = standalone.pretty(doc) + "\n";
      const core = verifyProofOffline(text).steps.find((x) => !x.ok)?.step === "schema";
      expect((await standaloneFailure(text)).step === "schema", at).to.equal(core);
    }
  });
});

describe("trustProfileShapeIssues against docs/trust-profile.schema.json", () => {
  it("refuses exactly what the schema refuses, for every one-member change", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(DOCS, "trust-profile.schema.json"), "utf8"));
    expect(schema).to.deep.equal(JSON.parse(JSON.stringify(TRUST_PROFILE_SCHEMA_V1)));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(trustProfileShapeIssues(exampleTrust)).to.deep.equal([]);
    const changes = oneMemberChanges(exampleTrust);
    for (const { at, doc } of changes) expect(trustProfileShapeIssues(doc).length === 0, at).to.equal(validate(doc));
    expect(changes.length).to.be.greaterThan(700);
  });
});
