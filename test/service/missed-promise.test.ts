/**
 * A missed anchoring promise is an alert (issue 12 item 5): a receipt group whose anchorBy passed
 * while its events are not anchored makes /readyz not ready, counts in the metrics and is recorded
 * once as a security event, until the events are anchored.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { startRunner, PROMISE_MISSED_KIND, Runner } from "../../src/service/app/runner";
import { readinessOf } from "../../src/service/app/readiness";
import { createMetrics } from "../../src/service/app/metrics";
import { sampleEvents } from "../helpers/events";

describe("startRunner: missed anchoring promises", () => {
  let dir: string;
  let ledger: Ledger;
  const runners: Runner[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-promise-"));
    ledger = openLedger(dir, { maxEvents: 1000, maxAgeMs: 3_600_000 });
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = (metrics = createMetrics(ledger)) => {
    const r = startRunner(ledger, undefined, { tickMs: 3_600_000, confirmations: 1, log: () => undefined, metrics });
    runners.push(r);
    return r;
  };
  const recorded = () =>
    (ledger.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[])
      .map((r) => JSON.parse(r).event.data)
      .filter((d) => d.kind === PROMISE_MISSED_KIND);

  it("alerts once per missed promise, in readiness, metrics and the ledger, until the events are anchored", async () => {
    // Receipts promising anchoring within 1 ms: missed at once.
    const api = createApiServices(ledger, dir, "default", 1);
    const client = api.clients.add("mes-1", "mes", undefined, new Date()).client;
    api.ingestor.ingest(sampleEvents(3), client);
    api.ingestor.ingest(sampleEvents(2), client);
    await new Promise((r) => setTimeout(r, 10));

    const metrics = createMetrics(ledger);
    const runner = run(metrics);
    await runner.tick();
    expect(runner.missedPromise()).to.include({ groups: 2, firstSeq: 0, lastSeq: 4 });
    const ready = readinessOf(ledger, runner, 3_600_000);
    expect(ready.ready).to.equal(false);
    expect(
      ready.reasons.some((r) => r.startsWith("anchoring promise missed: events seq 0..4 (2 receipt groups)")),
    ).to.equal(true);
    expect(ready.missedAnchorPromise).to.include({ firstSeq: 0, groups: 2 });
    expect(await metrics.registry.getSingleMetricAsString("gxp_ledger_anchor_promises_missed_total")).to.match(
      /^gxp_ledger_anchor_promises_missed_total 1$/m,
    );
    expect(await metrics.registry.getSingleMetricAsString("gxp_ledger_anchor_promises_overdue_groups")).to.match(
      /^gxp_ledger_anchor_promises_overdue_groups 2$/m,
    );
    expect(recorded()).to.have.length(1);
    expect(recorded()[0]).to.include({ firstSeq: 0, lastSeq: 4, groups: 2 });

    // Again, and after a restart: still one security event for this promise.
    await runner.tick();
    await run().tick();
    expect(recorded()).to.have.length(1);

    // Sealed and anchored (late): the alert clears.
    const sealed = ledger.sealer.seal(new Date())!;
    ledger.epochs.recordAnchor({
      epoch: sealed.epoch.epoch,
      chainId: "31337",
      contract: "0x" + "11".repeat(20),
      ledgerId: "0x" + "22".repeat(32),
      txHash: "0x" + "33".repeat(32),
      blockNumber: 5,
      blockHash: "0x" + "44".repeat(32),
      blockTimestamp: Math.floor(Date.now() / 1000),
      logIndex: 0,
      confirmedAt: new Date().toISOString(),
      anchorer: "0x" + "55".repeat(20),
    });
    await runner.tick();
    expect(runner.missedPromise()).to.equal(undefined);
    expect(
      readinessOf(ledger, runner, 3_600_000).reasons.some((r) => r.startsWith("anchoring promise missed")),
    ).to.equal(false);
  });

  it("stays quiet while every promise due is kept", async () => {
    const api = createApiServices(ledger, dir, "default", 3_600_000);
    const client = api.clients.add("mes-1", "mes", undefined, new Date()).client;
    api.ingestor.ingest(sampleEvents(3), client);
    const runner = run();
    await runner.tick();
    expect(runner.missedPromise()).to.equal(undefined);
    expect(recorded()).to.have.length(0);
  });
});
