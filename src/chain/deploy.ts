/**
 * Deploying the anchor contract and creating a ledger in it. On the embedded development chain this
 * happens once; the address is kept in the data directory (chain/deployment.json).
 */
import fs from "node:fs";
import path from "node:path";
import { ContractFactory, JsonRpcProvider, Provider, Signer, isError } from "ethers";
import { anchorContract, ledgerIdOf } from "./contract";
import { ChainError } from "./errors";

/** Where the compiled contract is (built by `hardhat compile`, run by `npm ci`/`npm start`). */
export const ARTIFACT_PATH = path.resolve(__dirname, "../../artifacts/contracts/GxpAnchor.sol/GxpAnchor.json");

/** What the data directory remembers of a deployment. */
export interface Deployment {
  chainId: string;
  contract: string;
  ledgerName: string;
  ledgerId: string;
  rpcUrl: string;
  deployTx: string;
  deployBlock: number;
  admin: string;
  anchorer: string;
  development: boolean;
}

/** Path of the deployment file in a data directory. */
export function deploymentFile(dataDir: string): string {
  return path.join(dataDir, "chain", "deployment.json");
}

/** Reads the deployment file, if any. */
export function readDeployment(dataDir: string): Deployment | undefined {
  const f = deploymentFile(dataDir);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Deployment) : undefined;
}

/** Writes the deployment file atomically. */
export function writeDeployment(dataDir: string, d: Deployment): void {
  const f = deploymentFile(dataDir);
  fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
  fs.rmSync(f + ".tmp", { force: true }); // a leftover keeps its old mode: start afresh
  fs.writeFileSync(f + ".tmp", JSON.stringify(d, null, 2) + "\n", { mode: 0o600 }); // owner only (issue 12 item 8)
  fs.renameSync(f + ".tmp", f);
}

function loadArtifact(): { abi: unknown[]; bytecode: string } {
  if (!fs.existsSync(ARTIFACT_PATH)) {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `contract artifact missing at ${ARTIFACT_PATH}: run \`npm run build\``,
    );
  }
  return JSON.parse(fs.readFileSync(ARTIFACT_PATH, "utf8"));
}

/** Creation code that runs PUSH0 (EIP-3855, new in Shanghai) and stops: PUSH0, STOP. */
const PUSH0_PROBE = "0x5f00";

/**
 * True when the chain's EVM runs PUSH0, which the contract needs (compiled for EVM version shanghai).
 * Simulates the creation of a two-byte contract with eth_call, so nothing is sent.
 * @throws whatever the provider throws other than a failed call (an unreachable endpoint, say)
 */
export async function supportsPush0(provider: Provider): Promise<boolean> {
  try {
    await provider.call({ data: PUSH0_PROBE });
    return true;
  } catch (e) {
    if (isError(e, "CALL_EXCEPTION")) return false;
    throw e;
  }
}

/**
 * Deploys GxpAnchor with `admin` holding DEFAULT_ADMIN_ROLE, creates ledger `ledgerName` administered
 * by `admin`, and grants its anchorer role to `anchorer`. Least privilege: the anchorer key can anchor
 * this one ledger and nothing else.
 * @throws ChainError CHAIN_EVM_UNSUPPORTED when the deployment fails on a chain without PUSH0
 */
export async function deployLedger(
  admin: Signer,
  anchorer: string,
  ledgerName: string,
): Promise<{ contract: string; deployTx: string; deployBlock: number; ledgerId: string }> {
  const adminAddr = await admin.getAddress();
  const { contract: address, deployTx, deployBlock } = await deployAnchorContract(admin, adminAddr);
  const ledgerId = ledgerIdOf(ledgerName);
  const ac = anchorContract(address, admin);
  await (await ac.raw.createLedger(ledgerId, adminAddr)).wait(1);
  const role = await ac.raw.anchorerRole(ledgerId);
  await (await ac.raw.grantRole(role, anchorer)).wait(1);
  return { contract: address, deployTx, deployBlock, ledgerId };
}

/**
 * Deploys GxpAnchor from `deployer` with `admin` holding DEFAULT_ADMIN_ROLE (it creates ledgers), and
 * waits for one confirmation.
 * @throws ChainError CHAIN_EVM_UNSUPPORTED when the deployment fails on a chain without PUSH0
 */
export async function deployAnchorContract(
  deployer: Signer,
  admin: string,
): Promise<{ contract: string; deployTx: string; deployBlock: number }> {
  const art = loadArtifact();
  const factory = new ContractFactory(art.abi as never, art.bytecode, deployer);
  const c = await factory.deploy(admin).catch(async (e: unknown) => {
    // A pre-Shanghai EVM stops at the first PUSH0 as an invalid opcode, which nodes report as a
    // failed call without revert data: say what it is.
    if (isError(e, "CALL_EXCEPTION") && deployer.provider && !(await supportsPush0(deployer.provider))) {
      throw new ChainError(
        "CHAIN_EVM_UNSUPPORTED",
        "the chain's EVM has no PUSH0 (EIP-3855): the anchor contract is compiled for EVM version shanghai, so the chain needs the Shanghai upgrade or later",
      );
    }
    throw e;
  });
  const deployReceipt = await c.deploymentTransaction()!.wait(1);
  return { contract: await c.getAddress(), deployTx: deployReceipt!.hash, deployBlock: deployReceipt!.blockNumber };
}

/** True when the contract of a deployment is on the chain and knows the ledger. */
export async function deploymentPresent(provider: JsonRpcProvider, d: Deployment): Promise<boolean> {
  if ((await provider.getCode(d.contract)) === "0x") return false;
  const state = await anchorContract(d.contract, provider).ledgerState(d.ledgerId);
  return state.exists;
}
