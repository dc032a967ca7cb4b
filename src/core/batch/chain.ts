/**
 * The per-batch hash chain: the ledger gives each event of a batch its batch sequence number (0, 1,
 * 2, …) and the leaf hash of the batch's previous event, inside the record at commit. Omitting,
 * reordering or inserting an event of a batch then breaks a chain that is itself anchored, even when
 * every remaining event's own inclusion proof still verifies.
 */
import { BatchEntry, Finding } from "./types";

/**
 * Checks the chain over the entries in the order given (the store's batch order, or a package's
 * listing). Reports every break, naming the events on both sides.
 */
export function checkBatchChain(batchId: string, entries: readonly BatchEntry[]): Finding[] {
  const out: Finding[] = [];
  const linked: BatchEntry[] = [];
  for (const e of entries) {
    const ev = e.record.event;
    if (ev.batch?.batchId !== batchId) {
      out.push({
        code: "BATCH_MEMBER_FOREIGN",
        message: `event ${ev.id} (seq ${e.record.seq}) belongs to batch ${ev.batch?.batchId ?? "(none)"}, not ${batchId}`,
        eventIds: [ev.id],
      });
    } else if (!e.record.batchLink) {
      out.push({
        code: "BATCH_CHAIN_BROKEN",
        message: `event ${ev.id} (seq ${e.record.seq}) carries no batch chain link`,
        eventIds: [ev.id],
      });
    } else linked.push(e);
  }
  const bseq = (e: BatchEntry): number => e.record.batchLink!.batchSeq;
  const id = (e: BatchEntry): string => e.record.event.id;

  // 1. The order listed is the order the records themselves state.
  for (let i = 1; i < linked.length; i++) {
    const [a, b] = [linked[i - 1], linked[i]];
    if (bseq(b) === bseq(a)) {
      out.push({
        code: "BATCH_SEQ_DUPLICATE",
        message: `batch ${batchId}: events ${id(a)} and ${id(b)} both claim batch sequence ${bseq(a)}: an event was inserted`,
        eventIds: [id(a), id(b)],
      });
    } else if (bseq(b) < bseq(a)) {
      out.push({
        code: "BATCH_ORDER_BROKEN",
        message: `batch ${batchId}: event ${id(b)} (batch seq ${bseq(b)}) is listed after ${id(a)} (batch seq ${bseq(a)}): the events were reordered`,
        eventIds: [id(a), id(b)],
      });
    }
  }

  // 2. In the records' own order: no sequence number missing, each linked to the leaf before it.
  const sorted = [...linked].sort((a, b) => bseq(a) - bseq(b));
  let prev: BatchEntry | undefined;
  for (const e of sorted) {
    const s = bseq(e);
    const expect = prev ? bseq(prev) + 1 : 0;
    if (prev && s === bseq(prev)) continue;
    if (s > expect) {
      out.push({
        code: "BATCH_EVENT_MISSING",
        message:
          `batch ${batchId}: ${s - expect === 1 ? `the event with batch sequence ${expect} is` : `the events with batch sequence ${expect}–${s - 1} are`} missing ` +
          `between ${prev ? `${id(prev)} (batch seq ${expect - 1})` : "the start of the batch"} and ${id(e)} (batch seq ${s}): deleted`,
        eventIds: prev ? [id(prev), id(e)] : [id(e)],
      });
    } else if (s === 0) {
      if (e.record.batchLink!.prevLeafHash !== null)
        out.push({
          code: "BATCH_CHAIN_BROKEN",
          message: `event ${id(e)} opens batch ${batchId} but links to a previous event`,
          eventIds: [id(e)],
        });
    } else if (prev && e.record.batchLink!.prevLeafHash !== prev.leafHash) {
      out.push({
        code: "BATCH_CHAIN_BROKEN",
        message: `batch ${batchId}: event ${id(e)} (batch seq ${s}) links to previous leaf ${e.record.batchLink!.prevLeafHash}, but ${id(prev)} (batch seq ${s - 1}) has leaf ${prev.leafHash}: an event was replaced or altered`,
        eventIds: [id(prev), id(e)],
      });
    }
    prev = e;
  }
  return out;
}
