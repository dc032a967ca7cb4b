/**
 * Chain administration: deploy the anchor contract, create a ledger, grant and revoke its anchorer
 * role, and read back what the contract holds. Each change waits for its transaction to be mined and
 * is written to the site's chain record (chain-record.ts). Shared by `gxp-ledger chain …` and the
 * Hardhat tasks (hardhat.config.ts). A refusal by the contract is a ChainError CHAIN_ADMIN_REFUSED
 * naming the contract's custom error and its arguments.
 */
import { Interface, Provider, Signer, TransactionResponse, getAddress, hexlify, isError, randomBytes } from "ethers";
import { anchorContract, anchorInterface, ledgerIdOf, ledgerNameOf } from "./contract";
import { deployAnchorContract } from "./deploy";
import { ChainError } from "./errors";
import { isDevelopmentChainId } from "./signer";
import {
  CHAIN_RECORD_MEDIA_TYPE_V1,
  ChainRecord,
  RecordedTx,
  assertRecordMatches,
  readChainRecord,
  recordedLedger,
  writeChainRecord,
} from "./chain-record";

/** AccessControl's role events, which the contract emits but the ledger's own ABI leaves out. */
const ROLE_EVENTS = new Interface([
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
]);

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

/** The chain's id and genesis block hash. */
export async function chainIdentity(provider: Provider): Promise<{ chainId: bigint; genesisHash: string }> {
  const [network, genesis] = await Promise.all([provider.getNetwork(), provider.getBlock(0)]);
  if (!genesis?.hash) throw new ChainError("CHAIN_UNREACHABLE", "the chain did not give its genesis block");
  return { chainId: network.chainId, genesisHash: genesis.hash };
}

function providerOf(signer: Signer): Provider {
  if (!signer.provider) throw new ChainError("CHAIN_NOT_CONFIGURED", "the signer is not connected to a chain");
  return signer.provider;
}

/** Sends a contract call, mapping the contract's refusal to CHAIN_ADMIN_REFUSED, and waits for it. */
async function send(what: string, call: () => Promise<TransactionResponse>): Promise<RecordedTx> {
  let resp: TransactionResponse;
  try {
    resp = await call();
  } catch (e) {
    throw refusal(what, e);
  }
  const receipt = await resp.wait(1);
  if (!receipt || receipt.status !== 1)
    throw new ChainError("CHAIN_ADMIN_REFUSED", `${what}: transaction ${resp.hash} reverted`, {
      tx: resp.hash,
      error: null,
      args: [],
    });
  const block = await resp.provider.getBlock(receipt.blockNumber);
  return { tx: receipt.hash, block: receipt.blockNumber, at: iso(block!.timestamp), by: getAddress(resp.from) };
}

/** The contract's custom error in `e` as CHAIN_ADMIN_REFUSED, else `e` itself. */
function refusal(what: string, e: unknown): unknown {
  const err = e as { revert?: { name?: string; args?: unknown[] }; data?: string };
  let revert = err.revert;
  if (!revert?.name && typeof err.data === "string" && err.data.length >= 10) {
    const parsed = anchorInterface.parseError(err.data);
    if (parsed) revert = { name: parsed.name, args: [...parsed.args] };
  }
  if (revert?.name) {
    const args = (revert.args ?? []).map((a) => String(a));
    return new ChainError(
      "CHAIN_ADMIN_REFUSED",
      `${what}: refused by the contract: ${revert.name}(${args.join(", ")})`,
      { error: revert.name, args },
    );
  }
  if (isError(e, "CALL_EXCEPTION"))
    return new ChainError("CHAIN_ADMIN_REFUSED", `${what}: refused by the contract (no reason given)`, {
      error: null,
      args: [],
    });
  return e;
}

/** What `deploy` did. */
export interface DeployResult {
  record: ChainRecord;
}

/**
 * Deploys the anchor contract from `signer` with `admin` (default: the signer) holding
 * DEFAULT_ADMIN_ROLE, and writes a new chain record to `recordFile` (never over an existing one).
 * @throws ChainError CHAIN_NOT_CONFIGURED when the record file exists; CHAIN_EVM_UNSUPPORTED
 */
export async function deployContract(signer: Signer, recordFile: string, admin?: string): Promise<DeployResult> {
  if (readChainRecord(recordFile))
    throw new ChainError(
      "CHAIN_NOT_CONFIGURED",
      `${recordFile} already records a deployment: give --record another file`,
      { file: recordFile },
    );
  const provider = providerOf(signer);
  const { chainId, genesisHash } = await chainIdentity(provider);
  const deployer = getAddress(await signer.getAddress());
  const contractAdmin = getAddress(admin ?? deployer);
  const d = await deployAnchorContract(signer, contractAdmin);
  const block = await provider.getBlock(d.deployBlock);
  const record: ChainRecord = {
    mediaType: CHAIN_RECORD_MEDIA_TYPE_V1,
    chainId: chainId.toString(),
    genesisHash,
    development: isDevelopmentChainId(chainId),
    contract: getAddress(d.contract),
    contractAdmin,
    deployed: { tx: d.deployTx, block: d.deployBlock, at: iso(block!.timestamp), by: deployer },
    ledgers: [],
  };
  writeChainRecord(recordFile, record);
  return { record };
}

/** Reads the record and checks it against the chain and contract in use. */
async function recordFor(recordFile: string, provider: Provider, contract: string): Promise<ChainRecord | undefined> {
  const r = readChainRecord(recordFile);
  if (r) {
    const { chainId, genesisHash } = await chainIdentity(provider);
    assertRecordMatches(r, recordFile, chainId, genesisHash, contract);
  }
  return r;
}

/**
 * Creates ledger `name` in `contract` with `admin` (default: the signer) as its ledger admin; the
 * signer must hold DEFAULT_ADMIN_ROLE. Recorded in `recordFile` when it holds this contract.
 * @throws ChainError CHAIN_ADMIN_REFUSED (e.g. AccessControlUnauthorizedAccount, GxpAnchorLedgerExists)
 */
export async function createLedger(
  signer: Signer,
  contract: string,
  name: string,
  recordFile: string,
  admin?: string,
): Promise<{ ledgerId: string; admin: string; created: RecordedTx; recorded: boolean }> {
  const provider = providerOf(signer);
  const record = await recordFor(recordFile, provider, contract);
  const ledgerId = ledgerIdOf(name);
  const ledgerAdmin = getAddress(admin ?? (await signer.getAddress()));
  const c = anchorContract(contract, signer);
  const created = await send(`create ledger ${name}`, () => c.raw.createLedger(ledgerId, ledgerAdmin));
  if (record) {
    record.ledgers.push({ name, id: ledgerId, admin: ledgerAdmin, created, anchorers: [] });
    writeChainRecord(recordFile, record);
  }
  return { ledgerId, admin: ledgerAdmin, created, recorded: !!record };
}

/** What a grant or revocation did: its transaction, or none when the account already was so. */
export interface RoleChange {
  ledgerId: string;
  account: string;
  /** Undefined when nothing changed (the account already held, or already lacked, the role). */
  tx?: RecordedTx;
  recorded: boolean;
}

/**
 * Grants (or revokes) the anchorer role of ledger `name` to `account`; the signer must be the ledger's
 * admin. Nothing is sent when the account already holds (lacks) the role.
 * @throws ChainError CHAIN_ADMIN_REFUSED (AccessControlUnauthorizedAccount when the signer is not the ledger admin), CHAIN_NOT_CONFIGURED (no such ledger)
 */
export async function setAnchorer(
  signer: Signer,
  contract: string,
  name: string,
  account: string,
  grant: boolean,
  recordFile: string,
): Promise<RoleChange> {
  const provider = providerOf(signer);
  const record = await recordFor(recordFile, provider, contract);
  const ledgerId = ledgerIdOf(name);
  const address = getAddress(account);
  const c = anchorContract(contract, signer);
  if (!(await c.ledgerState(ledgerId)).exists)
    throw new ChainError("CHAIN_NOT_CONFIGURED", `ledger ${name} is not created in contract ${contract}`, {
      ledger: name,
    });
  const role: string = await c.raw.anchorerRole(ledgerId);
  if ((await c.raw.hasRole(role, address)) === grant) return { ledgerId, account: address, recorded: false };
  const tx = await send(
    `${grant ? "grant" : "revoke"} the anchorer role of ${name} ${grant ? "to" : "from"} ${address}`,
    () => (grant ? c.raw.grantRole(role, address) : c.raw.revokeRole(role, address)),
  );
  const l = record && recordedLedger(record, name);
  if (record && l) {
    if (grant) l.anchorers.push({ address, granted: tx, revoked: null });
    else {
      const open = l.anchorers.find((a) => a.address === address && a.revoked === null);
      if (open) open.revoked = tx;
    }
    writeChainRecord(recordFile, record);
  }
  return { ledgerId, account: address, tx, recorded: !!(record && l) };
}

/**
 * The gas of ledger `name`'s next anchor sent by `anchorer` (eth_estimateGas with a random root and a
 * 10,000-event epoch), which must hold the anchorer role.
 * @throws ChainError CHAIN_NOT_CONFIGURED (no such ledger), CHAIN_ADMIN_REFUSED (the contract refuses, e.g. AccessControlUnauthorizedAccount)
 */
export async function estimateAnchorGas(
  provider: Provider,
  contract: string,
  name: string,
  anchorer: string,
): Promise<{ gas: bigint; epoch: bigint }> {
  const c = anchorContract(contract, provider);
  const ledgerId = ledgerIdOf(name);
  const st = await c.ledgerState(ledgerId);
  if (!st.exists)
    throw new ChainError("CHAIN_NOT_CONFIGURED", `ledger ${name} is not created in contract ${contract}`, {
      ledger: name,
    });
  try {
    const gas: bigint = await c.raw.anchor.estimateGas(
      ledgerId,
      st.nextEpoch,
      hexlify(randomBytes(32)),
      10_000n,
      st.nextSeq,
      { from: anchorer },
    );
    return { gas, epoch: st.nextEpoch };
  } catch (e) {
    throw refusal(`estimate epoch ${st.nextEpoch} of ledger ${name} anchored by ${anchorer}`, e);
  }
}

/** One ledger as `chain show` reports it. */
export interface LedgerOverview {
  name: string | null;
  id: string;
  admins: string[];
  anchorers: string[];
  roleHistory: {
    event: "granted" | "revoked";
    role: "ledger admin" | "anchorer";
    account: string;
    by: string;
    block: number;
    tx: string;
  }[];
  anchors: number;
  events: number;
  lastEpoch: { epoch: number; root: string; treeSize: number; firstSeq: number; block: number; at: string } | null;
}

/** What `chain show` reports. */
export interface ChainOverview {
  chainId: string;
  genesisHash: string;
  contract: string;
  fromBlock: number;
  toBlock: number;
  contractAdmins: string[];
  ledgers: LedgerOverview[];
}

/** Logs of `contract` from `fromBlock` to `toBlock`, in chunks a public endpoint accepts. */
async function logsOf(
  provider: Provider,
  contract: string,
  topics: (string | string[] | null)[],
  fromBlock: number,
  toBlock: number,
  step = 10_000,
) {
  const out = [];
  for (let b = fromBlock; b <= toBlock; b += step) {
    out.push(
      ...(await provider.getLogs({
        address: contract,
        topics,
        fromBlock: b,
        toBlock: Math.min(toBlock, b + step - 1),
      })),
    );
  }
  return out;
}

/**
 * Reads what `contract` holds: its ledgers (LedgerCreated logs since `fromBlock`), each ledger's
 * current admins and anchorers and their role history (RoleGranted/RoleRevoked logs), its anchors so
 * far and its last epoch.
 * @throws ChainError CHAIN_NO_CONTRACT when there is no code at `contract`
 */
export async function chainOverview(provider: Provider, contract: string, fromBlock = 0): Promise<ChainOverview> {
  if ((await provider.getCode(contract)) === "0x")
    throw new ChainError("CHAIN_NO_CONTRACT", `no contract at ${contract}`, { contract });
  const { chainId, genesisHash } = await chainIdentity(provider);
  const toBlock = await provider.getBlockNumber();
  const c = anchorContract(contract, provider);
  const defaultAdmin: string = await c.raw.DEFAULT_ADMIN_ROLE();
  const created = await logsOf(
    provider,
    contract,
    [anchorInterface.getEvent("LedgerCreated")!.topicHash],
    fromBlock,
    toBlock,
  );
  const roleLogs = await logsOf(
    provider,
    contract,
    [[ROLE_EVENTS.getEvent("RoleGranted")!.topicHash, ROLE_EVENTS.getEvent("RoleRevoked")!.topicHash]],
    fromBlock,
    toBlock,
  );
  const roles = roleLogs.map((l) => {
    const p = ROLE_EVENTS.parseLog(l)!;
    return {
      granted: p.name === "RoleGranted",
      role: p.args.role as string,
      account: getAddress(p.args.account),
      by: getAddress(p.args.sender),
      block: l.blockNumber,
      tx: l.transactionHash,
    };
  });
  const holders = async (role: string) => {
    const candidates = [...new Set(roles.filter((r) => r.role === role).map((r) => r.account))];
    const held = await Promise.all(candidates.map(async (a) => ((await c.raw.hasRole(role, a)) ? a : undefined)));
    return held.filter((a): a is string => !!a);
  };
  const ledgers: LedgerOverview[] = [];
  for (const log of created) {
    const id = anchorInterface.parseLog(log)!.args.ledgerId as string;
    const [adminRole, anchorerRole]: string[] = await Promise.all([c.raw.ledgerAdminRole(id), c.raw.anchorerRole(id)]);
    const state = await c.ledgerState(id);
    const last = state.nextEpoch > 0n ? await c.getAnchor(id, Number(state.nextEpoch - 1n)) : undefined;
    ledgers.push({
      name: ledgerNameOf(id) ?? null,
      id,
      admins: await holders(adminRole),
      anchorers: await holders(anchorerRole),
      roleHistory: roles
        .filter((r) => r.role === adminRole || r.role === anchorerRole)
        .map((r) => ({
          event: r.granted ? "granted" : "revoked",
          role: r.role === adminRole ? "ledger admin" : "anchorer",
          account: r.account,
          by: r.by,
          block: r.block,
          tx: r.tx,
        })),
      anchors: Number(state.nextEpoch),
      events: Number(state.nextSeq),
      lastEpoch: last
        ? {
            epoch: Number(state.nextEpoch - 1n),
            root: last.root,
            treeSize: Number(last.treeSize),
            firstSeq: Number(last.firstSeq),
            block: Number(last.blockNumber),
            at: iso(Number(last.timestamp)),
          }
        : null,
    });
  }
  return {
    chainId: chainId.toString(),
    genesisHash,
    contract: getAddress(contract),
    fromBlock,
    toBlock,
    contractAdmins: await holders(defaultAdmin),
    ledgers,
  };
}
