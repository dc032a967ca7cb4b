/**
 * Ingestion: what happens to events an API client posts. Validation, the client's source signature,
 * the append (one transaction, replied to after commit), and a receipt signed with the ledger's key.
 */
import { EventError, FieldIssue, GxpEvent, SubmittedBy, assertEvent, assertNotInFuture } from "../core";
import { verifySourceSig } from "../crypto/source-sig";
import { ReceiptKey, SignedReceipt } from "../crypto/receipt-key";
import { Client } from "../store/clients";
import { StoreError } from "../store/errors";
import { AppendResult, StoredEvent } from "../store/event-store";
import { Ledger } from "./ledger";
import { SecurityRecorder } from "./security";

/** Options of ingestion. */
export interface IngestOptions {
  ledgerName: string;
  receiptKey: ReceiptKey;
  /** How long after receipt the ledger promises the event's epoch is anchored. */
  anchorWithinMs: number;
  security: SecurityRecorder;
  /** Event times may be at most this far ahead of the ledger's clock. */
  maxClockSkewMs?: number;
  now?: () => number;
}

/** The ingestion service. */
export interface Ingestor {
  /**
   * Validates, checks signatures and appends events all-or-nothing; one signed receipt each.
   * @throws EventError, StoreError (EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, SOURCE_SIGNATURE_INVALID)
   */
  ingest(events: readonly unknown[], client?: Client): { receipt: SignedReceipt; duplicate: boolean }[];
  /**
   * Like ingest, with group commit: calls that arrive in the same turn of the event loop share one
   * SQLite transaction and one fsync; each promise resolves only after that commit. Validation and
   * signature checks throw at once, before queueing.
   */
  submit(events: readonly unknown[], client?: Client, opts?: { bulk?: boolean }): Promise<{ receipt: SignedReceipt; duplicate: boolean }[]>;
  /** The signed receipt of a stored event (the same bytes as when it was accepted). */
  receiptOf(ev: StoredEvent): SignedReceipt;
  anchorBy(receivedAt: string): string;
}

/** The record's attribution for events a client posts. */
export function submittedByOf(client: Client): SubmittedBy {
  return client.signingAlg && client.signingKey
    ? { client: client.name, role: client.role, signingAlg: client.signingAlg, signingKey: client.signingKey }
    : { client: client.name, role: client.role };
}

/** Builds the ingestion service. */
export function createIngestor(ledger: Ledger, opts: IngestOptions): Ingestor {
  const anchorBy = (receivedAt: string) => new Date(Date.parse(receivedAt) + opts.anchorWithinMs).toISOString();
  const sign = (r: AppendResult["receipt"]): SignedReceipt =>
    opts.receiptKey.sign({ ...r, anchorBy: anchorBy(r.receivedAt), ledger: opts.ledgerName, keyId: opts.receiptKey.keyId });
  /** Everything that can be checked before the write: schema, clock, the client's signature. */
  const precheck = (events: readonly unknown[], client?: Client, bulk = false): GxpEvent[] => {
    const now = (opts.now ?? Date.now)();
    // A bulk request names every bad field of every event, as /events/<index>/<field>.
    const issues: FieldIssue[] = [];
    events.forEach((e, i) => {
      try {
        assertEvent(e);
        assertNotInFuture(e, now, opts.maxClockSkewMs ?? 300_000);
      } catch (err) {
        if (!bulk || !(err instanceof EventError)) throw err;
        issues.push(...(err.issues.length ? err.issues : [{ path: "", message: err.message }]).map((x) => ({ path: `/events/${i}${x.path === "/" ? "" : x.path}`, message: x.message })));
      }
    });
    if (issues.length) throw new EventError("EVENT_SCHEMA_INVALID", `invalid bulk request: ${issues.length} bad field(s); nothing stored`, issues);
    if (client?.signingAlg && client.signingKey) {
      for (const e of events as GxpEvent[]) {
        try {
          verifySourceSig(e, { alg: client.signingAlg, key: client.signingKey });
        } catch (err) {
          throw new StoreError("SOURCE_SIGNATURE_INVALID", (err as Error).message, { eventId: e.id, client: client.name });
        }
      }
    }
    return events as GxpEvent[];
  };
  const refused = (e: unknown, client?: Client): unknown => {
    if (e instanceof StoreError && e.code === "EVENT_ID_CONFLICT") {
      opts.security.record("event.id_conflict", { eventId: e.info.eventId, client: client?.name ?? null });
    }
    return e;
  };
  const finish = (results: AppendResult[]) => results.map((r) => ({ receipt: sign(r.receipt), duplicate: r.duplicate }));

  type Pending = { events: GxpEvent[]; client?: Client; resolve: (r: ReturnType<typeof finish>) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  const flush = () => {
    const group = queue;
    queue = [];
    let out: (AppendResult[] | Error)[];
    try {
      out = ledger.events.appendGroup(group.map((p) => ({ events: p.events, opts: p.client ? { submittedBy: submittedByOf(p.client) } : {} })));
    } catch (e) {
      for (const p of group) p.reject(e);
      return;
    }
    group.forEach((p, i) => {
      const r = out[i];
      if (r instanceof Error) p.reject(refused(r, p.client));
      else p.resolve(finish(r));
    });
  };

  return {
    anchorBy,
    ingest(events, client) {
      const checked = precheck(events, client);
      try {
        return finish(ledger.events.append(checked, client ? { submittedBy: submittedByOf(client) } : {}));
      } catch (e) {
        throw refused(e, client);
      }
    },
    submit(events, client, o) {
      const checked = precheck(events, client, o?.bulk);
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ events: checked, client, resolve, reject });
      });
    },
    receiptOf(ev) {
      return sign({ id: ev.eventId, seq: ev.seq, leafHash: "0x" + Buffer.from(ev.leafHash).toString("hex"), receivedAt: ev.receivedAt });
    },
  };
}
