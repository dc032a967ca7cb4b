import { createHash } from "node:crypto";

/**
 * A test-only RFC 9162 reference that transcribes the recursive definitions literally (§2.1.1 MTH,
 * §2.1.3.1 PATH), to generate proofs the vectors do not list and to check the contract against an
 * independent implementation. Inputs and outputs are 0x-prefixed lowercase hex.
 */

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/^0x/, ""), "hex");
}

function hex(b: Uint8Array): string {
  return "0x" + Buffer.from(b).toString("hex");
}

/** Largest power of two strictly less than `n` (n >= 2), the RFC 9162 §2.1.1 split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 ‖ data). */
export function refLeafHash(dataHex: string): string {
  return hex(sha256(Buffer.from([0x00]), bytes(dataHex)));
}

/** RFC 9162 §2.1.1 node hash: SHA-256(0x01 ‖ left ‖ right). */
export function refNodeHash(leftHex: string, rightHex: string): string {
  return hex(sha256(Buffer.from([0x01]), bytes(leftHex), bytes(rightHex)));
}

/** RFC 9162 §2.1.1 MTH over leaf hashes (not leaf data); the empty tree is SHA-256(""). */
export function refRoot(leafHashes: readonly string[]): string {
  const n = leafHashes.length;
  if (n === 0) return hex(sha256());
  if (n === 1) return leafHashes[0] as string;
  const k = splitPoint(n);
  return refNodeHash(refRoot(leafHashes.slice(0, k)), refRoot(leafHashes.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) over leaf hashes. @throws Error when m is out of range. */
export function refInclusionProof(m: number, leafHashes: readonly string[]): string[] {
  const n = leafHashes.length;
  if (m < 0 || m >= n) throw new Error(`refInclusionProof: index ${m} out of range for size ${n}`);
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...refInclusionProof(m, leafHashes.slice(0, k)), refRoot(leafHashes.slice(k))];
  return [...refInclusionProof(m - k, leafHashes.slice(k)), refRoot(leafHashes.slice(0, k))];
}

/**
 * Length of PATH(m, D[n]) from the same recursion, without hashing; null when `m >= n` (no proof exists).
 * Works on bigints so that out-of-range probe indices such as 2^64 - 1 stay exact.
 */
export function refInclusionProofLength(m: bigint, n: bigint): number | null {
  if (m < 0n || m >= n) return null;
  let length = 0;
  while (n > 1n) {
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    if (m < k) {
      n = k;
    } else {
      m -= k;
      n -= k;
    }
    length++;
  }
  return length;
}
