/**
 * Corrections and voids never change the original (Annex 11 §8.2, §9; FDA Data Integrity Q&A Q2):
 * `record.corrected` and `record.voided` reference it. The batch view folds them, in batch order,
 * into a current value while keeping the original, the new value, the reason, who and when.
 */
import { canonicalString } from "../canonical";
import { GxpEvent } from "../event/types";
import { CorrectionView, Finding } from "./types";

/** The fold: per corrected event, its changes in order; the voided events; and what is wrong. */
export interface CorrectionFold {
  views: CorrectionView[];
  /** Target event id → ids of the corrections and voids that apply to it, in batch order. */
  byTarget: Map<string, string[]>;
  voided: Set<string>;
  /** Current value of each corrected event (a copy with the corrections applied). */
  current: Map<string, GxpEvent>;
  findings: Finding[];
}

function decodePointer(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value at an RFC 6901 pointer, or undefined. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const t of decodePointer(pointer)) {
    if (cur === null || typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

function setAt(doc: Record<string, unknown>, pointer: string, value: unknown): boolean {
  const tokens = decodePointer(pointer);
  let cur: Record<string, unknown> = doc;
  for (const t of tokens.slice(0, -1)) {
    const next = cur[t];
    if (next === null || typeof next !== "object") return false;
    cur = next as Record<string, unknown>;
  }
  cur[tokens[tokens.length - 1]] = value;
  return true;
}

/**
 * Equal as JSON values: compared in RFC 8785 form, so that the member order of an object value
 * (which JSON does not define, and an MES may not keep) does not count as a difference.
 */
function same(a: unknown, b: unknown): boolean {
  try {
    return canonicalString(a) === canonicalString(b);
  } catch {
    return false; // not JSON at all (a missing previousValue): not the recorded value
  }
}

function person(p: unknown): string | undefined {
  if (!p || typeof p !== "object") return undefined;
  const o = p as Record<string, unknown>;
  return typeof o.printedName === "string" && o.printedName
    ? `${o.printedName}${typeof o.role === "string" ? ` (${o.role})` : ""}`
    : undefined;
}

/** Folds the corrections and voids of a batch, given its events in batch order. */
export function foldCorrections(events: readonly GxpEvent[]): CorrectionFold {
  const byId = new Map(events.map((e) => [e.id, e]));
  const fold: CorrectionFold = { views: [], byTarget: new Map(), voided: new Set(), current: new Map(), findings: [] };
  for (const ev of events) {
    if (ev.type !== "record.corrected" && ev.type !== "record.voided") continue;
    const rel = ev.type === "record.corrected" ? "corrects" : "voids";
    const d = ev.data as Record<string, unknown>;
    const target = ev.refs?.find((r) => r.rel === rel)?.eventId ?? "";
    const reason = [d.reasonCode, d.reasonText].filter((x) => typeof x === "string" && x).join(": ");
    const authorisedBy = person(d.authorizedBy) ?? person(d.authorisedBy);
    const view: CorrectionView = {
      eventId: ev.id,
      kind: ev.type === "record.corrected" ? "corrected" : "voided",
      target,
      reason,
      by: `${ev.actor.printedName} (${ev.actor.role})`,
      ...(authorisedBy ? { authorisedBy } : {}),
      at: ev.occurredAt,
    };
    fold.views.push(view);
    fold.byTarget.set(target, [...(fold.byTarget.get(target) ?? []), ev.id]);
    if (!reason)
      fold.findings.push({
        code: "CORRECTION_WITHOUT_REASON",
        message: `${ev.type} ${ev.id} of ${target} carries no reason`,
        eventIds: [ev.id],
      });
    if (!authorisedBy) {
      fold.findings.push({
        code: "CORRECTION_WITHOUT_AUTHORISER",
        message: `${ev.type} ${ev.id} of ${target} names no authoriser (data.authorizedBy with printedName)`,
        eventIds: [ev.id],
      });
    }
    const original = byId.get(target);
    if (!original) {
      fold.findings.push({
        code: "CORRECTION_TARGET_OUTSIDE_BATCH",
        message: `${ev.type} ${ev.id} refers to ${target}, which is not an event of this batch`,
        eventIds: [ev.id],
      });
      continue;
    }
    if (ev.type === "record.voided") {
      fold.voided.add(target);
      continue;
    }
    const field = String(d.field);
    const cur = fold.current.get(target) ?? (structuredClone(original) as GxpEvent);
    const before = valueAt(cur, field);
    view.field = field;
    view.originalValue = valueAt(original, field);
    view.previousValue = d.previousValue;
    view.newValue = d.newValue;
    if (before === undefined) {
      fold.findings.push({
        code: "CORRECTION_FIELD_UNKNOWN",
        message: `record.corrected ${ev.id}: ${target} has no field ${field}`,
        eventIds: [ev.id, target],
      });
      continue;
    }
    if (!same(before, d.previousValue)) {
      fold.findings.push({
        code: "CORRECTION_PREVIOUS_VALUE_MISMATCH",
        message: `record.corrected ${ev.id}: previous value ${JSON.stringify(d.previousValue)} of ${target}${field} is not the recorded value ${JSON.stringify(before)}`,
        eventIds: [ev.id, target],
      });
    }
    setAt(cur as unknown as Record<string, unknown>, field, d.newValue);
    fold.current.set(target, cur);
  }
  return fold;
}
