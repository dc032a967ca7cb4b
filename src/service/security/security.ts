/**
 * The ledger's own security events (21 CFR 11.10(e) and 11.300(d), Annex 11 §12.3, FDA DI Q&A Q1c):
 * client administration, revocations, failed-authentication bursts and id conflicts are recorded as
 * `security.event` events in the ledger itself, sealed and anchored like any other.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { GxpEvent } from "../../core";
import { StoreError } from "../../store/errors";
import { Ledger } from "../app/ledger";

/** Who did it: a person at the CLI, or the ledger itself. */
export interface SecurityActor {
  type: "person" | "system";
  userId: string;
  printedName: string;
  role: string;
}

/** The ledger itself as the actor. */
export const LEDGER_ACTOR: SecurityActor = {
  type: "system",
  userId: "gxp-ledger",
  printedName: "gxp-ledger service",
  role: "system",
};

/** The operating-system user running a CLI command, as the actor of an admin action. */
export function cliActor(): SecurityActor {
  const u = os.userInfo().username;
  return { type: "person", userId: `os:${u}@${os.hostname()}`, printedName: u, role: "admin" };
}

/** Records security events in a ledger. */
export interface SecurityRecorder {
  record(kind: string, data: Record<string, unknown>, actor?: SecurityActor): string;
}

/** Builds the recorder for `ledger` named `ledgerName`. */
export function createSecurityRecorder(
  ledger: Ledger,
  ledgerName: string,
  now: () => Date = () => new Date(),
): SecurityRecorder {
  const base = `urn:gxp-ledger:${ledgerName}:security`;
  const qLast = ledger.db
    .prepare<[string], number | null>("SELECT max(source_sequence) FROM events WHERE source = ?")
    .pluck();
  /**
   * The source to record on and its next number. Only the ledger writes urn:gxp-ledger:* sources
   * (write-rules.ts), but a database from before that rule may hold a client's event on this source
   * at sourceSequence 2^53−1, after which no number is left: the ledger then continues on
   * `<source>:1`, `<source>:2`, … rather than failing to record (issue 12).
   */
  const next = (): { source: string; sourceSequence: number } => {
    for (let n = 0; n < 64; n++) {
      const source = n === 0 ? base : `${base}:${n}`;
      const last = qLast.get(source) ?? -1;
      if (last < Number.MAX_SAFE_INTEGER) return { source, sourceSequence: last + 1 };
    }
    throw new StoreError(
      "SOURCE_SEQUENCE_NOT_INCREASING",
      `no sequence number is left on the ledger's security sources ${base}[:1..63]`,
      { source: base },
    );
  };
  return {
    record(kind, data, actor = LEDGER_ACTOR) {
      for (let attempt = 0; ; attempt++) {
        const t = now().toISOString();
        const { source, sourceSequence } = next();
        const ev: GxpEvent = {
          specversion: "1.0",
          id: `sec-${randomUUID()}`,
          type: "security.event",
          source,
          sourceSequence,
          occurredAt: t,
          recordedAt: t,
          timeZone: "UTC",
          site: ledgerName,
          actor,
          gmpCriticality: "major",
          data: { kind, ...data },
        };
        try {
          ledger.events.append([ev], { submittedBy: { client: "gxp-ledger", role: "system" } });
          return ev.id;
        } catch (e) {
          // Another process recorded one at the same moment: take the next sequence number.
          if (e instanceof StoreError && e.code === "SOURCE_SEQUENCE_NOT_INCREASING" && attempt < 5) continue;
          throw e;
        }
      }
    },
  };
}
