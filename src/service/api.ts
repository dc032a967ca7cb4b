/**
 * What the HTTP API needs besides the ledger: clients, the security recorder, the receipt key and
 * the ingestion service, built once per process.
 */
import fs from "node:fs";
import path from "node:path";
import { ClientStore, createClientStore } from "../store/clients";
import { Ledger, loadLedgerKey } from "./ledger";
import { createIngestor, Ingestor } from "./ingest";
import { createSecurityRecorder, SecurityRecorder, LEDGER_ACTOR } from "./security";

/** The API's dependencies. */
export interface ApiServices {
  clients: ClientStore;
  security: SecurityRecorder;
  ingestor: Ingestor;
}

/**
 * Builds the API services for `ledger` in `dataDir`. Receipts are signed with the ledger key checked
 * against ledger_keys (loadLedgerKey), the same check the service runs at start.
 * @throws StoreError LEDGER_KEY_CHANGED, LEDGER_KEY_MISSING
 */
export function createApiServices(ledger: Ledger, dataDir: string, ledgerName: string, anchorWithinMs: number, maxClockSkewMs = 300_000): ApiServices {
  const security = createSecurityRecorder(ledger, ledgerName);
  return {
    clients: createClientStore(ledger.db),
    security,
    ingestor: createIngestor(ledger, { ledgerName, receiptKey: loadLedgerKey(ledger.db, dataDir), anchorWithinMs, security, maxClockSkewMs }),
  };
}

/** Where the development token is written. */
export function devTokenFile(dataDir: string): string {
  return path.join(dataDir, "dev-mes-token");
}

/**
 * On the first start of a development ledger (embedded chain, no clients yet), creates an `mes`
 * client named dev-mes so the quick start works in two commands; returns its token (printed once and
 * written to <dataDir>/dev-mes-token, mode 0600). LEDGER_DEV_TOKEN=off turns this off.
 */
export function ensureDevToken(api: ApiServices, dataDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.LEDGER_DEV_TOKEN === "off" || api.clients.list().length > 0) return undefined;
  const { token } = api.clients.add("dev-mes", "mes", undefined, new Date());
  fs.writeFileSync(devTokenFile(dataDir), token + "\n", { mode: 0o600 });
  api.security.record("client.added", { client: "dev-mes", role: "mes", development: true }, LEDGER_ACTOR);
  return token;
}
