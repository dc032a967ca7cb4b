/**
 * The whole verification of a proof bundle as named steps: what `gxp-ledger verify-proof` prints and
 * what the browser page shows, from the same code. Offline steps first (schema, canonical form, leaf
 * hash, audit path, checkpoint signature, the pin), then the chain as seen by every endpoint given.
 *
 * What each verdict relies on:
 * - PASS: the bytes are unchanged and in the epoch (hashes), the epoch's tree head is signed by a
 *   pinned ledger key valid at the anchor's time, the chain with the pinned id (and genesis block,
 *   when pinned) holds that root in the pinned contract for the pinned ledger, anchored by a pinned
 *   account valid at that time, in the stated transaction and block, with the confirmations asked.
 * - UNPINNED: every check passed, but at least one of contract, ledger, anchoring account and key was
 *   not pinned, so the proof shows the record is unchanged and anchored in *a* contract, by *an*
 *   account, signed by *a* key: not that they are the site's. The report lists what was not pinned.
 */
import { isCoreError } from "../errors";
import { Hasher, rfc9162 } from "../merkle/hasher";
import { CheckedBundle, checkBundle } from "./bundle";
import { EndpointFacts, JsonRpcTransport, Step, StepName, checkAnchor, gatherChainFacts } from "./anchor-check";
import { PinCheck, TrustPin, checkPin, pinSummary } from "../trust/profile";

/** The outcome: verified against a pin, verified with nothing pinned, failed, offline only, not final yet, or no chain. */
export type Verdict = "PASS" | "UNPINNED" | "FAIL" | "OFFLINE-OK" | "NOT-FINAL" | "UNREACHABLE";

/** A verification report. */
export interface ProofReport {
  verdict: Verdict;
  steps: Step[];
  /** The parsed bundle, once it passed the schema and canonical form steps. */
  checked?: CheckedBundle;
  /** The pin used and how the bundle compared with it (after the offline steps passed). */
  trust?: { pin?: TrustPin; check: PinCheck };
}

const STEP_OF_CODE: Record<string, StepName> = {
  PROOF_SCHEMA_INVALID: "schema",
  PROOF_CANONICAL_MISMATCH: "canonical form",
  PROOF_LEAF_MISMATCH: "leaf hash",
  PROOF_CHECKPOINT_INVALID: "checkpoint",
};

const OFFLINE_ORDER: StepName[] = ["schema", "canonical form", "leaf hash", "audit path", "checkpoint"];

/** Options of the offline steps. */
export interface OfflineOptions {
  hasher?: Hasher;
  /** What the verifier pins (a trust profile or explicit values); absent: nothing is pinned. */
  pin?: TrustPin;
}

/**
 * The offline steps: schema, canonical form, leaf hash, audit path, checkpoint signature, and the
 * bundle's claims against the pin. Never throws for a bad bundle.
 */
export function verifyProofOffline(input: unknown, opts: OfflineOptions | Hasher = {}): ProofReport {
  const o: OfflineOptions = "hashLeaf" in opts ? { hasher: opts as Hasher } : (opts as OfflineOptions);
  let checked: CheckedBundle;
  try {
    checked = checkBundle(input, o.hasher ?? rfc9162);
  } catch (e) {
    if (!isCoreError(e)) throw e;
    const step = STEP_OF_CODE[e.code] ?? "audit path";
    const steps: Step[] = OFFLINE_ORDER.slice(0, OFFLINE_ORDER.indexOf(step)).map((s) => ({
      step: s,
      ok: true,
      detail: "passed",
    }));
    steps.push({ step, ok: false, detail: e.message, code: e.code });
    return { verdict: "FAIL", steps };
  }
  const b = checked.bundle;
  const steps: Step[] = [
    { step: "schema", ok: true, detail: b.mediaType },
    {
      step: "canonical form",
      ok: true,
      detail:
        typeof input === "string"
          ? "the file is in canonical form; the record has an RFC 8785 form"
          : "the record has an RFC 8785 form",
    },
    {
      step: "leaf hash",
      ok: true,
      detail: `record of event ${b.record.event.id} (seq ${b.record.seq}) hashes to ${b.leafHash}`,
    },
    { step: "audit path", ok: true, detail: `leaf ${b.leafIndex} of ${b.treeSize} leads to root ${b.root}` },
    {
      step: "checkpoint",
      ok: true,
      detail: `epoch ${b.epoch}'s tree head (root, size ${b.treeSize}, first seq ${b.anchor.firstSeq}) is signed by ledger key ${b.checkpoint.keyId}`,
    },
  ];
  const check = checkPin(o.pin, {
    chainId: b.anchor.chainId,
    contract: b.anchor.contract,
    ledgerName: b.anchor.ledgerName,
    anchorer: b.anchor.anchorer,
    keyId: b.checkpoint.keyId,
    at: b.anchor.blockTimestamp,
  });
  const trust = { pin: o.pin, check };
  if (check.problems.length) {
    const p = check.problems[0];
    steps.push({
      step: "trust",
      ok: false,
      detail: `not the pinned ledger (${o.pin!.source}): ${check.problems.map((x) => x.detail).join("; ")}`,
      code: p.code,
    });
    return { verdict: "FAIL", steps, checked, trust };
  }
  steps.push({ step: "trust", ok: true, detail: trustDetail(o.pin, check) });
  return { verdict: "OFFLINE-OK", steps, checked, trust };
}

function trustDetail(pin: TrustPin | undefined, check: PinCheck): string {
  if (!pin)
    return "NOT PINNED: no trust profile or pinned values given, so nothing shows whose contract, anchoring account and key these are";
  const un = check.unpinned.length ? `; NOT PINNED: ${check.unpinned.join(", ")}` : "";
  return `${pinSummary(pin)}: ${check.matched.join(", ")} as pinned${un}`;
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
  /** What the verifier pins; absent: nothing (the verdict is UNPINNED at best). */
  pin?: TrustPin;
}

/**
 * Verifies a bundle against the chain as seen by every endpoint (all must agree). With no endpoint
 * only the offline steps run and the verdict is OFFLINE-OK at best. Never throws for a bad bundle or
 * an unreachable endpoint: the report says which step failed.
 */
export async function verifyProof(
  input: unknown,
  endpoints: Endpoint[],
  opts: VerifyProofOptions = {},
): Promise<ProofReport> {
  const offline = verifyProofOffline(input, { hasher: opts.hasher, pin: opts.pin });
  if (!offline.checked || offline.verdict === "FAIL" || endpoints.length === 0) return offline;
  const { bundle, claim } = offline.checked;
  const inclusion = opts.onchain
    ? { leafHash: bundle.leafHash, leafIndex: bundle.leafIndex, auditPath: bundle.auditPath }
    : undefined;
  const genesisHash = opts.pin?.genesisHash;
  const facts: EndpointFacts[] = [];
  for (const e of endpoints) {
    try {
      facts.push({
        endpoint: e.label,
        facts: await gatherChainFacts(e.transport, claim, inclusion, { genesis: genesisHash !== undefined }),
      });
    } catch (err) {
      const steps = [
        ...offline.steps,
        {
          step: "chain id" as const,
          ok: false,
          detail: `chain unreachable at ${e.label}: ${(err as Error).message}`,
          code: "CHAIN_UNREACHABLE",
        },
      ];
      return { verdict: "UNREACHABLE", steps, checked: offline.checked, trust: offline.trust };
    }
  }
  const chainSteps = checkAnchor(claim, facts, {
    confirmations: opts.confirmations,
    onchain: opts.onchain,
    genesisHash,
  });
  const failed = chainSteps.find((s) => !s.ok);
  const pinned = offline.trust!.check.unpinned.length === 0;
  const verdict: Verdict = failed
    ? failed.code === "PROOF_NOT_FINAL"
      ? "NOT-FINAL"
      : "FAIL"
    : pinned
      ? "PASS"
      : "UNPINNED";
  return { verdict, steps: [...offline.steps, ...chainSteps], checked: offline.checked, trust: offline.trust };
}
