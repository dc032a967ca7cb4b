/**
 * A real local chain (the embedded Anvil) for tests: started once per suite on a free port, with a
 * fresh on-chain ledger deployed per test ledger and every sealed epoch anchored on it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { startEmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { anchorContract } from "../../src/chain/contract";
import { createAnchorer } from "../../src/chain/anchorer";
import { Ledger } from "../../src/service/app/ledger";
import { AnchorRow } from "../../src/store/epoch-store";

/** A running local chain. */
export interface LocalChain {
  provider: JsonRpcProvider;
  chainId: bigint;
  rpcUrl: string;
  /** Deploys a new contract with a ledger named like `ledger` (else `<prefix>-<n>`) and anchors every sealed epoch of `ledger` on it. */
  anchorAll(ledger: Ledger, prefix: string): Promise<{ contract: string; ledgerId: string; anchored: AnchorRow[] }>;
  stop(): Promise<void>;
}

/** Starts the embedded chain on a free port (its state in a temporary directory removed on stop). */
export async function startLocalChain(pollingIntervalMs = 50): Promise<LocalChain> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-test-chain-"));
  const chain = await startEmbeddedChain({ dataDir: dir, port: 0 });
  const { provider, chainId } = await connect(chain.rpcUrl, { pollingIntervalMs });
  let n = 0;
  return {
    provider,
    chainId,
    rpcUrl: chain.rpcUrl,
    async anchorAll(ledger, prefix) {
      const signer = devWallet(DEV_ACCOUNT.anchorer, provider);
      // Under the ledger's own name unless it has none of its own ("default"): its checkpoints sign
      // that name, and a bundle's checkpoint is checked against the on-chain ledger name.
      const d = await deployLedger(
        devWallet(DEV_ACCOUNT.admin, provider),
        signer.address,
        ledger.name !== "default" ? ledger.name : `${prefix}-${++n}`,
      );
      const anchored = await createAnchorer({
        epochs: ledger.epochs,
        contract: anchorContract(d.contract, signer),
        signer,
        provider,
        chainId,
        ledgerId: d.ledgerId,
        confirmations: 1,
      }).anchorPending();
      return { contract: d.contract, ledgerId: d.ledgerId, anchored };
    },
    async stop() {
      provider.destroy();
      await chain.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The local chain for one mocha suite: started before its tests and stopped after them, together
 * with the temporary directories the suite made with `tempDir`. The returned chain is usable from
 * inside the suite's hooks and tests (not before its `before` hook ran).
 */
export function useLocalChain(pollingIntervalMs?: number): { chain: LocalChain; tempDir: (prefix: string) => string } {
  let lc: LocalChain | undefined;
  const dirs: string[] = [];
  before(async () => {
    lc = await startLocalChain(pollingIntervalMs);
  });
  after(async () => {
    await lc?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const started = (): LocalChain => {
    if (!lc) throw new Error("the local chain is not started: use it inside the suite's hooks and tests");
    return lc;
  };
  const chain: LocalChain = {
    get provider() {
      return started().provider;
    },
    get chainId() {
      return started().chainId;
    },
    get rpcUrl() {
      return started().rpcUrl;
    },
    anchorAll: (ledger, prefix) => started().anchorAll(ledger, prefix),
    stop: () => started().stop(),
  };
  const tempDir = (prefix: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  return { chain, tempDir };
}
