#!/usr/bin/env node
// Standalone verifier of a gxp-ledger proof bundle (docs/proof-format.md). Plain Node.js 18+, no
// dependencies, no code of gxp-ledger: it re-derives everything from the file and asks the chain
// over raw JSON-RPC. Usage:
//   node verify-proof-standalone.js BUNDLE.json --rpc URL [--rpc URL2 ...]
// Exit 0 verified, 1 failed, 2 bad usage, 3 an endpoint could not be reached.
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");

const MEDIA_TYPE = "application/vnd.gxp-ledger.proof+json;version=1";
// keccak256 of the Solidity signatures; recompute with any keccak tool (docs/proof-format.md §5).
const GET_ANCHOR = "0x6a9fc0b2"; // getAnchor(bytes32,uint64), first 4 bytes
const EPOCH_ANCHORED_TOPIC = "0x7acf38565576b0d0ba023d05dc222cbb61065dc640380ac3bce51ef66fb84f44"; // EpochAnchored(bytes32,uint64,bytes32,uint64,uint64)
const HASH = /^0x[0-9a-f]{64}$/;

class Failure extends Error {
  constructor(step, message) {
    super(`${step}: ${message}`);
    this.step = step;
  }
}
const fail = (step, message) => {
  throw new Failure(step, message);
};

// RFC 8785: members sorted by UTF-16 code units; strings and numbers as ECMAScript JSON.stringify.
function jcs(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
}
// The file form: the same, indented by two spaces, ": " after names.
function pretty(v, ind = "") {
  const i2 = ind + "  ";
  if (Array.isArray(v)) return v.length ? "[\n" + v.map((x) => i2 + pretty(x, i2)).join(",\n") + "\n" + ind + "]" : "[]";
  if (v !== null && typeof v === "object") {
    const ks = Object.keys(v).sort();
    return ks.length ? "{\n" + ks.map((k) => i2 + JSON.stringify(k) + ": " + pretty(v[k], i2)).join(",\n") + "\n" + ind + "}" : "{}";
  }
  return JSON.stringify(v);
}

const sha256 = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const hex = (b) => "0x" + b.toString("hex");
const bytes = (h) => Buffer.from(h.slice(2), "hex");
const word = (n) => BigInt(n).toString(16).padStart(64, "0");

// RFC 9162 §2.1.3.2, step by step.
function rootFromAuditPath(index, size, leafHash, path) {
  if (!(index < size)) fail("audit path", `leaf index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) fail("audit path", "the audit path is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) (fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2));
    } else r = sha256(Buffer.from([1]), r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("audit path", "the audit path is too short");
  return r;
}

async function rpc(url, method, params) {
  let res;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  } catch (e) {
    throw Object.assign(new Error(`cannot reach ${url}: ${e.cause?.code ?? e.message}`), { unreachable: true });
  }
  const j = await res.json();
  if (j.error) fail("anchor", `${method} answered error ${j.error.code} ${j.error.message}`);
  return j.result;
}

async function verify(text, rpcUrls, log = () => {}) {
  // 1. Schema: JSON, the known fields, their types.
  let b;
  try {
    b = JSON.parse(text);
  } catch (e) {
    fail("schema", `not JSON: ${e.message}`);
  }
  const a = b && b.anchor;
  const uint = (x) => Number.isSafeInteger(x) && x >= 0;
  if (b?.mediaType !== MEDIA_TYPE) fail("schema", `mediaType is not ${MEDIA_TYPE}`);
  if (Object.keys(b).sort().join() !== "anchor,auditPath,epoch,leafHash,leafIndex,mediaType,record,root,treeSize") fail("schema", "unexpected top-level fields");
  if (!HASH.test(b.leafHash) || !HASH.test(b.root) || !uint(b.epoch) || !uint(b.leafIndex) || !uint(b.treeSize) || !Array.isArray(b.auditPath) || !b.auditPath.every((h) => HASH.test(h))) fail("schema", "bad hash or number");
  if (!a || Object.keys(a).sort().join() !== "blockHash,blockNumber,blockTimestamp,chainId,contract,epoch,firstSeq,ledgerId,ledgerName,logIndex,txHash") fail("schema", "unexpected anchor fields");
  if (!/^[1-9][0-9]*$/.test(a.chainId) || !/^0x[0-9a-fA-F]{40}$/.test(a.contract) || ![a.ledgerId, a.txHash, a.blockHash].every((h) => HASH.test(h))) fail("schema", "bad anchor field");
  if (![a.epoch, a.firstSeq, a.blockNumber, a.blockTimestamp, a.logIndex].every(uint) || a.epoch !== b.epoch) fail("schema", "bad anchor number");
  const nameWord = Buffer.alloc(32);
  if (typeof a.ledgerName !== "string" || Buffer.byteLength(a.ledgerName) > 31) fail("schema", "bad ledgerName");
  nameWord.write(a.ledgerName, "utf8");
  if (hex(nameWord) !== a.ledgerId) fail("schema", `ledgerId is not bytes32("${a.ledgerName}")`);
  if (typeof b.record !== "object" || !uint(b.record.seq)) fail("schema", "bad record");
  log("schema", "fields and types as specified");

  // 2. Canonical form: the file is exactly its file form or its RFC 8785 form.
  const c = jcs(b);
  if (text !== pretty(b) + "\n" && text !== c && text !== c + "\n") fail("canonical form", "the file is not in canonical form");
  log("canonical form", "the file is byte for byte its canonical form");

  // 3. Leaf hash = SHA-256(0x00 || RFC 8785 bytes of the record).
  const leaf = sha256(Buffer.from([0]), Buffer.from(jcs(b.record), "utf8"));
  if (hex(leaf) !== b.leafHash) fail("leaf hash", `the record hashes to ${hex(leaf)}, the bundle says ${b.leafHash}`);
  log("leaf hash", hex(leaf));

  // 4. Audit path: the record sits at leafIndex of the epoch and the path leads to the root.
  if (b.record.seq !== a.firstSeq + b.leafIndex) fail("audit path", `record seq ${b.record.seq} is not firstSeq ${a.firstSeq} + leafIndex ${b.leafIndex}`);
  const root = rootFromAuditPath(b.leafIndex, b.treeSize, leaf, b.auditPath.map(bytes));
  if (hex(root) !== b.root) fail("audit path", `the path leads to ${hex(root)}, the bundle says ${b.root}`);
  log("audit path", `leaf ${b.leafIndex} of ${b.treeSize} leads to ${b.root}`);

  // 5. The chain, at every endpoint: root, size and first seq in the contract; tx, log and block.
  if (rpcUrls.length === 0) fail("anchor", "no --rpc endpoint given");
  for (const url of rpcUrls) {
    if (BigInt(await rpc(url, "eth_chainId", [])).toString() !== a.chainId) fail("chain id", `${url} is not chain ${a.chainId}`);
    const lower = a.contract.slice(2).toLowerCase();
    // EIP-55 spelling: upper-case where keccak256(lowercase hex) has a nibble >= 8. The node computes
    // the keccak (web3_sha3); the spelling is cosmetic, so a node without that method only skips it.
    const k = await rpc(url, "web3_sha3", ["0x" + Buffer.from(lower).toString("hex")]).catch((e) => (e instanceof Failure ? null : Promise.reject(e)));
    if (k === null) log("canonical form", `EIP-55 spelling of the contract not checked: ${url} has no web3_sha3`);
    else {
      const checksum = "0x" + [...lower].map((ch, i) => ((bytes(k)[i >> 1] >> (i % 2 ? 0 : 4)) & 15) >= 8 ? ch.toUpperCase() : ch).join("");
      if (checksum !== a.contract) fail("canonical form", `contract is not in EIP-55 form ${checksum}`);
    }
    const ret = await rpc(url, "eth_call", [{ to: a.contract, data: GET_ANCHOR + a.ledgerId.slice(2) + word(b.epoch) }, "latest"]).catch((e) => {
      if (e instanceof Failure) fail("anchor", `anchor missing: ${e.message}`);
      throw e;
    });
    const w = (ret.slice(2).match(/.{64}/g) || []).map((x) => "0x" + x);
    if (w.length !== 5) fail("anchor", `anchor missing at ${url}`);
    if (w[0] !== b.root) fail("anchor", `root mismatch at ${url}: chain has ${w[0]}`);
    if (BigInt(w[1]) !== BigInt(b.treeSize)) fail("anchor", `size mismatch at ${url}: chain has ${BigInt(w[1])}`);
    if (BigInt(w[2]) !== BigInt(a.firstSeq)) fail("anchor", `first seq mismatch at ${url}: chain has ${BigInt(w[2])}`);
    const rc = await rpc(url, "eth_getTransactionReceipt", [a.txHash]);
    if (!rc || Number(rc.blockNumber) !== a.blockNumber || rc.blockHash !== a.blockHash || rc.status !== "0x1") fail("block", `block mismatch at ${url}: tx not in block ${a.blockNumber}`);
    const lg = rc.logs.find((l) => Number(l.logIndex) === a.logIndex);
    const want = [EPOCH_ANCHORED_TOPIC, a.ledgerId, "0x" + word(b.epoch)];
    if (!lg || lg.address.toLowerCase() !== a.contract.toLowerCase() || lg.topics.join() !== want.join() || lg.data !== "0x" + b.root.slice(2) + word(b.treeSize) + word(a.firstSeq)) {
      fail("block", `block mismatch at ${url}: log ${a.logIndex} is not EpochAnchored of this epoch and root`);
    }
    const blk = await rpc(url, "eth_getBlockByNumber", ["0x" + a.blockNumber.toString(16), false]);
    if (!blk || blk.hash !== a.blockHash || Number(blk.timestamp) !== a.blockTimestamp || !blk.transactions.includes(a.txHash)) fail("block", `block mismatch at ${url}`);
    const head = Number(await rpc(url, "eth_blockNumber", []));
    if (head < a.blockNumber) fail("finality", `not yet final at ${url}`);
    log("anchor", `${url}: contract ${a.contract} holds root and size of epoch ${b.epoch}; tx ${a.txHash} in block ${a.blockNumber}, ${head - a.blockNumber + 1} confirmations`);
  }
  return b;
}
module.exports = { verify, jcs, pretty, rootFromAuditPath, GET_ANCHOR, EPOCH_ANCHORED_TOPIC };

if (require.main === module) {
  const args = process.argv.slice(2);
  const rpcs = [];
  let file;
  for (let i = 0; i < args.length; i++) (args[i] === "--rpc" ? rpcs.push(args[++i]) : (file = args[i]));
  if (!file || rpcs.length === 0) {
    console.error("usage: node verify-proof-standalone.js BUNDLE.json --rpc URL [--rpc URL ...]");
    process.exit(2);
  }
  verify(fs.readFileSync(file, "utf8"), rpcs, (step, detail) => console.log(`ok   ${step}: ${detail}`)).then(
    (b) => console.log(`VERIFIED event ${b.record.event.id}: epoch ${b.epoch}, chain ${b.anchor.chainId}`),
    (e) => {
      console.log(e instanceof Failure ? `FAILED ${e.message}` : `ERROR ${e.message}`);
      process.exit(e instanceof Failure ? 1 : 3);
    },
  );
}
