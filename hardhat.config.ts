import { subtask } from "hardhat/config";
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
