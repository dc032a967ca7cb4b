/**
 * DEVELOPMENT KEYS ONLY. Hardhat's public test mnemonic: every key derived from it is published and
 * must never hold value or anchor a production ledger. Used by the embedded local chain alone.
 */
import { HDNodeWallet, Mnemonic, Provider } from "ethers";

/** Hardhat's public test mnemonic (development only). */
export const DEV_MNEMONIC_PUBLIC = "test test test test test test test test test test test junk";

/** Account roles on the embedded development chain. */
export const DEV_ACCOUNT = { admin: 0, anchorer: 1 } as const;

/** The development wallet at `index` of the public test mnemonic, connected to `provider`. */
export function devWallet(index: number, provider?: Provider): HDNodeWallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC_PUBLIC), `m/44'/60'/0'/0/${index}`);
  return provider ? w.connect(provider) : w;
}
