/**
 * Where a refusal points: the member of the posted event that a store or write-rule refusal is
 * about, as a JSON Pointer, and in a bulk post the index of the failing event
 * (`/events/<index>/<member>`), so that an MES can tell which of its events to fix.
 */
import type { FieldIssue } from "../core";

/** The member each refusal code is about. */
const MEMBER_OF: Record<string, string> = {
  EVENT_ID_CONFLICT: "/id",
  SOURCE_SEQUENCE_NOT_INCREASING: "/sourceSequence",
  LATE_EVENT_NOT_IN_GAP: "/sourceSequence",
  LATE_EVENT_ALREADY_STORED: "/sourceSequence",
  REFERENCED_EVENT_NOT_FOUND: "/refs",
  REFERENCE_OUTSIDE_BATCH: "/batch",
  SIGNATURE_CONTENT_MISMATCH: "/data/signedContent/contentHash",
  SOURCE_SIGNATURE_INVALID: "/sourceSig",
  EVENT_TYPE_RESERVED: "/type",
  SOURCE_RESERVED: "/source",
  SOURCE_NOT_ALLOWED: "/source",
  SITE_NOT_ALLOWED: "/site",
};

/** Short, fixed messages: the problem's `detail` carries the particulars (and only what the client may learn). */
const MESSAGE_OF: Record<string, string> = {
  EVENT_ID_CONFLICT: "is already stored with other content or by another client",
  SOURCE_SEQUENCE_NOT_INCREASING: "does not increase for this source",
  LATE_EVENT_NOT_IN_GAP: "fills no gap flagged for this source",
  LATE_EVENT_ALREADY_STORED: "is already stored for this source",
  REFERENCED_EVENT_NOT_FOUND: "references an event that is not stored",
  REFERENCE_OUTSIDE_BATCH: "must carry the batch of the event it references",
  SIGNATURE_CONTENT_MISMATCH: "is not the hash of the signed events' content",
  SOURCE_SIGNATURE_INVALID: "does not verify with the client's key",
  EVENT_TYPE_RESERVED: "is reserved to the ledger",
  SOURCE_RESERVED: "is reserved to the ledger",
  SOURCE_NOT_ALLOWED: "may not be written by this client",
  SITE_NOT_ALLOWED: "may not be written by this client",
};

/**
 * The field issues of a refusal that names an event (`info.eventId`) or a source (`info.source`).
 * `bulkBody` is the parsed body of a bulk post (`{events: [...]}`), absent for a single post; each
 * event of the bulk post the refusal names is listed by its index (events repeat an id only as
 * replays or conflicts, so usually one). Undefined when the refusal has no member to point at.
 */
export function refusalIssues(err: unknown, code: string, bulkBody?: unknown): FieldIssue[] | undefined {
  const member = MEMBER_OF[code];
  if (!member) return undefined;
  const message = MESSAGE_OF[code];
  const info = ((err as { info?: Record<string, unknown> }).info ?? {}) as { eventId?: unknown; source?: unknown };
  if (bulkBody === undefined) return [{ path: member, message }];
  const events = Array.isArray(bulkBody) ? bulkBody : (bulkBody as { events?: unknown })?.events;
  if (!Array.isArray(events)) return undefined;
  const key: "id" | "source" | undefined =
    typeof info.eventId === "string" ? "id" : typeof info.source === "string" ? "source" : undefined;
  if (!key) return undefined;
  const want = key === "id" ? info.eventId : info.source;
  const issues: FieldIssue[] = [];
  events.forEach((e, i) => {
    if ((e as Record<string, unknown> | null)?.[key] === want) issues.push({ path: `/events/${i}${member}`, message });
  });
  // An unscoped client's refusal names the source: its first event in the post is the one refused.
  return issues.length ? (key === "source" ? issues.slice(0, 1) : issues) : undefined;
}
