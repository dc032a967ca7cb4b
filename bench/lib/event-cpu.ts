/**
 * In-process A/B of the per-event CPU before the store (issue 14), alternating in one process so
 * that the machine's load weighs on both alike: the path before (assertEvent with the full schema,
 * then canonicalize over the whole record) against the path now (assertEventText: one pass of
 * I-JSON checks and RFC 8785, the per-type validator; the record's text composed from the event's).
 * Usage: ts-node bench/lib/event-cpu.ts [--events N]
 */
import os from "node:os";
import {
  assertEventFullSchema,
  assertEventText,
  canonicalObjectOfTexts,
  canonicalStringOfChecked,
} from "../../src/core";
import { sampleEvent } from "../../test/helpers/events";
import { flag, median } from "./stats";

const n = Number(flag(process.argv.slice(2), "events", "20000"));
const evs = Array.from({ length: n }, () => JSON.parse(JSON.stringify(sampleEvent())) as Record<string, unknown>);
const salt = "0x" + "ab".repeat(32);
const link = { batchSeq: 5, prevLeafHash: "0x" + "cd".repeat(32) };
const by = { client: "bench-mes", role: "mes" };
const before = () => {
  for (const e of evs) {
    assertEventFullSchema(e);
    canonicalStringOfChecked({
      recordVersion: "gxp-ledger.record/1",
      seq: 123456,
      receivedAt: "2026-12-04T10:00:00.000Z",
      salt,
      batchLink: link,
      submittedBy: by,
      event: e,
    });
  }
};
const after = () => {
  for (const e of evs) {
    const t = assertEventText(e);
    canonicalObjectOfTexts({
      recordVersion: '"gxp-ledger.record/1"',
      seq: "123456",
      receivedAt: '"2026-12-04T10:00:00.000Z"',
      salt: `"${salt}"`,
      batchLink: canonicalStringOfChecked(link),
      submittedBy: canonicalStringOfChecked(by),
      event: t,
    });
  }
};
const res: Record<string, number[]> = { before: [], after: [] };
for (let r = 0; r < 7; r++) {
  for (const [k, f] of [
    ["before", before],
    ["after", after],
  ] as const) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    if (r >= 2) res[k].push((c.user + c.system) / n);
  }
}
console.log(
  `validation + canonical record text, CPU µs per event (median of 5, ${n} events, 1-min load ${os.loadavg()[0].toFixed(2)}): before ${median(res.before).toFixed(2)}, after ${median(res.after).toFixed(2)}`,
);
