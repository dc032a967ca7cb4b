/**
 * What the service checks at start before it serves or anchors anything (issue 11 item 5): the
 * ledger's pin (chain id, genesis block hash, contract, ledger id), recorded at the first start and
 * compared at every later one, and the ledger key's registration on chain.
 *
 * A development ledger (the embedded chain) may lose its whole chain after a hard kill before Anvil
 * wrote its state file: the next start gets a new chain with a new genesis block, and the contract is
 * deployed again at the same address (same deployer, same nonce). Only then, when the pin is a
 * development pin, the chain id, contract and ledger id are unchanged and the pinned genesis block is
 * no longer the chain's block 0, is the ledger re-pinned: a new ledger_pin row with the reason and a
 * `ledger.repinned` security event. Any other difference refuses to start, naming both sides.
 */
import { Contract, JsonRpcProvider, Signer } from "ethers";
import { anchorContract } from "../../chain/contract";
import { devWallet, DEV_ACCOUNT } from "../../chain/dev-keys";
import { StoreError } from "../../store/errors";
import {
  currentPin,
  insertKeyRegistration,
  insertPin,
  keyRegistration,
  LedgerPin,
  StoredPin,
} from "../../store/pin-store";
import { providerTransport } from "../../chain/verify-anchor";
import { Deployment } from "../../chain/deploy";
import { Ledger } from "../app/ledger";
import { SecurityRecorder } from "./security";
import { anchorPinFinding, genesisHashOf, pinText } from "./pin-check";

/** The chain as the service opened it (the part of ChainContext the pin needs). */
export interface PinnedChain {
  provider: JsonRpcProvider;
  chainId: bigint;
  ledgerId: string;
  deployment: Deployment;
}

/** What ensureLedgerPin did. */
export type PinOutcome = { action: "pinned" | "checked" | "repinned"; pin: StoredPin };

/** The hash of block 0 of a provider's chain. */
export async function genesisOfProvider(provider: JsonRpcProvider): Promise<string> {
  const h = await genesisHashOf(providerTransport(provider));
  if (!h) throw new StoreError("LEDGER_PIN_MISMATCH", "the chain has no block 0: cannot pin it");
  return h;
}

/**
 * Records the pin at the first start, or checks it at a later one.
 * @throws StoreError LEDGER_PIN_MISMATCH naming the pinned and the offered chain, genesis, contract
 *   or ledger id, or an anchors row recorded before the first pin that names another contract
 */
export async function ensureLedgerPin(
  ledger: Ledger,
  chain: PinnedChain,
  security: SecurityRecorder,
  now: () => Date = () => new Date(),
): Promise<PinOutcome> {
  const d = chain.deployment;
  const want: LedgerPin = {
    chainId: chain.chainId.toString(),
    genesisHash: await genesisOfProvider(chain.provider),
    contract: d.contract,
    ledgerId: chain.ledgerId.toLowerCase(),
    ledgerName: d.ledgerName,
    development: d.development,
  };
  const pin = currentPin(ledger.db);
  if (!pin) {
    // A ledger that anchored before it kept a pin: its anchors must all be in the contract pinned now.
    const rows = ledger.db
      .prepare<
        [],
        { id: number; epoch: number; chain_id: string; contract: string; ledger_id: string; tx_hash: string }
      >("SELECT id, epoch, chain_id, contract, ledger_id, tx_hash FROM anchors ORDER BY id")
      .all();
    const stored = { ...want, id: 0, pinnedAt: "", reason: "" };
    const bad = rows
      .map((r) =>
        anchorPinFinding(stored, {
          id: r.id,
          epoch: r.epoch,
          chainId: r.chain_id,
          contract: r.contract,
          ledgerId: r.ledger_id,
          txHash: r.tx_hash,
        }),
      )
      .filter((f) => f !== undefined);
    if (bad.length) {
      throw new StoreError(
        "LEDGER_PIN_MISMATCH",
        `refusing to pin ${pinText(want)}: ${bad.length} recorded anchors are elsewhere: ${bad
          .slice(0, 5)
          .map((f) => f!.message)
          .join("; ")}`,
      );
    }
    const at = now().toISOString();
    insertPin(ledger.db, want, at, "first start");
    security.record("ledger.pinned", {
      chainId: want.chainId,
      genesisHash: want.genesisHash,
      contract: want.contract,
      ledgerId: want.ledgerId,
      ledgerName: want.ledgerName,
      development: want.development,
    });
    return { action: "pinned", pin: currentPin(ledger.db)! };
  }
  const diffs: string[] = [];
  if (pin.chainId !== want.chainId) diffs.push(`chain id ${want.chainId} (pinned ${pin.chainId})`);
  if (pin.contract.toLowerCase() !== want.contract.toLowerCase())
    diffs.push(`contract ${want.contract} (pinned ${pin.contract})`);
  if (pin.ledgerId.toLowerCase() !== want.ledgerId)
    diffs.push(`ledger id ${want.ledgerId} "${want.ledgerName}" (pinned ${pin.ledgerId} "${pin.ledgerName}")`);
  const genesisDiffers = pin.genesisHash.toLowerCase() !== want.genesisHash;
  if (!diffs.length && !genesisDiffers) return { action: "checked", pin };
  if (!diffs.length && genesisDiffers && pin.development && want.development) {
    // The development chain was reset (see the file comment): same contract and ledger id on a new chain.
    const at = now().toISOString();
    const reason = `development chain reset: genesis ${pin.genesisHash} is gone, the chain now starts at ${want.genesisHash}; same chain id, contract and ledger id`;
    insertPin(ledger.db, want, at, reason);
    security.record("ledger.repinned", {
      chainId: want.chainId,
      previousGenesisHash: pin.genesisHash,
      genesisHash: want.genesisHash,
      contract: want.contract,
      ledgerId: want.ledgerId,
      development: true,
      reason,
    });
    return { action: "repinned", pin: currentPin(ledger.db)! };
  }
  if (genesisDiffers)
    diffs.push(`genesis block ${want.genesisHash} (pinned ${pin.genesisHash}: another chain with the same id)`);
  throw new StoreError(
    "LEDGER_PIN_MISMATCH",
    `this data directory is pinned to ${pinText(pin)}, genesis ${pin.genesisHash}; refusing to start on ${diffs.join(", ")}`,
    { pinned: pin, offered: want },
  );
}

/**
 * The contract, connected to the account that registers the ledger key: the ledger admin's public
 * development key on the embedded chain (so that the anchorer account sends anchors only, and a reset
 * development chain sees them again at the nonces it saw them before), else the anchorer (the one
 * key a production ledger holds; the contract lets it register keys).
 */
export function keyRegistrar(chain: PinnedChain & { signer: Signer; contract: { raw: Contract } }): Contract {
  if (!chain.deployment.development) return chain.contract.raw;
  return anchorContract(chain.deployment.contract, devWallet(DEV_ACCOUNT.admin, chain.provider)).raw;
}

/** A key's on-chain registration as recorded. */
export interface KeyRegistrationOutcome {
  keyId: string;
  txHash: string;
  /** False when it was registered before (nothing sent). */
  sent: boolean;
}

/**
 * Registers the ledger key's id on chain (`registerLedgerKey(ledgerId, keyId)` from the anchorer
 * account) once per key and pin, and records the transaction and a `ledger.key.registered` security
 * event. `contract` must be connected to the anchorer signer.
 * @throws what the chain throws (the caller decides whether to go on and retry at the next start)
 */
export async function registerLedgerKeyOnChain(
  ledger: Ledger,
  pin: StoredPin,
  keyId: string,
  contract: Contract,
  security: SecurityRecorder,
  now: () => Date = () => new Date(),
): Promise<KeyRegistrationOutcome> {
  const done = keyRegistration(ledger.db, keyId, pin);
  if (done) return { keyId, txHash: done.txHash, sent: false };
  const target = String(await contract.getAddress());
  if (target.toLowerCase() !== pin.contract.toLowerCase()) {
    throw new StoreError(
      "LEDGER_PIN_MISMATCH",
      `refusing to register the ledger key in contract ${target}: the pinned contract is ${pin.contract}`,
    );
  }
  const tx = await contract.registerLedgerKey(pin.ledgerId, "0x" + keyId);
  // Bounded: a start must not hang on a chain that does not mine (the next start sends it again).
  const receipt = await tx.wait(1, 60_000);
  insertKeyRegistration(ledger.db, {
    keyId,
    chainId: pin.chainId,
    genesisHash: pin.genesisHash,
    contract: pin.contract,
    ledgerId: pin.ledgerId,
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    registeredAt: now().toISOString(),
  });
  security.record("ledger.key.registered", {
    keyId,
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    chainId: pin.chainId,
    contract: pin.contract,
    ledgerId: pin.ledgerId,
  });
  return { keyId, txHash: receipt.hash, sent: true };
}
