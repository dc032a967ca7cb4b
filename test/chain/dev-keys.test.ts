import { expect } from "chai";
import { HDNodeWallet, Mnemonic, Wallet } from "ethers";
import {
  DEV_ACCOUNT_COUNT,
  DEV_MNEMONIC_PUBLIC,
  devWallet,
  publicDevAddresses,
  publicDevKeyIndex,
} from "../../src/chain/dev-keys";

describe("publicDevKeyIndex", () => {
  it("finds each of the first 20 keys of the public test mnemonic, with its index", () => {
    for (let i = 0; i < DEV_ACCOUNT_COUNT; i++)
      expect(publicDevKeyIndex(devWallet(i).privateKey), `account ${i}`).to.equal(i);
  });
  it("matches Hardhat's and Anvil's published default accounts 0 and 19", () => {
    expect(publicDevKeyIndex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")).to.equal(0);
    expect(publicDevAddresses().get("0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199")).to.equal(19);
  });
  it("does not flag account 20 of the mnemonic, a random key or an invalid key", () => {
    const twenty = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC_PUBLIC), "m/44'/60'/0'/0/20");
    expect(publicDevKeyIndex(twenty.privateKey)).to.equal(undefined);
    expect(publicDevKeyIndex(Wallet.createRandom().privateKey)).to.equal(undefined);
    expect(publicDevKeyIndex("0x1234")).to.equal(undefined);
  });
});
