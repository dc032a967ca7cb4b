/**
 * Electronic signatures of a batch record (21 CFR 11.50 manifestation, 11.70 linking, 211.188(b)(11)
 * and 211.101(c),(d) second person). The ledger evidences signatures made in the MES: it shows each
 * with printed name, time and meaning, checks that the content hash still binds it to what it signs,
 * and tells when what it signs was changed afterwards.
 */
import { canonicalBytes } from "../canonical";
import { computePayloadHash } from "../event/validate";
import { GxpEvent } from "../event/types";
import { toHex } from "../hex";
import { sha256Noble } from "../merkle/hasher";
import { CorrectionFold } from "./corrections";
import { Finding, SignatureView } from "./types";

interface SignedContent {
  kind: string;
  eventIds: string[];
  contentHash: string;
}

/** The content hash a signature must carry: SHA-256 over the JCS array of the signed events' payloadHash values. */
export function signedContentHash(signed: readonly GxpEvent[]): string {
  const hashes = signed.map((e) => e.payloadHash ?? computePayloadHash(e as unknown as Record<string, unknown>));
  return "sha256:" + toHex(sha256Noble(canonicalBytes(hashes))).slice(2);
}

/** What the signature review found. */
export interface SignatureReview {
  views: SignatureView[];
  /** Broken 11.70 links: an integrity failure. */
  integrity: Finding[];
  /** Open checklist findings: superseded, missing second person, same person twice, unsigned critical events. */
  open: Finding[];
  /** Event ids covered by at least one signature. */
  covered: Set<string>;
}

/** Reviews every `signature.applied` of a batch, given its events in batch order and the corrections fold. */
export function reviewSignatures(events: readonly GxpEvent[], fold: CorrectionFold): SignatureReview {
  const byId = new Map(events.map((e) => [e.id, e]));
  const position = new Map(events.map((e, i) => [e.id, i]));
  const out: SignatureReview = { views: [], integrity: [], open: [], covered: new Set() };
  const sigs = events.filter((e) => e.type === "signature.applied");
  const groups = new Map<string, GxpEvent[]>();

  for (const s of sigs) {
    const d = s.data as Record<string, unknown>;
    const content = d.signedContent as SignedContent;
    const view: SignatureView = {
      eventId: s.id,
      ...(typeof d.signatureId === "string" ? { signatureId: d.signatureId } : {}),
      printedName: s.actor.printedName,
      userId: s.actor.userId,
      role: s.actor.role,
      meaning: String(d.meaning),
      ...(typeof d.meaningText === "string" ? { meaningText: d.meaningText } : {}),
      signedAt: String(d.signedAt),
      timeZone: String(d.timeZone),
      signs: content.eventIds,
      ...(typeof d.sequence === "number" ? { sequence: d.sequence } : {}),
      ...(typeof d.requiredSignatures === "number" ? { requiredSignatures: d.requiredSignatures } : {}),
      status: "valid",
    };
    out.views.push(view);
    if (s.actor.type !== "person") {
      out.open.push({
        code: "SIGNATURE_NOT_BY_PERSON",
        message: `signature ${s.id} was applied by a ${s.actor.type} account (${s.actor.userId}), not a person`,
        eventIds: [s.id],
      });
    }
    const refs = new Set((s.refs ?? []).filter((r) => r.rel === "signs").map((r) => r.eventId));
    const listed = new Set(content.eventIds);
    if (
      refs.size !== listed.size ||
      [...refs].some((id) => !listed.has(id)) ||
      listed.size !== content.eventIds.length
    ) {
      out.open.push({
        code: "SIGNATURE_REFS_MISMATCH",
        message: `signature ${s.id}: its "signs" references (${[...refs].join(", ")}) are not the signed content's event ids (${content.eventIds.join(", ")}), or an id repeats`,
        eventIds: [s.id],
      });
    }
    const outside = content.eventIds.filter((id) => !byId.has(id));
    if (outside.length) {
      view.status = "outside-batch";
      view.detail = `signs events outside this batch record: ${outside.join(", ")}`;
      out.open.push({
        code: "SIGNATURE_OUTSIDE_BATCH",
        message: `signature ${s.id} (${view.printedName}, ${view.meaning}) ${view.detail}`,
        eventIds: [s.id, ...outside],
      });
      continue;
    }
    const want = signedContentHash(content.eventIds.map((id) => byId.get(id)!));
    if (want !== content.contentHash) {
      view.status = "content-mismatch";
      view.detail = `content hash ${content.contentHash} is not the hash of the signed events (${want})`;
      out.integrity.push({
        code: "SIGNATURE_CONTENT_MISMATCH",
        message: `signature ${s.id} (${view.printedName}, ${view.meaning}): ${view.detail}: a signed event or the signature was altered`,
        eventIds: [s.id, ...content.eventIds],
      });
      continue;
    }
    for (const id of content.eventIds) out.covered.add(id);
    // A signed event corrected or voided by an event the signature does not also sign: the signature
    // is on a superseded version (21 CFR 11.70), unless a later signature of the same meaning covers
    // the event and all its corrections.
    const signedIds = new Set(content.eventIds);
    const superseding = content.eventIds.flatMap((id) =>
      (fold.byTarget.get(id) ?? []).filter((c) => !signedIds.has(c)).map((c) => ({ id, c })),
    );
    if (superseding.length) {
      const resigned = sigs.some((t) => {
        if ((position.get(t.id) ?? 0) <= (position.get(s.id) ?? 0)) return false;
        const td = t.data as { meaning?: string; signedContent?: SignedContent };
        if (td.meaning !== d.meaning) return false;
        const ids = new Set(td.signedContent?.eventIds ?? []);
        return superseding.every(({ id, c }) => ids.has(id) && ids.has(c));
      });
      view.status = resigned ? "re-signed" : "superseded";
      view.detail = superseding.map(({ id, c }) => `${id} was changed by ${c}`).join("; ");
      if (!resigned) {
        out.open.push({
          code: "SIGNATURE_SUPERSEDED",
          message: `signature ${s.id} (${view.printedName}, ${view.meaning}) signs a superseded version: ${view.detail}, and no later signature covers the change`,
          eventIds: [s.id, ...superseding.flatMap(({ id, c }) => [id, c])],
        });
      }
    }
    const key = [...content.eventIds].sort().join(",");
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }

  // Second person: where a signature asks for n signatures, n distinct people must sign the same content.
  for (const group of groups.values()) {
    const required = Math.max(
      ...group.map((s) => Number((s.data as { requiredSignatures?: number }).requiredSignatures ?? 1)),
    );
    const people = new Map<string, GxpEvent[]>();
    for (const s of group) people.set(s.actor.userId, [...(people.get(s.actor.userId) ?? []), s]);
    for (const [userId, theirs] of people) {
      if (theirs.length > 1 && required > 1) {
        out.open.push({
          code: "SIGNATURE_SAME_PERSON",
          message: `signatures ${theirs.map((s) => s.id).join(" and ")} over the same content are both by ${theirs[0].actor.printedName} (${userId}): the second person must be someone else`,
          eventIds: theirs.map((s) => s.id),
        });
      }
    }
    if (people.size < required) {
      out.open.push({
        code: "SIGNATURE_MISSING",
        message: `${required} signatures by distinct people required over ${(group[0].data as { signedContent: SignedContent }).signedContent.eventIds.length} events signed by ${group.map((s) => s.id).join(", ")}; ${people.size} ${people.size === 1 ? "person" : "people"} signed`,
        eventIds: group.map((s) => s.id),
      });
    }
  }

  // Every critical event carries at least one signature (a disposition is signed through its
  // signatureRef, which the checklist's disposition item checks).
  for (const e of events) {
    if (
      e.gmpCriticality !== "critical" ||
      e.type === "signature.applied" ||
      e.type === "batch.dispositioned" ||
      fold.voided.has(e.id)
    )
      continue;
    if (!out.covered.has(e.id)) {
      out.open.push({
        code: "CRITICAL_EVENT_UNSIGNED",
        message: `critical ${e.type} ${e.id} (${e.actor.printedName}, ${e.occurredAt}) is covered by no signature`,
        eventIds: [e.id],
      });
    }
  }
  return out;
}
