/**
 * DEVELOPMENT KEYS ONLY. Hardhat's public test mnemonic: every key derived from it is published and
 * must never hold value or anchor a production ledger. Used by the embedded local chain alone; on any
 * other chain the ledger refuses them ({@link isPublicDevKey}).
 */
import { HDNodeWallet, Mnemonic, Provider, Wallet } from "ethers";

/** Hardhat's public test mnemonic (development only). */
export const DEV_MNEMONIC_PUBLIC = "test test test test test test test test test test test junk";

/** Account roles on the embedded development chain. */
export const DEV_ACCOUNT = { admin: 0, anchorer: 1 } as const;

/** The development wallet at `index` of the public test mnemonic, connected to `provider`. */
export function devWallet(index: number, provider?: Provider): HDNodeWallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC_PUBLIC), `m/44'/60'/0'/0/${index}`);
  return provider ? w.connect(provider) : w;
}

/** How many accounts of the public mnemonic Hardhat and Anvil fund by default (m/44'/60'/0'/0/0..19). */
export const DEV_ACCOUNT_COUNT = 20;

let devAddresses: Map<string, number> | undefined;

/** The addresses of the first {@link DEV_ACCOUNT_COUNT} accounts of the public mnemonic, with their index. */
export function publicDevAddresses(): ReadonlyMap<string, number> {
  if (!devAddresses) {
    const parent = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC_PUBLIC), "m/44'/60'/0'/0");
    devAddresses = new Map(
      Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => [parent.deriveChild(i).address, i] as const),
    );
  }
  return devAddresses;
}

/**
 * The index of `privateKey` among the first {@link DEV_ACCOUNT_COUNT} accounts of the public test
 * mnemonic (Hardhat's and Anvil's default accounts), or undefined when it is not one of them
 * (compared by address; an invalid key is not one of them).
 */
export function publicDevKeyIndex(privateKey: string): number | undefined {
  let address: string;
  try {
    address = new Wallet(privateKey).address;
  } catch {
    return undefined;
  }
  return publicDevAddresses().get(address);
}
