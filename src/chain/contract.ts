/**
 * Typed access to the anchor contract over ethers v6.
 */
import { Contract, ContractRunner, Interface, encodeBytes32String, decodeBytes32String, isHexString } from "ethers";
import { isLedgerName, LEDGER_NAME_RULE } from "../core/ledger-name";
import { GXP_ANCHOR_ABI } from "./abi";

/** The contract's Interface (ABI coder). */
export const anchorInterface = new Interface(GXP_ANCHOR_ABI);

/** An epoch's anchor as the contract returns it. */
export interface OnChainAnchor {
  root: string;
  treeSize: bigint;
  firstSeq: bigint;
  timestamp: bigint;
  blockNumber: bigint;
}

/** The subset of the contract the ledger calls, typed. */
export interface AnchorContract {
  address: string;
  raw: Contract;
  ledgerState(ledgerId: string): Promise<{ exists: boolean; nextEpoch: bigint; nextSeq: bigint }>;
  /** The anchor of an epoch, or undefined when the contract has none. */
  getAnchor(ledgerId: string, epoch: number): Promise<OnChainAnchor | undefined>;
  verifyInclusion(ledgerId: string, epoch: number, leafHash: string, index: number, proof: string[]): Promise<boolean>;
}

/** Binds the contract at `address` to a provider or signer. */
export function anchorContract(address: string, runner: ContractRunner): AnchorContract {
  const raw = new Contract(address, anchorInterface, runner);
  return {
    address,
    raw,
    async ledgerState(ledgerId) {
      const [exists, nextEpoch, nextSeq] = await raw.ledgerState(ledgerId);
      return { exists, nextEpoch, nextSeq };
    },
    async getAnchor(ledgerId, epoch) {
      try {
        const a = await raw.getAnchor(ledgerId, epoch);
        return {
          root: a.root,
          treeSize: a.treeSize,
          firstSeq: a.firstSeq,
          timestamp: a.timestamp,
          blockNumber: a.blockNumber,
        };
      } catch (e) {
        const err = e as { revert?: { name?: string } };
        if (err.revert?.name === "GxpAnchorEpochNotAnchored") return undefined;
        throw e;
      }
    },
    async verifyInclusion(ledgerId, epoch, leafHash, index, proof) {
      return raw.verifyInclusion(ledgerId, epoch, leafHash, index, proof);
    },
  };
}

/**
 * The on-chain id of a ledger: its name as a bytes32 string (readable on any block explorer).
 * @throws Error when the name is empty or longer than 31 bytes
 */
export function ledgerIdOf(name: string): string {
  if (!isLedgerName(name)) {
    throw new Error(`ledger name ${JSON.stringify(name)}: want ${LEDGER_NAME_RULE}`);
  }
  return encodeBytes32String(name);
}

/** The ledger name back from its id, when it is a bytes32 string. */
export function ledgerNameOf(id: string): string | undefined {
  if (!isHexString(id, 32)) return undefined;
  try {
    return decodeBytes32String(id);
  } catch {
    return undefined;
  }
}
