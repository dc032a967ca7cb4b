/**
 * The whole verification of a proof bundle as named steps: what `gxp-ledger verify-proof` prints and
 * what the browser page shows, from the same code. Offline steps first (schema, canonical form, leaf
 * hash, audit path), then the chain as seen by every endpoint given.
 */
import { isCoreError } from "../errors";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { CheckedBundle, checkBundle } from "./bundle";
import { EndpointFacts, JsonRpcTransport, Step, StepName, checkAnchor, gatherChainFacts } from "./anchor-check";

/** The outcome: verified, failed, only the offline part checked, not final yet, or no chain reachable. */
export type Verdict = "PASS" | "FAIL" | "OFFLINE-OK" | "NOT-FINAL" | "UNREACHABLE";

/** A verification report. */
export interface ProofReport {
  verdict: Verdict;
  steps: Step[];
  /** The parsed bundle, once it passed the schema and canonical form steps. */
  checked?: CheckedBundle;
}

const STEP_OF_CODE: Record<string, StepName> = {
  PROOF_SCHEMA_INVALID: "schema",
  PROOF_CANONICAL_MISMATCH: "canonical form",
  PROOF_LEAF_MISMATCH: "leaf hash",
};

/**
 * The offline steps: schema, canonical form, leaf hash, audit path. Never throws for a bad bundle.
 */
export function verifyProofOffline(input: unknown, hasher: Hasher = rfc9162): ProofReport {
  let checked: CheckedBundle;
  try {
    checked = checkBundle(input, hasher);
  } catch (e) {
    if (!isCoreError(e)) throw e;
    const step = STEP_OF_CODE[e.code] ?? "audit path";
    const order: StepName[] = ["schema", "canonical form", "leaf hash", "audit path"];
    const steps: Step[] = order.slice(0, order.indexOf(step)).map((s) => ({ step: s, ok: true, detail: "passed" }));
    steps.push({ step, ok: false, detail: e.message, code: e.code });
    return { verdict: "FAIL", steps };
  }
  const b = checked.bundle;
  const steps: Step[] = [
    { step: "schema", ok: true, detail: b.mediaType },
    { step: "canonical form", ok: true, detail: typeof input === "string" ? "the file is in canonical form; the record has an RFC 8785 form" : "the record has an RFC 8785 form" },
    { step: "leaf hash", ok: true, detail: `record of event ${b.record.event.id} (seq ${b.record.seq}) hashes to ${b.leafHash}` },
    { step: "audit path", ok: true, detail: `leaf ${b.leafIndex} of ${b.treeSize} leads to root ${b.root}` },
  ];
  return { verdict: "OFFLINE-OK", steps, checked };
}

/** A chain endpoint to ask: a label for messages (never a secret) and its transport. */
export interface Endpoint {
  label: string;
  transport: JsonRpcTransport;
}

/** Options of verifyProof. */
export interface VerifyProofOptions {
  hasher?: Hasher;
  confirmations?: number;
  /** Also ask the contract's verifyInclusion view and require true. */
  onchain?: boolean;
}

/**
 * Verifies a bundle against the chain as seen by every endpoint (all must agree). With no endpoint
 * only the offline steps run and the verdict is OFFLINE-OK at best. Never throws for a bad bundle or
 * an unreachable endpoint: the report says which step failed.
 */
export async function verifyProof(input: unknown, endpoints: Endpoint[], opts: VerifyProofOptions = {}): Promise<ProofReport> {
  const offline = verifyProofOffline(input, opts.hasher);
  if (!offline.checked || endpoints.length === 0) return offline;
  const { bundle, claim } = offline.checked;
  const inclusion = opts.onchain ? { leafHash: bundle.leafHash, leafIndex: bundle.leafIndex, auditPath: bundle.auditPath } : undefined;
  const facts: EndpointFacts[] = [];
  for (const e of endpoints) {
    try {
      facts.push({ endpoint: e.label, facts: await gatherChainFacts(e.transport, claim, inclusion) });
    } catch (err) {
      const steps = [...offline.steps, { step: "chain id" as const, ok: false, detail: `chain unreachable at ${e.label}: ${(err as Error).message}`, code: "CHAIN_UNREACHABLE" }];
      return { verdict: "UNREACHABLE", steps, checked: offline.checked };
    }
  }
  const chainSteps = checkAnchor(claim, facts, { confirmations: opts.confirmations, onchain: opts.onchain });
  const failed = chainSteps.find((s) => !s.ok);
  const verdict: Verdict = !failed ? "PASS" : failed.code === "PROOF_NOT_FINAL" ? "NOT-FINAL" : "FAIL";
  return { verdict, steps: [...offline.steps, ...chainSteps], checked: offline.checked };
}
