import { expect } from "chai";
import path from "node:path";
import { buildConfig, ConfigError } from "../../src/service/app/config";

describe("buildConfig", () => {
  it("uses the documented defaults with nothing set", () => {
    const c = buildConfig({}, {}, "/srv");
    expect(c).to.deep.include({
      dataDir: path.resolve("/srv/data"),
      host: "127.0.0.1",
      port: 8080,
      chainPort: 8545,
      ledgerName: "default",
      confirmations: 1,
    });
    expect(c.rpcUrl).to.equal(undefined);
    expect(c.seal).to.deep.equal({ maxEvents: 10_000, maxAgeMs: 60_000 });
  });
  it("takes the environment over defaults and flags over the environment", () => {
    const env = { PORT: "9000", LEDGER_DATA_DIR: "/var/ledger", LEDGER_EPOCH_MAX_EVENTS: "500" };
    expect(buildConfig({}, env, "/srv")).to.deep.include({ port: 9000, dataDir: "/var/ledger" });
    const c = buildConfig({ port: "9100", dataDir: "d" }, env, "/srv");
    expect(c).to.deep.include({ port: 9100, dataDir: "/srv/d" });
    expect(c.seal.maxEvents).to.equal(500);
  });
  it("defaults to 6 confirmations on an external chain", () => {
    expect(buildConfig({ rpc: "http://127.0.0.1:1" }, {}, "/").confirmations).to.equal(6);
  });
  it("reads the anchor stuck timeout from --anchor-stuck-timeout over LEDGER_ANCHOR_STUCK_SECONDS, the retry ceiling from LEDGER_ANCHOR_RETRY_MAX_SECONDS and the fee ceiling from LEDGER_ANCHOR_MAX_FEE_GWEI", () => {
    expect(buildConfig({}, {}, "/")).to.include({ anchorStuckMs: 180_000, anchorRetryMaxMs: 60_000 });
    const env = { LEDGER_ANCHOR_STUCK_SECONDS: "45", LEDGER_ANCHOR_RETRY_MAX_SECONDS: "10" };
    expect(buildConfig({}, env, "/")).to.include({ anchorStuckMs: 45_000, anchorRetryMaxMs: 10_000 });
    expect(buildConfig({ anchorStuckTimeout: "5" }, env, "/").anchorStuckMs).to.equal(5_000);
    expect(() => buildConfig({ anchorStuckTimeout: "0" }, {}, "/")).to.throw(ConfigError, /anchor stuck timeout/);
    expect(buildConfig({}, {}, "/").anchorMaxFeeWei).to.equal(undefined);
    expect(buildConfig({}, { LEDGER_ANCHOR_MAX_FEE_GWEI: "250" }, "/").anchorMaxFeeWei).to.equal(250_000_000_000n);
    expect(() => buildConfig({}, { LEDGER_ANCHOR_MAX_FEE_GWEI: "1.5" }, "/")).to.throw(ConfigError, /anchor max fee/);
  });
  it("names a bad value", () => {
    expect(() => buildConfig({ port: "80a" }, {}, "/")).to.throw(ConfigError, /port/);
    expect(() => buildConfig({}, { LEDGER_NAME: "a name with spaces" }, "/")).to.throw(ConfigError, /ledger name/);
  });
});
