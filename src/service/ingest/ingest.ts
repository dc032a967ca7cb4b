/**
 * Ingestion: what happens to events an API client posts. Validation, the client's source signature,
 * the append (one transaction, replied to after commit), and receipts signed with the ledger's key:
 * one signature per commit group over the RFC 9162 root of the group's receipt leaves (receipt
 * version 2, src/core/receipt/receipt.ts), written in the same transaction as the events.
 */
import {
  EventError,
  FieldIssue,
  GxpEvent,
  RECEIPT_MEDIA_TYPE_V2,
  ReceiptEntry,
  ReceiptGroupHeader,
  ReceiptTree,
  ReceiptV2,
  SubmittedBy,
  assertEventText,
  assertNotInFuture,
  buildReceiptTree,
  bytesEqual,
  receiptGroupRef,
  receiptLeafHash,
} from "../../core";
import { verifySourceSig } from "../../crypto/source-sig";
import { nodeHasher } from "../../crypto/node-hasher";
import { ReceiptKey, SignedReceipt } from "../../crypto/receipt-key";
import { Client } from "../../store/clients";
import { StoreError } from "../../store/errors";
import {
  AppendOptions,
  AppendResult,
  Receipt as StoreReceipt,
  StoredEvent,
  receiptOf as storedEntryOf,
} from "../../store/event-store";
import { createReceiptGroupStore } from "../../store/receipt-groups";
import { Ledger } from "../app/ledger";
import { SecurityRecorder } from "../security/security";
import { assertInScope, assertNotReserved, isScoped, WriteRefused } from "./write-rules";

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
  /**
   * Where a failure that must not fail the request is reported (a security event that could not be
   * recorded, an unexpected error of the group commit); default: one JSON line on stderr.
   */
  logError?: (msg: string, err: unknown) => void;
}

/** The ingestion service. */
export interface Ingestor {
  /**
   * Validates, checks signatures and appends events all-or-nothing; one signed receipt each.
   * @throws EventError, StoreError (EVENT_ID_CONFLICT, SOURCE_SEQUENCE_NOT_INCREASING, SOURCE_SIGNATURE_INVALID),
   *   WriteRefused (EVENT_TYPE_RESERVED, SOURCE_RESERVED, SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED)
   */
  ingest(events: readonly unknown[], client?: Client): { receipt: SignedReceipt; duplicate: boolean }[];
  /**
   * Like ingest, with group commit: calls that arrive in the same turn of the event loop share one
   * SQLite transaction and one fsync; each promise resolves only after that commit. Validation and
   * signature checks throw at once, before queueing.
   */
  submit(
    events: readonly unknown[],
    client?: Client,
    opts?: { bulk?: boolean },
  ): Promise<{ receipt: SignedReceipt; duplicate: boolean }[]>;
  /**
   * The signed receipt of a stored event, the same bytes as when it was accepted, rebuilt from its
   * stored commit group (signed at commit). Never signs anything: an event without a stored group
   * (appended by the ledger itself or the CLI, or a row written into the file) has no receipt.
   * @throws StoreError RECEIPT_NOT_STORED when the event is in no receipt group;
   *   RECEIPT_GROUP_MISMATCH when the stored group no longer matches its events
   */
  receiptOf(ev: StoredEvent): SignedReceipt;
  /**
   * A late post (issue 12 item 4): appends events whose sourceSequence each fills a gap flagged for
   * its source, in their own transaction and receipt group, recording each in late_events with the
   * reason and, in the same transaction, an `event.late_accepted` security event.
   * @throws EventError; StoreError LATE_EVENT_NOT_IN_GAP, LATE_EVENT_ALREADY_STORED, EVENT_ID_CONFLICT, …
   */
  ingestLate(
    events: readonly unknown[],
    client: Client,
    reason: string,
  ): { receipt: SignedReceipt; duplicate: boolean }[];
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
  const groups = createReceiptGroupStore(ledger.db);
  const logError =
    opts.logError ??
    ((msg: string, err: unknown) =>
      process.stderr.write(
        JSON.stringify({
          level: "error",
          msg,
          code: (err as { code?: unknown })?.code,
          error: err instanceof Error ? err.message : String(err),
        }) + "\n",
      ));
  const key = opts.receiptKey;
  const anchorBy = (receivedAt: string) => new Date(Date.parse(receivedAt) + opts.anchorWithinMs).toISOString();

  /** A signed commit group: the tree over its receipt leaves and the one signature. */
  interface Group {
    firstSeq: number;
    tree: ReceiptTree;
    header: ReceiptGroupHeader;
    signature: string;
  }
  const receiptAt = (g: Group, e: ReceiptEntry): ReceiptV2 => ({
    mediaType: RECEIPT_MEDIA_TYPE_V2,
    id: e.id,
    seq: e.seq,
    leafHash: e.leafHash,
    receivedAt: e.receivedAt,
    anchorBy: g.header.anchorBy,
    ledger: g.header.ledger,
    keyId: g.header.keyId,
    group: receiptGroupRef(g.tree, e.seq - g.firstSeq),
    signature: g.signature,
  });
  /**
   * Inside the write transaction: signs the group of the events it stored (in seq order, gap-free)
   * and stores the group row with them, so the receipt exists exactly when the events do.
   */
  const seal = (fresh: readonly StoreReceipt[]): Group | undefined => {
    if (fresh.length === 0) return undefined;
    const firstSeq = fresh[0].seq;
    let latest = fresh[0].receivedAt;
    fresh.forEach((r, i) => {
      if (r.seq !== firstSeq + i)
        throw new StoreError(
          "RECEIPT_GROUP_MISMATCH",
          `commit group is not gap-free: seq ${r.seq} at index ${i} of a group from ${firstSeq}`,
          { firstSeq, seq: r.seq },
        );
      if (r.receivedAt > latest) latest = r.receivedAt;
    });
    const tree = buildReceiptTree(fresh, nodeHasher);
    // One promise for the group: anchored by the latest receivedAt of the group plus the SLA.
    const header: ReceiptGroupHeader = {
      ledger: opts.ledgerName,
      keyId: key.keyId,
      anchorBy: anchorBy(latest),
      size: tree.size,
      root: tree.root,
    };
    const signature = key.signGroup(header);
    groups.insert({
      firstSeq,
      size: tree.size,
      root: tree.root,
      anchorBy: header.anchorBy,
      ledger: header.ledger,
      keyId: header.keyId,
      signature: Buffer.from(signature, "base64url"),
    });
    return { firstSeq, tree, header, signature };
  };
  // Recently committed groups, so that replays (an MES retrying after a lost reply) do not rebuild
  // a group's tree from the database each time. Only committed groups enter it.
  const recent = new Map<number, Group>();
  const remember = (g: Group) => {
    recent.set(g.firstSeq, g);
    if (recent.size > 16) recent.delete(recent.keys().next().value as number);
  };
  /**
   * The receipt of a stored event, rebuilt from its stored group. Receipts are signed only at commit
   * (seal above): a row without a group gets no receipt, so a row written into the file cannot
   * obtain the ledger's signature after the fact.
   */
  const storedReceipt = (entry: StoreReceipt): SignedReceipt => {
    const row = groups.groupOf(entry.seq);
    if (!row) {
      throw new StoreError(
        "RECEIPT_NOT_STORED",
        `event ${entry.id} (seq ${entry.seq}) has no stored receipt: it was not accepted over the API (the ledger's own events, CLI appends) or its receipt group is gone`,
        {
          eventId: entry.id,
          seq: entry.seq,
        },
      );
    }
    const cached = recent.get(row.firstSeq);
    // The cache holds what was signed; the event as stored now must still be that leaf.
    if (
      cached &&
      cached.tree.root === row.root &&
      cached.signature === Buffer.from(row.signature).toString("base64url") &&
      bytesEqual(receiptLeafHash(entry, nodeHasher), cached.tree.levels[0][entry.seq - cached.firstSeq])
    ) {
      return receiptAt(cached, entry);
    }
    const tree = buildReceiptTree(groups.entries(row.firstSeq, row.firstSeq + row.size), nodeHasher);
    if (tree.size !== row.size || tree.root !== row.root) {
      throw new StoreError(
        "RECEIPT_GROUP_MISMATCH",
        `receipt group from seq ${row.firstSeq}: its events give root ${tree.root} over ${tree.size}, the stored group says ${row.root} over ${row.size}`,
        {
          firstSeq: row.firstSeq,
        },
      );
    }
    const header = { ledger: row.ledger, keyId: row.keyId, anchorBy: row.anchorBy, size: row.size, root: row.root };
    const g = { firstSeq: row.firstSeq, tree, header, signature: Buffer.from(row.signature).toString("base64url") };
    remember(g);
    return receiptAt(g, entry);
  };
  const fresh = (results: readonly (AppendResult[] | Error)[]): StoreReceipt[] =>
    results.flatMap((r) => (r instanceof Error ? [] : r.filter((x) => !x.duplicate).map((x) => x.receipt)));
  const finish = (results: AppendResult[], g: Group | undefined) =>
    results.map((r) => ({
      receipt:
        g && r.receipt.seq >= g.firstSeq && r.receipt.seq < g.firstSeq + g.tree.size
          ? receiptAt(g, r.receipt)
          : storedReceipt(r.receipt),
      duplicate: r.duplicate,
    }));
  const ingestTx = ledger.db.transaction((events: readonly GxpEvent[], o: AppendOptions) => {
    const out = ledger.events.append(events, o);
    return { out, group: seal(fresh([out])) };
  });
  // A late post: its events and their group, then one security event per late event (after the
  // group, so outside it), all in one transaction.
  const lateTx = ledger.db.transaction(
    (events: readonly GxpEvent[], o: AppendOptions & { late: { reason: string } }) => {
      const out = ledger.events.append(events, o);
      const group = seal(fresh([out]));
      // append answers one result per event, in order.
      out.forEach((r, i) => {
        if (r.duplicate) return;
        const ev = events[i];
        opts.security.record("event.late_accepted", {
          eventId: ev.id,
          seq: r.receipt.seq,
          source: ev.source,
          sourceSequence: ev.sourceSequence,
          reason: o.late.reason,
          client: o.submittedBy?.client ?? null,
        });
      });
      return { out, group };
    },
  );
  const groupTx = ledger.db.transaction(
    (calls: { events: readonly GxpEvent[]; opts: { submittedBy?: SubmittedBy; eventTexts?: readonly string[] } }[]) => {
      const out = ledger.events.appendGroup(calls);
      return { out, group: seal(fresh(out)) };
    },
  );

  /**
   * Everything that can be checked before the write: schema, clock, the client's signature. Returns
   * the events and each one's RFC 8785 text (made in the same pass as the I-JSON check), from which
   * the store composes the record's text.
   */
  const precheck = (
    events: readonly unknown[],
    client?: Client,
    bulk = false,
  ): { events: GxpEvent[]; texts: string[] } => {
    const now = (opts.now ?? Date.now)();
    // A bulk request names every bad field of every event, as /events/<index>/<field>.
    const issues: FieldIssue[] = [];
    const texts: string[] = [];
    events.forEach((e, i) => {
      try {
        texts[i] = assertEventText(e);
        assertNotInFuture(e as GxpEvent, now, opts.maxClockSkewMs ?? 300_000);
      } catch (err) {
        if (!bulk || !(err instanceof EventError)) throw err;
        issues.push(
          ...(err.issues.length ? err.issues : [{ path: "", message: err.message }]).map((x) => ({
            path: `/events/${i}${x.path === "/" ? "" : x.path}`,
            message: x.message,
          })),
        );
      }
    });
    if (issues.length)
      throw new EventError(
        "EVENT_SCHEMA_INVALID",
        `invalid bulk request: ${issues.length} bad field(s); nothing stored`,
        issues,
      );
    // Who may write what (write-rules.ts): the ledger's own type and sources are never a client's;
    // a scoped client writes only its sources and sites; an unscoped one (created before scopes)
    // never a source another client writes.
    assertNotReserved(events as GxpEvent[]);
    if (client) {
      assertInScope(events as GxpEvent[], client, client);
      if (!isScoped(client)) {
        for (const source of new Set((events as GxpEvent[]).map((e) => e.source))) {
          const writer = ledger.events.lastOfSource(source)?.client;
          if (writer != null && writer !== client.name) {
            throw new WriteRefused(
              "SOURCE_NOT_ALLOWED",
              `source ${source} is written by another client: client ${client.name} may not write it`,
              { source },
            );
          }
        }
      }
    }
    if (client?.signingAlg && client.signingKey) {
      for (const e of events as GxpEvent[]) {
        try {
          verifySourceSig(e, { alg: client.signingAlg, key: client.signingKey });
        } catch (err) {
          throw new StoreError("SOURCE_SIGNATURE_INVALID", (err as Error).message, {
            eventId: e.id,
            client: client.name,
          });
        }
      }
    }
    return { events: events as GxpEvent[], texts };
  };
  /** The refusal as it is answered; an id conflict is also recorded, and a failure to record it only logged. */
  const refused = (e: unknown, client?: Client): unknown => {
    if (e instanceof StoreError && e.code === "EVENT_ID_CONFLICT") {
      try {
        opts.security.record("event.id_conflict", { eventId: e.info.eventId, client: client?.name ?? null });
      } catch (err) {
        logError("could not record the security event of an id conflict", err);
      }
    }
    return e;
  };
  type Pending = {
    events: GxpEvent[];
    texts: string[];
    client?: Client;
    resolve: (r: ReturnType<typeof finish>) => void;
    reject: (e: unknown) => void;
  };
  let queue: Pending[] = [];
  // Runs from setImmediate: nothing may escape it (an exception there ends the process). Every
  // promise is settled; settling one twice is a no-op, so the last resort rejects them all.
  const flush = () => {
    const pending = queue;
    queue = [];
    try {
      let committed: ReturnType<typeof groupTx>;
      try {
        committed = groupTx.immediate(
          pending.map((p) => ({
            events: p.events,
            opts: p.client ? { submittedBy: submittedByOf(p.client), eventTexts: p.texts } : { eventTexts: p.texts },
          })),
        );
      } catch (e) {
        for (const p of pending) p.reject(e);
        return;
      }
      // Committed (and fsync'd): only now is anyone told.
      if (committed.group) remember(committed.group);
      pending.forEach((p, i) => {
        const r = committed.out[i];
        try {
          if (r instanceof Error) p.reject(refused(r, p.client));
          else p.resolve(finish(r, committed.group));
        } catch (e) {
          p.reject(e);
        }
      });
    } catch (e) {
      logError("group commit failed", e);
      for (const p of pending) p.reject(e);
    }
  };

  return {
    anchorBy,
    ingest(events, client) {
      const checked = precheck(events, client);
      let committed: ReturnType<typeof ingestTx>;
      try {
        committed = ingestTx.immediate(
          checked.events,
          client ? { submittedBy: submittedByOf(client), eventTexts: checked.texts } : { eventTexts: checked.texts },
        );
      } catch (e) {
        throw refused(e, client);
      }
      if (committed.group) remember(committed.group);
      return finish(committed.out, committed.group);
    },
    submit(events, client, o) {
      const checked = precheck(events, client, o?.bulk);
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ events: checked.events, texts: checked.texts, client, resolve, reject });
      });
    },
    receiptOf(ev) {
      return storedReceipt(storedEntryOf(ev));
    },
    ingestLate(events, client, reason) {
      const checked = precheck(events, client);
      let committed: ReturnType<typeof lateTx>;
      try {
        committed = lateTx.immediate(checked.events, {
          submittedBy: submittedByOf(client),
          late: { reason },
          eventTexts: checked.texts,
        });
      } catch (e) {
        throw refused(e, client);
      }
      if (committed.group) remember(committed.group);
      return finish(committed.out, committed.group);
    },
  };
}
