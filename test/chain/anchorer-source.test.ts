/**
 * Where serve and anchor take the anchorer's key from: --anchor-keystore over LEDGER_ANCHOR_KEYSTORE,
 * its password file likewise, and a raw LEDGER_ANCHOR_KEY for development (the keystore wins).
 */
import { expect } from "chai";
import { buildConfig } from "../../src/service/app/config";
import { anchorerSource } from "../../src/service/app/chain-context";

describe("anchorerSource", () => {
  it("takes the keystore and its password file from the flags over the environment", () => {
    const env = {
      LEDGER_ANCHOR_KEYSTORE: "/etc/env-key.json",
      LEDGER_ANCHOR_KEYSTORE_PASSWORD_FILE: "/run/env.pw",
      LEDGER_ANCHOR_KEY: "0xraw",
    };
    expect(anchorerSource(buildConfig({}, env, "/"))).to.deep.include({
      keystore: "/etc/env-key.json",
      passwordFile: "/run/env.pw",
      privateKey: "0xraw",
      role: "anchorer",
    });
    const flags = { anchorKeystore: "flag-key.json", anchorKeystorePasswordFile: "flag.pw" };
    expect(anchorerSource(buildConfig(flags, env, "/"))).to.deep.include({
      keystore: "flag-key.json",
      passwordFile: "flag.pw",
    });
    expect(anchorerSource(buildConfig({}, {}, "/"))).to.deep.include({
      keystore: undefined,
      passwordFile: undefined,
      privateKey: undefined,
    });
  });
});
