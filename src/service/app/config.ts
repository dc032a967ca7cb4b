/**
 * The ledger's configuration, built purely from flags and environment: flag > environment > default.
 * No I/O here, so it is unit-testable and docs/configuration.md's tables can be checked against it.
 */
import path from "node:path";
import { isLedgerName, LEDGER_NAME_RULE } from "../../core/ledger-name";
import { SealPolicy } from "../../epoch/sealer";

/** Everything a ledger process needs to know. */
export interface LedgerConfig {
  dataDir: string;
  host: string;
  port: number;
  /** External chain endpoint; when absent, the embedded development chain is used. */
  rpcUrl?: string;
  /** External chain: the anchor contract and the anchorer's private key. */
  contract?: string;
  /** A raw hex anchorer key (development only; LEDGER_ANCHOR_KEY). */
  anchorKey?: string;
  /** The anchorer's encrypted JSON keystore and its password file (none: asked on the terminal). */
  anchorKeystore?: string;
  anchorKeystorePasswordFile?: string;
  /** Embedded chain address. */
  chainHost: string;
  chainPort: number;
  ledgerName: string;
  confirmations: number;
  seal: SealPolicy;
  /** How often the background sealer and anchorer look for work. */
  tickMs: number;
  /** Promised on receipts: an event's epoch is anchored within epoch max age plus this. */
  anchorWithinMs: number;
  /** Replace an anchor transaction (same nonce, higher fees) not mined this long after it was sent. */
  anchorStuckMs: number;
  /** Largest backoff delay between failing anchoring rounds. */
  anchorRetryMaxMs: number;
  /** Ceiling per gas (wei) for a replacement's fees; undefined: no ceiling. */
  anchorMaxFeeWei?: bigint;
  /** Most events in one bulk post. */
  bulkMax: number;
  /** Largest body of a bulk post, in bytes (a single post: 1 MiB). */
  bulkBodyMaxBytes: number;
  /** Requests per client per 10 s. */
  rateLimit: number;
  /** Event times may run this far ahead of the ledger's clock. */
  maxClockSkewMs: number;
  /** Most open HTTP connections; beyond it new sockets are closed at once. */
  maxConnections: number;
  /** A socket that has sent no request is closed after this long idle. */
  idleTimeoutMs: number;
  /** Body bytes each client may have accepted per byte window. */
  clientBytesPerWindow: number;
  /** The byte quota's window. */
  clientBytesWindowMs: number;
}

/** Raw flag values as commander gives them. */
export interface ConfigFlags {
  dataDir?: string;
  host?: string;
  port?: string | number;
  rpc?: string;
  contract?: string;
  chainPort?: string | number;
  ledger?: string;
  confirmations?: string | number;
  epochMaxEvents?: string | number;
  epochMaxAge?: string | number;
  anchorStuckTimeout?: string | number;
  anchorKeystore?: string;
  anchorKeystorePasswordFile?: string;
}

/** Default largest body of a bulk post: 1,000 events of a real MES run 1-4 KB each. */
export const DEFAULT_BULK_BODY_MAX_BYTES = 16 * 1024 * 1024;

/** Default body bytes per client per hour: 1 GiB. */
export const DEFAULT_CLIENT_BYTES_PER_WINDOW = 1024 * 1024 * 1024;

/** A bad configuration value, named. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

function int(name: string, v: string | number | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === "") return def;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} is ${JSON.stringify(v)}: want an integer from ${min} to ${max}`);
  return n;
}

/**
 * Builds the configuration. Environment variables: LEDGER_DATA_DIR, LEDGER_HOST, PORT, LEDGER_RPC_URL,
 * LEDGER_CONTRACT, LEDGER_ANCHOR_KEY, LEDGER_ANCHOR_KEYSTORE, LEDGER_ANCHOR_KEYSTORE_PASSWORD_FILE, LEDGER_CHAIN_PORT, LEDGER_NAME, LEDGER_CONFIRMATIONS,
 * LEDGER_EPOCH_MAX_EVENTS, LEDGER_EPOCH_MAX_AGE_SECONDS, LEDGER_TICK_MS, LEDGER_ANCHOR_SLA_SECONDS,
 * LEDGER_ANCHOR_STUCK_SECONDS, LEDGER_ANCHOR_RETRY_MAX_SECONDS, LEDGER_ANCHOR_MAX_FEE_GWEI, LEDGER_BULK_MAX, LEDGER_BULK_BODY_MAX_BYTES, LEDGER_RATE_LIMIT, LEDGER_MAX_CLOCK_SKEW_SECONDS,
 * LEDGER_MAX_CONNECTIONS, LEDGER_IDLE_TIMEOUT_SECONDS, LEDGER_CLIENT_BYTES_PER_WINDOW, LEDGER_CLIENT_BYTES_WINDOW_SECONDS.
 * @throws ConfigError naming the bad value
 */
export function buildConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd: string): LedgerConfig {
  const rpcUrl = flags.rpc ?? env.LEDGER_RPC_URL ?? undefined;
  const embedded = !rpcUrl;
  const config: LedgerConfig = {
    dataDir: path.resolve(cwd, flags.dataDir ?? env.LEDGER_DATA_DIR ?? "data"),
    host: flags.host ?? env.LEDGER_HOST ?? "127.0.0.1",
    port: int("port", flags.port ?? env.PORT, 8080, 0, 65535),
    rpcUrl: rpcUrl || undefined,
    contract: flags.contract ?? env.LEDGER_CONTRACT ?? undefined,
    anchorKey: env.LEDGER_ANCHOR_KEY || undefined,
    anchorKeystore: flags.anchorKeystore ?? (env.LEDGER_ANCHOR_KEYSTORE || undefined),
    anchorKeystorePasswordFile:
      flags.anchorKeystorePasswordFile ?? (env.LEDGER_ANCHOR_KEYSTORE_PASSWORD_FILE || undefined),
    chainHost: "127.0.0.1",
    chainPort: int("chain port", flags.chainPort ?? env.LEDGER_CHAIN_PORT, 8545, 0, 65535),
    ledgerName: flags.ledger ?? env.LEDGER_NAME ?? "default",
    confirmations: int("confirmations", flags.confirmations ?? env.LEDGER_CONFIRMATIONS, embedded ? 1 : 6, 1, 10_000),
    seal: {
      maxEvents: int("epoch max events", flags.epochMaxEvents ?? env.LEDGER_EPOCH_MAX_EVENTS, 10_000, 1, 10_000_000),
      maxAgeMs: 1000 * int("epoch max age (s)", flags.epochMaxAge ?? env.LEDGER_EPOCH_MAX_AGE_SECONDS, 60, 1, 86_400),
    },
    tickMs: int("tick (ms)", env.LEDGER_TICK_MS, 1000, 10, 60_000),
    anchorWithinMs: 1000 * int("anchor SLA (s)", env.LEDGER_ANCHOR_SLA_SECONDS, 600, 1, 7 * 86_400),
    anchorStuckMs:
      1000 *
      int("anchor stuck timeout (s)", flags.anchorStuckTimeout ?? env.LEDGER_ANCHOR_STUCK_SECONDS, 180, 1, 86_400),
    anchorRetryMaxMs: 1000 * int("anchor retry max (s)", env.LEDGER_ANCHOR_RETRY_MAX_SECONDS, 60, 1, 3600),
    anchorMaxFeeWei: env.LEDGER_ANCHOR_MAX_FEE_GWEI
      ? BigInt(int("anchor max fee (gwei)", env.LEDGER_ANCHOR_MAX_FEE_GWEI, 0, 1, 10_000_000)) * 1_000_000_000n
      : undefined,
    bulkMax: int("bulk max", env.LEDGER_BULK_MAX, 1000, 1, 100_000),
    // 1,000 events of a real MES run 1-4 KB each (signatures, recipe context, long comments): 1 MiB,
    // the single-post limit, would refuse most full bulks.
    bulkBodyMaxBytes: int(
      "bulk body max (bytes)",
      env.LEDGER_BULK_BODY_MAX_BYTES,
      DEFAULT_BULK_BODY_MAX_BYTES,
      1024,
      256 * 1024 * 1024,
    ),
    rateLimit: int("rate limit", env.LEDGER_RATE_LIMIT, 50_000, 1, 10_000_000),
    maxClockSkewMs: 1000 * int("max clock skew (s)", env.LEDGER_MAX_CLOCK_SKEW_SECONDS, 300, 0, 86_400),
    maxConnections: int("max connections", env.LEDGER_MAX_CONNECTIONS, 1024, 1, 1_000_000),
    idleTimeoutMs: 1000 * int("idle timeout (s)", env.LEDGER_IDLE_TIMEOUT_SECONDS, 30, 1, 3600),
    // 1 GiB an hour: far above a real MES (a few KB per event), a bound on what one token can fill the disk with.
    clientBytesPerWindow: int(
      "client bytes per window",
      env.LEDGER_CLIENT_BYTES_PER_WINDOW,
      DEFAULT_CLIENT_BYTES_PER_WINDOW,
      1024,
      2 ** 50,
    ),
    clientBytesWindowMs:
      1000 * int("client bytes window (s)", env.LEDGER_CLIENT_BYTES_WINDOW_SECONDS, 3600, 1, 7 * 86_400),
  };
  if (!isLedgerName(config.ledgerName)) {
    throw new ConfigError(`ledger name ${JSON.stringify(config.ledgerName)}: want ${LEDGER_NAME_RULE}`);
  }
  if (config.rpcUrl && config.contract && !/^0x[0-9a-fA-F]{40}$/.test(config.contract)) {
    throw new ConfigError(`contract ${JSON.stringify(config.contract)}: want a 0x-prefixed 20-byte address`);
  }
  return config;
}
