/**
 * The batch report for a person at a terminal: the verdict first, then the exceptions (review by
 * exception), the checklist, every signature with its 21 CFR 11.50 manifestation, every changed
 * value with its original, and the full audit trail on request.
 */
import { BatchReport, Finding } from "../core";

const HEADLINE: Record<BatchReport["verdict"], string> = {
  PASS: "PASS: integrity verified, every event anchored, checklist complete",
  "INTEGRITY-FAIL": "FAIL: the batch record's integrity does not hold",
  "NOT-ANCHORED":
    "NOT YET ANCHORED: integrity so far holds, but some events are not anchored with the confirmations required",
  "OPEN-ITEMS": "OPEN ITEMS: integrity verified, but the checklist has open items",
  UNPINNED:
    "UNPINNED: the package is unchanged and anchored, but NOT shown to be the site's ledger: pass the site's trust profile (--trust) or pinned values",
};

/** The events a finding involves that its message does not already name. */
function named(f: Finding): string {
  const extra = f.eventIds.filter((id) => !f.message.includes(id));
  return extra.length
    ? ` (event${extra.length === 1 ? "" : "s"} ${extra.slice(0, 10).join(", ")}${extra.length > 10 ? `, … ${extra.length - 10} more` : ""})`
    : "";
}

/** Renders the report as text; `all` adds the full audit trail. */
export function renderBatchReport(r: BatchReport, all = false): string {
  const L: string[] = [];
  const mark = (ok: boolean | "n/a") => (ok === "n/a" ? "n/a " : ok ? "ok  " : "OPEN");
  L.push(
    `${r.verdict === "PASS" ? "PASS" : r.verdict === "INTEGRITY-FAIL" ? "FAIL" : r.verdict} batch ${r.batchId}${r.product ? `, product ${r.product}` : ""}${r.lotId ? `, lot ${r.lotId}` : ""}`,
  );
  L.push(`  ${HEADLINE[r.verdict]}`);
  L.push(
    `  ${r.events} events in epochs ${r.anchoring.epochs.length ? r.anchoring.epochs.join(", ") : "(none yet)"}; ${r.anchoring.anchored} anchored and confirmed, ${r.anchoring.notAnchored.length} not yet; ${r.signatures.length} signature${r.signatures.length === 1 ? "" : "s"}; ${r.corrections.length} correction${r.corrections.length === 1 ? "" : "s"}`,
  );
  if (r.provenance) L.push(`  ${r.provenance.pinned ? "pinned" : "NOT PINNED"}: ${r.provenance.detail}`);
  if (r.disposition)
    L.push(
      `  disposition: ${r.disposition.decision} by ${r.disposition.by} at ${r.disposition.at} (${r.disposition.eventId})`,
    );
  else L.push("  disposition: none recorded yet");

  L.push("", "Integrity");
  for (const c of r.integrity.checks) L.push(`  ${c.ok ? "ok  " : "FAIL"} ${c.check}: ${c.detail}`);
  for (const f of r.integrity.findings) L.push(`  FAIL [${f.code}] ${f.message}${named(f)}`);

  const open = r.checklist.flatMap((c) => c.findings.map((f) => ({ c, f })));
  const notes = r.checklist.flatMap((c) => c.notes.map((f) => ({ c, f })));
  L.push("", `Exceptions (${open.length} open, ${notes.length} handled)`);
  if (!open.length && !notes.length) L.push("  none");
  for (const { c, f } of open) L.push(`  OPEN [${c.id}] ${f.message}${named(f)}`);
  for (const { c, f } of notes) L.push(`  handled [${c.id}] ${f.message}${named(f)}`);
  if (r.anchoring.notAnchored.length) {
    L.push(
      `  not yet anchored: ${r.anchoring.notAnchored
        .slice(0, 5)
        .map((n) => `${n.eventId} (${n.status})`)
        .join("; ")}${r.anchoring.notAnchored.length > 5 ? `; … ${r.anchoring.notAnchored.length - 5} more` : ""}`,
    );
  }

  L.push("", "Checklist");
  for (const c of r.checklist)
    L.push(`  ${mark(c.status === "n/a" ? "n/a" : c.status === "pass")} ${c.title}  (${c.basis})`);

  L.push("", "Signatures (printed name, time, meaning)");
  if (!r.signatures.length) L.push("  none");
  for (const s of r.signatures) {
    L.push(
      `  ${s.printedName} (${s.role}, ${s.userId}) ${s.meaning} at ${s.signedAt} ${s.timeZone}${s.sequence ? `, ${s.sequence} of ${s.requiredSignatures ?? 1}` : ""}: ${s.signs.length} event(s) [${s.status}${s.detail ? `: ${s.detail}` : ""}] ${s.eventId}`,
    );
    if (s.meaningText) L.push(`      "${s.meaningText}"`);
  }

  L.push("", "QA reviews signed in the ledger (printed name, time, meaning)");
  if (!r.reviews?.length) L.push("  none");
  for (const q of r.reviews ?? []) {
    L.push(
      `  ${q.printedName} (${q.role}, ${q.userId}) "${q.meaning}" at ${q.signedAt} ${q.timeZone}: verdict ${q.verdict}, report ${q.reportHash}, head ${q.reviewedHead.eventId} [${q.status === "valid" ? `signed ${q.signingAlg ?? ""}`.trim() : q.status}${q.detail ? `: ${q.detail}` : ""}] ${q.eventId}`,
    );
  }

  L.push("", "Changed values (original kept)");
  if (!r.corrections.length) L.push("  none");
  for (const c of r.corrections) {
    const change =
      c.kind === "voided"
        ? "voided"
        : `${c.field}: ${JSON.stringify(c.originalValue)} (original) → ${JSON.stringify(c.newValue)}`;
    L.push(
      `  ${c.target} ${change}; reason "${c.reason}"; by ${c.by}${c.authorisedBy ? `, authorised by ${c.authorisedBy}` : ", NO AUTHORISER"} at ${c.at} (${c.eventId})`,
    );
  }

  if (all) {
    L.push("", "Audit trail (batch order)");
    for (const t of r.trail) {
      L.push(
        `  ${String(t.batchSeq).padStart(5)} seq ${t.seq} ${t.occurredAt} ${t.type} ${t.eventId} ${t.actor} via ${t.submittedBy ?? "(import)"} from ${t.source}: ${t.summary}${t.flags.length ? ` [${t.flags.join(", ")}]` : ""}`,
      );
    }
  } else L.push("", "(full audit trail: --all)");
  return L.join("\n");
}
