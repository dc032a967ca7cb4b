/**
 * The site's chain record: what `chain deploy`, `chain create-ledger`, `chain grant-anchorer` and
 * `chain revoke-anchorer` did, kept by the operator as the inputs of the site's trust profile (chain
 * id and genesis block, contract and its deployment, ledger id and admin, every anchoring account
 * with the block and time it was granted and revoked). Public data only: no key, no RPC URL.
 */
import fs from "node:fs";
import path from "node:path";
import { ChainError } from "./errors";

/** Media type of the chain record, version 1. */
export const CHAIN_RECORD_MEDIA_TYPE_V1 = "application/vnd.gxp-ledger.chain-record+json;version=1";

/** Default file name of the chain record (in the working directory). */
export const DEFAULT_CHAIN_RECORD = "gxp-chain.json";

/** One transaction the record refers to. */
export interface RecordedTx {
  tx: string;
  block: number;
  /** The block's time, RFC 3339 UTC. */
  at: string;
  /** The account that sent it. */
  by: string;
}

/** An anchoring account of a ledger, with when it got and lost the role. */
export interface RecordedAnchorer {
  address: string;
  granted: RecordedTx;
  revoked: RecordedTx | null;
}

/** A ledger created in the contract. */
export interface RecordedLedger {
  name: string;
  id: string;
  admin: string;
  created: RecordedTx;
  anchorers: RecordedAnchorer[];
}

/** The chain record file. */
export interface ChainRecord {
  mediaType: typeof CHAIN_RECORD_MEDIA_TYPE_V1;
  chainId: string;
  genesisHash: string;
  /** True on a local development chain (chain id 31337 or 1337): never for GxP records. */
  development: boolean;
  contract: string;
  /** The account holding DEFAULT_ADMIN_ROLE (creates ledgers). */
  contractAdmin: string;
  deployed: RecordedTx;
  ledgers: RecordedLedger[];
}

/**
 * Reads the record in `file`, or undefined when there is none.
 * @throws ChainError CHAIN_NOT_CONFIGURED when the file is not a chain record
 */
export function readChainRecord(file: string): ChainRecord | undefined {
  if (!fs.existsSync(file)) return undefined;
  let r: ChainRecord;
  try {
    r = JSON.parse(fs.readFileSync(file, "utf8")) as ChainRecord;
  } catch {
    throw new ChainError("CHAIN_NOT_CONFIGURED", `${file} is not JSON: not a chain record`, { file });
  }
  if (r?.mediaType !== CHAIN_RECORD_MEDIA_TYPE_V1 || !Array.isArray(r.ledgers)) {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `${file} is not a chain record (mediaType ${CHAIN_RECORD_MEDIA_TYPE_V1})`,
      { file },
    );
  }
  return r;
}

/** Writes the record atomically (a temporary file renamed over it). */
export function writeChainRecord(file: string, r: ChainRecord): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, JSON.stringify(r, null, 2) + "\n", { flag: "wx" });
  fs.renameSync(tmp, file);
}

/** The record's ledger named `name`, if recorded. */
export function recordedLedger(r: ChainRecord, name: string): RecordedLedger | undefined {
  return r.ledgers.find((l) => l.name === name);
}

/**
 * Checks that a record describes the chain and contract in use, so one file never mixes two.
 * @throws ChainError CHAIN_ID_MISMATCH naming both
 */
export function assertRecordMatches(
  r: ChainRecord,
  file: string,
  chainId: bigint,
  genesisHash: string,
  contract: string,
): void {
  if (
    r.chainId !== chainId.toString() ||
    r.genesisHash !== genesisHash ||
    r.contract.toLowerCase() !== contract.toLowerCase()
  ) {
    throw new ChainError(
      "CHAIN_ID_MISMATCH",
      `${file} records contract ${r.contract} on chain ${r.chainId} (genesis ${r.genesisHash}); in use: contract ${contract} on chain ${chainId} (genesis ${genesisHash}): give --record another file`,
      { file },
    );
  }
}
