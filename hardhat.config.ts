import { subtask, task } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-chai-matchers";

// The solc version shipped by the pinned `solc` npm package. Hardhat cannot download compilers on this
// network, so compile with solc-js (a WebAssembly build) from node_modules instead.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

// Chain administration as Hardhat tasks, for those who keep the admin account in a Hardhat network
// configuration: thin wrappers over src/chain/admin.ts (what `gxp-ledger chain …` runs), signed by the
// network's first account. Loaded only when a task runs, so compiling and testing stay as fast.
const RECORD_HELP = "the site's chain record to write (default gxp-chain.json)";
const admin = () => import("./src/chain/admin");
const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));

task("gxp:deploy", "deploy the GxpAnchor contract and write a new chain record")
  .addOptionalParam("admin", "the account holding DEFAULT_ADMIN_ROLE (default: the signer)")
  .addOptionalParam("record", RECORD_HELP, "gxp-chain.json")
  .setAction(async (a: { admin?: string; record: string }, hre) => {
    const [signer] = await hre.ethers.getSigners();
    print((await (await admin()).deployContract(signer, a.record, a.admin)).record);
  });

task("gxp:create-ledger", "create a ledger with its ledger admin")
  .addParam("name", "the ledger name")
  .addOptionalParam("admin", "the ledger admin (default: the signer)")
  .addOptionalParam("contract", "the anchor contract (default: the chain record's)")
  .addOptionalParam("record", RECORD_HELP, "gxp-chain.json")
  .setAction(async (a: { name: string; admin?: string; contract?: string; record: string }, hre) => {
    const [signer] = await hre.ethers.getSigners();
    const m = await admin();
    print(await m.createLedger(signer, await contractOf(a), a.name, a.record, a.admin));
  });

for (const grant of [true, false]) {
  task(
    grant ? "gxp:grant-anchorer" : "gxp:revoke-anchorer",
    grant ? "grant a ledger's anchorer role" : "revoke a ledger's anchorer role",
  )
    .addParam("name", "the ledger name")
    .addParam("account", "the anchoring account")
    .addOptionalParam("contract", "the anchor contract (default: the chain record's)")
    .addOptionalParam("record", RECORD_HELP, "gxp-chain.json")
    .setAction(async (a: { name: string; account: string; contract?: string; record: string }, hre) => {
      const [signer] = await hre.ethers.getSigners();
      print(await (await admin()).setAnchorer(signer, await contractOf(a), a.name, a.account, grant, a.record));
    });
}

task("gxp:show", "what the anchor contract holds: admins, ledgers, roles, anchors, last epoch")
  .addOptionalParam("contract", "the anchor contract (default: the chain record's)")
  .addOptionalParam("record", RECORD_HELP, "gxp-chain.json")
  .setAction(async (a: { contract?: string; record: string }, hre) => {
    const [signer] = await hre.ethers.getSigners();
    print(await (await admin()).chainOverview(signer.provider, await contractOf(a)));
  });

async function contractOf(a: { contract?: string; record: string }): Promise<string> {
  const { readChainRecord } = await import("./src/chain/chain-record");
  const c = a.contract ?? readChainRecord(a.record)?.contract;
  if (!c) throw new Error(`no contract: pass --contract, or run gxp:deploy first (it writes ${a.record})`);
  return c;
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      // Shanghai: lagging EVM chains (Ganache 7.9, some L2s and private chains) reject Cancun opcodes.
      evmVersion: "shanghai",
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  paths: { sources: "contracts", tests: "test/contracts", artifacts: "artifacts", cache: "cache" },
  mocha: { timeout: 60_000 },
};

export default config;
