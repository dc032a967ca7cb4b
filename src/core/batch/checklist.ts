/**
 * The completeness checklist of ../shared/domain/GXP.md §4.1, as far as the events can answer it.
 * Each item names its basis, passes or stays open with findings that name the events involved;
 * reviewed exceptions (a forced step or an out-of-limit value with its deviation) are kept as notes,
 * so that review by exception still shows them.
 */
import { GxpEvent } from "../event/types";
import { CorrectionFold } from "./corrections";
import { SignatureReview } from "./signatures";
import { BatchSourceGap, ChecklistItem, Finding } from "./types";

/** Everything the checklist looks at. */
export interface ChecklistInput {
  batchId: string;
  /** The batch's events in batch order. */
  events: readonly GxpEvent[];
  fold: CorrectionFold;
  signatures: SignatureReview;
  sourceGaps: readonly BatchSourceGap[];
  /** The submitting client of each event (`submittedBy.client`), parallel to `events`; undefined for an import. */
  submitters?: readonly (string | undefined)[];
}

function item(
  id: string,
  title: string,
  basis: string,
  applies: boolean,
  findings: Finding[],
  notes: Finding[] = [],
): ChecklistItem {
  return { id, title, basis, status: findings.length ? "open" : applies ? "pass" : "n/a", findings, notes };
}

const who = (e: GxpEvent): string => `${e.actor.printedName}, ${e.occurredAt}`;
const STEP_KINDS = ["unit_procedure", "operation", "phase"] as const;

/** Evaluates every checklist item. */
export function evaluateChecklist(input: ChecklistInput): ChecklistItem[] {
  const { events, fold } = input;
  const live = events.filter((e) => !fold.voided.has(e.id));
  const current = (e: GxpEvent): GxpEvent => fold.current.get(e.id) ?? e;
  const data = (e: GxpEvent): Record<string, unknown> => current(e).data as Record<string, unknown>;

  // Deviations and what they cover: an exception is reviewed when a deviation of the batch refers to it.
  const deviationRefs = new Map<string, string>();
  for (const e of live)
    if (e.type === "deviation.opened") for (const r of e.refs ?? []) deviationRefs.set(r.eventId, e.id);
  const exception = (e: GxpEvent, what: string, code: string, open: Finding[], notes: Finding[]): void => {
    const dev = deviationRefs.get(e.id);
    if (dev) notes.push({ code, message: `${what}: handled by deviation ${dev}`, eventIds: [e.id, dev] });
    else open.push({ code, message: `${what}, and no deviation refers to it`, eventIds: [e.id] });
  };

  // 1. The record begins with batch.created and follows its master recipe version.
  const created = events.find((e) => e.type === "batch.created");
  const recipeOpen: Finding[] = [];
  if (!created)
    recipeOpen.push({
      code: "BATCH_NOT_CREATED",
      message: `batch ${input.batchId} has no batch.created event`,
      eventIds: [],
    });
  else {
    if (events[0] !== created)
      recipeOpen.push({
        code: "BATCH_CREATED_NOT_FIRST",
        message: `batch.created ${created.id} is not the first event of the batch`,
        eventIds: [created.id, events[0].id],
      });
    const r = created.recipe;
    const key = (x: GxpEvent["recipe"]) =>
      x ? `${x.masterRecipeId}/${x.masterRecipeVersion}/${x.controlRecipeId}` : "";
    const off = events.filter((e) => e.recipe && key(e.recipe) !== key(r));
    if (off.length) {
      recipeOpen.push({
        code: "RECIPE_MISMATCH",
        message: `${off.length} event${off.length === 1 ? "" : "s"} name another recipe than batch.created (${key(r)}): ${off
          .slice(0, 5)
          .map((e) => `${e.id} (${key(e.recipe)})`)
          .join(", ")}${off.length > 5 ? ", …" : ""}`,
        eventIds: off.map((e) => e.id),
      });
    }
  }

  // 2. Every started step has a terminal state; aborted, forced or skipped steps are exceptions.
  const stepOpen: Finding[] = [];
  const stepNotes: Finding[] = [];
  let steps = 0;
  for (const kind of STEP_KINDS) {
    const started = new Map<string, GxpEvent>();
    const ended = new Map<string, GxpEvent>();
    for (const e of live) {
      if (e.type === `${kind}.started`) started.set(String(data(e).stepInstanceId), e);
      if (e.type === `${kind}.completed`) ended.set(String(data(e).stepInstanceId), e);
    }
    steps += started.size;
    const name = (e: GxpEvent) =>
      e.context?.[kind === "unit_procedure" ? "unitProcedure" : kind] ?? String(data(e).stepInstanceId);
    for (const [sid, s] of started) {
      const end = ended.get(sid);
      if (!end) {
        stepOpen.push({
          code: "STEP_NOT_TERMINATED",
          message: `${kind.replace("_", " ")} ${name(s)} (step ${sid}) started ${s.occurredAt} has no terminal state`,
          eventIds: [s.id],
        });
      } else if (data(end).outcome !== "completed") {
        exception(
          end,
          `${kind.replace("_", " ")} ${name(s)} (step ${sid}) ended ${String(data(end).outcome)} (${who(end)})`,
          "STEP_NOT_COMPLETED_NORMALLY",
          stepOpen,
          stepNotes,
        );
      }
    }
    for (const [sid, e] of ended) {
      if (!started.has(sid))
        stepOpen.push({
          code: "STEP_END_WITHOUT_START",
          message: `${e.type} ${e.id} ends step ${sid}, which was never started`,
          eventIds: [e.id],
        });
    }
  }

  // 3./4. Data within limits: parameters, IPC results, dispensed quantities, yield; alarms acknowledged.
  const limitOpen: Finding[] = [];
  const limitNotes: Finding[] = [];
  let measured = 0;
  const raised = new Map<string, GxpEvent>();
  const acked = new Set<string>();
  for (const e of live) {
    const d = data(e);
    const num = (k: string): number | undefined => (typeof d[k] === "number" ? (d[k] as number) : undefined);
    switch (e.type) {
      case "parameter.recorded":
        measured++;
        if (d.withinLimits === false)
          exception(
            e,
            `parameter ${String(d.name)} = ${JSON.stringify(d.value)} ${String(d.unit)} is out of limits [${d.low ?? "–"}, ${d.high ?? "–"}] (${who(e)})`,
            "VALUE_OUT_OF_LIMITS",
            limitOpen,
            limitNotes,
          );
        else {
          // The ledger does not take the MES's word for it: a value outside its own stated limits is one.
          const [v, lo, hi] = [num("value"), num("low"), num("high")];
          if (v !== undefined && ((lo !== undefined && v < lo) || (hi !== undefined && v > hi))) {
            limitOpen.push({
              code: "LIMITS_FLAG_CONTRADICTED",
              message: `parameter ${String(d.name)} = ${v} ${String(d.unit)} lies outside its limits [${lo ?? "–"}, ${hi ?? "–"}] but is marked withinLimits (${who(e)})`,
              eventIds: [e.id],
            });
          }
        }
        break;
      case "ipc.result_recorded":
        measured++;
        if (d.passed === false)
          exception(
            e,
            `IPC ${String(d.testCode)} result ${JSON.stringify(d.result)} fails its specification ${String(d.specification)} (${who(e)})`,
            "IPC_FAILED",
            limitOpen,
            limitNotes,
          );
        break;
      case "material.dispensed": {
        measured++;
        const [t, n, tol] = [num("targetQuantity"), num("netQuantity"), num("tolerance")];
        if (t !== undefined && n !== undefined && tol !== undefined && Math.abs(n - t) > tol + 1e-9) {
          exception(
            e,
            `dispensed ${n} ${String(d.unit)} of ${String(d.materialId)} lot ${String(d.lotId)} is outside ${t} ± ${tol} (${who(e)})`,
            "QUANTITY_OUT_OF_TOLERANCE",
            limitOpen,
            limitNotes,
          );
        }
        break;
      }
      case "yield.recorded": {
        measured++;
        const [p, lo, hi] = [num("percentOfTheoretical"), num("low"), num("high")];
        if (p !== undefined && ((lo !== undefined && p < lo) || (hi !== undefined && p > hi))) {
          exception(
            e,
            `yield ${p} % of theoretical is outside [${lo ?? "–"}, ${hi ?? "–"}] % (${who(e)})`,
            "YIELD_OUT_OF_LIMITS",
            limitOpen,
            limitNotes,
          );
        }
        break;
      }
      case "alarm.raised":
        raised.set(String(d.alarmId), e);
        break;
      case "alarm.acknowledged":
        acked.add(String(d.alarmId));
        break;
    }
  }
  for (const [alarmId, e] of raised) {
    if (!acked.has(alarmId))
      limitOpen.push({
        code: "ALARM_NOT_ACKNOWLEDGED",
        message: `alarm ${alarmId} raised ${e.occurredAt} was never acknowledged`,
        eventIds: [e.id],
      });
  }

  // 7. Every deviation opened for the batch is closed.
  const opened = new Map<string, GxpEvent>();
  const closed = new Set<string>();
  for (const e of live) {
    if (e.type === "deviation.opened") opened.set(String(data(e).deviationId), e);
    if (e.type === "deviation.closed") closed.add(String(data(e).deviationId));
  }
  const devOpen: Finding[] = [...opened]
    .filter(([id]) => !closed.has(id))
    .map(([id, e]) => ({
      code: "DEVIATION_OPEN",
      message: `deviation ${id} (${String(data(e).classification)}) opened ${e.occurredAt} by ${e.actor.printedName} is not closed`,
      eventIds: [e.id],
    }));

  // 9. The audit trail was reviewed before disposition; 18. disposition signed; nothing after it.
  const dispIndex = events.findIndex((e) => e.type === "batch.dispositioned");
  const disposition = dispIndex >= 0 ? events[dispIndex] : undefined;
  const reviewIndex = events.findIndex(
    (e) => e.type === "batch.review_completed" && data(e).auditTrailReviewed === true && !fold.voided.has(e.id),
  );
  const reviewOpen: Finding[] = [];
  if (reviewIndex < 0)
    reviewOpen.push({
      code: "AUDIT_TRAIL_NOT_REVIEWED",
      message: `no batch.review_completed with auditTrailReviewed: true for batch ${input.batchId}`,
      eventIds: [],
    });
  else if (disposition && reviewIndex > dispIndex) {
    reviewOpen.push({
      code: "AUDIT_TRAIL_REVIEWED_AFTER_DISPOSITION",
      message: `audit-trail review ${events[reviewIndex].id} comes after disposition ${disposition.id}`,
      eventIds: [events[reviewIndex].id, disposition.id],
    });
  }
  const dispOpen: Finding[] = [];
  if (disposition) {
    const ref = String(data(disposition).signatureRef);
    const sig = events.find((e) => e.id === ref && e.type === "signature.applied");
    const view = input.signatures.views.find((v) => v.eventId === ref);
    if (!sig)
      dispOpen.push({
        code: "DISPOSITION_UNSIGNED",
        message: `disposition ${disposition.id} refers to signature ${ref}, which is not a signature.applied event of this batch`,
        eventIds: [disposition.id],
      });
    else if (view && view.status !== "valid" && view.status !== "re-signed") {
      dispOpen.push({
        code: "DISPOSITION_SIGNATURE_INVALID",
        message: `disposition ${disposition.id} rests on signature ${ref}, which is ${view.status}`,
        eventIds: [disposition.id, ref],
      });
    }
    const after = events.slice(dispIndex + 1);
    if (after.length) {
      dispOpen.push({
        code: "EVENT_AFTER_DISPOSITION",
        message: `${after.length} event${after.length === 1 ? "" : "s"} received after disposition ${disposition.id} (${String(data(disposition).decision)}): ${after
          .slice(0, 5)
          .map((e) => `${e.id} (${e.type})`)
          .join(", ")}${after.length > 5 ? ", …" : ""}`,
        eventIds: after.map((e) => e.id),
      });
    }
  }

  // 11. Source sequence gaps of the batch's events, as the ledger flagged them at ingestion.
  const gapOpen: Finding[] = input.sourceGaps.map((g) => ({
    code: "SOURCE_SEQUENCE_GAP",
    message: `source ${g.source} skipped sourceSequence ${g.expected}${g.got - 1 > g.expected ? `–${g.got - 1}` : ""} before event ${g.eventId} (${g.got}): events may be missing from the MES`,
    eventIds: [g.eventId],
  }));

  // 12. One writer: a batch written by more than one API client or from more than one source is
  // worth a reviewer's eye (one MES credential must not write into another's batch record); a
  // second batch.created for the batch id is integrity-relevant (the batch was re-created or
  // impersonated), issue 12.
  const count = (xs: readonly (string | undefined)[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    xs.forEach((x, i) => {
      if (x === undefined) return;
      const ids = m.get(x) ?? [];
      ids.push(events[i].id);
      m.set(x, ids);
    });
    return m;
  };
  const listOf = (m: Map<string, string[]>) =>
    [...m].map(([k, ids]) => `${k} (${ids.length} event${ids.length === 1 ? "" : "s"})`).join(", ");
  const writerOpen: Finding[] = [];
  const clients = count(input.submitters ?? []);
  if (clients.size > 1) {
    // Each writer's events but the first writer's: the first one is the batch's own.
    const [, ...others] = [...clients.values()];
    writerOpen.push({
      code: "BATCH_MULTIPLE_CLIENTS",
      message: `batch ${input.batchId} was written by ${clients.size} API clients: ${listOf(clients)}`,
      eventIds: others.flat(),
    });
  }
  const sources = count(events.map((e) => e.source));
  if (sources.size > 1) {
    const [, ...others] = [...sources.values()];
    writerOpen.push({
      code: "BATCH_MULTIPLE_SOURCES",
      message: `batch ${input.batchId} was written from ${sources.size} sources: ${listOf(sources)}`,
      eventIds: others.flat(),
    });
  }
  const createdAll = events.filter((e) => e.type === "batch.created");
  const createdOpen: Finding[] =
    createdAll.length > 1
      ? [
          {
            code: "BATCH_CREATED_AGAIN",
            message: `integrity-relevant: batch ${input.batchId} has ${createdAll.length} batch.created events (${createdAll.map((e) => e.id).join(", ")}): it was created again, by a second writer or a replayed MES; only the first starts the record`,
            eventIds: createdAll.slice(1).map((e) => e.id),
          },
        ]
      : [];

  const sig = input.signatures;
  const sigOpen = [...sig.open];
  return [
    item(
      "master-recipe",
      "Record starts with batch.created and follows one master recipe version",
      "21 CFR 211.188(a); FDA DI Q&A Q3",
      events.length > 0,
      recipeOpen,
    ),
    item(
      "steps-terminated",
      "Every started step has a terminal state; forced, skipped or aborted steps are handled",
      "21 CFR 211.188(b), 211.100(b)",
      steps > 0,
      stepOpen,
      stepNotes,
    ),
    item(
      "within-limits",
      "Values within limits or handled by a deviation; alarms acknowledged",
      "21 CFR 211.188(b)(4)(5), 211.192",
      measured + raised.size > 0,
      limitOpen,
      limitNotes,
    ),
    item(
      "deviations-closed",
      "Every deviation is closed",
      "21 CFR 211.192; EU GMP Annex 16 §1.7, §3",
      opened.size > 0,
      devOpen,
    ),
    item(
      "corrections",
      "Every correction carries a reason and an authoriser, and keeps the original value",
      "EU GMP Annex 11 §8.2, §9; 21 CFR 11.10(e)",
      fold.views.length > 0,
      fold.findings,
    ),
    item(
      "signatures",
      "Required signatures present, bound to current content, second person distinct",
      "21 CFR 11.50, 11.70, 211.188(b)(11), 211.101(c),(d)",
      sig.views.length > 0 || sigOpen.length > 0,
      sigOpen,
    ),
    item(
      "audit-trail-review",
      "The audit trail was reviewed before disposition",
      "FDA DI Q&A Q7–Q8; PIC/S PI 041",
      true,
      reviewOpen,
    ),
    item(
      "disposition",
      "Disposition signed, nothing received after it",
      "21 CFR 211.192; EU GMP Annex 16; Annex 11 §15",
      disposition !== undefined,
      dispOpen,
    ),
    item("source-sequence", "No sequence gaps from the source", "EU GMP Annex 11 §5", events.length > 0, gapOpen),
    item(
      "one-writer",
      "The batch is written by one API client from one source",
      "21 CFR 11.10(d),(g); EU GMP Annex 11 §12.1",
      events.length > 0,
      writerOpen,
    ),
    item(
      "created-once",
      "One batch.created for the batch id (integrity-relevant when not)",
      "21 CFR 211.188; FDA DI Q&A Q1; Annex 11 §5",
      created !== undefined,
      createdOpen,
    ),
  ];
}
