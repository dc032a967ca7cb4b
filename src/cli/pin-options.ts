/**
 * What a verifying command pins, from its options: the site's trust profile (`--trust file`), or
 * explicit values (`--contract`, `--ledger`, `--anchorer`, `--ledger-key`, `--chain-id`, `--genesis`).
 * Without any, nothing is pinned and the command's verdict is UNPINNED at best.
 */
import fs from "node:fs";
import { createPublicKey } from "node:crypto";
import { Command } from "commander";
import {
  TrustPin,
  TrustProfile,
  TrustedKey,
  isCoreError,
  isLedgerName,
  LEDGER_NAME_RULE,
  ledgerIdOfName,
  pinFromProfile,
  toChecksumAddress,
  trustProfileFromJSON,
  trustedKeyOf,
} from "../core";
import { CliExit, EXIT } from "./exit";

/** The pin options as commander gives them. */
export interface PinFlags {
  trust?: string;
  contract?: string;
  ledger?: string;
  anchorer?: string[];
  ledgerKey?: string[];
  chainId?: string;
  genesis?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Adds the pin options to a verifying command. */
export function addPinOptions(cmd: Command): Command {
  return cmd
    .option(
      "--trust <file>",
      "the site's trust profile (site-trust.json, from the site; compare its fingerprint with the quality agreement)",
    )
    .option("--contract <address>", "pin the anchor contract")
    .option("--ledger <name>", "pin the ledger name")
    .option("--anchorer <address>", "pin an account allowed to anchor (repeatable)", collect)
    .option("--ledger-key <pem>", "pin a ledger signing key: its public key PEM file (repeatable)", collect)
    .option("--chain-id <id>", "pin the chain id")
    .option("--genesis <hash>", "pin the chain's genesis block hash");
}

/**
 * Reads a trust profile file.
 * @throws CliExit USAGE naming the file and every bad field
 */
export function readTrustProfile(file: string): TrustProfile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `cannot read trust profile ${file}: ${(e as Error).message}`);
  }
  try {
    return trustProfileFromJSON(text);
  } catch (e) {
    if (isCoreError(e)) throw new CliExit(EXIT.USAGE, `${file}: ${e.message} (${e.code})`);
    throw e;
  }
}

/** The base64 SPKI DER of a public key PEM file; a pinned key valid at all times. */
export function pinnedKeyOfPem(file: string): TrustedKey {
  let pem: string;
  try {
    pem = fs.readFileSync(file, "utf8");
    createPublicKey(pem);
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `cannot read --ledger-key ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const key = trustedKeyOf(createPublicKey(pem).export({ type: "spki", format: "pem" }).toString());
  if (!key) throw new CliExit(EXIT.USAGE, `--ledger-key ${file} is not an Ed25519 public key`);
  return key;
}

/**
 * The pin of a command's options, or undefined when nothing is pinned. A trust profile and explicit
 * values together: the explicit values must agree with the profile.
 * @throws CliExit USAGE for an unreadable or invalid profile, key or value
 */
export function pinOf(f: PinFlags): TrustPin | undefined {
  const explicit = !!(f.contract || f.ledger || f.anchorer?.length || f.ledgerKey?.length || f.chainId || f.genesis);
  if (!f.trust && !explicit) return undefined;
  if (f.contract && !/^0x[0-9a-fA-F]{40}$/.test(f.contract))
    throw new CliExit(EXIT.USAGE, `--contract ${f.contract}: want a 0x-prefixed 20-byte address`);
  for (const a of f.anchorer ?? [])
    if (!/^0x[0-9a-fA-F]{40}$/.test(a))
      throw new CliExit(EXIT.USAGE, `--anchorer ${a}: want a 0x-prefixed 20-byte address`);
  if (f.ledger) {
    try {
      ledgerIdOfName(f.ledger);
    } catch {
      throw new CliExit(EXIT.USAGE, `--ledger ${f.ledger}: want 1-31 characters of A-Z a-z 0-9 . _ -`);
    }
    if (!isLedgerName(f.ledger)) throw new CliExit(EXIT.USAGE, `--ledger ${f.ledger}: want ${LEDGER_NAME_RULE}`);
  }
  if (f.chainId && !/^[1-9][0-9]{0,77}$/.test(f.chainId))
    throw new CliExit(EXIT.USAGE, `--chain-id ${f.chainId}: want a decimal chain id`);
  if (f.genesis && !/^0x[0-9a-fA-F]{64}$/.test(f.genesis))
    throw new CliExit(EXIT.USAGE, `--genesis ${f.genesis}: want a 0x-prefixed 32-byte hash`);
  const always = { validFrom: "1970-01-01T00:00:00Z", validUntil: null };
  if (f.trust) {
    const pin = pinFromProfile(readTrustProfile(f.trust));
    const clash = (name: string, given: string | undefined, pinned: string | undefined) => {
      if (given !== undefined && pinned !== undefined && given.toLowerCase() !== pinned.toLowerCase()) {
        throw new CliExit(
          EXIT.USAGE,
          `--${name} ${given} contradicts the trust profile (${pinned}): give one or the other`,
        );
      }
    };
    clash("contract", f.contract, pin.contract);
    clash("ledger", f.ledger, pin.ledgerName);
    clash("chain-id", f.chainId, pin.chainId);
    clash("genesis", f.genesis, pin.genesisHash);
    if (f.anchorer?.length || f.ledgerKey?.length)
      throw new CliExit(
        EXIT.USAGE,
        "--anchorer and --ledger-key cannot be added to a trust profile: the profile lists the site's accounts and keys",
      );
    return pin;
  }
  return {
    source: "the values given on the command line",
    chainId: f.chainId,
    genesisHash: f.genesis?.toLowerCase(),
    contract: f.contract && toChecksumAddress(f.contract),
    ledgerName: f.ledger,
    anchorers: f.anchorer?.map((a) => ({ address: toChecksumAddress(a), ...always })),
    keys: f.ledgerKey?.map(pinnedKeyOfPem),
  };
}
