/**
 * The outsider's forgery of issue 11, for the verifier tests: a real event's record with a changed
 * value, put into an epoch of the attacker's own, whose root the attacker anchors on the same chain
 * and whose tree head the attacker signs with an Ed25519 key of their own. Either in a look-alike
 * GxpAnchor (the genuine compiled bytecode, deployed by another account, with a ledger of the same
 * name) or in the real contract under another ledger id. The bundle is well formed, internally
 * consistent and truly anchored: only a pin (the site's trust profile) can tell that it is not the
 * site's ledger. Or on a twin chain: a private chain with the same chain id where the same contract
 * address, ledger name and anchoring account can be had with the public development keys; signed
 * with a stolen ledger key, only the pinned genesis block tells it apart.
 */
import fs from "node:fs";
import path from "node:path";
import { KeyObject, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { Contract, ContractFactory, ContractTransactionReceipt, JsonRpcProvider, Log, NonceManager } from "ethers";
import {
  LedgerRecord,
  ProofBundle,
  PROOF_MEDIA_TYPE_V2,
  base64urlEncode,
  bundleToJSON,
  buildLevels,
  checkpointMessage,
  inclusionProofFromLevels,
  keyIdOfSpki,
  ledgerIdOfName,
  recordLeafHash,
  rfc9162,
  toChecksumAddress,
  toHex,
} from "../../src/core";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";

const ARTIFACT = path.resolve(__dirname, "../../artifacts/contracts/GxpAnchor.sol/GxpAnchor.json");

/** Where the forged epoch is anchored. */
export type LookalikeWhere =
  /** A GxpAnchor deployed by the attacker, with a ledger of the genuine name. */
  | { kind: "own contract"; ledgerName?: string }
  /**
   * Another chain with the genuine chain id (a private Anvil): the genuine bytecode deployed by the
   * site's public development admin account at the same nonce, so at the same address, with the
   * genuine ledger name and anchored by the site's development anchorer account. Everything but the
   * genesis block (and the key, unless `signWith` is the site's) is the site's.
   */
  | { kind: "twin chain" }
  /** The site's real contract, under a ledger id the registry admin created for the attacker. */
  | { kind: "other ledger"; contract: string; ledgerName: string };

/** A forged, anchored bundle and who made it. */
export interface Lookalike {
  bundle: ProofBundle;
  /** The bundle's file form. */
  text: string;
  contract: string;
  ledgerName: string;
  /** The attacker's anchoring account. */
  anchorer: string;
  /** The attacker's Ed25519 key id and public key (PEM). */
  keyId: string;
  publicKeyPem: string;
}

/** The development accounts the attacker uses (never the site's admin 0 or anchorer 1). */
export const ATTACKER_ACCOUNT = 7;

/** The genuine record with the first number of its event data changed (the "changed value"). */
export function forgedRecord(r: LedgerRecord): LedgerRecord {
  const f = JSON.parse(JSON.stringify(r)) as LedgerRecord;
  const data = (f.event as { data?: Record<string, unknown> }).data ?? {};
  const k = Object.keys(data).find((x) => typeof data[x] === "number");
  if (!k) throw new Error(`event ${r.event.id} has no number in its data to change`);
  data[k] = (data[k] as number) + 1;
  return f;
}

/**
 * Anchors a forged epoch holding `forgedRecord(genuine.record)` at the genuine epoch number, first
 * sequence number and leaf index (earlier epochs filled with dummy roots, as the contract wants them
 * in order), and writes its version 2 bundle signed by a fresh Ed25519 key.
 */
export async function forgeLookalike(
  rpcUrl: string,
  genuine: ProofBundle,
  where: LookalikeWhere,
  signWith?: KeyObject,
): Promise<Lookalike> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    // One nonce counter per sender: the node's pending count can lag a just-mined transaction.
    const attackerWallet = devWallet(where.kind === "twin chain" ? DEV_ACCOUNT.admin : ATTACKER_ACCOUNT, provider);
    const attacker = new NonceManager(attackerWallet);
    const attackerAddress = attackerWallet.address;
    const anchorerWallet = where.kind === "twin chain" ? devWallet(DEV_ACCOUNT.anchorer, provider) : attackerWallet;
    const artifact = JSON.parse(fs.readFileSync(ARTIFACT, "utf8"));
    let contract: Contract;
    let ledgerName: string;
    if (where.kind !== "other ledger") {
      ledgerName = (where.kind === "own contract" && where.ledgerName) || genuine.anchor.ledgerName;
      const deployed = await new ContractFactory(artifact.abi, artifact.bytecode, attacker).deploy(attackerAddress);
      await deployed.waitForDeployment();
      contract = new Contract(await deployed.getAddress(), artifact.abi, attacker);
      await (await contract.createLedger(ledgerIdOfName(ledgerName), attackerAddress)).wait();
    } else {
      ledgerName = where.ledgerName;
      // The registry admin of the real contract creates a ledger for the attacker (a shared registry).
      const admin = new Contract(
        where.contract,
        artifact.abi,
        new NonceManager(devWallet(DEV_ACCOUNT.admin, provider)),
      );
      await (await admin.createLedger(ledgerIdOfName(ledgerName), attackerAddress)).wait();
      contract = new Contract(where.contract, artifact.abi, attacker);
    }
    const ledgerId = ledgerIdOfName(ledgerName);
    await (await contract.grantRole(await contract.anchorerRole(ledgerId), anchorerWallet.address)).wait();
    if (anchorerWallet !== attackerWallet) contract = contract.connect(new NonceManager(anchorerWallet)) as Contract;

    // Earlier epochs: one leaf each, the last taking up the rest of the sequence numbers.
    const { epoch, firstSeq } = genuine.anchor;
    for (let e = 0; e < epoch; e++) {
      const size = e === epoch - 1 ? firstSeq - (epoch - 1) : 1;
      await (await contract.anchor(ledgerId, e, "0x" + "ee".repeat(31) + "01", size, e)).wait();
    }

    // The forged epoch: the changed record at the genuine leaf index, other leaves arbitrary.
    const record = forgedRecord(genuine.record);
    const leaf = recordLeafHash(record);
    const leaves = Array.from({ length: genuine.treeSize }, (_, i) =>
      i === genuine.leafIndex ? leaf : rfc9162.hashLeaf(Uint8Array.of(0xaa, i)),
    );
    const levels = buildLevels(rfc9162, leaves);
    const root = toHex(levels[levels.length - 1][0]);
    const auditPath = inclusionProofFromLevels(genuine.treeSize, genuine.leafIndex, (l, i) => levels[l][i]).map(toHex);
    const tx = await contract.anchor(ledgerId, epoch, root, genuine.treeSize, firstSeq);
    const receipt = (await tx.wait()) as ContractTransactionReceipt;
    const log = receipt.logs.find(
      (l: Log) =>
        l.address.toLowerCase() === receipt.to!.toLowerCase() &&
        contract.interface.parseLog(l)?.name === "EpochAnchored",
    )!;
    const block = (await provider.getBlock(receipt.blockNumber))!;

    const { publicKey, privateKey } = signWith
      ? { publicKey: createPublicKey(signWith), privateKey: signWith }
      : generateKeyPairSync("ed25519");
    const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    const keyId = keyIdOfSpki(spki)!;
    const head = { ledger: ledgerName, epoch, firstSeq, treeSize: genuine.treeSize, root, keyId };
    const signature = base64urlEncode(new Uint8Array(sign(null, checkpointMessage(head), privateKey)));

    const bundle: ProofBundle = {
      mediaType: PROOF_MEDIA_TYPE_V2,
      record,
      leafHash: toHex(leaf),
      epoch,
      leafIndex: genuine.leafIndex,
      treeSize: genuine.treeSize,
      auditPath,
      root,
      anchor: {
        anchorer: toChecksumAddress(anchorerWallet.address),
        chainId: genuine.anchor.chainId,
        contract: toChecksumAddress(await contract.getAddress()),
        ledgerId,
        ledgerName,
        epoch,
        firstSeq,
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
        blockTimestamp: block.timestamp,
        logIndex: log.index,
      },
      checkpoint: { keyId, publicKey: spki, signature },
    };
    return {
      bundle,
      text: bundleToJSON(bundle),
      contract: bundle.anchor.contract,
      ledgerName,
      anchorer: bundle.anchor.anchorer,
      keyId,
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
  } finally {
    provider.destroy();
  }
}

/** Writes a lookalike's bundle to `file` and returns the path. */
export function writeLookalike(file: string, l: Lookalike): string {
  fs.writeFileSync(file, l.text);
  return file;
}
