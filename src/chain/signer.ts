/**
 * The one place where the ledger builds the account that signs its transactions: the anchorer of
 * `serve`/`anchor` and the ledger admin of `chain …`. Today an encrypted JSON keystore (the documented
 * way) or a raw hex key (development only); a remote signer (a KMS or HSM behind an ethers
 * AbstractSigner) would be one more source here, since everything downstream takes an ethers Signer
 * (docs/operations.md, "Keys").
 */
import { Signer, Wallet } from "ethers";
import { ChainError } from "./errors";
import { passwordOf, readKeystore } from "./keystore";
import { publicDevKeyIndex } from "./dev-keys";

/** Where a signing key comes from, and how to name it in messages (never the key itself). */
export interface SignerSource {
  /** An encrypted JSON keystore file. */
  keystore?: string;
  /** Its password file; without one, the password is asked on the terminal. */
  passwordFile?: string;
  /** A raw hex private key (development only). */
  privateKey?: string;
  /** "anchorer", "ledger admin". */
  role: string;
  /** How the keystore is given ("--anchor-keystore or LEDGER_ANCHOR_KEYSTORE"). */
  keystoreOption: string;
  /** The variable a raw key comes from ("LEDGER_ANCHOR_KEY"). */
  keyVariable: string;
}

/**
 * Chain ids of local development chains (Anvil and Hardhat: 31337; Ganache: 1337), whose funded
 * accounts are the public test mnemonic's: the only chains where `chain …` accepts those keys.
 */
export const DEVELOPMENT_CHAIN_IDS: readonly bigint[] = [31337n, 1337n];

/** True for a local development chain id ({@link DEVELOPMENT_CHAIN_IDS}). */
export function isDevelopmentChainId(chainId: bigint): boolean {
  return DEVELOPMENT_CHAIN_IDS.includes(chainId);
}

/**
 * Builds the signer of `src` (not connected to a provider). A keystore wins over a raw key. A key of
 * the public Hardhat/Anvil test mnemonic is refused unless `allowPublicDevKeys` (a development chain),
 * named by its account, never by its key; `allowedOn` says where such keys are allowed.
 * @throws ChainError CHAIN_NOT_CONFIGURED (no key, an invalid key, a public development key)
 * @throws KeystoreError (unreadable keystore or password file, wrong password, no terminal to ask on)
 */
export async function signerOf(
  src: SignerSource,
  allowPublicDevKeys: boolean,
  allowedOn = "the embedded development chain",
): Promise<Signer> {
  let wallet: Wallet;
  let origin: string;
  if (src.keystore) {
    const password = await passwordOf({
      passwordFile: src.passwordFile,
      what: `the ${src.role} keystore ${src.keystore}`,
    });
    wallet = await readKeystore(src.keystore, password);
    origin = `the ${src.role} keystore ${src.keystore}`;
  } else if (src.privateKey) {
    try {
      wallet = new Wallet(src.privateKey);
    } catch {
      throw new ChainError("CHAIN_NOT_CONFIGURED", `${src.keyVariable} is not a valid private key`);
    }
    origin = src.keyVariable;
  } else {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `no ${src.role} key: give an encrypted keystore (${src.keystoreOption}; \`gxp-ledger key new\` makes one), or for development a raw key in ${src.keyVariable}`,
    );
  }
  // Anyone can sign with the public test mnemonic's keys: on a real chain such a key would let anyone
  // anchor (or pre-empt) this ledger's epochs, or administer its roles.
  const devIndex = publicDevKeyIndex(wallet.privateKey);
  if (devIndex !== undefined && !allowPublicDevKeys) {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `${origin} is account ${devIndex} (${wallet.address}) of the public Hardhat/Anvil test mnemonic, whose keys anyone can use: refused on any chain but ${allowedOn}; give the ${src.role} a key of your own`,
      { address: wallet.address, rule: "public development keys are refused off development chains" },
    );
  }
  return wallet;
}
