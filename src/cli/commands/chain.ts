/**
 * `chain deploy | create-ledger | grant-anchorer | revoke-anchorer | fund | show | cost`: the site's
 * chain administration on an external chain (--rpc / LEDGER_RPC_URL). Changes are signed by the
 * ledger admin's key (an encrypted keystore: --keystore / LEDGER_ADMIN_KEYSTORE; for development a
 * raw key in LEDGER_ADMIN_KEY, the public test keys only on a development chain) and written to the
 * site's chain record (--record, default gxp-chain.json), the inputs of its trust profile.
 * Exit 0 done, 1 the contract refused (its custom error named), 2 bad usage, 3 chain unreachable.
 */
import { Command } from "commander";
import { JsonRpcProvider, Signer, formatEther, getAddress, isAddress, parseEther } from "ethers";
import { connect } from "../../chain/provider";
import { signerOf, isDevelopmentChainId, DEVELOPMENT_CHAIN_IDS } from "../../chain/signer";
import { chainOverview, createLedger, deployContract, estimateAnchorGas, setAnchorer } from "../../chain/admin";
import { DEFAULT_CHAIN_RECORD, readChainRecord } from "../../chain/chain-record";
import { ANCHOR_GAS_STEADY_STATE, anchorCostOf, currentGasPrice, nativeSymbolOf } from "../../chain/cost";
import { ledgerIdOf } from "../../chain/contract";
import { finalityOf } from "../../chain/finality";
import { LedgerConfig } from "../../service/app/config";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

interface AdminOpts {
  keystore?: string;
  passwordFile?: string;
  record?: string;
  contract?: string;
}

const recordOf = (o: AdminOpts) => o.record ?? process.env.LEDGER_CHAIN_RECORD ?? DEFAULT_CHAIN_RECORD;

function withAdminOptions(c: Command, contract = true): Command {
  c.option(
    "--keystore <file>",
    "the ledger admin's encrypted JSON keystore (LEDGER_ADMIN_KEYSTORE); for development a raw key in LEDGER_ADMIN_KEY",
  )
    .option(
      "--password-file <file>",
      "its password file (LEDGER_ADMIN_KEYSTORE_PASSWORD_FILE); without one it is asked on the terminal",
    )
    .option(
      "--record <file>",
      `the site's chain record to write (LEDGER_CHAIN_RECORD, default ${DEFAULT_CHAIN_RECORD})`,
    );
  if (contract) c.option("--contract <address>", "the anchor contract (LEDGER_CONTRACT, else the chain record's)");
  return c;
}

async function open(cmd: Command): Promise<{ config: LedgerConfig; provider: JsonRpcProvider; chainId: bigint }> {
  const config = configOf(cmd);
  if (!config.rpcUrl)
    throw new CliExit(EXIT.USAGE, "chain commands work on an external chain: pass --rpc URL or set LEDGER_RPC_URL");
  const { provider, chainId } = await connect(config.rpcUrl);
  return { config, provider, chainId };
}

async function adminSigner(o: AdminOpts, provider: JsonRpcProvider, chainId: bigint): Promise<Signer> {
  const s = await signerOf(
    {
      keystore: o.keystore ?? (process.env.LEDGER_ADMIN_KEYSTORE || undefined),
      passwordFile: o.passwordFile ?? (process.env.LEDGER_ADMIN_KEYSTORE_PASSWORD_FILE || undefined),
      privateKey: process.env.LEDGER_ADMIN_KEY || undefined,
      role: "ledger admin",
      keystoreOption: "--keystore or LEDGER_ADMIN_KEYSTORE",
      keyVariable: "LEDGER_ADMIN_KEY",
    },
    isDevelopmentChainId(chainId),
    `a local development chain (chain id ${DEVELOPMENT_CHAIN_IDS.join(" or ")})`,
  );
  return s.connect(provider);
}

function contractOf(o: AdminOpts, config: LedgerConfig): string {
  const c = o.contract || config.contract || readChainRecord(recordOf(o))?.contract;
  if (!c)
    throw new CliExit(
      EXIT.USAGE,
      `no contract: pass --contract or LEDGER_CONTRACT, or run chain deploy first (it writes ${recordOf(o)})`,
    );
  if (!isAddress(c)) throw new CliExit(EXIT.USAGE, `contract ${JSON.stringify(c)}: want a 0x-prefixed 20-byte address`);
  return getAddress(c);
}

function addressArg(what: string, a: string): string {
  if (!isAddress(a)) throw new CliExit(EXIT.USAGE, `${what} ${JSON.stringify(a)}: want a 0x-prefixed 20-byte address`);
  return getAddress(a);
}

function ledgerArg(name: string): string {
  try {
    return ledgerIdOf(name);
  } catch (e) {
    throw new CliExit(EXIT.USAGE, (e as Error).message);
  }
}

/** Runs `f` with the chain open, closing the provider after. */
async function withChain<T>(
  cmd: Command,
  f: (c: { config: LedgerConfig; provider: JsonRpcProvider; chainId: bigint }) => Promise<T>,
): Promise<T> {
  const c = await open(cmd);
  try {
    return await f(c);
  } finally {
    c.provider.destroy();
  }
}

/** Registers `chain`. */
export function chainCommand(): Command {
  const chain = new Command("chain").description(
    "chain administration on an external chain: deploy the contract, create the ledger, grant and revoke anchorers, show, cost",
  );

  withAdminOptions(
    chain.command("deploy").description("deploy the anchor contract and write a new chain record"),
    false,
  )
    .option("--admin <address>", "the account that will create ledgers (DEFAULT_ADMIN_ROLE); default: the signer")
    .action(async (o: AdminOpts & { admin?: string }, cmd: Command) => {
      const admin = o.admin === undefined ? undefined : addressArg("--admin", o.admin);
      await withChain(cmd, async ({ provider, chainId }) => {
        const signer = await adminSigner(o, provider, chainId);
        const { record } = await deployContract(signer, recordOf(o), admin);
        output(
          cmd,
          { record: recordOf(o), ...record },
          [
            `deployed the anchor contract ${record.contract} on chain ${record.chainId} (genesis ${record.genesisHash})`,
            `  tx ${record.deployed.tx}, block ${record.deployed.block}, by ${record.deployed.by}; contract admin ${record.contractAdmin}`,
            `  recorded in ${recordOf(o)}${record.development ? " (DEVELOPMENT chain: never for GxP records)" : ""}`,
            `next: gxp-ledger chain create-ledger <name> --admin <ledger admin>`,
          ].join("\n"),
        );
      });
    });

  withAdminOptions(
    chain
      .command("create-ledger")
      .description("create a ledger in the contract with its ledger admin")
      .argument("<name>", "the ledger name (1-31 characters of A-Z a-z 0-9 . _ -)"),
  )
    .option("--admin <address>", "the ledger admin (grants and revokes its anchorers); default: the signer")
    .action(async (name: string, o: AdminOpts & { admin?: string }, cmd: Command) => {
      ledgerArg(name);
      const admin = o.admin === undefined ? undefined : addressArg("--admin", o.admin);
      await withChain(cmd, async ({ config, provider, chainId }) => {
        const contract = contractOf(o, config);
        const signer = await adminSigner(o, provider, chainId);
        const r = await createLedger(signer, contract, name, recordOf(o), admin);
        output(
          cmd,
          {
            contract,
            ledger: name,
            ledgerId: r.ledgerId,
            admin: r.admin,
            ...r.created,
            record: r.recorded ? recordOf(o) : null,
          },
          [
            `created ledger ${name} (${r.ledgerId}) in ${contract}, ledger admin ${r.admin}`,
            `  tx ${r.created.tx}, block ${r.created.block}, ${r.created.at}`,
            r.recorded
              ? `  recorded in ${recordOf(o)}`
              : `  not recorded: ${recordOf(o)} holds no deployment of this contract`,
          ].join("\n"),
        );
      });
    });

  for (const grant of [true, false]) {
    withAdminOptions(
      chain
        .command(grant ? "grant-anchorer" : "revoke-anchorer")
        .description(
          grant
            ? "let an account anchor the ledger (signed by the ledger admin)"
            : "take the anchorer role from an account (signed by the ledger admin)",
        )
        .argument("<name>", "the ledger name")
        .argument("<address>", "the anchoring account"),
    ).action(async (name: string, account: string, o: AdminOpts, cmd: Command) => {
      ledgerArg(name);
      const address = addressArg("account", account);
      await withChain(cmd, async ({ config, provider, chainId }) => {
        const contract = contractOf(o, config);
        const signer = await adminSigner(o, provider, chainId);
        const r = await setAnchorer(signer, contract, name, address, grant, recordOf(o));
        const verb = grant ? "granted" : "revoked";
        output(
          cmd,
          {
            contract,
            ledger: name,
            ledgerId: r.ledgerId,
            account: r.account,
            action: grant ? "grant" : "revoke",
            changed: !!r.tx,
            ...(r.tx ?? {}),
            record: r.recorded ? recordOf(o) : null,
          },
          r.tx
            ? [
                `${verb} the anchorer role of ledger ${name} ${grant ? "to" : "from"} ${r.account}`,
                `  tx ${r.tx.tx}, block ${r.tx.block}, ${r.tx.at}, by ${r.tx.by}`,
                r.recorded
                  ? `  recorded in ${recordOf(o)}`
                  : `  not recorded: ${recordOf(o)} holds no such ledger of this contract`,
                grant
                  ? ""
                  : "  export the trust profile again (trust export): it lists the account with the end of its validity",
              ]
                .filter(Boolean)
                .join("\n")
            : `${r.account} ${grant ? "already holds" : "does not hold"} the anchorer role of ledger ${name}: nothing sent`,
        );
      });
    });
  }

  withAdminOptions(
    chain
      .command("fund")
      .description("send native coin from the admin's account to another (e.g. a new anchorer)")
      .argument("<address>", "the receiving account")
      .argument("<amount>", "in the chain's native unit (ether), e.g. 0.05"),
    false,
  ).action(async (account: string, amount: string, o: AdminOpts, cmd: Command) => {
    const to = addressArg("account", account);
    let value: bigint;
    try {
      value = parseEther(amount);
    } catch {
      throw new CliExit(EXIT.USAGE, `amount ${JSON.stringify(amount)}: want a decimal number of the native unit`);
    }
    await withChain(cmd, async ({ provider, chainId }) => {
      const signer = await adminSigner(o, provider, chainId);
      const receipt = await (await signer.sendTransaction({ to, value })).wait(1);
      const balance = await provider.getBalance(to);
      output(
        cmd,
        {
          to,
          valueWei: value.toString(),
          tx: receipt!.hash,
          block: receipt!.blockNumber,
          balanceWei: balance.toString(),
        },
        `sent ${amount} to ${to}: tx ${receipt!.hash}, block ${receipt!.blockNumber}; its balance is now ${formatEther(balance)}`,
      );
    });
  });

  chain
    .command("show")
    .description("what the contract holds: its admins, ledgers, roles, anchors so far, last epoch")
    .option("--contract <address>", "the anchor contract (LEDGER_CONTRACT, else the chain record's)")
    .option("--record <file>", `the site's chain record (LEDGER_CHAIN_RECORD, default ${DEFAULT_CHAIN_RECORD})`)
    .option("--from-block <n>", "read logs from this block (default: the recorded deploy block, else 0)")
    .action(async (o: AdminOpts & { fromBlock?: string }, cmd: Command) => {
      await withChain(cmd, async ({ config, provider }) => {
        const contract = contractOf(o, config);
        const rec = readChainRecord(recordOf(o));
        const fromBlock =
          o.fromBlock !== undefined
            ? Number(o.fromBlock)
            : rec && rec.contract.toLowerCase() === contract.toLowerCase()
              ? rec.deployed.block
              : 0;
        if (!Number.isInteger(fromBlock) || fromBlock < 0)
          throw new CliExit(EXIT.USAGE, `--from-block ${o.fromBlock}: want a block number`);
        const v = await chainOverview(provider, contract, fromBlock);
        const lines = [
          `contract ${v.contract} on chain ${v.chainId} (genesis ${v.genesisHash}), logs read from block ${v.fromBlock} to ${v.toBlock}`,
          `  contract admin: ${v.contractAdmins.join(", ") || "none"}`,
          ...(v.ledgers.length ? [] : ["  no ledger created"]),
          ...v.ledgers.flatMap((l) => [
            `ledger ${l.name ?? "(unnamed)"} (${l.id})`,
            `  ledger admin: ${l.admins.join(", ") || "none"}`,
            `  anchorers: ${l.anchorers.join(", ") || "none"}`,
            ...l.roleHistory.map(
              (h) =>
                `    ${h.role} ${h.event} ${h.event === "granted" ? "to" : "from"} ${h.account} by ${h.by}, block ${h.block}, tx ${h.tx}`,
            ),
            `  anchors so far: ${l.anchors} (${l.events} events)`,
            l.lastEpoch
              ? `  last epoch ${l.lastEpoch.epoch}: root ${l.lastEpoch.root}, ${l.lastEpoch.treeSize} events from seq ${l.lastEpoch.firstSeq}, block ${l.lastEpoch.block}, ${l.lastEpoch.at}`
              : "  no epoch anchored yet",
          ]),
        ];
        output(cmd, v, lines.join("\n"));
      });
    });

  chain
    .command("cost")
    .description("cost of anchoring at the chain's current fees: per anchor, per day and per year at the epoch age")
    .option("--epoch-max-age <seconds>", "the epoch age to price (LEDGER_EPOCH_MAX_AGE_SECONDS, default 60)")
    .option(
      "--gas <n>",
      `gas per anchor (default: estimated on the contract with --anchorer, else the measured ${ANCHOR_GAS_STEADY_STATE})`,
    )
    .option(
      "--contract <address>",
      "the anchor contract, to estimate the gas of the next anchor (LEDGER_CONTRACT, else the chain record's)",
    )
    .option("--ledger <name>", "the ledger (LEDGER_NAME)")
    .option("--anchorer <address>", "an account holding the ledger's anchorer role, to estimate as")
    .action(
      async (
        o: { epochMaxAge?: string; gas?: string; contract?: string; ledger?: string; anchorer?: string },
        cmd: Command,
      ) => {
        await withChain(cmd, async ({ provider, chainId }) => {
          const config = configOf(cmd, { epochMaxAge: o.epochMaxAge, contract: o.contract, ledger: o.ledger });
          let gas = ANCHOR_GAS_STEADY_STATE;
          let gasSource = "measured (npm run bench:gas, steady state)";
          if (o.gas !== undefined) {
            if (!/^[1-9][0-9]{0,8}$/.test(o.gas))
              throw new CliExit(EXIT.USAGE, `--gas ${o.gas}: want a whole number of gas`);
            gas = BigInt(o.gas);
            gasSource = "given (--gas)";
          } else if (o.anchorer) {
            const anchorer = addressArg("--anchorer", o.anchorer);
            ledgerArg(config.ledgerName);
            const est = await estimateAnchorGas(
              provider,
              contractOf({ contract: o.contract }, config),
              config.ledgerName,
              anchorer,
            );
            gas = est.gas;
            gasSource = `estimated (eth_estimateGas of epoch ${est.epoch} of ledger ${config.ledgerName} as ${anchorer})`;
          }
          const price = await currentGasPrice(provider);
          const age = config.seal.maxAgeMs / 1000;
          const cost = anchorCostOf(gas, price.weiPerGas, age);
          const unit = nativeSymbolOf(chainId) ?? "native units";
          const fmt = (wei: bigint) => `${formatEther(wei)} ${unit} (${wei} wei)`;
          const json = {
            chainId: chainId.toString(),
            unit,
            gasSource,
            price: {
              source: price.source,
              weiPerGas: price.weiPerGas.toString(),
              baseFeePerGas: price.baseFeePerGas?.toString() ?? null,
              priorityFeePerGas: price.priorityFeePerGas?.toString() ?? null,
              blocks: price.blocks ?? null,
            },
            gasPerAnchor: cost.gasPerAnchor.toString(),
            epochAgeSeconds: cost.epochAgeSeconds,
            anchorsPerDay: cost.anchorsPerDay,
            weiPerAnchor: cost.weiPerAnchor.toString(),
            weiPerDay: cost.weiPerDay.toString(),
            weiPerYear: cost.weiPerYear.toString(),
          };
          output(
            cmd,
            json,
            [
              `chain ${chainId}: ${price.weiPerGas} wei per gas (${price.source}${price.baseFeePerGas !== undefined ? `: base fee ${price.baseFeePerGas} + median tip ${price.priorityFeePerGas} over ${price.blocks} blocks` : ""})`,
              `gas per anchor: ${gas} (${gasSource})`,
              `per anchor: ${fmt(cost.weiPerAnchor)}`,
              `per day:    ${fmt(cost.weiPerDay)} at one epoch every ${age} s (${cost.anchorsPerDay} anchors, the most a steady flow of events makes)`,
              `per year:   ${fmt(cost.weiPerYear)}`,
              ...(finalityOf(chainId) && finalityOf(chainId)!.blocks === undefined
                ? ['a rollup: its L1 data fee comes on top of this (docs/operations.md, "Cost and cadence")']
                : []),
            ].join("\n"),
          );
        });
      },
    );

  return chain;
}
