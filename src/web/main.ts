/**
 * The browser verifier page: an inspector drops a proof bundle, types one or more RPC URLs and sees
 * each step pass or fail. All checks are the core's `verifyProof`, the code `gxp-ledger verify-proof`
 * runs; this file only wires the page.
 */
import { ProofReport, verifyProof } from "../core";
import { browserTransport } from "./transport";

/** Options the page passes to the verifier. */
export interface PageOptions {
  onchain?: boolean;
  confirmations?: number;
}

/** Verifies bundle text against every URL (all must agree); with no URL, only the offline steps. */
export function verifyInPage(text: string, rpcUrls: string[], opts: PageOptions = {}): Promise<ProofReport> {
  const urls = rpcUrls.map((u) => u.trim()).filter(Boolean);
  const endpoints = urls.map((u, i) => ({ label: urls.length > 1 ? `endpoint ${i + 1} (${u})` : u, transport: browserTransport(u) }));
  return verifyProof(text, endpoints, { onchain: opts.onchain, confirmations: opts.confirmations });
}

const VERDICT_TEXT: Record<ProofReport["verdict"], string> = {
  PASS: "Verified: the record is unaltered, in its epoch, and the epoch root is anchored on chain.",
  FAIL: "Not verified: a check failed.",
  "OFFLINE-OK": "Internally consistent, but the chain was NOT checked: give an RPC URL to finish.",
  "NOT-FINAL": "Not yet final: the anchor has fewer confirmations than required. Try again later.",
  UNREACHABLE: "Not verified: a chain endpoint could not be reached.",
  UNPINNED: "Unchanged and anchored, but NOT shown to be the site's ledger: load the site's trust profile.",
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string>, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function render(report: ProofReport): void {
  const out = document.getElementById("result")!;
  out.replaceChildren();
  out.setAttribute("data-verdict", report.verdict);
  const failed = report.steps.find((s) => !s.ok);
  const which = failed && report.verdict !== "OFFLINE-OK" ? ` (step: ${failed.step})` : "";
  out.append(el("p", { id: "verdict", class: `verdict ${report.verdict}` }, `${report.verdict}: ${VERDICT_TEXT[report.verdict]}${which}`));
  const b = report.checked?.bundle;
  if (b) out.append(el("p", { class: "what" }, `Event ${b.record.event.id} (seq ${b.record.seq}), epoch ${b.epoch} of ledger ${b.anchor.ledgerName}, chain ${b.anchor.chainId}, contract ${b.anchor.contract}`));
  const list = el("ol", { id: "steps" });
  for (const s of report.steps) {
    const li = el("li", { class: s.ok ? "ok" : "fail", "data-step": s.step, "data-ok": String(s.ok) });
    li.append(el("span", { class: "mark" }, s.ok ? "✔ pass" : "✘ FAIL"), el("strong", {}, ` ${s.step}`), el("span", { class: "detail" }, `: ${s.detail}`));
    if (s.code) li.append(el("code", {}, ` ${s.code}`));
    list.append(li);
  }
  if (report.verdict === "OFFLINE-OK") {
    list.append(el("li", { class: "fail", "data-step": "anchor", "data-ok": "false" }, "✘ anchor: NOT CHECKED (no RPC URL given)"));
  }
  out.append(list);
}

async function run(): Promise<void> {
  const text = (document.getElementById("bundle") as HTMLTextAreaElement).value;
  const urls = (document.getElementById("rpc") as HTMLTextAreaElement).value.split(/\s+/);
  const onchain = (document.getElementById("onchain") as HTMLInputElement).checked;
  const confirmations = Number((document.getElementById("confirmations") as HTMLInputElement).value) || 1;
  const out = document.getElementById("result")!;
  out.setAttribute("data-verdict", "RUNNING");
  out.textContent = "Verifying…";
  try {
    render(await verifyInPage(text, urls, { onchain, confirmations }));
  } catch (e) {
    out.setAttribute("data-verdict", "ERROR");
    out.textContent = `Error: ${(e as Error).message}`;
  }
}

function loadFile(file: File): void {
  // The exact bytes matter (canonical form): read as UTF-8 text, unchanged.
  void file.text().then((t) => {
    (document.getElementById("bundle") as HTMLTextAreaElement).value = t;
  });
}

function init(): void {
  const drop = document.getElementById("drop")!;
  const input = document.getElementById("file") as HTMLInputElement;
  input.addEventListener("change", () => input.files?.[0] && loadFile(input.files[0]));
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files?.[0];
    if (f) loadFile(f);
  });
  document.getElementById("verify")!.addEventListener("click", () => void run());
}

(globalThis as unknown as { gxpVerify: typeof verifyInPage }).gxpVerify = verifyInPage;
if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
