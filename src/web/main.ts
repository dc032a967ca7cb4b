/**
 * The browser verifier page: an inspector drops a proof bundle and the site's trust profile, types
 * one or more RPC URLs and sees each step pass or fail. All checks are the core's `verifyProof`, the
 * code `gxp-ledger verify-proof` runs; this file only wires the page. Without a trust profile the
 * best verdict is UNPINNED: unchanged and anchored, but not shown to be the site's ledger.
 */
// The verifier's modules themselves, not the core's index: the index also carries the ledger's own
// validation (the event schema, receipts) that the page must not bundle.
import { ProofReport, verifyProof } from "../core/proof/verify-proof";
import {
  TrustPin,
  TrustProfile,
  pinFromProfile,
  trustProfileFingerprint,
  trustProfileFromJSON,
} from "../core/trust/profile";
import { fetchTransport } from "../core/proof/rpc-transport";

/** Options the page passes to the verifier. */
export interface PageOptions {
  onchain?: boolean;
  confirmations?: number;
  /** The site's trust profile (text or parsed); absent: nothing is pinned. */
  trust?: string | TrustProfile;
}

/**
 * Verifies bundle text against every URL (all must agree), pinned by the trust profile when given;
 * with no URL, only the offline steps.
 * @throws TrustError TRUST_PROFILE_INVALID, TRUST_PROFILE_SIGNATURE_INVALID for a bad profile
 */
export function verifyInPage(text: string, rpcUrls: string[], opts: PageOptions = {}): Promise<ProofReport> {
  const urls = rpcUrls.map((u) => u.trim()).filter(Boolean);
  const endpoints = urls.map((u, i) => ({
    label: urls.length > 1 ? `endpoint ${i + 1} (${u})` : u,
    transport: fetchTransport(u, fetch, 15_000),
  }));
  const pin: TrustPin | undefined =
    opts.trust === undefined ? undefined : pinFromProfile(trustProfileFromJSON(opts.trust));
  return verifyProof(text, endpoints, { onchain: opts.onchain, confirmations: opts.confirmations, pin });
}

const VERDICT_TEXT: Record<ProofReport["verdict"], string> = {
  PASS: "Verified: the record is unaltered, in its epoch, signed by the site's ledger key and anchored on chain by the site's account in the site's contract.",
  UNPINNED: "Unchanged and anchored, but NOT shown to be the site's ledger: load the site's trust profile.",
  FAIL: "Not verified: a check failed.",
  "OFFLINE-OK": "Internally consistent, but the chain was NOT checked: give an RPC URL to finish.",
  "NOT-FINAL": "Not yet final: the anchor has fewer confirmations than required. Try again later.",
  UNREACHABLE: "Not verified: a chain endpoint could not be reached.",
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The verdict sentence: for PASS it names whose ledger this is; for UNPINNED, what was not pinned. */
function verdictText(report: ProofReport): string {
  const b = report.checked?.bundle;
  const pin = report.trust?.pin;
  if (report.verdict === "PASS" && b && pin) {
    const who = [pin.organisation, pin.site].filter(Boolean).join(", ");
    return `${VERDICT_TEXT.PASS} ${who ? who + ": " : ""}ledger ${b.anchor.ledgerName}, contract ${b.anchor.contract} on chain ${b.anchor.chainId}, anchored by ${b.anchor.anchorer}.`;
  }
  if (report.verdict === "UNPINNED")
    return `${VERDICT_TEXT.UNPINNED} Not pinned: ${report.trust!.check.unpinned.join(", ")}.`;
  return VERDICT_TEXT[report.verdict];
}

function render(report: ProofReport): void {
  const out = document.getElementById("result")!;
  out.replaceChildren();
  out.setAttribute("data-verdict", report.verdict);
  const failed = report.steps.find((s) => !s.ok);
  const which =
    failed && report.verdict !== "OFFLINE-OK" ? ` (step: ${failed.step}${failed.code ? `, ${failed.code}` : ""})` : "";
  out.append(
    el("p", { id: "verdict", class: `verdict ${report.verdict}` }, `${report.verdict}: ${verdictText(report)}${which}`),
  );
  const b = report.checked?.bundle;
  if (b) {
    out.append(
      el(
        "p",
        { class: "what" },
        `Event ${b.record.event.id} (seq ${b.record.seq}), epoch ${b.epoch} of ledger ${b.anchor.ledgerName}, chain ${b.anchor.chainId}, contract ${b.anchor.contract}, anchored by ${b.anchor.anchorer}`,
      ),
    );
  }
  const list = el("ol", { id: "steps" });
  for (const s of report.steps) {
    const li = el("li", { class: s.ok ? "ok" : "fail", "data-step": s.step, "data-ok": String(s.ok) });
    li.append(
      el("span", { class: "mark" }, s.ok ? "✔ pass" : "✘ FAIL"),
      el("strong", {}, ` ${s.step}`),
      el("span", { class: "detail" }, `: ${s.detail}`),
    );
    if (s.code) li.append(el("code", {}, ` ${s.code}`));
    list.append(li);
  }
  if (report.verdict === "OFFLINE-OK") {
    list.append(
      el(
        "li",
        { class: "fail", "data-step": "anchor", "data-ok": "false" },
        "✘ anchor: NOT CHECKED (no RPC URL given)",
      ),
    );
  }
  out.append(list);
}

/** The trust profile box's text, or undefined when empty. */
function trustText(): string | undefined {
  const t = (document.getElementById("trust") as HTMLTextAreaElement).value;
  return t.trim() ? t : undefined;
}

/** Parses the profile in the box and shows whose it is (or why it is refused). */
function showTrust(): void {
  const info = document.getElementById("trust-info")!;
  const t = trustText();
  if (t === undefined) {
    info.setAttribute("data-state", "none");
    info.textContent =
      "No trust profile loaded: the best verdict is UNPINNED (unchanged and anchored, but not shown to be the site's ledger).";
    return;
  }
  try {
    const p = trustProfileFromJSON(t);
    info.setAttribute("data-state", "loaded");
    info.textContent =
      `Trust profile of ${p.organisation}, site ${p.site}: ledger ${p.ledger.name}, contract ${p.contract} on chain ${p.chain.chainId}. ` +
      `Fingerprint ${trustProfileFingerprint(p)}: compare it with the one in the quality agreement.${p.development ? " DEVELOPMENT ledger: never for GxP records." : ""}`;
  } catch (e) {
    info.setAttribute("data-state", "invalid");
    info.textContent = `Trust profile refused: ${(e as Error).message}`;
  }
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
    render(await verifyInPage(text, urls, { onchain, confirmations, trust: trustText() }));
  } catch (e) {
    out.setAttribute("data-verdict", "ERROR");
    out.textContent = `Error: ${(e as Error).message}`;
  }
}

function loadInto(file: File, box: string, then?: () => void): void {
  // The exact bytes matter (canonical form): read as UTF-8 text, unchanged.
  void file.text().then((t) => {
    (document.getElementById(box) as HTMLTextAreaElement).value = t;
    then?.();
  });
}

/** A drop zone with its file input, filling a text box. */
function wireDrop(zoneId: string, inputId: string, box: string, then?: () => void): void {
  const zone = document.getElementById(zoneId)!;
  const input = document.getElementById(inputId) as HTMLInputElement;
  input.addEventListener("change", () => {
    const f = input.files?.[0];
    // Cleared after reading, so that choosing the same file again (after editing the box) reloads it.
    input.value = "";
    if (f) loadInto(f, box, then);
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const f = e.dataTransfer?.files?.[0];
    if (f) loadInto(f, box, then);
  });
}

function init(): void {
  wireDrop("drop", "file", "bundle");
  wireDrop("trust-drop", "trust-file", "trust", showTrust);
  document.getElementById("trust")!.addEventListener("input", showTrust);
  document.getElementById("verify")!.addEventListener("click", () => void run());
  showTrust();
}

(globalThis as unknown as { gxpVerify: typeof verifyInPage }).gxpVerify = verifyInPage;
if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
