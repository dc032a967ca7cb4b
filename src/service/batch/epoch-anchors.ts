/**
 * The chain step of a batch review, shared by `verify-batch` (claims from the ledger's database) and
 * `verify-package` (claims from a package's bundles): each distinct epoch anchor is asked about once,
 * all at once, and compared with the core's checkAnchor. Tampering already found is reported with the
 * chain down; without any, an unreachable chain ends the review (the verdict needs it).
 */
import { AnchorClaim, Finding, IntegrityCheck, JsonRpcTransport, checkAnchor, gatherChainFacts } from "../../core";
import { ChainError } from "../../chain/errors";
import { safeErrorMessage } from "../../chain/provider";

/** One epoch anchor to check and the events that rest on it. */
export interface EpochClaim {
  claim: AnchorClaim;
  eventIds: string[];
}

/** What the chain said about the claims. */
export interface EpochAnchorsResult {
  check: IntegrityCheck;
  findings: Finding[];
  /** Events whose anchor is confirmed with the confirmations required. */
  anchored: string[];
  /** Events whose anchor is on chain but not final yet. */
  notFinal: { eventId: string; status: string }[];
}

/** "1 event", "2 events". */
export const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

/**
 * Checks every claim against the chain. `scope` names the events in messages ("of this batch").
 * @throws ChainError CHAIN_UNREACHABLE when the chain cannot be asked and `findingsSoFar` is 0
 */
export async function checkEpochAnchors(
  claims: readonly EpochClaim[],
  chain: (() => Promise<JsonRpcTransport>) | undefined,
  confirmations: number,
  findingsSoFar: number,
  scope: string,
  /** The pinned genesis block hash: the chain's block 0 must have it. */
  genesisHash?: string,
): Promise<EpochAnchorsResult> {
  const out: EpochAnchorsResult = {
    check: { check: "chain anchors", ok: true, detail: "no epoch is anchored yet" },
    findings: [],
    anchored: [],
    notFinal: [],
  };
  if (claims.length === 0) return out;
  const notChecked = (): EpochAnchorsResult => ({
    ...out,
    check: { check: "chain anchors", ok: false, detail: "NOT CHECKED: the chain could not be asked" },
  });
  let transport: JsonRpcTransport;
  try {
    if (!chain) throw new ChainError("CHAIN_UNREACHABLE", "no chain endpoint to check the anchors against");
    transport = await chain();
  } catch (e) {
    if (!findingsSoFar) throw e;
    return notChecked();
  }
  const answers = await Promise.all(
    claims.map(async (c) => {
      try {
        return {
          c,
          facts: await gatherChainFacts(transport, c.claim, undefined, { genesis: genesisHash !== undefined }),
        };
      } catch (e) {
        return { c, error: e };
      }
    }),
  );
  const unreachable = answers.find((a) => "error" in a);
  if (unreachable) {
    if (!findingsSoFar)
      throw new ChainError(
        "CHAIN_UNREACHABLE",
        `cannot read the anchor of epoch ${unreachable.c.claim.epoch}: ${safeErrorMessage(unreachable.error)}`,
      );
    return notChecked();
  }
  let final = 0;
  for (const { c, facts } of answers) {
    const failed = checkAnchor(c.claim, [{ endpoint: "chain", facts: facts! }], { confirmations, genesisHash }).find(
      (s) => !s.ok,
    );
    if (!failed) {
      final++;
      out.anchored.push(...c.eventIds);
    } else if (failed.code === "PROOF_NOT_FINAL") {
      for (const id of c.eventIds)
        out.notFinal.push({ eventId: id, status: `awaiting confirmations (epoch ${c.claim.epoch}): ${failed.detail}` });
    } else {
      out.findings.push({
        code: failed.code ?? "PROOF_ANCHOR_MISMATCH",
        message: `epoch ${c.claim.epoch} (anchor tx ${c.claim.anchor.txHash}, ${plural(c.eventIds.length, "event")} ${scope}): ${failed.detail}`,
        eventIds: c.eventIds,
      });
    }
  }
  out.check = out.findings.length
    ? { check: "chain anchors", ok: false, detail: out.findings.map((f) => f.message).join("; ") }
    : {
        check: "chain anchors",
        ok: true,
        detail: `${plural(final, "epoch")} anchored on chain ${claims[0].claim.anchor.chainId} with at least ${plural(confirmations, "confirmation")}${claims.length > final ? `; ${claims.length - final} not final yet` : ""}`,
      };
  return out;
}
