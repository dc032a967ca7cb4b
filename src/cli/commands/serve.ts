/**
 * `serve`: the ledger service (what `npm start` runs): the HTTP API, the background sealer and
 * anchorer, and, with no chain configured, the embedded development chain.
 */
import path from "node:path";
import { Command } from "commander";
import { withAnchoringOptions } from "../anchoring-options";
import { configOf } from "../context";
import { CliExit, EXIT } from "../exit";
import type { Ledger } from "../../service/app/ledger";
import type { ChainContext } from "../../service/app/chain-context";

/**
 * Before the chain is opened: the key file must be the ledger's recorded key (a changed or missing
 * key refuses to start until `key rotate` records a rotation). Checked first, so that a refused
 * start never starts and stops the embedded chain.
 * @throws CliExit FAILED naming the code (LEDGER_KEY_CHANGED, LEDGER_KEY_MISSING)
 */
async function startupKeyCheck(ledger: Ledger, dataDir: string): Promise<string> {
  const [{ loadLedgerKey }, { StoreError }] = await Promise.all([
    import("../../service/app/ledger"),
    import("../../store/errors"),
  ]);
  try {
    return loadLedgerKey(ledger.db, dataDir).keyId;
  } catch (e) {
    if (e instanceof StoreError && (e.code === "LEDGER_KEY_CHANGED" || e.code === "LEDGER_KEY_MISSING"))
      throw new CliExit(EXIT.FAILED, `${e.code}: ${e.message}`);
    throw e;
  }
}

/**
 * Once the chain is open: the chain, contract and ledger id must be the pinned ones (recorded at the
 * first start), and the ledger key's id is registered on chain once (a failure there is logged and
 * retried at the next start).
 * @throws CliExit FAILED naming LEDGER_PIN_MISMATCH
 */
async function startupPinCheck(
  ledger: Ledger,
  chain: ChainContext,
  keyId: string,
  log: (level: "info" | "warn", msg: string, info?: Record<string, unknown>) => void,
): Promise<void> {
  const [
    { ensureLedgerPin, registerLedgerKeyOnChain, keyRegistrar },
    { createSecurityRecorder },
    { StoreError },
    { safeErrorMessage },
  ] = await Promise.all([
    import("../../service/security/ledger-pin"),
    import("../../service/security/security"),
    import("../../store/errors"),
    import("../../chain/redact"),
  ]);
  const security = createSecurityRecorder(ledger, ledger.name);
  const pinned = await ensureLedgerPin(ledger, chain, security).catch((e: unknown) => {
    if (e instanceof StoreError && e.code === "LEDGER_PIN_MISMATCH")
      throw new CliExit(EXIT.FAILED, `${e.code}: ${e.message}`);
    throw e;
  });
  if (pinned.action !== "checked")
    log(pinned.action === "repinned" ? "warn" : "info", `ledger ${pinned.action}: ${pinned.pin.reason}`, {
      chainId: pinned.pin.chainId,
      genesisHash: pinned.pin.genesisHash,
      contract: pinned.pin.contract,
      ledgerId: pinned.pin.ledgerId,
    });
  try {
    const reg = await registerLedgerKeyOnChain(ledger, pinned.pin, keyId, keyRegistrar(chain), security);
    if (reg.sent) log("info", "ledger key registered on chain", { keyId, tx: reg.txHash });
  } catch (e) {
    log("warn", "the ledger key could not be registered on chain now; retried at the next start", {
      keyId,
      error: safeErrorMessage(e),
    });
  }
}

/** Registers `serve`. */
export function serveCommand(): Command {
  return withAnchoringOptions(
    new Command("serve")
      .description("run the ledger: HTTP API, sealer, anchorer (and the embedded chain when no --rpc is given)")
      .option("--host <host>", "address to listen on (LEDGER_HOST)", undefined)
      .option("--port <port>", "port to listen on (PORT; 0 picks a free one)")
      .option("--chain-port <port>", "embedded chain port (LEDGER_CHAIN_PORT; 0 picks a free one)")
      .option("--contract <address>", "anchor contract on an external chain (LEDGER_CONTRACT)")
      .option("--ledger <name>", "ledger name, one per site (LEDGER_NAME)")
      .option("--epoch-max-events <n>", "seal when this many events are pending (LEDGER_EPOCH_MAX_EVENTS)")
      .option(
        "--epoch-max-age <seconds>",
        "seal when the oldest pending event is this old (LEDGER_EPOCH_MAX_AGE_SECONDS)",
      )
      .option("--confirmations <n>", "confirmations before an anchor counts (LEDGER_CONFIRMATIONS)"),
  ).action(async (opts: Record<string, unknown>, cmd: Command) => {
    // The service's modules (Fastify, metrics, the runner) load only when serving: every other
    // command starts without them.
    const [
      { verifyBatch },
      { providerTransport },
      { buildApp },
      { listen },
      { openLedger },
      { openAnchoringChain },
      { startRunner },
      { readinessOf },
      { createApiServices, devTokenFile, ensureDevToken },
      { createMetrics },
      { createLogger },
      { prepareEventValidation },
    ] = await Promise.all([
      import("../../service/batch/batch-verify"),
      import("../../chain/verify-anchor"),
      import("../../http/app"),
      import("../../http/server"),
      import("../../service/app/ledger"),
      import("../../service/app/chain-context"),
      import("../../service/app/runner"),
      import("../../service/app/readiness"),
      import("../../service/app/api"),
      import("../../service/app/metrics"),
      import("../../service/app/logger"),
      import("../../core"),
    ]);
    prepareEventValidation();
    const config = configOf(cmd, opts);
    const logger = createLogger({ level: process.env.LOG_LEVEL || "info" });
    const log = (level: "debug" | "info" | "warn" | "error", msg: string, info?: Record<string, unknown>) =>
      logger[level](info ?? {}, msg);

    const ledger = openLedger(config.dataDir, config.seal, undefined, false, config.ledgerName);
    // --- Start-up trust check (issue 11 item 5): the ledger key, before the chain is opened.
    const keyId = await startupKeyCheck(ledger, config.dataDir).catch((e) => {
      ledger.close();
      throw e;
    });
    const chain = await openAnchoringChain(config, log).catch((e) => {
      ledger.close();
      throw e;
    });
    // --- Start-up trust checks (issue 11 item 5): the pin, the key's registration on chain.
    await startupPinCheck(ledger, chain, keyId, log).catch(async (e) => {
      await chain.close();
      ledger.close();
      throw e;
    });
    // --- end of the start-up trust checks.
    const api = createApiServices(
      ledger,
      config.dataDir,
      config.ledgerName,
      config.seal.maxAgeMs + config.anchorWithinMs,
      config.maxClockSkewMs,
    );
    const devToken = chain.embedded ? ensureDevToken(api, config.dataDir, process.env) : undefined;
    let runner: ReturnType<typeof startRunner> | undefined;
    let server: Awaited<ReturnType<typeof listen>>;
    try {
      const metrics = createMetrics(ledger, { defaultMetrics: true });
      runner = startRunner(ledger, chain, {
        tickMs: config.tickMs,
        confirmations: config.confirmations,
        log,
        metrics,
        anchorStuckMs: config.anchorStuckMs,
        anchorRetryMaxMs: config.anchorRetryMaxMs,
        anchorMaxFeeWei: config.anchorMaxFeeWei,
      });
      const r = runner;
      const app = buildApp({
        ledger,
        ...api,
        bulkMax: config.bulkMax,
        bulkBodyLimit: config.bulkBodyMaxBytes,
        metrics,
        chainHead: () => r.chainHead(),
        batchReview: (batchId) =>
          verifyBatch(ledger, batchId, {
            confirmations: config.confirmations,
            chain: async () => providerTransport(chain.provider),
          }),
        rateLimit: { max: config.rateLimit, windowMs: 10_000 },
        byteQuota: { maxBytes: config.clientBytesPerWindow, windowMs: config.clientBytesWindowMs },
        logger: logger.child({ component: "http" }),
        // Database open, no epoch pre-empted, chain reachable, anchor lag under its limit; otherwise 503 with the reasons.
        readiness: () => readinessOf(ledger, r, config.anchorWithinMs),
      });
      server = await listen(app, config.host, config.port, {
        maxConnections: config.maxConnections,
        idleTimeoutMs: config.idleTimeoutMs,
      });
    } catch (e) {
      // Never leave the embedded chain running behind a server that failed to start.
      await runner?.stop();
      await chain.close();
      ledger.close();
      throw e;
    }
    const running = runner;
    const d = chain.deployment;
    logger.info(
      {
        url: server.url,
        dataDir: config.dataDir,
        chainId: d.chainId,
        contract: d.contract,
        ledger: d.ledgerName,
        embeddedChain: chain.embedded?.rpcUrl ?? null,
      },
      "gxp-ledger listening",
    );
    if (chain.embedded) {
      logger.warn(
        "embedded development chain with Hardhat's PUBLIC test keys: for development only, never for production records",
      );
    }
    if (devToken) {
      // Printed once, on the terminal only (not through the logger), and kept in the data directory.
      process.stderr.write(
        `\nDevelopment MES token (client dev-mes, role mes), also in ${devTokenFile(config.dataDir)}:\n\n  ${devToken}\n\n` +
          `Post events with: -H "authorization: Bearer $(cat ${path.relative(process.cwd(), devTokenFile(config.dataDir)) || devTokenFile(config.dataDir)})"\n` +
          `Turn this off with LEDGER_DEV_TOKEN=off; create real clients with: npx gxp-ledger client add <name> --role mes\n\n`,
      );
    }

    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, "shutting down: finishing in-flight requests");
      await server.close(); // in-flight requests and their commits complete first
      await running.stop();
      await chain.close(); // the embedded chain writes its state file on exit
      ledger.close();
      logger.info("stopped");
      process.exit(EXIT.OK);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
  });
}
