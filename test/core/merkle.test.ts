import { expect } from "chai";
import { createHash } from "node:crypto";
import {
  rfc9162,
  createHasher,
  Hasher,
  Sha256,
  buildLevels,
  buildLevelBytes,
  rootFromLeafHashes,
  inclusionProofFromLevels,
  inclusionProofLength,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
  isCoreError,
  toHex,
  utf8,
} from "../../src/core";
import {
  referenceConsistency,
  referencePath,
  referenceRoot,
  referenceSubtreeConsistency,
} from "../helpers/merkle-reference";
import { nodeHasher } from "../../src/crypto/node-hasher";
import { loadVectors, h } from "../helpers/vectors";

const hex = (b: Uint8Array) => toHex(b).slice(2);
const nodeSha256: Sha256 = (...parts) => {
  const c = createHash("sha256");
  for (const p of parts) c.update(p);
  return new Uint8Array(c.digest());
};

function expectCode(fn: () => unknown, code?: string): void {
  try {
    fn();
  } catch (e) {
    expect(isCoreError(e), String(e)).to.equal(true);
    if (code) expect((e as { code: string }).code).to.equal(code);
    return;
  }
  expect.fail("expected a core error");
}

describe("rfc9162 hasher", () => {
  const v = loadVectors("hasher.json");
  it("hashes the empty tree to SHA-256 of nothing", () => {
    expect(hex(rfc9162.emptyRoot())).to.equal(v.empty_tree_hash_hex);
  });
  it("reproduces every leaf hash known answer", () => {
    expect(v.leaf_hash.length).to.be.greaterThan(0);
    for (const k of v.leaf_hash) expect(hex(rfc9162.hashLeaf(h(k.data_hex)))).to.equal(k.leaf_hash_hex);
  });
  it("reproduces every node hash known answer", () => {
    for (const k of v.node_hash)
      expect(hex(rfc9162.hashChildren(h(k.left_hex), h(k.right_hex)))).to.equal(k.node_hash_hex);
  });
  it("never gives a leaf the hash of a node over the same bytes", () => {
    const l = new Uint8Array(32).fill(1);
    const r = new Uint8Array(32).fill(2);
    const data = new Uint8Array([...l, ...r]);
    expect(hex(rfc9162.hashLeaf(data))).to.not.equal(hex(rfc9162.hashChildren(l, r)));
  });
  it("gives the same bytes with node:crypto as with the browser-safe SHA-256", () => {
    const n = createHasher(nodeSha256);
    const d = new TextEncoder().encode("L123456");
    expect(hex(n.hashLeaf(d))).to.equal(hex(rfc9162.hashLeaf(d)));
  });
  it("gives with nodeHasher.hashLeafText the leaf hash of the text's UTF-8 bytes", () => {
    for (const t of ["", "L123456", "é€\u2028\ud83d\ude00", "\u0000", "x".repeat(5000)]) {
      expect(hex(nodeHasher.hashLeafText!(t)), JSON.stringify(t.slice(0, 20))).to.equal(hex(rfc9162.hashLeaf(utf8(t))));
    }
  });
});

describe("tree roots", () => {
  const v = loadVectors("rfc6962-roots.json");
  const leafHashes = v.leaves_hex.map((x: string) => rfc9162.hashLeaf(h(x)));
  it("hashes the 8 reference leaves to the published leaf hashes", () => {
    expect(leafHashes.map(hex)).to.deep.equal(v.leaf_hashes_hex);
  });
  it("reproduces the root of every prefix 0..8 (reference and bottom-up)", () => {
    expect(v.roots).to.have.length(9);
    for (const r of v.roots) {
      const prefix = leafHashes.slice(0, r.tree_size);
      expect(hex(referenceRoot(rfc9162, prefix)), `size ${r.tree_size}`).to.equal(r.root_hex);
      expect(hex(rootFromLeafHashes(rfc9162, prefix)), `size ${r.tree_size}`).to.equal(r.root_hex);
    }
  });
  it("reproduces every complete-subtree node hash", () => {
    const levels = buildLevels(rfc9162, leafHashes);
    v.node_hashes_hex.levels.forEach((level: string[], k: number) => {
      expect(levels[k].slice(0, level.length).map(hex)).to.deep.equal(level);
    });
  });
});

describe("buildLevelBytes", () => {
  const concat = (hs: Uint8Array[]) => {
    const out = new Uint8Array(hs.length * 32);
    hs.forEach((x, i) => out.set(x, i * 32));
    return out;
  };
  const leaves = Array.from({ length: 130 }, (_, i) => rfc9162.hashLeaf(Uint8Array.of(i)));
  const fast: Hasher = {
    ...createHasher(nodeSha256),
    hashChildrenAt: (l, o) => nodeSha256(Uint8Array.of(1), l.subarray(o, o + 64)),
  };
  describe("when given every tree size 0..130", () => {
    it("holds exactly the levels of buildLevels, back to back, with and without hashChildrenAt", () => {
      for (let n = 0; n <= 130; n++) {
        const want = n === 0 ? [""] : buildLevels(rfc9162, leaves.slice(0, n)).map((l) => hex(concat(l)));
        for (const hasher of [rfc9162, fast])
          expect(buildLevelBytes(hasher, concat(leaves.slice(0, n))).map(hex), `size ${n}`).to.deep.equal(want);
      }
    });
  });
});

describe("inclusion proofs", () => {
  const v = loadVectors("inclusion.json");
  const roots = loadVectors("rfc6962-roots.json");
  const leafHashes = roots.leaves_hex.map((x: string) => rfc9162.hashLeaf(h(x)));

  describe("when given the known-answer audit paths", () => {
    it("produces exactly each published path from stored levels and verifies it", () => {
      expect(v.known_answer).to.have.length(12);
      for (const k of v.known_answer) {
        const prefix = leafHashes.slice(0, k.tree_size);
        const levels = buildLevels(rfc9162, prefix);
        const path = inclusionProofFromLevels(k.tree_size, k.leaf_index, (l, i) => levels[l][i]);
        expect(path.map(hex), `${k.leaf_index}/${k.tree_size}`).to.deep.equal(k.audit_path_hex);
        verifyInclusion(rfc9162, k.leaf_index, k.tree_size, h(k.leaf_hash_hex), k.audit_path_hex.map(h), h(k.root_hex));
      }
    });
  });

  describe("when given the 98 verifier probes", () => {
    it("accepts exactly those that must pass and rejects all the others", () => {
      expect(v.probes).to.have.length(98);
      let accepted = 0;
      let rejected = 0;
      for (const p of v.probes) {
        const run = () =>
          verifyInclusion(
            rfc9162,
            p.leaf_index,
            p.tree_size,
            h(p.leaf_hash_hex),
            p.audit_path_hex.map(h),
            h(p.root_hex),
          );
        if (p.want_error) {
          expectCode(run);
          rejected++;
        } else {
          run();
          accepted++;
        }
      }
      expect([accepted, rejected]).to.deep.equal([6, 92]);
    });
  });

  describe("when given real-world proofs from production logs", () => {
    it("verifies each (CT and Rekor)", () => {
      expect(v.real_world).to.have.length(4);
      for (const r of v.real_world) {
        const leaf = rfc9162.hashLeaf(h(r.leaf_data_hex));
        if (r.leaf_hash_hex) expect(hex(leaf)).to.equal(r.leaf_hash_hex);
        verifyInclusion(
          rfc9162,
          Number(r.leaf_index),
          Number(r.tree_size),
          leaf,
          r.audit_path_hex.map(h),
          h(r.root_hex),
        );
      }
    });
  });

  describe("when checking every index of every tree size 1..130", () => {
    it("matches the spec-literal PATH and verifies; the proof for one index fails for the next", () => {
      const leaves = Array.from({ length: 130 }, (_, i) => rfc9162.hashLeaf(Uint8Array.of(i)));
      for (let n = 1; n <= 130; n++) {
        const prefix = leaves.slice(0, n);
        const levels = buildLevels(rfc9162, prefix);
        const root = levels[levels.length - 1][0];
        for (let m = 0; m < n; m++) {
          const path = inclusionProofFromLevels(n, m, (l, i) => levels[l][i]);
          expect(path.length).to.equal(inclusionProofLength(m, n));
          if (n <= 40) expect(path.map(hex)).to.deep.equal(referencePath(rfc9162, m, prefix).map(hex));
          verifyInclusion(rfc9162, m, n, prefix[m], path, root);
          if (m + 1 < n) expectCode(() => verifyInclusion(rfc9162, m + 1, n, prefix[m], path, root));
        }
      }
    });
  });

  describe("when the input is malformed", () => {
    const leaf = rfc9162.hashLeaf(new Uint8Array());
    it("rejects index == size before hashing", () => {
      expectCode(() => rootFromInclusionProof(rfc9162, 1, 1, leaf, []), "PROOF_INDEX_OUT_OF_RANGE");
    });
    it("rejects a negative, fractional or unsafe index", () => {
      expectCode(() => rootFromInclusionProof(rfc9162, -1, 4, leaf, []), "PROOF_INDEX_OUT_OF_RANGE");
      expectCode(() => rootFromInclusionProof(rfc9162, 0.5, 4, leaf, []), "PROOF_INDEX_OUT_OF_RANGE");
      expectCode(() => rootFromInclusionProof(rfc9162, 0, 2 ** 60, leaf, []), "PROOF_INDEX_OUT_OF_RANGE");
    });
    it("rejects a leaf hash or path element that is not 32 bytes", () => {
      expectCode(() => rootFromInclusionProof(rfc9162, 0, 1, new Uint8Array(31), []), "PROOF_BAD_HASH_LENGTH");
      expectCode(() => rootFromInclusionProof(rfc9162, 0, 2, leaf, [new Uint8Array(33)]), "PROOF_BAD_HASH_LENGTH");
    });
    it("rejects a path of the wrong length", () => {
      expectCode(() => rootFromInclusionProof(rfc9162, 0, 2, leaf, []), "PROOF_WRONG_LENGTH");
      expectCode(() => rootFromInclusionProof(rfc9162, 0, 2, leaf, [leaf, leaf]), "PROOF_WRONG_LENGTH");
    });
  });
});

describe("consistency proofs", () => {
  const v = loadVectors("consistency.json");
  const roots = loadVectors("rfc6962-roots.json");
  const leafHashes = roots.leaves_hex.map((x: string) => rfc9162.hashLeaf(h(x)));

  it("reproduces every known-answer proof and verifies it", () => {
    expect(v.known_answer).to.have.length(5);
    for (const k of v.known_answer) {
      const proof = referenceConsistency(rfc9162, k.size1, leafHashes.slice(0, k.size2));
      expect(proof.map(hex), `${k.size1}->${k.size2}`).to.deep.equal(k.proof_hex);
      verifyConsistency(rfc9162, k.size1, k.size2, k.proof_hex.map(h), h(k.root1_hex), h(k.root2_hex));
    }
  });
  it("accepts exactly the 6 good probes and rejects the 92 bad ones", () => {
    expect(v.probes).to.have.length(98);
    let ok = 0;
    let bad = 0;
    for (const p of v.probes) {
      const run = () =>
        verifyConsistency(rfc9162, p.size1, p.size2, p.proof_hex.map(h), h(p.root1_hex), h(p.root2_hex));
      if (p.want_error) {
        expectCode(run);
        bad++;
      } else {
        run();
        ok++;
      }
    }
    expect([ok, bad]).to.deep.equal([6, 92]);
  });
});

describe("draft-ietf-plants-merkle-tree-certs Appendix C.1 accumulated vectors", () => {
  const v = loadVectors("mtc-appendix-c1-accumulated.json");
  const leaves = Array.from({ length: 130 }, (_, i) => rfc9162.hashLeaf(Uint8Array.of(i)));
  const valid = (s: number, e: number) => {
    if (s > e) return false;
    if (s === 0 || s === e) return true;
    let c = 1;
    while (c < e - s) c *= 2;
    return s % c === 0;
  };
  const digest = (lines: string[]) => createHash("sha256").update(lines.join("")).digest("hex");

  it("reproduces subtree_hashes (MTH of every valid subtree, every size 0..130)", () => {
    const lines: string[] = [];
    for (let end = 0; end <= 130; end++)
      for (let start = 0; start <= end; start++)
        if (valid(start, end))
          lines.push(`[${start}, ${end}) ${hex(rootFromLeafHashes(rfc9162, leaves.slice(start, end)))}\n`);
    expect(digest(lines)).to.equal(v.vectors.subtree_hashes.want_hex);
  });

  it("reproduces subtree_inclusion_proofs (PATH at every index of every valid subtree)", () => {
    const lines: string[] = [];
    for (let end = 0; end <= 130; end++)
      for (let start = 0; start <= end; start++) {
        if (!valid(start, end)) continue;
        const sub = leaves.slice(start, end);
        const levels = buildLevels(rfc9162, sub);
        for (let index = start; index < end; index++) {
          const path = inclusionProofFromLevels(sub.length, index - start, (l, i) => levels[l][i]);
          lines.push(`${index} [${start}, ${end})` + path.map((p) => " " + hex(p)).join("") + "\n");
        }
      }
    expect(digest(lines)).to.equal(v.vectors.subtree_inclusion_proofs.want_hex);
  });

  it("reproduces subtree_consistency_proofs (SUBTREE_PROOF of every valid subtree in every tree 0..130; start 0 is RFC 9162 PROOF)", () => {
    const lines: string[] = [];
    const memo = new Map<string, Uint8Array>();
    for (let n = 0; n <= 130; n++)
      for (let end = 0; end <= n; end++)
        for (let start = 0; start <= end; start++) {
          if (!valid(start, end)) continue;
          const proof = referenceSubtreeConsistency(rfc9162, start, end, n, leaves, memo);
          if (start === 0 && end > 0 && end < n && n <= 40)
            expect(proof.map(hex)).to.deep.equal(referenceConsistency(rfc9162, end, leaves.slice(0, n)).map(hex));
          lines.push(`[${start}, ${end}) ${n}` + proof.map((p) => " " + hex(p)).join("") + "\n");
        }
    expect(digest(lines)).to.equal(v.vectors.subtree_consistency_proofs.want_hex);
  });
});
