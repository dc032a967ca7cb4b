/**
 * A third verifier of whole bundles, built only from code we did not write: the published JSON
 * Schema compiled by Ajv, RFC 8785 by the `canonicalize` package (by the RFC's author), SHA-256 from
 * node:crypto, the audit path by @sigstore/verify (against the root and size ethers reads from the
 * contract), and the anchor, block and log through ethers. No module of src/ is imported, so a bug in
 * our core cannot hide behind itself.
 */
import Ajv from "ajv";
import canonicalize from "canonicalize";
import { createHash, createPublicKey, verify } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Contract, Interface, JsonRpcProvider, encodeBytes32String, getAddress } from "ethers";
import { sigstoreAcceptsInclusion } from "../core/sigstore-merkle";

const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../docs/proof.schema.json"), "utf8"));
const validate: (data: unknown) => boolean = new Ajv({ allErrors: true }).compile(schema);
const abi = new Interface([
  "function getAnchor(bytes32 ledgerId, uint64 epoch) view returns (tuple(bytes32 root, uint64 treeSize, uint64 firstSeq, uint64 timestamp, uint64 blockNumber))",
  "event EpochAnchored(bytes32 indexed ledgerId, uint64 indexed epoch, address indexed anchorer, bytes32 root, uint64 treeSize, uint64 firstSeq)",
]);

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Resolves when the bundle verifies against the chain behind `provider`; rejects naming why not. */
export async function independentVerify(text: string, provider: JsonRpcProvider): Promise<void> {
  const b = JSON.parse(text) as any;
  if (!validate(b)) throw new Error("schema");
  // Object.fromEntries keeps integer-like keys first; the bundle has none outside record.event data.
  const forms = [JSON.stringify(sorted(b), null, 2) + "\n", canonicalize(b), canonicalize(b) + "\n"];
  if (!forms.includes(text)) throw new Error("canonical form");
  const a = b.anchor;
  if (getAddress(a.contract) !== a.contract || getAddress(a.anchorer) !== a.anchorer)
    throw new Error("address not EIP-55");
  if (encodeBytes32String(a.ledgerName) !== a.ledgerId || a.epoch !== b.epoch) throw new Error("ledger id or epoch");
  const body = Buffer.from(canonicalize(b.record)!, "utf8");
  if (
    "0x" +
      createHash("sha256")
        .update(Buffer.concat([Buffer.of(0), body]))
        .digest("hex") !==
    b.leafHash
  )
    throw new Error("leaf hash");
  if (b.record.seq !== a.firstSeq + b.leafIndex) throw new Error("leaf index");
  // The checkpoint: the ledger key's Ed25519 signature over its label and the RFC 8785 tree head.
  const c = b.checkpoint;
  const spki = Buffer.from(c.publicKey, "base64");
  // One spelling per byte string: Buffer.from ignores the unused low bits of the last character.
  if (
    spki.toString("base64") !== c.publicKey ||
    Buffer.from(c.signature, "base64url").toString("base64url") !== c.signature
  )
    throw new Error("checkpoint base64");
  if (createHash("sha256").update(spki).digest("hex") !== c.keyId) throw new Error("checkpoint key id");
  const head = {
    epoch: b.epoch,
    firstSeq: a.firstSeq,
    keyId: c.keyId,
    ledger: a.ledgerName,
    root: b.root,
    treeSize: b.treeSize,
  };
  const signed = Buffer.from("gxp-ledger checkpoint v1\n" + canonicalize(head), "utf8");
  let ok: boolean;
  try {
    ok = verify(
      null,
      signed,
      createPublicKey({ key: spki, format: "der", type: "spki" }),
      Buffer.from(c.signature, "base64url"),
    );
  } catch {
    ok = false;
  }
  if (!ok) throw new Error("checkpoint signature");
  if ((await provider.getNetwork()).chainId.toString() !== a.chainId) throw new Error("chain id");
  const onChain = await new Contract(a.contract, abi, provider).getAnchor(a.ledgerId, b.epoch).catch(() => null);
  if (!onChain) throw new Error("anchor missing");
  if (onChain.root !== b.root || onChain.treeSize !== BigInt(b.treeSize) || onChain.firstSeq !== BigInt(a.firstSeq))
    throw new Error("anchor differs");
  const path_ = b.auditPath.map((h: string) => Buffer.from(h.slice(2), "hex"));
  if (
    !sigstoreAcceptsInclusion(
      body,
      b.leafIndex,
      Number(onChain.treeSize),
      path_,
      Buffer.from(onChain.root.slice(2), "hex"),
    )
  )
    throw new Error("audit path (sigstore)");
  const receipt = await provider.getTransactionReceipt(a.txHash);
  if (!receipt || receipt.status !== 1 || receipt.blockNumber !== a.blockNumber || receipt.blockHash !== a.blockHash)
    throw new Error("tx block");
  if (receipt.from !== a.anchorer) throw new Error("tx sender is not the anchorer");
  const log = receipt.logs.find((l) => l.index === a.logIndex);
  const ev = log && log.address === a.contract ? abi.parseLog(log) : null;
  if (
    !ev ||
    ev.args.ledgerId !== a.ledgerId ||
    ev.args.epoch !== BigInt(b.epoch) ||
    ev.args.anchorer !== a.anchorer ||
    ev.args.root !== b.root ||
    ev.args.treeSize !== BigInt(b.treeSize) ||
    ev.args.firstSeq !== BigInt(a.firstSeq)
  )
    throw new Error("log");
  const block = await provider.getBlock(a.blockNumber);
  if (
    !block ||
    block.hash !== a.blockHash ||
    block.timestamp !== a.blockTimestamp ||
    !block.transactions.includes(a.txHash)
  )
    throw new Error("block");
}
