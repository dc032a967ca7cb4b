/**
 * The one place that reaches into @sigstore/verify (pinned 3.1.1): its RFC 6962 inclusion check,
 * `verifyMerkleInclusion`, is a deep import (`dist/tlog/merkle`, not part of the package's public
 * API), so it is wrapped here and nowhere else. An implementation we did not write: it hashes the
 * leaf itself from the leaf data and splits the path into inner and border parts its own way.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { verifyMerkleInclusion } = require("@sigstore/verify/dist/tlog/merkle") as {
  verifyMerkleInclusion(entry: unknown, checkpoint: { logSize: bigint; logHash: Buffer }): void;
};

/**
 * True when @sigstore/verify accepts that `leafData` (the leaf's bytes, before the 0x00 prefix) is
 * at `index` of a tree of `size` leaves with root `root`, given the audit path.
 */
export function sigstoreAcceptsInclusion(
  leafData: Uint8Array,
  index: number,
  size: number,
  auditPath: Uint8Array[],
  root: Uint8Array,
): boolean {
  const entry = {
    canonicalizedBody: Buffer.from(leafData),
    inclusionProof: {
      logIndex: String(index),
      treeSize: String(size),
      rootHash: Buffer.from(root),
      hashes: auditPath.map((h) => Buffer.from(h)),
    },
  };
  try {
    verifyMerkleInclusion(entry, { logSize: BigInt(size), logHash: Buffer.from(root) });
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "TLOG_INCLUSION_PROOF_ERROR") return false;
    throw e;
  }
}
