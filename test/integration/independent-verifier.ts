/**
 * A third verifier of whole bundles, built only from code we did not write: the published JSON
 * Schema compiled by Ajv, RFC 8785 by the `canonicalize` package (by the RFC's author), SHA-256 from
 * node:crypto, the audit path by @sigstore/verify (against the root and size ethers reads from the
 * contract), and the anchor, block and log through ethers. No module of src/ is imported, so a bug in
 * our core cannot hide behind itself.
 */
import Ajv from "ajv";
import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Contract, Interface, JsonRpcProvider, encodeBytes32String, getAddress } from "ethers";
import { sigstoreAcceptsInclusion } from "../core/sigstore-merkle";

const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../docs/proof.schema.json"), "utf8"));
const validate: (data: unknown) => boolean = new Ajv({ allErrors: true }).compile(schema);
const abi = new Interface([
  "function getAnchor(bytes32 ledgerId, uint64 epoch) view returns (tuple(bytes32 root, uint64 treeSize, uint64 firstSeq, uint64 timestamp, uint64 blockNumber))",
  "event EpochAnchored(bytes32 indexed ledgerId, uint64 indexed epoch, bytes32 root, uint64 treeSize, uint64 firstSeq)",
]);

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
  return v;
}

/** Resolves when the bundle verifies against the chain behind `provider`; rejects naming why not. */
export async function independentVerify(text: string, provider: JsonRpcProvider): Promise<void> {
  const b = JSON.parse(text) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!validate(b)) throw new Error("schema");
  // Object.fromEntries keeps integer-like keys first; the bundle has none outside record.event data.
  const forms = [JSON.stringify(sorted(b), null, 2) + "\n", canonicalize(b), canonicalize(b) + "\n"];
  if (!forms.includes(text)) throw new Error("canonical form");
  const a = b.anchor;
  if (getAddress(a.contract) !== a.contract) throw new Error("contract not EIP-55");
  if (encodeBytes32String(a.ledgerName) !== a.ledgerId || a.epoch !== b.epoch) throw new Error("ledger id or epoch");
  const body = Buffer.from(canonicalize(b.record)!, "utf8");
  if ("0x" + createHash("sha256").update(Buffer.concat([Buffer.of(0), body])).digest("hex") !== b.leafHash) throw new Error("leaf hash");
  if (b.record.seq !== a.firstSeq + b.leafIndex) throw new Error("leaf index");
  if ((await provider.getNetwork()).chainId.toString() !== a.chainId) throw new Error("chain id");
  const onChain = await new Contract(a.contract, abi, provider).getAnchor(a.ledgerId, b.epoch).catch(() => null);
  if (!onChain) throw new Error("anchor missing");
  if (onChain.root !== b.root || onChain.treeSize !== BigInt(b.treeSize) || onChain.firstSeq !== BigInt(a.firstSeq)) throw new Error("anchor differs");
  const path_ = b.auditPath.map((h: string) => Buffer.from(h.slice(2), "hex"));
  if (!sigstoreAcceptsInclusion(body, b.leafIndex, Number(onChain.treeSize), path_, Buffer.from(onChain.root.slice(2), "hex"))) throw new Error("audit path (sigstore)");
  const receipt = await provider.getTransactionReceipt(a.txHash);
  if (!receipt || receipt.status !== 1 || receipt.blockNumber !== a.blockNumber || receipt.blockHash !== a.blockHash) throw new Error("tx block");
  const log = receipt.logs.find((l) => l.index === a.logIndex);
  const ev = log && log.address === a.contract ? abi.parseLog(log) : null;
  if (!ev || ev.args.ledgerId !== a.ledgerId || ev.args.epoch !== BigInt(b.epoch) || ev.args.root !== b.root || ev.args.treeSize !== BigInt(b.treeSize) || ev.args.firstSeq !== BigInt(a.firstSeq)) throw new Error("log");
  const block = await provider.getBlock(a.blockNumber);
  if (!block || block.hash !== a.blockHash || block.timestamp !== a.blockTimestamp || !block.transactions.includes(a.txHash)) throw new Error("block");
}
