/**
 * Getting a chain to anchor on. With no chain configured, the embedded development chain is started
 * (or reused), the contract deployed once with the public development keys, and the address kept in
 * the data directory. With an RPC URL, the configured contract and anchorer key are used and checked.
 */
import { JsonRpcProvider, Signer } from "ethers";
import { connect, redactUrl } from "../../chain/provider";
import { ChainError } from "../../chain/errors";
import { anchorContract, AnchorContract, ledgerIdOf } from "../../chain/contract";
import { Deployment, deployLedger, deploymentPresent, readDeployment, writeDeployment } from "../../chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../chain/dev-keys";
import { signerOf, SignerSource } from "../../chain/signer";
import { confirmationsWarning, finalityOf } from "../../chain/finality";
import { startEmbeddedChain, EmbeddedChain } from "../../chain/embedded-chain";
import { createAnchorer, Anchorer, AnchorerDeps } from "../../chain/anchorer";
import { Ledger } from "./ledger";
import { LedgerConfig } from "./config";

/** A chain the ledger can anchor on. */
export interface ChainContext {
  provider: JsonRpcProvider;
  chainId: bigint;
  signer: Signer;
  contract: AnchorContract;
  ledgerId: string;
  deployment: Deployment;
  embedded?: EmbeddedChain;
  close(): Promise<void>;
}

type Log = (level: "debug" | "info" | "warn", msg: string, info?: Record<string, unknown>) => void;

/**
 * Opens the chain for a process that anchors (serve, anchor). On an external chain, a key of the
 * public test mnemonic is refused, and confirmations below the chain's finality are warned of.
 * @throws ChainError CHAIN_UNREACHABLE, CHAIN_NOT_CONFIGURED (also for a public development key), CHAIN_ID_MISMATCH
 */
export async function openAnchoringChain(config: LedgerConfig, log: Log): Promise<ChainContext> {
  return config.rpcUrl ? openExternal(config, log) : openEmbedded(config, log);
}

async function openEmbedded(config: LedgerConfig, log: Log): Promise<ChainContext> {
  const embedded = await startEmbeddedChain({
    dataDir: config.dataDir,
    host: config.chainHost,
    port: config.chainPort,
    // Anvil's own output (RPC calls, account list) only at debug level.
    log: (m: string) => log(m.startsWith("anvil: ") ? "debug" : "info", m),
  });
  try {
    const { provider, chainId } = await connect(embedded.rpcUrl, { pollingIntervalMs: 200 });
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    const anchorer = devWallet(DEV_ACCOUNT.anchorer, provider);
    let d = readDeployment(config.dataDir);
    if (d && d.ledgerName !== config.ledgerName) {
      throw new ChainError(
        "CHAIN_NOT_CONFIGURED",
        `data directory holds ledger ${d.ledgerName}, configured ledger is ${config.ledgerName}`,
      );
    }
    if (!d || d.chainId !== chainId.toString() || !(await deploymentPresent(provider, d))) {
      if (d)
        log(
          "warn",
          "the embedded chain lost the contract (hard stop before its state was saved): deploying again; lost anchors will be re-sent",
          { contract: d.contract },
        );
      const r = await deployLedger(admin, anchorer.address, config.ledgerName);
      d = {
        chainId: chainId.toString(),
        contract: r.contract,
        ledgerName: config.ledgerName,
        ledgerId: r.ledgerId,
        rpcUrl: embedded.rpcUrl,
        deployTx: r.deployTx,
        deployBlock: r.deployBlock,
        admin: admin.address,
        anchorer: anchorer.address,
        development: true,
      };
      log("info", "anchor contract deployed on the embedded development chain", { contract: d.contract });
    }
    d = { ...d, rpcUrl: embedded.rpcUrl };
    writeDeployment(config.dataDir, d);
    return {
      provider,
      chainId,
      signer: anchorer,
      contract: anchorContract(d.contract, anchorer),
      ledgerId: d.ledgerId,
      deployment: d,
      embedded,
      async close() {
        provider.destroy();
        await embedded.stop();
      },
    };
  } catch (e) {
    await embedded.stop();
    throw e;
  }
}

async function openExternal(config: LedgerConfig, log: Log): Promise<ChainContext> {
  const rpcUrl = config.rpcUrl!;
  if (!config.contract)
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      "an external chain needs the anchor contract address: --contract or LEDGER_CONTRACT",
    );
  // One place builds the anchorer's signer: a keystore (the documented way) or a raw key (development).
  const key = await signerOf(anchorerSource(config), false);
  const { provider, chainId } = await connect(rpcUrl);
  const signer = key.connect(provider);
  const signerAddress = await signer.getAddress();
  const ledgerId = ledgerIdOf(config.ledgerName);
  const contract = anchorContract(config.contract, signer);
  if ((await provider.getCode(config.contract)) === "0x") {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `no contract at ${config.contract} on chain ${chainId} (${redactUrl(rpcUrl)})`,
    );
  }
  const state = await contract.ledgerState(ledgerId);
  if (!state.exists)
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `ledger ${config.ledgerName} is not created in contract ${config.contract}`,
    );
  const role = await contract.raw.anchorerRole(ledgerId);
  if (!(await contract.raw.hasRole(role, signerAddress))) {
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `account ${signerAddress} lacks the anchorer role of ledger ${config.ledgerName}`,
    );
  }
  const d: Deployment = {
    chainId: chainId.toString(),
    contract: config.contract,
    ledgerName: config.ledgerName,
    ledgerId,
    rpcUrl: "", // an external RPC URL may carry an API key: never written to disk
    deployTx: "",
    deployBlock: 0,
    admin: "",
    anchorer: signerAddress,
    development: false,
  };
  const prev = readDeployment(config.dataDir);
  if (
    prev &&
    (prev.chainId !== d.chainId ||
      prev.contract.toLowerCase() !== d.contract.toLowerCase() ||
      prev.ledgerId !== d.ledgerId)
  ) {
    throw new ChainError(
      "CHAIN_ID_MISMATCH",
      `data directory is bound to chain ${prev.chainId} contract ${prev.contract} ledger ${prev.ledgerName}: refusing chain ${d.chainId} contract ${d.contract} ledger ${d.ledgerName}`,
    );
  }
  writeDeployment(config.dataDir, prev ? { ...prev, anchorer: signerAddress } : d);
  log("info", "anchoring on external chain", { chainId: d.chainId, contract: d.contract, anchorer: signerAddress });
  const finality = confirmationsWarning(chainId, config.confirmations);
  if (finality)
    log("warn", finality, {
      chainId: d.chainId,
      confirmations: config.confirmations,
      finalityBlocks: finalityOf(chainId)?.blocks ?? null,
    });
  return {
    provider,
    chainId,
    signer,
    contract,
    ledgerId,
    deployment: d,
    async close() {
      provider.destroy();
    },
  };
}

/** Where the anchorer's key comes from: --anchor-keystore / LEDGER_ANCHOR_KEYSTORE, else LEDGER_ANCHOR_KEY (development). */
export function anchorerSource(config: LedgerConfig): SignerSource {
  return {
    keystore: config.anchorKeystore,
    passwordFile: config.anchorKeystorePasswordFile,
    privateKey: config.anchorKey,
    role: "anchorer",
    keystoreOption: "--anchor-keystore or LEDGER_ANCHOR_KEYSTORE",
    keyVariable: "LEDGER_ANCHOR_KEY",
  };
}

/**
 * Opens the chain for a CLI command that anchors while the server may be running: never starts the
 * embedded chain (the server owns it), but connects to it at the address the server recorded.
 * @throws ChainError CHAIN_UNREACHABLE, CHAIN_NOT_CONFIGURED
 */
export async function openAnchoringChainForCli(config: LedgerConfig, log: Log): Promise<ChainContext> {
  if (config.rpcUrl) return openExternal(config, log);
  const d = readDeployment(config.dataDir);
  if (!d || !d.development) {
    throw new ChainError(
      "CHAIN_UNREACHABLE",
      "no embedded chain in this data directory yet: run `npm start` first, or pass --rpc",
    );
  }
  const { provider, chainId } = await openReadChain(undefined, config.dataDir, BigInt(d.chainId));
  const anchorer = devWallet(DEV_ACCOUNT.anchorer, provider);
  return {
    provider,
    chainId,
    signer: anchorer,
    contract: anchorContract(d.contract, anchorer),
    ledgerId: d.ledgerId,
    deployment: d,
    async close() {
      provider.destroy();
    },
  };
}

/**
 * Opens the chain read-only for commands that verify (verify, verify-proof): `--rpc` /
 * LEDGER_RPC_URL, else the embedded chain's address recorded in the data directory, else the
 * embedded chain's default address (127.0.0.1 on the configured chain port).
 * @throws ChainError CHAIN_UNREACHABLE, CHAIN_ID_MISMATCH
 */
export async function openReadChain(
  rpcUrl: string | undefined,
  dataDir: string,
  expectChainId?: bigint,
  embeddedPort = 8545,
): Promise<{ provider: JsonRpcProvider; chainId: bigint }> {
  const d = readDeployment(dataDir);
  const url = rpcUrl ?? (d?.rpcUrl || `http://127.0.0.1:${embeddedPort}`);
  try {
    return await connect(url, { expectChainId, timeoutMs: 5000 });
  } catch (e) {
    if (e instanceof ChainError && e.code === "CHAIN_UNREACHABLE" && !rpcUrl) {
      throw new ChainError(
        "CHAIN_UNREACHABLE",
        `${e.message} (the embedded chain runs while \`npm start\` runs; start it, or pass --rpc URL / set LEDGER_RPC_URL)`,
      );
    }
    throw e;
  }
}

/** The anchorer of `ledger` on `chain`. */
export function ledgerAnchorer(
  ledger: Ledger,
  chain: ChainContext,
  opts: Pick<
    AnchorerDeps,
    "confirmations" | "waitTimeoutMs" | "stuckTimeoutMs" | "maxFeePerGas" | "log" | "observe" | "now"
  >,
): Anchorer {
  return createAnchorer({
    epochs: ledger.epochs,
    contract: chain.contract,
    signer: chain.signer,
    provider: chain.provider,
    chainId: chain.chainId,
    ledgerId: chain.ledgerId,
    ...opts,
  });
}
