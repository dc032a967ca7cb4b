#!/usr/bin/env node
// Standalone verifier of gxp-ledger proof bundles (docs/proof-format.md, version 2) and batch export
// packages. Plain Node.js 18+, no dependencies, no code of gxp-ledger: it re-derives everything from
// the files, checks the ledger's Ed25519 signatures with node:crypto and asks the chain over raw
// JSON-RPC. What makes it the *site's* ledger is the pin: the site's trust profile (--trust, see
// docs/trust-profile.md) or explicit values. Usage:
//   node verify-proof-standalone.js BUNDLE.json --rpc URL [--rpc URL2 ...] --trust site-trust.json
//   node verify-proof-standalone.js --package DIR --rpc URL --trust site-trust.json
//   node verify-proof-standalone.js --fingerprint site-trust.json   (compare it with the quality agreement)
//   (instead of --trust: --chain-id N --contract 0x… --ledger NAME --anchorer 0x… --ledger-key key.pub.pem [--genesis 0x…])
// Exit 0 VERIFIED (pinned), 1 FAILED, 2 bad usage, 3 an endpoint could not be reached,
// 6 UNPINNED (every check passed, but not everything that makes it the site's ledger was pinned).
"use strict";
const { createHash, createPublicKey, verify: edVerify } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const MEDIA_TYPE = "application/vnd.gxp-ledger.proof+json;version=2";
const TRUST_MEDIA_TYPE = "application/vnd.gxp-ledger.trust+json;version=1";
const CHECKPOINT_LABEL = "gxp-ledger checkpoint v1\n";
const PACKAGE_STATEMENT = "gxp-ledger batch package manifest v1";
// keccak256 of the Solidity signatures, computed once with ethers' id(); recompute with any keccak tool.
const GET_ANCHOR = "0x6a9fc0b2"; // getAnchor(bytes32,uint64), first 4 bytes
const EPOCH_ANCHORED_TOPIC = "0x5f678eb3b153f77e35bcd2ea8ac3cd33505752b2910d6e1a9441652ae64b2e68"; // EpochAnchored(bytes32,uint64,address,bytes32,uint64,uint64)
const HASH = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
// What must be pinned for VERIFIED (pinned); anything less is UNPINNED.
const REQUIRED = ["chain id", "genesis block", "contract", "ledger", "anchoring account", "ledger key"];

class Failure extends Error {
  constructor(step, message) {
    super(`${step}: ${message}`);
    this.step = step;
  }
}
class Usage extends Error {}
const fail = (step, message) => { throw new Failure(step, message); }; // prettier-ignore
function parse(text, step) {
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(step, `not JSON: ${e.message}`);
  }
}

// RFC 8785: members sorted by UTF-16 code units; strings and numbers as ECMAScript JSON.stringify.
function jcs(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  return (
    "{" +
    Object.keys(v)
      .sort()
      .map((k) => JSON.stringify(k) + ":" + jcs(v[k]))
      .join(",") +
    "}"
  );
}
// The file form: the same, indented by two spaces, ": " after names.
function pretty(v, ind = "") {
  const i2 = ind + "  ";
  if (Array.isArray(v))
    return v.length ? "[\n" + v.map((x) => i2 + pretty(x, i2)).join(",\n") + "\n" + ind + "]" : "[]";
  if (v !== null && typeof v === "object") {
    const ks = Object.keys(v).sort();
    return ks.length
      ? "{\n" + ks.map((k) => i2 + JSON.stringify(k) + ": " + pretty(v[k], i2)).join(",\n") + "\n" + ind + "}"
      : "{}";
  }
  return JSON.stringify(v);
}

const sha256 = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const hex = (b) => "0x" + b.toString("hex");
const bytes = (h) => Buffer.from(h.slice(2), "hex");
const word = (n) => BigInt(n).toString(16).padStart(64, "0");
const addressWord = (a) => "0x" + a.slice(2).toLowerCase().padStart(64, "0");
const bytes32 = (name) => hex(Buffer.concat([Buffer.from(name, "utf8"), Buffer.alloc(32)]).subarray(0, 32));
const keyIdOf = (spkiBase64) => sha256(Buffer.from(spkiBase64, "base64")).toString("hex");
const within = (at, from, until) => at * 1000 >= Date.parse(from) && (until === null || at * 1000 < Date.parse(until));
const sameAddress = (a, b) => a.toLowerCase() === b.toLowerCase();
const spkiOfPem = (pem) =>
  String(pem)
    .replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "")
    .replace(/\s+/g, "");

// Ed25519 over `message` with a base64 SPKI DER key; false for a bad key or signature.
function ed25519Ok(spkiBase64, message, signature, encoding) {
  try {
    return edVerify(
      null,
      message,
      createPublicKey({ key: Buffer.from(spkiBase64, "base64"), format: "der", type: "spki" }),
      Buffer.from(signature, encoding),
    );
  } catch {
    return false;
  }
}

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
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = sha256(Buffer.from([1]), r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("audit path", "the audit path is too short");
  return r;
}

// An RPC URL as printed: scheme and host only (a user, password or API key in it is never shown).
function redact(url) {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? "/…" : ""}`;
  } catch {
    return "(unparsable RPC URL)";
  }
}

async function rpc(url, method, params) {
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  } catch (e) {
    // The reason may quote the URL (credentials and all): say it with the redacted one.
    const why = String(e.cause?.code ?? e.message)
      .split(url)
      .join(redact(url))
      .replace(/\/\/[^/\s@]*@/g, "//");
    throw Object.assign(new Error(`cannot reach ${redact(url)}: ${why}`), { unreachable: true });
  }
  const j = await res.json();
  if (j.error) fail("anchor", `${method} answered error ${j.error.code} ${j.error.message}`);
  return j.result;
}

// The pin from the site's trust profile: what it says the ledger is. Its EIP-191 signature is not
// checked here (no secp256k1 in node:crypto): compare the printed fingerprint with the quality agreement.
function pinFromProfile(text) {
  const bad = (what) => { throw new Usage(`trust profile: ${what}`); }; // prettier-ignore
  let p;
  try {
    p = JSON.parse(text);
  } catch (e) {
    bad(`not JSON: ${e.message}`);
  }
  if (p?.mediaType !== TRUST_MEDIA_TYPE) bad(`mediaType is not ${TRUST_MEDIA_TYPE}`);
  if (
    !p.ledger ||
    p.ledger.id !== bytes32(String(p.ledger.name)) ||
    !/^[1-9][0-9]*$/.test(p.chain?.chainId) ||
    !HASH.test(p.chain?.genesisHash) ||
    !ADDRESS.test(p.contract)
  )
    bad("bad ledger, chain or contract");
  if (!Array.isArray(p.anchorers) || !p.anchorers.every((a) => ADDRESS.test(a.address))) bad("bad anchorers");
  if (
    !Array.isArray(p.keys) ||
    !p.keys.every((k) => typeof k.publicKey === "string" && keyIdOf(k.publicKey) === k.keyId)
  )
    bad("a key id is not the SHA-256 of its key");
  const { signature, ...unsigned } = p;
  const fingerprint = sha256(Buffer.from("gxp-ledger trust profile v1\n" + jcs(unsigned), "utf8"))
    .subarray(0, 20)
    .toString("hex")
    .toUpperCase()
    .match(/.{4}/g)
    .join(" ");
  return {
    organisation: p.organisation,
    site: p.site,
    fingerprint,
    chainId: p.chain.chainId,
    genesisHash: p.chain.genesisHash,
    contract: p.contract,
    ledgerName: p.ledger.name,
    anchorers: p.anchorers,
    keys: p.keys,
    development: p.development === true,
  };
}

// The pin from explicit flags: each value given is pinned, valid at any time.
function pinFromFlags(f) {
  const always = { validFrom: "1970-01-01T00:00:00Z", validUntil: null };
  for (const a of [f.contract, ...f.anchorer])
    if (a !== undefined && !ADDRESS.test(a)) throw new Usage(`${a}: want a 0x-prefixed 20-byte address`);
  const pin = { chainId: f.chainId, genesisHash: f.genesis?.toLowerCase(), contract: f.contract, ledgerName: f.ledger };
  if (f.anchorer.length) pin.anchorers = f.anchorer.map((address) => ({ address, ...always }));
  if (f.ledgerKey.length)
    pin.keys = f.ledgerKey.map((pem) => ({ keyId: keyIdOf(spkiOfPem(pem)), publicKey: spkiOfPem(pem), ...always }));
  return Object.values(pin).some((v) => v !== undefined) ? pin : undefined;
}

function unpinnedOf(pin) {
  if (!pin) return REQUIRED;
  const has = {
    "chain id": pin.chainId,
    "genesis block": pin.genesisHash,
    contract: pin.contract,
    ledger: pin.ledgerName,
    "anchoring account": pin.anchorers?.length,
    "ledger key": pin.keys?.length,
  };
  return REQUIRED.filter((k) => !has[k]);
}

// Why a signature's key (id and public key) is not a pinned key valid at `at` (Unix s), if it is not.
function keyProblem(pin, keyId, publicKey, at) {
  if (!pin?.keys?.length) return;
  const k = pin.keys.filter((x) => x.keyId === keyId && x.publicKey === publicKey);
  if (!k.length) return `TRUST_KEY_MISMATCH: signed by key ${keyId}, which is not a pinned ledger key`;
  if (!k.some((x) => within(at, x.validFrom, x.validUntil)))
    return `TRUST_KEY_NOT_VALID: key ${keyId} is not valid at Unix time ${at}`;
}

// Every bad field of a version 2 bundle at once, as "JSON-Pointer what" (§3 of docs/proof-format.md).
// The event is checked only as an object with a string id: its content is the leaf hash's business.
function bundleProblems(b) {
  const out = [];
  const uint = (x) => Number.isSafeInteger(x) && x >= 0;
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  // An object with exactly these members (`optional` may be absent), each present one checked by its rule.
  const object = (v, at, rules, optional = []) => {
    if (!isObj(v)) return void out.push(`${at || "/"} must be a JSON object`);
    for (const [k, [ok, what]] of Object.entries(rules)) {
      if (!(k in v)) {
        if (!optional.includes(k)) out.push(`${at}/${k} is required`);
      } else if (!ok(v[k])) out.push(`${at}/${k} must be ${what}`);
    }
    for (const k of Object.keys(v)) if (!(k in rules)) out.push(`${at}/${k} is not a known field`);
  };
  // RegExp.test would take ["0x…"] for "0x…": a string first.
  const re = (r, what) => [(x) => typeof x === "string" && r.test(x), what];
  const hash = re(HASH, "a 0x-prefixed lowercase 32-byte hash");
  const int = [uint, "an integer from 0 to 2^53 - 1"];
  const address = re(ADDRESS, "a 0x-prefixed 20-byte address");
  const any = [() => true, ""];
  object(b, "", {
    mediaType: any,
    record: any,
    leafHash: hash,
    epoch: int,
    leafIndex: int,
    treeSize: [(x) => uint(x) && x >= 1, "an integer from 1 to 2^53 - 1"],
    auditPath: [(x) => Array.isArray(x) && x.length <= 64, "an array of at most 64 hashes"],
    root: hash,
    anchor: any,
    checkpoint: any,
  });
  if (!isObj(b)) return out;
  if (Array.isArray(b.auditPath))
    b.auditPath.forEach((h, i) => hash[0](h) || out.push(`/auditPath/${i} must be ${hash[1]}`));
  const r = b.record;
  if ("record" in b) {
    object(
      r,
      "/record",
      {
        recordVersion: [(x) => x === "gxp-ledger.record/1", "gxp-ledger.record/1"],
        seq: int,
        receivedAt: re(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "a UTC time with milliseconds"),
        salt: hash,
        batchLink: [isObj, "an object"],
        submittedBy: any,
        event: [isObj, "a JSON object"],
      },
      ["batchLink", "submittedBy"],
    );
    if (isObj(r) && isObj(r.event) && typeof r.event.id !== "string")
      out.push(`/record/event/id ${"id" in r.event ? "must be a string" : "is required"}`);
    const text = [(x) => typeof x === "string", "a string"];
    if (isObj(r) && "submittedBy" in r)
      object(r.submittedBy, "/record/submittedBy", { client: text, role: text, signingAlg: any, signingKey: any }, [
        "signingAlg",
        "signingKey",
      ]);
    if (isObj(r) && isObj(r.submittedBy) && "signingAlg" in r.submittedBy !== "signingKey" in r.submittedBy)
      out.push("/record/submittedBy signingAlg and signingKey go together");
    if (isObj(r) && isObj(r.batchLink))
      object(r.batchLink, "/record/batchLink", {
        batchSeq: int,
        prevLeafHash: r.batchLink.batchSeq === 0 ? [(x) => x === null, "null for batchSeq 0"] : hash,
      });
  }
  const a = b.anchor;
  if ("anchor" in b) {
    object(a, "/anchor", {
      anchorer: address,
      chainId: re(/^[1-9][0-9]{0,77}$/, "a decimal chain id"),
      contract: address,
      ledgerId: hash,
      ledgerName: re(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/, "a ledger name"),
      epoch: int,
      firstSeq: int,
      txHash: hash,
      blockNumber: int,
      blockHash: hash,
      blockTimestamp: int,
      logIndex: int,
    });
    if (isObj(a) && uint(a.epoch) && a.epoch !== b.epoch)
      out.push(`/anchor/epoch is ${a.epoch}: want the bundle's epoch ${b.epoch}`);
    if (isObj(a) && typeof a.ledgerName === "string" && hash[0](a.ledgerId) && bytes32(a.ledgerName) !== a.ledgerId)
      out.push(`/anchor/ledgerId is not bytes32("${a.ledgerName}")`);
  }
  if ("checkpoint" in b)
    object(b.checkpoint, "/checkpoint", {
      keyId: re(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
      publicKey: re(/^[A-Za-z0-9+/]{59}=$/, "base64 of a 44-byte key"),
      signature: re(/^[A-Za-z0-9_-]{86}$/, "base64url of 64 bytes"),
    });
  return out;
}

// Everything that needs no chain: schema, canonical form, leaf hash, audit path, checkpoint signature, pin.
function checkOffline(text, pin, log) {
  const b = parse(text, "schema");
  if (b?.mediaType !== MEDIA_TYPE)
    fail(
      "schema",
      `mediaType is not ${MEDIA_TYPE}${String(b?.mediaType).endsWith("version=1") ? " (version 1 bundles name no anchoring account: export the proof again)" : ""}`,
    );
  const problems = bundleProblems(b);
  if (problems.length) fail("schema", problems.join("; "));
  const a = b.anchor;
  const c = b.checkpoint;
  log("schema", "fields and types as specified");

  const canon = jcs(b);
  if (text !== pretty(b) + "\n" && text !== canon && text !== canon + "\n")
    fail("canonical form", "the file is not in canonical form");
  log("canonical form", "the file is byte for byte its canonical form");

  // Leaf hash = SHA-256(0x00 || RFC 8785 bytes of the record).
  const leaf = sha256(Buffer.from([0]), Buffer.from(jcs(b.record), "utf8"));
  if (hex(leaf) !== b.leafHash) fail("leaf hash", `the record hashes to ${hex(leaf)}, the bundle says ${b.leafHash}`);
  log("leaf hash", hex(leaf));

  if (b.record.seq !== a.firstSeq + b.leafIndex)
    fail("audit path", `record seq ${b.record.seq} is not firstSeq ${a.firstSeq} + leafIndex ${b.leafIndex}`);
  const root = rootFromAuditPath(b.leafIndex, b.treeSize, leaf, b.auditPath.map(bytes));
  if (hex(root) !== b.root) fail("audit path", `the path leads to ${hex(root)}, the bundle says ${b.root}`);
  log("audit path", `leaf ${b.leafIndex} of ${b.treeSize} leads to ${b.root}`);

  // The ledger's signature over the epoch's tree head (base64 in its one canonical spelling: Node
  // ignores the unused low bits of a last character, which would let two texts carry one signature).
  if (
    Buffer.from(c.publicKey, "base64").toString("base64") !== c.publicKey ||
    Buffer.from(c.signature, "base64url").toString("base64url") !== c.signature
  )
    fail("checkpoint", "public key or signature is not canonical base64");
  if (keyIdOf(c.publicKey) !== c.keyId) fail("checkpoint", `key id ${c.keyId} is not the SHA-256 of the key given`);
  const head = {
    epoch: b.epoch,
    firstSeq: a.firstSeq,
    keyId: c.keyId,
    ledger: a.ledgerName,
    root: b.root,
    treeSize: b.treeSize,
  };
  if (!ed25519Ok(c.publicKey, Buffer.from(CHECKPOINT_LABEL + jcs(head), "utf8"), c.signature, "base64url"))
    fail("checkpoint", `the tree head of epoch ${b.epoch} is not signed by key ${c.keyId}`);
  log("checkpoint", `epoch ${b.epoch}'s tree head is signed by ledger key ${c.keyId}`);

  // The pin: what the site says its ledger is. Every difference is named, the first leads.
  if (pin) {
    const problems = [];
    if (pin.chainId !== undefined && pin.chainId !== a.chainId)
      problems.push(`TRUST_CHAIN_MISMATCH: chain ${a.chainId}, pinned chain ${pin.chainId}`);
    if (pin.contract !== undefined && !sameAddress(pin.contract, a.contract))
      problems.push(`TRUST_CONTRACT_MISMATCH: contract ${a.contract}, pinned contract ${pin.contract}`);
    if (pin.ledgerName !== undefined && (pin.ledgerName !== a.ledgerName || bytes32(pin.ledgerName) !== a.ledgerId))
      problems.push(`TRUST_LEDGER_MISMATCH: ledger ${a.ledgerName}, pinned ledger ${pin.ledgerName}`);
    if (pin.anchorers?.length) {
      const x = pin.anchorers.filter((p) => sameAddress(p.address, a.anchorer));
      if (!x.length)
        problems.push(
          `TRUST_ANCHORER_MISMATCH: anchored by ${a.anchorer}, not a pinned anchoring account (${pin.anchorers.map((p) => p.address).join(", ")})`,
        );
      else if (!x.some((p) => within(a.blockTimestamp, p.validFrom, p.validUntil)))
        problems.push(
          `TRUST_ANCHORER_NOT_VALID: ${a.anchorer} is not valid at the anchor block's time ${a.blockTimestamp}`,
        );
    }
    problems.push(keyProblem(pin, c.keyId, c.publicKey, a.blockTimestamp));
    if (problems.some(Boolean)) fail("trust", problems.filter(Boolean).join("; "));
    log(
      "trust",
      `chain, contract, ledger, anchoring account and key as pinned (${unpinnedOf(pin).length ? "NOT pinned: " + unpinnedOf(pin).join(", ") : "all pinned"})`,
    );
  }
  return b;
}

// EIP-55 spelling: upper-case where keccak256(lowercase hex) has a nibble >= 8. The node computes
// the keccak (web3_sha3); the spelling is cosmetic, so a node without that method only skips it.
async function checkSpelling(url, address, log) {
  const lower = address.slice(2).toLowerCase();
  const k = await rpc(url, "web3_sha3", ["0x" + Buffer.from(lower).toString("hex")]).catch((e) =>
    e instanceof Failure ? null : Promise.reject(e),
  );
  if (k === null)
    return log("canonical form", `EIP-55 spelling of ${address} not checked: ${redact(url)} has no web3_sha3`);
  const checksum =
    "0x" +
    [...lower].map((ch, i) => (((bytes(k)[i >> 1] >> (i % 2 ? 0 : 4)) & 15) >= 8 ? ch.toUpperCase() : ch)).join("");
  if (checksum !== address) fail("canonical form", `${address} is not in EIP-55 form ${checksum}`);
}

// The chain at one endpoint: chain id (and genesis when pinned), root, size and first seq in the
// contract; the tx, its sender, its log and its block.
async function checkChain(b, url, pin, log, confirmations = 1) {
  const a = b.anchor;
  const at = redact(url);
  if (BigInt(await rpc(url, "eth_chainId", [])).toString() !== a.chainId)
    fail("chain id", `${at} is not chain ${a.chainId}`);
  if (pin?.genesisHash !== undefined) {
    const g = await rpc(url, "eth_getBlockByNumber", ["0x0", false]);
    if (g?.hash?.toLowerCase() !== pin.genesisHash)
      fail(
        "chain id",
        `TRUST_GENESIS_MISMATCH: block 0 at ${at} is ${g?.hash}, the pinned chain's is ${pin.genesisHash}: another chain with the same id`,
      );
  }
  await checkSpelling(url, a.contract, log);
  await checkSpelling(url, a.anchorer, log);
  const ret = await rpc(url, "eth_call", [
    { to: a.contract, data: GET_ANCHOR + a.ledgerId.slice(2) + word(b.epoch) },
    "latest",
  ]).catch((e) => {
    if (e instanceof Failure) fail("anchor", `anchor missing: ${e.message}`);
    throw e;
  });
  const w = (ret.slice(2).match(/.{64}/g) || []).map((x) => "0x" + x);
  if (w.length !== 5) fail("anchor", `anchor missing at ${at}`);
  if (w[0] !== b.root) fail("anchor", `root mismatch at ${at}: chain has ${w[0]}`);
  if (BigInt(w[1]) !== BigInt(b.treeSize)) fail("anchor", `size mismatch at ${at}: chain has ${BigInt(w[1])}`);
  if (BigInt(w[2]) !== BigInt(a.firstSeq)) fail("anchor", `first seq mismatch at ${at}: chain has ${BigInt(w[2])}`);
  const rc = await rpc(url, "eth_getTransactionReceipt", [a.txHash]);
  if (!rc || Number(rc.blockNumber) !== a.blockNumber || rc.blockHash !== a.blockHash || rc.status !== "0x1")
    fail("block", `block mismatch at ${at}: tx not in block ${a.blockNumber}`);
  if (!sameAddress(String(rc.from), a.anchorer))
    fail("block", `anchorer mismatch at ${at}: tx ${a.txHash} was sent by ${rc.from}, the bundle says ${a.anchorer}`);
  const lg = rc.logs.find((l) => Number(l.logIndex) === a.logIndex);
  const want = [EPOCH_ANCHORED_TOPIC, a.ledgerId, "0x" + word(b.epoch), addressWord(a.anchorer)];
  if (
    !lg ||
    !sameAddress(lg.address, a.contract) ||
    lg.topics.map((t) => t.toLowerCase()).join() !== want.join() ||
    lg.data !== "0x" + b.root.slice(2) + word(b.treeSize) + word(a.firstSeq)
  ) {
    fail("block", `block mismatch at ${at}: log ${a.logIndex} is not EpochAnchored of this epoch, root and anchorer`);
  }
  const blk = await rpc(url, "eth_getBlockByNumber", ["0x" + a.blockNumber.toString(16), false]);
  if (
    !blk ||
    blk.hash !== a.blockHash ||
    Number(blk.timestamp) !== a.blockTimestamp ||
    !blk.transactions.includes(a.txHash)
  )
    fail("block", `block mismatch at ${at}`);
  const head = Number(await rpc(url, "eth_blockNumber", []));
  if (head - a.blockNumber + 1 < confirmations)
    fail("finality", `not yet final at ${at}: ${head - a.blockNumber + 1} confirmations, want ${confirmations}`);
  log(
    "anchor",
    `${at}: contract ${a.contract} holds root and size of epoch ${b.epoch}; tx ${a.txHash} from ${a.anchorer} in block ${a.blockNumber}, ${head - a.blockNumber + 1} confirmations`,
  );
}

// One bundle. Resolves with the bundle and what was not pinned; rejects with a Failure naming the step.
async function verify(text, rpcUrls, opts = {}) {
  const log = opts.log || (() => {});
  const b = checkOffline(text, opts.pin, log);
  if (rpcUrls.length === 0) fail("anchor", "no --rpc endpoint given");
  for (const url of rpcUrls) await checkChain(b, url, opts.pin, log, opts.confirmations);
  return { bundle: b, unpinned: unpinnedOf(opts.pin) };
}

// Every regular file below `dir` (relative paths); symbolic links and other kinds are refused.
function regularFiles(dir, rel = "") {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return regularFiles(dir, r);
    if (!e.isFile()) fail("package files", `${r} is not a regular file`);
    return [r];
  });
}

// Largest package file read (a bundle is a few KB, the tools under 1 MiB).
const PACKAGE_FILE_MAX_BYTES = 64 * 1024 * 1024;

// Reads a package file only when it is a regular file, not a symbolic link, at most
// PACKAGE_FILE_MAX_BYTES; opened non-blocking, so a FIFO swapped in after the listing cannot hang.
function readRegular(dir, rel) {
  let fd;
  try {
    fd = fs.openSync(path.join(dir, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    fail("package files", `${rel} cannot be opened as a regular file inside the package (${e.code})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) fail("package files", `${rel} is not a regular file`);
    if (st.size > PACKAGE_FILE_MAX_BYTES)
      fail("package files", `${rel} has ${st.size} bytes, over the ${PACKAGE_FILE_MAX_BYTES}-byte limit`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    for (let n; off < buf.length && (n = fs.readSync(fd, buf, off, buf.length - off, off)) > 0;) off += n;
    return buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

// A batch export package: every file against the manifest, the manifest's signature by the pinned
// key, the batch chain, then every bundle as above.
async function verifyPackage(dir, rpcUrls, opts = {}) {
  const log = opts.log || (() => {});
  const present = regularFiles(dir);
  if (!present.includes("manifest.json") || !present.includes("manifest.sig.json"))
    fail("package files", "manifest.json or manifest.sig.json is missing");
  const manifestBytes = readRegular(dir, "manifest.json");
  const manifest = parse(manifestBytes.toString("utf8"), "package files");
  const sig = parse(readRegular(dir, "manifest.sig.json").toString("utf8"), "manifest signature");
  const listed = new Map((Array.isArray(manifest.files) ? manifest.files : []).map((f) => [f.path, f.sha256]));
  // The inspector's own copy of the trust profile may sit in the directory without being listed.
  const unlisted = new Set([
    "manifest.json",
    "manifest.sig.json",
    opts.trustFile && path.relative(dir, opts.trustFile).split(path.sep).join("/"),
  ]);
  for (const p of present)
    if (!unlisted.has(p) && !listed.has(p)) fail("package files", `${p} is not in the manifest: it was added`);
  for (const [p, h] of listed) {
    if (!present.includes(p))
      fail("package files", `${p} is listed in the manifest but missing (or not a regular file inside the package)`);
    if (sha256(readRegular(dir, p)).toString("hex") !== h)
      fail("package files", `${p} does not have the SHA-256 the manifest lists: it was edited`);
  }
  log("package files", `${listed.size} files, each with the SHA-256 the manifest lists, none added`);

  const digest = sha256(manifestBytes).toString("hex");
  const publicKey = spkiOfPem(sig.publicKeyPem);
  if (sig.algorithm !== "Ed25519" || sig.statement !== PACKAGE_STATEMENT || keyIdOf(publicKey) !== sig.keyId)
    fail("manifest signature", "manifest.sig.json is not an Ed25519 package signature of its key");
  if (sig.manifestSha256 !== digest)
    fail(
      "manifest signature",
      `manifest.json was changed after the ledger signed it (SHA-256 ${digest}, signed ${sig.manifestSha256})`,
    );
  if (!ed25519Ok(publicKey, Buffer.from(`${sig.statement}\n${digest}`, "utf8"), String(sig.signature), "base64url"))
    fail("manifest signature", `the signature does not verify with key ${sig.keyId}`);
  const keyBad = keyProblem(opts.pin, sig.keyId, publicKey, Date.parse(manifest.generatedAt) / 1000);
  if (keyBad) fail("manifest signature", keyBad);
  log(
    "manifest signature",
    `manifest signed by ledger key ${sig.keyId}${opts.pin?.keys?.length ? ", as pinned" : " (NOT pinned)"}`,
  );

  const chain = parse(readRegular(dir, "batch-chain.json").toString("utf8"), "batch chain");
  if (!Array.isArray(chain) || chain.length !== manifest.events)
    fail("batch chain", `batch-chain.json lists ${chain?.length} events, the manifest ${manifest.events}`);
  const bundles = [];
  for (const [i, e] of chain.entries()) {
    if (!listed.has(e.file)) fail("batch chain", `${e.file} is not in the manifest`);
    const { bundle } = await verify(readRegular(dir, e.file).toString("utf8"), rpcUrls, {
      pin: opts.pin,
      confirmations: opts.confirmations,
    });
    const prev = i === 0 ? null : chain[i - 1].leafHash;
    const m = manifest.ledger || {};
    if (
      bundle.anchor.chainId !== m.chainId ||
      !sameAddress(bundle.anchor.contract, String(m.contract)) ||
      bundle.anchor.ledgerId !== m.ledgerId
    )
      fail("batch chain", `event ${e.eventId} is anchored in another ledger than the manifest's`);
    if (
      bundle.record.event.id !== e.eventId ||
      bundle.leafHash !== e.leafHash ||
      (bundle.record.batchLink?.prevLeafHash ?? null) !== prev
    )
      fail("batch chain", `event ${e.eventId}: its bundle does not continue the batch chain`);
    bundles.push(bundle);
  }
  if (!bundles.length || bundles.at(-1).leafHash !== manifest.head?.leafHash)
    fail("batch chain", "the last event is not the manifest's head");
  log("bundles", `${bundles.length} bundles verified, batch chain unbroken up to the manifest's head`);
  return { manifest, bundles, unpinned: unpinnedOf(opts.pin) };
}

module.exports = {
  verify,
  verifyPackage,
  pinFromProfile,
  pinFromFlags,
  jcs,
  pretty,
  rootFromAuditPath,
  GET_ANCHOR,
  EPOCH_ANCHORED_TOPIC,
  Failure,
  Usage,
};

async function main(args) {
  const f = { rpc: [], anchorer: [], ledgerKey: [] };
  const files = [];
  const value = (i) =>
    i + 1 < args.length
      ? args[i + 1]
      : (() => {
          throw new Usage(`${args[i]} needs a value`);
        })();
  for (let i = 0; i < args.length; i++) {
    const k = {
      "--fingerprint": "fingerprint",
      "--rpc": "rpc",
      "--anchorer": "anchorer",
      "--ledger-key": "ledgerKey",
      "--trust": "trust",
      "--contract": "contract",
      "--ledger": "ledger",
      "--chain-id": "chainId",
      "--genesis": "genesis",
      "--package": "package",
      "--confirmations": "confirmations",
    }[args[i]];
    if (!k) files.push(args[i]);
    else if (Array.isArray(f[k])) f[k].push(k === "ledgerKey" ? fs.readFileSync(value(i++), "utf8") : value(i++));
    else f[k] = value(i++);
  }
  if (f.fingerprint) {
    const p = pinFromProfile(fs.readFileSync(f.fingerprint, "utf8"));
    console.log(
      `trust profile of ${p.organisation}, ${p.site}: ledger ${p.ledgerName}, contract ${p.contract} on chain ${p.chainId} (genesis ${p.genesisHash})\nfingerprint ${p.fingerprint}`,
    );
    return 0;
  }
  if ((files.length !== 1) === !f.package || f.rpc.length === 0)
    throw new Usage(
      "usage: node verify-proof-standalone.js (BUNDLE.json | --package DIR) --rpc URL [--rpc URL ...] [--trust site-trust.json | --chain-id N --contract 0x… --ledger NAME --anchorer 0x… --ledger-key PEM [--genesis 0x…]] [--confirmations N]",
    );
  if (f.trust && (f.contract || f.ledger || f.anchorer.length || f.ledgerKey.length || f.chainId || f.genesis))
    throw new Usage("give either --trust or the explicit values, not both");
  const pin = f.trust ? pinFromProfile(fs.readFileSync(f.trust, "utf8")) : pinFromFlags(f);
  const log = (step, detail) => console.log(`ok   ${step}: ${detail}`);
  const confirmations = f.confirmations === undefined ? 1 : Number(f.confirmations);
  if (!Number.isSafeInteger(confirmations) || confirmations < 1)
    throw new Usage(`--confirmations ${f.confirmations}: want a positive integer`);
  if (pin?.fingerprint)
    console.log(
      `pinned: ${pin.organisation}, ${pin.site}: trust profile ${pin.fingerprint}${pin.development ? " (DEVELOPMENT ledger: never for GxP records)" : ""}`,
    );
  const r = f.package
    ? await verifyPackage(f.package, f.rpc, { pin, log, trustFile: f.trust, confirmations })
    : await verify(fs.readFileSync(files[0], "utf8"), f.rpc, { pin, log, confirmations });
  const b = f.package ? r.bundles.at(-1) : r.bundle;
  const what = f.package
    ? `package ${f.package}: batch ${r.manifest.batchId}, ${r.bundles.length} events`
    : `event ${b.record.event.id}: epoch ${b.epoch}`;
  const facts = `ledger ${b.anchor.ledgerName}, contract ${b.anchor.contract} on chain ${b.anchor.chainId}, anchored by ${b.anchor.anchorer}`;
  if (r.unpinned.length) {
    console.log(
      `UNPINNED ${what}: unchanged and anchored (${facts}), but NOT pinned: ${r.unpinned.join(", ")}; not shown to be the site's ledger (give --trust site-trust.json)`,
    );
    return 6;
  }
  console.log(`VERIFIED (pinned) ${what}: ${pin.organisation ? `${pin.organisation}, ${pin.site}: ` : ""}${facts}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.log(e instanceof Failure ? `FAILED ${e.message}` : e instanceof Usage ? e.message : `ERROR ${e.message}`);
      // 75: the anchor is not yet as deep as --confirmations asks (retry later), as the CLI says it.
      process.exit(
        e instanceof Failure ? (e.step === "finality" ? 75 : 1) : e instanceof Usage || e.code === "ENOENT" ? 2 : 3,
      );
    },
  );
}
