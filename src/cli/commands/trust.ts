/**
 * `trust export -o site-trust.json`: the site's trust profile (docs/trust-profile.md), built from the
 * data directory and checked against the chain: chain id and genesis block hash, the contract, the
 * ledger, the accounts that anchored or may anchor it, and the ledger's signing keys with their
 * validity periods. `--sign` has the ledger admin's account sign it (EIP-191). `trust show <file>`
 * validates a profile, prints its fingerprint and, with a chain, checks it there. Exit 0 done or
 * consistent, 1 the chain contradicts the profile, 2 bad usage or an invalid profile, 3 chain unreachable.
 */
import fs from "node:fs";
import { Command } from "commander";
import { JsonRpcProvider, Signer, Wallet } from "ethers";
import { DEVELOPMENT_CHAIN_IDS, isDevelopmentChainId, signerOf } from "../../chain/signer";
import {
  TRUST_MEDIA_TYPE_V1,
  TrustProfile,
  TrustedAnchorer,
  TrustedKey,
  recoverTrustProfileSigner,
  spkiOfPem,
  toChecksumAddress,
  trustProfileFingerprint,
  trustProfileFromJSON,
  trustProfileMessage,
} from "../../core";
import { readDeployment } from "../../chain/deploy";
import { assertRecordMatches, readChainRecord, recordedLedger } from "../../chain/chain-record";
import { anchorContract } from "../../chain/contract";
import { devWallet, DEV_ACCOUNT } from "../../chain/dev-keys";
import { ChainError } from "../../chain/errors";
import { openLedger } from "../../service/app/ledger";
import { openReadChain } from "../../service/app/chain-context";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";
import { readTrustProfile } from "../pin-options";

/** A time floored to the whole second (block timestamps are whole seconds), RFC 3339 UTC. */
const second = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace(".000Z", "Z");
const unix = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

/** Registers `trust`. */
export function trustCommand(): Command {
  const trust = new Command("trust").description(
    "the site's trust profile: what verifiers pin to know a proof is this site's ledger (docs/trust-profile.md)",
  );

  trust
    .command("export")
    .description("write the trust profile of this ledger, checked against the chain")
    .requiredOption("-o, --output <file>", "where to write it (site-trust.json)")
    .option("--organisation <name>", "the manufacturer (LEDGER_ORGANISATION)")
    .option("--site <name>", "the site (LEDGER_SITE)")
    .option(
      "--sign",
      "sign it with the ledger admin's account (its keystore in LEDGER_ADMIN_KEYSTORE, or LEDGER_ADMIN_KEY for development; on the embedded chain its public development admin key)",
    )
    .option("--force", "overwrite an existing file")
    .option(
      "--chain-record <file>",
      "take the anchoring accounts and their validity from the site's chain record (chain deploy, grant-anchorer, revoke-anchorer), checked against the chain",
    )
    .action(
      async (
        opts: {
          output: string;
          organisation?: string;
          site?: string;
          sign?: boolean;
          force?: boolean;
          chainRecord?: string;
        },
        cmd: Command,
      ) => {
        const config = configOf(cmd);
        const d = readDeployment(config.dataDir);
        if (!d)
          throw new CliExit(
            EXIT.USAGE,
            `no chain deployment in ${config.dataDir}: run the ledger (npm start, or serve --rpc …) first`,
          );
        if (fs.existsSync(opts.output) && !opts.force)
          throw new CliExit(EXIT.USAGE, `${opts.output} exists: pass --force to overwrite it`);
        const organisation =
          opts.organisation ??
          process.env.LEDGER_ORGANISATION ??
          (d.development ? "Development only (not a GxP site)" : undefined);
        const site =
          opts.site ?? process.env.LEDGER_SITE ?? (d.development ? `development ledger ${d.ledgerName}` : undefined);
        if (!organisation || !site)
          throw new CliExit(
            EXIT.USAGE,
            "a site's trust profile names its organisation and site: pass --organisation and --site (or LEDGER_ORGANISATION, LEDGER_SITE)",
          );

        const ledger = openLedger(config.dataDir, config.seal, undefined, true);
        let keys: TrustedKey[];
        let anchored: { anchorer: string; first: number; last: number }[];
        try {
          const rows = ledger.db
            .prepare<[], { key_id: string; public_key: string; valid_from: string }>(
              "SELECT key_id, public_key, valid_from FROM ledger_keys ORDER BY valid_from, rowid",
            )
            .all();
          keys = rows.map((r, i) => ({
            keyId: r.key_id,
            algorithm: "Ed25519",
            publicKey: spkiOfPem(r.public_key),
            validFrom: second(r.valid_from),
            validUntil: rows[i + 1] ? second(rows[i + 1].valid_from) : null,
          }));
          anchored = ledger.db
            .prepare<[], { anchorer: string; first: number; last: number }>(
              "SELECT anchorer, min(block_timestamp) AS first, max(block_timestamp) AS last FROM anchors WHERE anchorer IS NOT NULL GROUP BY lower(anchorer)",
            )
            .all();
        } finally {
          ledger.close();
        }
        if (keys.length === 0)
          throw new CliExit(
            EXIT.USAGE,
            "the ledger has not recorded its signing key yet (it does at its first receipt or seal): post or seal an event first",
          );

        const { provider } = await openReadChain(config.rpcUrl, config.dataDir, BigInt(d.chainId), config.chainPort);
        try {
          const genesis = await provider.getBlock(0);
          if (!genesis?.hash) throw new ChainError("CHAIN_UNREACHABLE", "the chain did not give its genesis block");
          const contract = anchorContract(d.contract, provider);
          const role = await contract.raw.anchorerRole(d.ledgerId);
          // Accounts that anchored (from the first key's time or the first anchor block's, whichever
          // is earlier: the host's clock and the chain's need not agree) and the configured anchorer;
          // one that lost its role is valid until just after its last anchor. The first key's period
          // starts as early, so the first checkpoints fall inside it too.
          const firstAnchor = anchored.reduce((m, x) => Math.min(m, x.first), Infinity);
          const since =
            Number.isFinite(firstAnchor) && firstAnchor * 1000 < Date.parse(keys[0].validFrom)
              ? unix(firstAnchor)
              : keys[0].validFrom;
          keys[0] = { ...keys[0], validFrom: since };
          const anchorers: TrustedAnchorer[] = [];
          const addresses = new Set<string>();
          for (const a of [
            ...anchored.map((x) => ({ address: x.anchorer, last: x.last })),
            ...(d.anchorer ? [{ address: d.anchorer, last: undefined }] : []),
          ]) {
            const address = toChecksumAddress(a.address);
            if (addresses.has(address.toLowerCase())) continue;
            addresses.add(address.toLowerCase());
            const current = await contract.raw.hasRole(role, address);
            if (!current && a.last === undefined) continue;
            anchorers.push({ address, validFrom: since, validUntil: current ? null : unix(a.last! + 1) });
          }
          if (opts.chainRecord) {
            // The accounts with the periods the ledger admin granted them (chain grant-anchorer /
            // revoke-anchorer), checked against the chain and against who anchored this ledger.
            const recorded = anchorersFromRecord(
              opts.chainRecord,
              d.ledgerName,
              BigInt(d.chainId),
              genesis.hash,
              d.contract,
            );
            for (const a of recorded.filter((x) => x.validUntil === null)) {
              if (!(await contract.raw.hasRole(role, a.address)))
                throw new CliExit(
                  EXIT.FAILED,
                  `${opts.chainRecord} lists ${a.address} as a current anchorer of ${d.ledgerName}, but it lacks the role on chain: the record is out of date`,
                );
            }
            for (const x of anchored) {
              if (!recorded.some((a) => a.address.toLowerCase() === x.anchorer.toLowerCase()))
                throw new CliExit(
                  EXIT.FAILED,
                  `${x.anchorer} anchored ledger ${d.ledgerName} but ${opts.chainRecord} never granted it the role`,
                );
            }
            anchorers.splice(0, anchorers.length, ...recorded);
          }
          if (anchorers.length === 0)
            throw new CliExit(
              EXIT.USAGE,
              `no account holds the anchorer role of ledger ${d.ledgerName} in ${d.contract}`,
            );
          const profile: TrustProfile = {
            mediaType: TRUST_MEDIA_TYPE_V1,
            organisation,
            site,
            ledger: { name: d.ledgerName, id: d.ledgerId },
            chain: { chainId: d.chainId, genesisHash: genesis.hash },
            contract: toChecksumAddress(d.contract),
            anchorers,
            keys,
            issuedAt: second(new Date().toISOString()),
            development: d.development,
          };
          if (opts.sign) profile.signature = await signProfile(profile, provider, d.development);
          trustProfileFromJSON(profile);
          fs.writeFileSync(opts.output, JSON.stringify(profile, null, 2) + "\n", { flag: opts.force ? "w" : "wx" });
          const fp = trustProfileFingerprint(profile);
          output(
            cmd,
            { file: opts.output, fingerprint: fp, signer: profile.signature?.signer ?? null, profile },
            [
              `wrote the trust profile of ledger ${d.ledgerName} to ${opts.output}`,
              `  ${organisation}, ${site}; contract ${profile.contract} on chain ${d.chainId} (genesis ${genesis.hash})`,
              `  anchoring accounts: ${anchorers.map((a) => a.address).join(", ")}; keys: ${keys.map((k) => k.keyId.slice(0, 16) + "…").join(", ")}`,
              `  ${profile.signature ? `signed by the ledger admin ${profile.signature.signer}` : "unsigned (--sign has the ledger admin sign it)"}`,
              `  fingerprint: ${fp}`,
              d.development
                ? "  DEVELOPMENT ledger: Hardhat's public keys; never for GxP records"
                : "  give this fingerprint in the quality agreement or site master file; inspectors compare it before they trust the profile",
            ].join("\n"),
          );
        } finally {
          provider.destroy();
        }
      },
    );

  trust
    .command("show")
    .description(
      "validate a trust profile, print its fingerprint, and check it against the chain (--rpc, else the embedded chain) unless --offline",
    )
    .argument("<file>", "the trust profile")
    .option("--offline", "do not ask the chain")
    .action(async (file: string, opts: { offline?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      const p = readTrustProfile(file);
      const fp = trustProfileFingerprint(p);
      const lines = [
        `trust profile ${file}: ${p.organisation}, ${p.site}${p.development ? " (DEVELOPMENT: never for GxP records)" : ""}`,
        `  fingerprint ${fp}`,
        `  ledger ${p.ledger.name} (${p.ledger.id}) in contract ${p.contract} on chain ${p.chain.chainId}, genesis ${p.chain.genesisHash}`,
        ...p.anchorers.map(
          (a) => `  anchoring account ${a.address} from ${a.validFrom} until ${a.validUntil ?? "now"}`,
        ),
        ...p.keys.map((k) => `  ledger key ${k.keyId} from ${k.validFrom} until ${k.validUntil ?? "now"}`),
        `  ${p.signature ? `signed by ${p.signature.signer} (EIP-191, verified)` : "not signed"}`,
      ];
      const problems: string[] = [];
      if (!opts.offline) {
        let provider: JsonRpcProvider;
        try {
          ({ provider } = await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort));
        } catch (e) {
          throw new CliExit(EXIT.IO, `cannot check the profile on chain: ${(e as Error).message}`);
        }
        try {
          const chainId = (await provider.getNetwork()).chainId.toString();
          if (chainId !== p.chain.chainId)
            problems.push(`the endpoint is chain ${chainId}, the profile names chain ${p.chain.chainId}`);
          const genesis = (await provider.getBlock(0))?.hash;
          if (genesis !== p.chain.genesisHash)
            problems.push(
              `the chain's genesis block is ${genesis}, the profile names ${p.chain.genesisHash}: another chain`,
            );
          if ((await provider.getCode(p.contract)) === "0x") problems.push(`no contract at ${p.contract}`);
          else {
            const c = anchorContract(p.contract, provider);
            const state = await c.ledgerState(p.ledger.id);
            if (!state.exists) problems.push(`ledger ${p.ledger.name} is not created in ${p.contract}`);
            const role = await c.raw.anchorerRole(p.ledger.id);
            for (const a of p.anchorers.filter((x) => x.validUntil === null)) {
              if (!(await c.raw.hasRole(role, a.address)))
                problems.push(`${a.address} is listed as a current anchoring account but lacks the anchorer role`);
            }
            if (p.signature) {
              const admin = await c.raw.ledgerAdminRole(p.ledger.id);
              if (!(await c.raw.hasRole(admin, p.signature.signer)))
                problems.push(
                  `the signer ${p.signature.signer} is not the ledger admin of ${p.ledger.name} in ${p.contract}`,
                );
              else lines.push(`  the signer holds the ledger admin role on chain`);
            }
          }
        } finally {
          provider.destroy();
        }
        lines.push(
          problems.length
            ? problems.map((x) => `  CHAIN CONTRADICTS THE PROFILE: ${x}`).join("\n")
            : "  consistent with the chain",
        );
      }
      output(
        cmd,
        { file, fingerprint: fp, signer: p.signature?.signer ?? null, problems, profile: p },
        lines.join("\n"),
      );
      process.exitCode = problems.length ? EXIT.FAILED : EXIT.OK;
    });
  return trust;
}

/**
 * The anchoring accounts of ledger `ledgerName` as the chain record has them: one period per grant,
 * from the grant block's time until just after the revocation block's time (or open).
 * @throws CliExit 2 no record or no such ledger in it, 1 a record of another chain or contract
 */
function anchorersFromRecord(
  file: string,
  ledgerName: string,
  chainId: bigint,
  genesisHash: string,
  contract: string,
): TrustedAnchorer[] {
  const rec = readChainRecord(file);
  if (!rec) throw new CliExit(EXIT.USAGE, `${file}: no such chain record`);
  try {
    assertRecordMatches(rec, file, chainId, genesisHash, contract);
  } catch (e) {
    throw new CliExit(EXIT.FAILED, (e as Error).message);
  }
  const l = recordedLedger(rec, ledgerName);
  if (!l) throw new CliExit(EXIT.USAGE, `${file} records no ledger ${ledgerName}`);
  return l.anchorers.map((a) => ({
    address: toChecksumAddress(a.address),
    validFrom: a.granted.at,
    validUntil: a.revoked ? unix(Date.parse(a.revoked.at) / 1000 + 1) : null,
  }));
}

/** Signs a profile with the ledger admin's account, after checking on chain that it is the ledger admin. */
async function signProfile(
  p: TrustProfile,
  provider: JsonRpcProvider,
  development: boolean,
): Promise<NonNullable<TrustProfile["signature"]>> {
  const keystore = process.env.LEDGER_ADMIN_KEYSTORE || undefined;
  const key = process.env.LEDGER_ADMIN_KEY || undefined;
  let wallet: Signer;
  if (keystore || key) {
    wallet = await signerOf(
      {
        keystore,
        passwordFile: process.env.LEDGER_ADMIN_KEYSTORE_PASSWORD_FILE || undefined,
        privateKey: key,
        role: "ledger admin",
        keystoreOption: "LEDGER_ADMIN_KEYSTORE",
        keyVariable: "LEDGER_ADMIN_KEY",
      },
      // The public test keys: only on the embedded chain or another local development chain.
      development || isDevelopmentChainId(BigInt(p.chain.chainId)),
      `a local development chain (chain id ${DEVELOPMENT_CHAIN_IDS.join(" or ")})`,
    ).catch((e: unknown) => {
      if (e instanceof ChainError) throw new CliExit(EXIT.USAGE, e.message);
      throw e;
    });
  } else if (development) {
    wallet = new Wallet(devWallet(DEV_ACCOUNT.admin).privateKey);
  } else
    throw new CliExit(
      EXIT.USAGE,
      "--sign needs the ledger admin's key: its keystore in LEDGER_ADMIN_KEYSTORE (password file LEDGER_ADMIN_KEYSTORE_PASSWORD_FILE, else asked), or for development LEDGER_ADMIN_KEY",
    );
  const address = toChecksumAddress(await wallet.getAddress());
  const c = anchorContract(p.contract, provider);
  const role = await c.raw.ledgerAdminRole(p.ledger.id);
  if (!(await c.raw.hasRole(role, address)))
    throw new CliExit(
      EXIT.USAGE,
      `${address} is not the ledger admin of ${p.ledger.name} in ${p.contract}: it cannot sign the site's trust profile`,
    );
  const value = (await wallet.signMessage(trustProfileMessage(p))).toLowerCase();
  const signature = { scheme: "EIP-191" as const, signer: address, value };
  if (recoverTrustProfileSigner({ ...p, signature }) !== signature.signer)
    throw new Error("the profile signature does not recover to its signer");
  return signature;
}
