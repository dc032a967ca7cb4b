import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { rfc9162, toHex, buildLevels, inclusionProofFromLevels, verifyInclusion } from "../../src/core";
import { referenceRoot } from "../helpers/merkle-reference";
import { merkletreeLevels } from "../../src/epoch/sealer";
import { openLedger } from "../../src/service/app/ledger";
import { auditPathOf } from "../../src/service/proof/proof";
import { loadVectors, h } from "../helpers/vectors";
import { sampleEvents } from "../helpers/events";

describe("merkletreeLevels (merkletreejs configured for RFC 9162)", () => {
  it("reproduces the published roots of the reference tree for sizes 1..8", () => {
    const v = loadVectors("rfc6962-roots.json");
    const leaves = v.leaves_hex.map((x: string) => rfc9162.hashLeaf(h(x)));
    for (const r of v.roots.filter((x: { tree_size: number }) => x.tree_size > 0)) {
      const levels = merkletreeLevels(leaves.slice(0, r.tree_size));
      expect(toHex(levels[levels.length - 1][0]).slice(2), `size ${r.tree_size}`).to.equal(r.root_hex);
    }
  });
  it("equals the spec-literal tree, level by level, for every size 1..300", () => {
    const leaves = Array.from({ length: 300 }, (_, i) => rfc9162.hashLeaf(Uint8Array.of(i % 256, i >> 8)));
    for (let n = 1; n <= 300; n++) {
      const mt = merkletreeLevels(leaves.slice(0, n));
      const ref = buildLevels(rfc9162, leaves.slice(0, n));
      expect(toHex(mt[mt.length - 1][0]), `size ${n}`).to.equal(toHex(referenceRoot(rfc9162, leaves.slice(0, n))));
      expect(
        mt.map((l) => l.map(toHex)),
        `size ${n}`,
      ).to.deep.equal(ref.map((l) => l.map(toHex)));
    }
  });
});

describe("createSealer", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-seal-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("seals pending events into contiguous epochs no larger than the size limit", () => {
    const ledger = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 });
    ledger.events.append(sampleEvents(250));
    const sealed = [];
    for (let r = ledger.sealer.seal(new Date()); r; r = ledger.sealer.seal(new Date())) sealed.push(r.epoch);
    expect(sealed.map((e) => [e.epoch, e.firstSeq, e.size])).to.deep.equal([
      [0, 0, 100],
      [1, 100, 100],
      [2, 200, 50],
    ]);
    ledger.close();
  });

  it("is due at the size limit or once the oldest pending event reaches the age limit", () => {
    let t = Date.parse("2026-11-25T10:00:00Z");
    const ledger = openLedger(dir, { maxEvents: 10, maxAgeMs: 60_000 }, () => new Date(t));
    expect(ledger.sealer.due(new Date(t))).to.equal(false);
    ledger.events.append(sampleEvents(3));
    expect(ledger.sealer.due(new Date(t + 59_999))).to.equal(false);
    expect(ledger.sealer.due(new Date(t + 60_000))).to.equal(true);
    ledger.events.append(sampleEvents(7));
    expect(ledger.sealer.due(new Date(t))).to.equal(true);
    t += 1;
    ledger.close();
  });

  it("answers every inclusion proof from stored tiles, matching a rebuilt tree (multi-tile epoch)", () => {
    const ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 60_000 });
    ledger.events.append(sampleEvents(777));
    const { epoch } = ledger.sealer.seal(new Date())!;
    const rows = ledger.events.range(0, 777);
    const levels = buildLevels(
      rfc9162,
      rows.map((r) => r.leafHash),
    );
    expect(toHex(epoch.root)).to.equal(toHex(levels[levels.length - 1][0]));
    for (const i of [0, 1, 255, 256, 511, 512, 700, 776]) {
      const path = auditPathOf(ledger, rows[i], epoch);
      expect(path.map(toHex)).to.deep.equal(inclusionProofFromLevels(777, i, (l, k) => levels[l][k]).map(toHex));
      verifyInclusion(rfc9162, i, 777, rows[i].leafHash, path, epoch.root);
    }
    ledger.close();
  });

  it("refuses to seal over a sequence gap", () => {
    const ledger = openLedger(dir, { maxEvents: 100, maxAgeMs: 60_000 });
    ledger.events.append(sampleEvents(5));
    ledger.db.exec("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 2;");
    expect(() => ledger.sealer.seal(new Date())).to.throw(/seq 2 is missing/);
    ledger.close();
  });
});

describe("nodeHasher (node:crypto, one-shot)", () => {
  it("gives the browser-safe core hasher's bytes for leaves, nodes, the empty tree and odd-length input", async () => {
    const { nodeHasher, leafHashOfText } = await import("../../src/crypto/node-hasher");
    const { utf8 } = await import("../../src/core");
    expect(toHex(nodeHasher.emptyRoot())).to.equal(toHex(rfc9162.emptyRoot()));
    for (const data of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(1000).fill(7)]) {
      expect(toHex(nodeHasher.hashLeaf(data))).to.equal(toHex(rfc9162.hashLeaf(data)));
    }
    const a = rfc9162.hashLeaf(Uint8Array.of(1));
    const b = rfc9162.hashLeaf(Uint8Array.of(2));
    expect(toHex(nodeHasher.hashChildren(a, b))).to.equal(toHex(rfc9162.hashChildren(a, b)));
    // Two calls in a row must not share state through the reused input buffer.
    const ab = nodeHasher.hashChildren(a, b);
    nodeHasher.hashChildren(b, a);
    expect(toHex(ab)).to.equal(toHex(rfc9162.hashChildren(a, b)));
    expect(toHex(nodeHasher.hashChildren(Uint8Array.of(1), Uint8Array.of(2)))).to.equal(
      toHex(rfc9162.hashChildren(Uint8Array.of(1), Uint8Array.of(2))),
    );
    expect(toHex(leafHashOfText('{"é":"€"}'))).to.equal(toHex(rfc9162.hashLeaf(utf8('{"é":"€"}'))));
  });
});
