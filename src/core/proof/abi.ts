/**
 * The few Solidity ABI encodings a verifier needs to ask the anchor contract over raw JSON-RPC
 * `eth_call`, and to read its EpochAnchored log, without any Ethereum library. Every value here is a
 * fixed-size word, so the encoding is a concatenation of 32-byte big-endian words (Solidity ABI spec,
 * "Formal Specification of the Encoding"); the one dynamic argument (the audit path) is an offset,
 * a length and the items.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { toHex, utf8 } from "../hex";

/** Solidity signature of the view that returns an epoch's anchor. */
export const GET_ANCHOR_SIGNATURE = "getAnchor(bytes32,uint64)";
/** Solidity signature of the view that checks an RFC 9162 audit path against the anchored root. */
export const VERIFY_INCLUSION_SIGNATURE = "verifyInclusion(bytes32,uint64,bytes32,uint256,bytes32[])";
/** Solidity signature of the event the contract emits for each anchored epoch. */
export const EPOCH_ANCHORED_SIGNATURE = "EpochAnchored(bytes32,uint64,address,bytes32,uint64,uint64)";
/** Custom errors `getAnchor` reverts with when there is no anchor. */
export const NOT_ANCHORED_ERROR_SIGNATURES = [
  "GxpAnchorEpochNotAnchored(bytes32,uint64)",
  "GxpAnchorUnknownLedger(bytes32)",
] as const;

/** keccak256 of a signature: the event topic (all 32 bytes) or, first 4 bytes, the function selector. */
export function keccakHex(text: string): string {
  return toHex(keccak_256(utf8(text)));
}

/** The 4-byte function or error selector of a Solidity signature, as 0x hex. */
export function selectorOf(signature: string): string {
  return keccakHex(signature).slice(0, 10);
}

/** One 32-byte ABI word (no 0x) holding an unsigned integer. */
export function uintWord(n: number | bigint): string {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${n} does not fit a uint256`);
  return v.toString(16).padStart(64, "0");
}

function hashWord(h: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(h)) throw new RangeError(`${h} is not a 32-byte hash`);
  return h.slice(2).toLowerCase();
}

/** Call data of `getAnchor(ledgerId, epoch)`. */
export function encodeGetAnchor(ledgerId: string, epoch: number): string {
  return selectorOf(GET_ANCHOR_SIGNATURE) + hashWord(ledgerId) + uintWord(epoch);
}

/** Call data of `verifyInclusion(ledgerId, epoch, leafHash, leafIndex, auditPath)`. */
export function encodeVerifyInclusion(
  ledgerId: string,
  epoch: number,
  leafHash: string,
  leafIndex: number,
  auditPath: readonly string[],
): string {
  // Five head words; the array's data starts right after them, at byte offset 5 * 32 = 0xa0.
  return (
    selectorOf(VERIFY_INCLUSION_SIGNATURE) +
    hashWord(ledgerId) +
    uintWord(epoch) +
    hashWord(leafHash) +
    uintWord(leafIndex) +
    uintWord(5 * 32) +
    uintWord(auditPath.length) +
    auditPath.map(hashWord).join("")
  );
}

/** The 32-byte topic word of an indexed address: the address left-padded with zeros, lowercase. */
export function addressWord(address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new RangeError(`${address} is not a 20-byte address`);
  return "0x" + address.slice(2).toLowerCase().padStart(64, "0");
}

/** The 32-byte words of ABI-encoded return or log data, as 0x hex. */
export function wordsOf(data: string): string[] {
  if (typeof data !== "string" || !/^0x(?:[0-9a-fA-F]{64})*$/.test(data))
    throw new RangeError("not a whole number of ABI words");
  const words: string[] = [];
  for (let i = 2; i < data.length; i += 64) words.push("0x" + data.slice(i, i + 64).toLowerCase());
  return words;
}

/** An anchor as `getAnchor` returns it: (root, treeSize, firstSeq, timestamp, blockNumber). */
export interface AbiAnchor {
  root: string;
  treeSize: bigint;
  firstSeq: bigint;
  timestamp: bigint;
  blockNumber: bigint;
}

/**
 * Decodes `getAnchor`'s return data (a static tuple of five words).
 * @throws RangeError when the data is not five words
 */
export function decodeGetAnchor(data: string): AbiAnchor {
  const w = wordsOf(data);
  if (w.length !== 5) throw new RangeError(`getAnchor returned ${w.length} words: want 5`);
  return {
    root: w[0],
    treeSize: BigInt(w[1]),
    firstSeq: BigInt(w[2]),
    timestamp: BigInt(w[3]),
    blockNumber: BigInt(w[4]),
  };
}

/**
 * Decodes a `bool` return value.
 * @throws RangeError when the data is not one word holding 0 or 1
 */
export function decodeBool(data: string): boolean {
  const w = wordsOf(data);
  if (w.length !== 1 || BigInt(w[0]) > 1n) throw new RangeError("not an ABI bool");
  return BigInt(w[0]) === 1n;
}
