/**
 * The RFC 9162 hasher over node:crypto's SHA-256: same bytes as the core's browser-safe one, several
 * times faster. Used by the server, the sealer and the CLI; never by src/core or src/web.
 */
import { createHash, randomBytes } from "node:crypto";
import { createHasher, Hasher, Sha256 } from "../core";

/** node:crypto SHA-256 over the concatenation of parts. */
export const sha256Node: Sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 9162 hasher backed by node:crypto. */
export const nodeHasher: Hasher = createHasher(sha256Node);

/** 32 bytes from the operating system's CSPRNG (record salts). */
export function randomSalt(): Uint8Array {
  return randomBytes(32);
}
