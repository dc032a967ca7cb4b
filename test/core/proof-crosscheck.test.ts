/**
 * Independent cross-checks of the proofs the ledger produces: @sigstore/verify's RFC 6962 inclusion
 * check accepts every audit path of every tree size 1..64 at every index, and the shared verifier
 * probes give the expected verdict through the audit path step of verify-proof's core.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { rfc9162, buildLevels, inclusionProofFromLevels, checkAuditPath, isCoreError } from "../../src/core";
import { loadVectors, h } from "../helpers/vectors";
import { sigstoreAcceptsInclusion } from "./sigstore-merkle";

describe("proofs cross-checked by @sigstore/verify", () => {
  describe("when the tree has 1..64 leaves", () => {
    it("accepts our audit path at every index, and rejects it for the neighbouring index", () => {
      const data = Array.from({ length: 64 }, (_, i) => createHash("sha256").update(`leaf ${i}`).digest());
      const leaves = data.map((d) => rfc9162.hashLeaf(d));
      let checked = 0;
      for (let n = 1; n <= 64; n++) {
        const levels = buildLevels(rfc9162, leaves.slice(0, n));
        const root = levels[levels.length - 1][0];
        for (let m = 0; m < n; m++) {
          const path = inclusionProofFromLevels(n, m, (l, i) => levels[l][i]);
          expect(sigstoreAcceptsInclusion(data[m], m, n, path, root), `index ${m} of ${n}`).to.equal(true);
          checkAuditPath(rfc9162, m, n, leaves[m], path, root);
          if (n > 1)
            expect(sigstoreAcceptsInclusion(data[m], (m + 1) % n, n, path, root), `index ${m + 1} of ${n}`).to.equal(
              false,
            );
          checked++;
        }
      }
      expect(checked).to.equal((64 * 65) / 2);
    });
  });
});

describe("checkAuditPath (verify-proof's audit path step)", () => {
  describe("when given the 98 inclusion probes of shared/vectors", () => {
    it("accepts the 6 that must pass and rejects the 92 that must fail", () => {
      const v = loadVectors("inclusion.json");
      expect(v.probes).to.have.length(98);
      let accepted = 0;
      let rejected = 0;
      for (const p of v.probes) {
        let ok = true;
        try {
          checkAuditPath(
            rfc9162,
            p.leaf_index,
            p.tree_size,
            h(p.leaf_hash_hex),
            p.audit_path_hex.map(h),
            h(p.root_hex),
          );
        } catch (e) {
          if (!isCoreError(e)) throw e;
          ok = false;
        }
        expect(ok, `${p.file}`).to.equal(!p.want_error);
        ok ? accepted++ : rejected++;
      }
      expect([accepted, rejected]).to.deep.equal([6, 92]);
    });
  });
});
