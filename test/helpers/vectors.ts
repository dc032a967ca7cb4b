/**
 * Loads the published RFC 6962 / RFC 9162 test vectors from ../shared/vectors (laid beside the clone
 * in CI). GXP_VECTORS_DIR overrides the location.
 */
import fs from "node:fs";
import path from "node:path";

export const VECTORS_DIR = process.env.GXP_VECTORS_DIR ?? path.resolve(__dirname, "../../../shared/vectors");

/** Parses one vector file. */
export function loadVectors<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, name), "utf8")) as T;
}

/** Hex without 0x (as the vector files write it) to bytes. */
export function h(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
