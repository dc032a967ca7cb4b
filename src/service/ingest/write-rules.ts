/**
 * What a writer may write (issue 12 items 2 and 3). The ledger's own event type (`security.event`)
 * and its own sources (`urn:gxp-ledger:*`) are reserved to the ledger itself, so that no API client
 * or import can forge, block or exhaust them; an `mes` client bound to sources and sites may write
 * only there (21 CFR 11.10(d),(g): limiting system access to authorised individuals; Annex 11 §12.1).
 */
import { CoreError, GxpEvent } from "../../core";
import { Client } from "../../store/clients";

/** Codes of a refused write; each names the rule. */
export type WriteRuleCode = "EVENT_TYPE_RESERVED" | "SOURCE_RESERVED" | "SOURCE_NOT_ALLOWED" | "SITE_NOT_ALLOWED";

/** A write refused by a rule on who may write what (HTTP 403). */
export class WriteRefused extends CoreError<WriteRuleCode> {}

/** The event type only the ledger writes. */
export const RESERVED_TYPE = "security.event";
/** The source prefix only the ledger writes. */
export const RESERVED_SOURCE_PREFIX = "urn:gxp-ledger:";

/** Whether `source` is one of the ledger's own (case-insensitive, as URN schemes and NIDs are). */
export function isReservedSource(source: string): boolean {
  return source.toLowerCase().startsWith(RESERVED_SOURCE_PREFIX);
}

/**
 * Refuses events of the ledger's own type or sources: for every writer but the ledger itself (API
 * clients and `append`).
 * @throws WriteRefused EVENT_TYPE_RESERVED, SOURCE_RESERVED
 */
export function assertNotReserved(events: readonly GxpEvent[]): void {
  for (const e of events) {
    if (e.type === RESERVED_TYPE)
      throw new WriteRefused(
        "EVENT_TYPE_RESERVED",
        `event ${e.id}: type ${RESERVED_TYPE} is written only by the ledger itself`,
        { eventId: e.id },
      );
    if (isReservedSource(e.source))
      throw new WriteRefused(
        "SOURCE_RESERVED",
        `event ${e.id}: sources ${RESERVED_SOURCE_PREFIX}* are written only by the ledger itself`,
        { eventId: e.id },
      );
  }
}

/** The sources and sites a client is bound to; both empty for an unscoped client. */
export interface ClientScope {
  sources: readonly string[];
  sites: readonly string[];
}

/** Whether a client is bound to sources and sites at all (clients created before scopes are not). */
export function isScoped(scope: ClientScope): boolean {
  return scope.sources.length > 0 || scope.sites.length > 0;
}

/**
 * Refuses events outside a scoped client's sources or sites. An unscoped client (created before
 * scopes existed) is not bound: `client list` flags it until it is scoped (`client scope`).
 * @throws WriteRefused SOURCE_NOT_ALLOWED, SITE_NOT_ALLOWED
 */
export function assertInScope(events: readonly GxpEvent[], client: Pick<Client, "name">, scope: ClientScope): void {
  if (!isScoped(scope)) return;
  for (const e of events) {
    if (!scope.sources.includes(e.source)) {
      throw new WriteRefused(
        "SOURCE_NOT_ALLOWED",
        `event ${e.id}: client ${client.name} may not write source ${e.source}; its sources: ${scope.sources.join(", ") || "none"}`,
        { eventId: e.id },
      );
    }
    if (!scope.sites.includes(e.site)) {
      throw new WriteRefused(
        "SITE_NOT_ALLOWED",
        `event ${e.id}: client ${client.name} may not write site ${e.site}; its sites: ${scope.sites.join(", ") || "none"}`,
        { eventId: e.id },
      );
    }
  }
}
