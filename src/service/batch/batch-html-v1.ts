/**
 * The batch report's HTML as packages exported before issue 13 carry it (no document id, running
 * header or sign-off block). Kept unchanged, only so that `verify-package` still accepts those
 * packages' report.html as the rendering of their report.json: never used to write a new package.
 */
import { BatchReport } from "../../core";

const esc = (v: unknown): string =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
const json = (v: unknown): string => esc(v === undefined ? "" : JSON.stringify(v));

const CSS = `
body{font:11pt/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:18pt;margin:0 0 .3em}h2{font-size:13pt;margin:1.4em 0 .4em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:9.5pt}th,td{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#eee}.v{font-weight:bold;padding:.4em .6em;display:inline-block;border:2px solid}
.PASS{color:#064;border-color:#064}.INTEGRITY-FAIL{color:#a00;border-color:#a00}.OPEN-ITEMS,.NOT-ANCHORED{color:#850;border-color:#850}
.open{color:#a00;font-weight:bold}code{font-size:9pt;word-break:break-all}
@media print{body{margin:1cm}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
`;

/** Renders the report as packages exported before issue 13 did. */
export function batchReportHtmlV1(
  r: BatchReport,
  pkg: { chainId: string; contract: string; ledgerName: string },
): string {
  const rows = (cells: unknown[][]) =>
    cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join("")}</tr>`).join("\n");
  const open = r.checklist.flatMap((c) =>
    c.findings.map((f) => [`<span class="open">OPEN</span>`, esc(c.id), esc(f.message)]),
  );
  const handled = r.checklist.flatMap((c) => c.notes.map((f) => ["handled", esc(c.id), esc(f.message)]));
  const integrity = r.integrity.findings.map((f) => [`<span class="open">FAIL</span>`, esc(f.code), esc(f.message)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Batch record ${esc(r.batchId)}: ${esc(r.verdict)}</title><style>${CSS}</style></head>
<body>
<h1>Batch record ${esc(r.batchId)}</h1>
<p>${r.product ? `Product ${esc(r.product)}. ` : ""}${r.lotId ? `Lot ${esc(r.lotId)}. ` : ""}${r.events} events, epochs ${esc(r.anchoring.epochs.join(", "))},
anchored on chain ${esc(pkg.chainId)} in contract <code>${esc(pkg.contract)}</code>, ledger ${esc(pkg.ledgerName)}. Report generated ${esc(r.generatedAt)} from the ledger.</p>
<p><span class="v ${esc(r.verdict)}">${esc(r.verdict)}</span></p>
<p>Disposition: ${r.disposition ? `${esc(r.disposition.decision)} by ${esc(r.disposition.by)} at ${esc(r.disposition.at)} (${esc(r.disposition.eventId)})` : "none recorded"}.</p>

<h2>Integrity</h2>
<table><tr><th></th><th>Check</th><th>Result</th></tr>
${rows(r.integrity.checks.map((c) => [c.ok ? "ok" : `<span class="open">FAIL</span>`, esc(c.check), esc(c.detail)]))}
</table>

<h2>Exceptions (review by exception)</h2>
${integrity.length + open.length + handled.length ? `<table><tr><th></th><th>Item</th><th>Finding</th></tr>${rows([...integrity, ...open, ...handled])}</table>` : "<p>None.</p>"}

<h2>Completeness checklist</h2>
<table><tr><th>Status</th><th>Item</th><th>Basis</th></tr>
${rows(r.checklist.map((c) => [c.status === "open" ? `<span class="open">OPEN</span>` : esc(c.status), esc(c.title), esc(c.basis)]))}
</table>

<h2>Electronic signatures</h2>
<table><tr><th>Printed name</th><th>Role / user</th><th>Meaning</th><th>Signed at</th><th>Signs</th><th>Status</th><th>Event</th></tr>
${rows(
  r.signatures.map((s) => [
    esc(s.printedName),
    `${esc(s.role)}<br><code>${esc(s.userId)}</code>`,
    `${esc(s.meaning)}${s.meaningText ? `<br><i>${esc(s.meaningText)}</i>` : ""}${s.sequence ? `<br>${s.sequence} of ${s.requiredSignatures ?? 1}` : ""}`,
    `${esc(s.signedAt)}<br>${esc(s.timeZone)}`,
    esc(s.signs.join(", ")),
    `${s.status === "valid" || s.status === "re-signed" ? esc(s.status) : `<span class="open">${esc(s.status)}</span>`}${s.detail ? `<br>${esc(s.detail)}` : ""}`,
    `<code>${esc(s.eventId)}</code>`,
  ]),
)}
</table>

<h2>Changed values (the original is kept)</h2>
${
  r.corrections.length
    ? `<table><tr><th>Event</th><th>Change</th><th>Original</th><th>New</th><th>Reason</th><th>By / authorised by</th><th>When</th></tr>
${rows(
  r.corrections.map((c) => [
    `<code>${esc(c.target)}</code>`,
    c.kind === "voided" ? "voided" : `<code>${esc(c.field)}</code>`,
    json(c.originalValue),
    c.kind === "voided" ? "" : json(c.newValue),
    esc(c.reason),
    `${esc(c.by)}<br>${c.authorisedBy ? esc(c.authorisedBy) : `<span class="open">no authoriser</span>`}`,
    `${esc(c.at)}<br><code>${esc(c.eventId)}</code>`,
  ]),
)}</table>`
    : "<p>None.</p>"
}

<h2>Audit trail (batch order)</h2>
<table><tr><th>#</th><th>Seq</th><th>Occurred</th><th>Received by the ledger</th><th>Type</th><th>Who</th><th>Submitted by (client, source)</th><th>What</th><th>Flags</th></tr>
${rows(r.trail.map((t) => [t.batchSeq, t.seq, esc(t.occurredAt), esc(t.receivedAt), `${esc(t.type)}<br><code>${esc(t.eventId)}</code>`, esc(t.actor), `${esc(t.submittedBy ?? "(import)")}<br><code>${esc(t.source)}</code>`, esc(t.summary), esc(t.flags.join(", "))]))}
</table>

<h2>How to verify this package independently</h2>
<ol>
<li>Every file is listed in <code>manifest.json</code> with its SHA-256; <code>sha256sum</code> of each file must match.</li>
<li>Each file in <code>events/</code> is a proof bundle (<code>application/vnd.gxp-ledger.proof+json;version=1</code>): the record's RFC 8785 form hashes to its leaf
(SHA-256 of 0x00 ‖ record), and its audit path leads to the epoch root (RFC 9162 §2.1.3).</li>
<li>The epoch root must be the one the contract <code>${esc(pkg.contract)}</code> on chain ${esc(pkg.chainId)} returns from <code>getAnchor(ledgerId, epoch)</code>, in the transaction and block each bundle names.</li>
<li>The records chain per batch: each record's <code>batchLink.batchSeq</code> counts 0, 1, 2, … and its <code>batchLink.prevLeafHash</code> is the leaf hash of the batch's previous event, so a missing, inserted or reordered event breaks the chain.</li>
<li>With gxp-ledger: <code>npx gxp-ledger verify-package &lt;dir&gt; --rpc &lt;URL of any node of chain ${esc(pkg.chainId)}&gt;</code>; or open each bundle in the browser verifier page; or follow docs/proof-format.md with a script of your own.</li>
</ol>
</body></html>
`;
}
