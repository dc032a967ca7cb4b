/**
 * `client add|list|revoke`: API clients and their tokens. The token is printed once and stored only
 * as a hash; every change is recorded as a security.event in the ledger (Annex 11 §12.3).
 */
import fs from "node:fs";
import { Command } from "commander";
import { openLedger } from "../../service/app/ledger";
import { createClientStore, ROLES, Role } from "../../store/clients";
import { StoreError } from "../../store/errors";
import { parseSigningKey, SigningKey } from "../../crypto/source-sig";
import { createSecurityRecorder, cliActor } from "../../service/security/security";
import { addClient, revokeClient, scopeClient } from "../../service/app/api";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";

/** Registers `client`. */
export function clientCommand(): Command {
  const client = new Command("client").description("manage API clients (MES instances, QA, auditors, admins)");

  client
    .command("add")
    .description("create a client and print its bearer token (shown only once)")
    .argument("<name>", "unique name, never reused (e.g. pasx-de01-prod)")
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`)
    .option(
      "--signing-key <key>",
      "require source signatures: an Ethereum address (EIP-191) or a PEM file/text with an Ed25519 or P-256 public key (JWS)",
    )
    .option("--source <urn...>", "mes: the sources (exact URNs) it may write; with --site, binds the client")
    .option("--site <code...>", "mes: the sites it may write")
    .action(
      (name: string, opts: { role: string; signingKey?: string; source?: string[]; site?: string[] }, cmd: Command) => {
        const config = configOf(cmd);
        if (!ROLES.includes(opts.role as Role))
          throw new CliExit(EXIT.USAGE, `--role ${opts.role}: want one of ${ROLES.join(", ")}`);
        let signing: SigningKey | undefined;
        if (opts.signingKey) {
          const text = fs.existsSync(opts.signingKey) ? fs.readFileSync(opts.signingKey, "utf8") : opts.signingKey;
          try {
            signing = parseSigningKey(text);
          } catch (e) {
            throw new CliExit(EXIT.USAGE, `--signing-key: ${(e as Error).message}`);
          }
        }
        const ledger = openLedger(config.dataDir, config.seal, undefined, false, config.ledgerName);
        try {
          const clients = createClientStore(ledger.db);
          const scope = opts.source || opts.site ? { sources: opts.source ?? [], sites: opts.site ?? [] } : undefined;
          // The client and its client.added security event commit together, or neither does.
          const { client: c, token } = wrap(() =>
            addClient(
              clients,
              createSecurityRecorder(ledger, config.ledgerName),
              { name, role: opts.role as Role, signing, scope },
              cliActor(),
            ),
          );
          const bound =
            c.role !== "mes"
              ? ""
              : c.sources.length
                ? `, may write sources ${c.sources.join(" ")} at sites ${c.sites.join(" ")}`
                : ", UNSCOPED: it may write any source no other client writes; bind it with --source and --site";
          output(
            cmd,
            { client: c, token },
            `created client ${c.name} (role ${c.role}${c.signingAlg ? `, events must be signed: ${c.signingAlg}` : ""}${bound})\n\ntoken (shown only now; store it in the client's secret store):\n\n  ${token}\n`,
          );
        } finally {
          ledger.close();
        }
      },
    );

  client
    .command("list")
    .description("list clients (never their tokens)")
    .action((_opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      try {
        const all = createClientStore(ledger.db).list();
        const scopeText = (c: (typeof all)[number]) =>
          c.role !== "mes"
            ? ""
            : c.sources.length
              ? `  sources ${c.sources.join(" ")}  sites ${c.sites.join(" ")}`
              : "  UNSCOPED";
        const lines = all.map(
          (c) =>
            `${c.name.padEnd(24)} ${c.role.padEnd(8)} ${c.revokedAt ? `revoked ${c.revokedAt}` : "active"}  created ${c.createdAt}${c.signingAlg ? `  signs ${c.signingAlg}` : ""}${scopeText(c)}`,
        );
        const clients = all.map((c) => ({ ...c, scoped: c.role !== "mes" || c.sources.length > 0 }));
        output(cmd, { clients }, all.length ? lines.join("\n") : "no clients");
      } finally {
        ledger.close();
      }
    });

  client
    .command("revoke")
    .description("revoke a client: its token stops working at once")
    .argument("<name>", "the client")
    .action((name: string, _opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, true);
      try {
        const c = wrap(() =>
          revokeClient(
            createClientStore(ledger.db),
            createSecurityRecorder(ledger, config.ledgerName),
            name,
            cliActor(),
          ),
        );
        output(cmd, { client: c }, `revoked client ${c.name} at ${c.revokedAt}`);
      } finally {
        ledger.close();
      }
    });

  client
    .command("scope")
    .description("bind an mes client to more sources and sites (never narrower: revoke and add a new client for that)")
    .argument("<name>", "the client")
    .option("--source <urn...>", "sources (exact URNs) it may write")
    .option("--site <code...>", "sites it may write")
    .action((name: string, opts: { source?: string[]; site?: string[] }, cmd: Command) => {
      const config = configOf(cmd);
      const ledger = openLedger(config.dataDir, config.seal, undefined, false, config.ledgerName);
      try {
        const c = wrap(() =>
          scopeClient(
            createClientStore(ledger.db),
            createSecurityRecorder(ledger, config.ledgerName),
            name,
            { sources: opts.source ?? [], sites: opts.site ?? [] },
            cliActor(),
          ),
        );
        output(
          cmd,
          { client: c },
          `client ${c.name} may write sources ${c.sources.join(" ") || "none"} at sites ${c.sites.join(" ") || "none"}`,
        );
      } finally {
        ledger.close();
      }
    });
  return client;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StoreError && e.code.startsWith("CLIENT_")) throw new CliExit(EXIT.USAGE, e.message);
    throw e;
  }
}
