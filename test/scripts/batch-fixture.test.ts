/**
 * The batch fixture generator (test/helpers/batch-fixture.ts, run as scripts/batch-fixture.ts): every variant is a valid, storable batch
 * record that differs from the good one in exactly the one way it names; the CLI writes and posts it.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { assertEvent, canonicalString, computePayloadHash, GxpEvent, sha256Noble, toHex, utf8 } from "../../src/core";
import { openLedger } from "../../src/service/app/ledger";
import { BATCH_VARIANTS, BatchFixture, BatchVariant, bulkChunks, generateBatch } from "../helpers/batch-fixture";
import { cliAsync, serve, Served } from "../helpers/process";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts/batch-fixture.ts");
const START = new Date("2026-11-20T06:00:00Z");

type SignatureData = {
  meaning: string;
  sequence: number;
  requiredSignatures: number;
  signedAt: string;
  signedContent: { eventIds: string[]; contentHash: string };
};
const sig = (e: GxpEvent) => e.data as unknown as SignatureData;
const signaturesOf = (events: GxpEvent[]) => events.filter((e) => e.type === "signature.applied");
const str = (x: string | string[] | undefined): string => {
  expect(x, "notable id").to.be.a("string");
  return x as string;
};
const list = (x: string | string[] | undefined): string[] => {
  expect(x, "notable ids").to.be.an("array");
  return x as string[];
};

/** Runs the fixture CLI with ts-node, as `npm run fixture:batch -- …` does. */
function fixtureCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", SCRIPT, ...args], {
      cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The event without what legitimately moves when another event is left out, added or moved: its
 * source sequence, times and the hashes and counts derived from them.
 */
function content(e: GxpEvent): string {
  const data: Record<string, unknown> = { ...e.data };
  for (const k of ["signedAt", "effectiveAt", "expiresAt", "durationSeconds", "eventsInScope"]) delete data[k];
  if (e.type === "signature.applied") data.signedContent = { eventIds: sig(e).signedContent.eventIds };
  const rest: Record<string, unknown> = { ...e, data };
  for (const k of ["payloadHash", "sourceSequence", "occurredAt", "recordedAt"]) delete rest[k];
  return canonicalString(rest);
}

/** Which events a variant leaves out, adds, or changes, against the good batch. */
function diff(good: GxpEvent[], variant: GxpEvent[]): { removed: string[]; added: string[]; changed: string[] } {
  const g = new Map(good.map((e) => [e.id, e]));
  const v = new Map(variant.map((e) => [e.id, e]));
  return {
    removed: good.filter((e) => !v.has(e.id)).map((e) => e.id),
    added: variant.filter((e) => !g.has(e.id)).map((e) => e.id),
    changed: variant.filter((e) => g.has(e.id) && content(g.get(e.id)!) !== content(e)).map((e) => e.id),
  };
}

const steps = ["unit_procedure", "operation", "phase"];

describe("generateBatch", () => {
  const fixtures = new Map<BatchVariant, BatchFixture>(
    BATCH_VARIANTS.map((v) => [v, generateBatch({ batchId: "B-FX-1", variant: v, start: START })]),
  );
  const good = fixtures.get("good")!;
  const byId = new Map(good.events.map((e) => [e.id, e]));
  const ev = (id: string | string[] | undefined) => byId.get(str(id))!;

  describe("when generating every variant", () => {
    it("makes events that all pass assertEvent, with the payloadHash the ledger recomputes", () => {
      for (const [v, f] of fixtures) {
        for (const e of f.events) {
          expect(() => assertEvent(e), `${v} ${e.id}`).to.not.throw();
          expect(e.payloadHash, `${v} ${e.id}`).to.equal(computePayloadHash(e as unknown as Record<string, unknown>));
        }
      }
    });

    it("gives unique ids, the same again for the same options", () => {
      for (const [v, f] of fixtures) {
        expect(new Set(f.events.map((e) => e.id)).size, v).to.equal(f.events.length);
        expect(generateBatch({ batchId: "B-FX-1", variant: v, start: START }).events).to.deep.equal(f.events);
      }
      expect(generateBatch({ batchId: "B-FX-2", start: START }).events[0].id).to.equal("B-FX-2-0001");
    });

    it("counts sourceSequence up by one from startSequence, by two exactly once in source-gap", () => {
      for (const [v, f] of fixtures) {
        const deltas = f.events.slice(1).map((e, i) => e.sourceSequence - f.events[i].sourceSequence);
        expect(f.events[0].sourceSequence, v).to.equal(1);
        expect(f.nextSequence, v).to.equal(f.events[f.events.length - 1].sourceSequence + 1);
        if (v === "source-gap") {
          expect(
            deltas.filter((d) => d === 2),
            v,
          ).to.have.length(1);
          expect(
            deltas.filter((d) => d !== 1 && d !== 2),
            v,
          ).to.deep.equal([]);
          const at = f.events.findIndex((e) => e.id === f.notable.sourceGap);
          expect(f.events[at].sourceSequence - f.events[at - 1].sourceSequence).to.equal(2);
        } else
          expect(
            deltas.every((d) => d === 1),
            v,
          ).to.equal(true);
      }
      const later = generateBatch({
        batchId: "B-FX-1",
        start: START,
        startSequence: 5000,
        source: "urn:mes:pasx:site-DE01:test",
      });
      expect(later.events.map((e) => e.sourceSequence)[0]).to.equal(5000);
      expect(later.nextSequence).to.equal(5000 + later.events.length);
      expect(later.events.every((e) => e.source === "urn:mes:pasx:site-DE01:test")).to.equal(true);
    });

    it("binds every signature to the payload hashes of the events it signs, which come before it", () => {
      for (const [v, f] of fixtures) {
        const seen = new Map<string, GxpEvent>();
        for (const e of f.events) {
          if (e.type === "signature.applied") {
            const signed = sig(e).signedContent.eventIds.map((id) => seen.get(id));
            expect(signed.every(Boolean), `${v} ${e.id} signs only earlier events`).to.equal(true);
            const want =
              "sha256:" + toHex(sha256Noble(utf8(canonicalString(signed.map((s) => s!.payloadHash))))).slice(2);
            expect(sig(e).signedContent.contentHash, `${v} ${e.id}`).to.equal(want);
            expect(
              e.refs!.filter((r) => r.rel === "signs").map((r) => r.eventId),
              `${v} ${e.id}`,
            ).to.deep.equal(sig(e).signedContent.eventIds);
            expect(sig(e).signedAt).to.equal(e.occurredAt);
          }
          seen.set(e.id, e);
        }
      }
    });

    it("times events strictly increasing, in the past, in Europe/Berlin with the offset of the date", () => {
      for (const [v, f] of fixtures) {
        const t = f.events.map((e) => [Date.parse(e.occurredAt), Date.parse(e.recordedAt)]);
        t.forEach(([o, r], i) => {
          expect(r, `${v} ${f.events[i].id}`).to.be.greaterThan(o);
          if (i) expect(o, `${v} ${f.events[i].id}`).to.be.greaterThan(t[i - 1][1]);
        });
        expect(
          f.events.every((e) => e.timeZone === "Europe/Berlin" && /\+01:00$/.test(e.occurredAt)),
          v,
        ).to.equal(true);
      }
      const summer = generateBatch({ batchId: "B-FX-S", start: new Date("2026-07-01T04:00:00Z") }).events[0];
      expect(summer.occurredAt).to.equal("2026-07-01T06:00:00.000+02:00");
      const now = Date.now();
      const recent = generateBatch({ batchId: "B-FX-N" }).events;
      expect(Date.parse(recent[0].occurredAt)).to.be.within(now - 2 * 86_400_000 - 5_000, now - 2 * 86_400_000 + 5_000);
      expect(Date.parse(recent[recent.length - 1].recordedAt)).to.be.lessThan(now);
    });

    it("refuses a batch id that cannot be part of an event id, and an unknown variant", () => {
      expect(() => generateBatch({ batchId: "B 1" })).to.throw(/batch id/);
      expect(() => generateBatch({ batchId: "B-1", variant: "deleted-event" as BatchVariant })).to.throw(
        /unknown variant/,
      );
    });
  });

  describe("when the variant is good", () => {
    const events = good.events;
    const signatures = signaturesOf(events);

    it("runs from batch.created to batch.dispositioned, all with one batch and recipe", () => {
      expect(events[0].type).to.equal("batch.created");
      expect(events[events.length - 1].type).to.equal("batch.dispositioned");
      expect(events[1].data).to.deep.include({ to: "Running" });
      for (const e of events) {
        expect(e.batch).to.deep.equal({
          batchId: "B-FX-1",
          productCode: "FG-IBU400-FCT",
          lotId: "L-B-FX-1",
          productName: "Ibuprofen 400 mg film-coated tablets",
          orderId: "PO-B-FX-1",
        });
        expect(e.recipe).to.deep.equal({
          masterRecipeId: "MR-IBU400-FCT",
          masterRecipeVersion: "7.0",
          controlRecipeId: "CR-B-FX-1",
        });
      }
      const types = events.map((e) => e.type);
      for (const [t, n] of Object.entries({
        "equipment.verified": 4,
        "material.dispensed": 4,
        "material.charged": 4,
        "alarm.raised": 1,
        "alarm.acknowledged": 1,
        "deviation.opened": 1,
        "deviation.closed": 1,
        "record.corrected": 1,
        "material.produced": 1,
        "yield.recorded": 1,
        "batch.review_completed": 1,
      })) {
        expect(
          types.filter((x) => x === t),
          t,
        ).to.have.length(n);
      }
      expect(types.indexOf("material.dispensed")).to.be.greaterThan(types.lastIndexOf("equipment.verified"));
      const units = events.filter((e) => e.type === "unit_procedure.started").map((e) => e.context!.unitProcedure);
      expect(units).to.deep.equal(["UP-GRANULATION", "UP-COMPRESSION", "UP-COATING"]);
    });

    it("completes every started step with outcome completed, in the same ISA-88 context", () => {
      for (const level of steps) {
        const started = events.filter((e) => e.type === `${level}.started`);
        expect(started.length, level).to.be.greaterThan(0);
        for (const s of started) {
          const end = events.filter(
            (e) => e.type === `${level}.completed` && e.data.stepInstanceId === s.data.stepInstanceId,
          );
          expect(end, s.id).to.have.length(1);
          expect(end[0].data).to.include({ outcome: "completed" });
          expect(end[0].context).to.deep.equal(s.context);
          expect(events.indexOf(end[0])).to.be.greaterThan(events.indexOf(s));
        }
      }
    });

    it("gives distinct people distinct user ids and printed names", () => {
      const people = new Map<string, string>();
      for (const e of events.filter((e) => e.actor.type === "person")) {
        expect(people.get(e.actor.userId) ?? e.actor.printedName, e.id).to.equal(e.actor.printedName);
        people.set(e.actor.userId, e.actor.printedName);
      }
      expect(new Set(people.values()).size).to.equal(people.size);
      expect(people.size).to.be.at.least(6);
      const roles = new Set(events.map((e) => e.actor.role));
      for (const r of ["Production Operator", "Shift Supervisor", "QA Reviewer", "Qualified Person"])
        expect(roles.has(r), r).to.equal(true);
    });

    it("weighs every material within its tolerance and records the yield within its limits", () => {
      for (const e of events.filter((e) => e.type === "material.dispensed")) {
        const d = e.data as { netQuantity: number; tolerance: { low: number; high: number } };
        expect(d.netQuantity, e.id).to.be.within(d.tolerance.low, d.tolerance.high);
        expect(e.gmpCriticality).to.equal("critical");
      }
      const y = ev(good.notable.yield).data as {
        percentOfTheoretical: number;
        low: number;
        high: number;
        withinLimits: boolean;
      };
      expect(y.percentOfTheoretical).to.be.within(y.low, y.high);
      expect(y.withinLimits).to.equal(true);
    });

    it("covers every critical step with a signature (signatures and the disposition are bound otherwise)", () => {
      const signed = new Set(signatures.flatMap((s) => sig(s).signedContent.eventIds));
      const critical = events.filter(
        (e) => e.gmpCriticality === "critical" && e.type !== "signature.applied" && e.type !== "batch.dispositioned",
      );
      expect(critical.length).to.be.greaterThan(15);
      for (const e of critical) expect(signed.has(e.id), `${e.id} ${e.type}`).to.equal(true);
    });

    it("signs dual pairs performed (1 of 2) then verified (2 of 2) by another person over the same events", () => {
      const dual = list(good.notable.dualSignatures);
      expect(dual).to.have.length(12);
      for (let i = 0; i < dual.length; i += 2) {
        const [a, b] = [ev(dual[i]), ev(dual[i + 1])];
        expect(sig(a)).to.deep.include({ meaning: "performed", sequence: 1, requiredSignatures: 2 });
        expect(sig(b)).to.deep.include({ meaning: "verified", sequence: 2, requiredSignatures: 2 });
        expect(sig(b).signedContent.eventIds).to.deep.equal(sig(a).signedContent.eventIds);
        expect(b.actor.userId).to.not.equal(a.actor.userId);
      }
      const dispensing = events.filter((e) => e.type === "material.dispensed").map((e) => e.id);
      expect(sig(ev(dual[0])).signedContent.eventIds).to.deep.equal(dispensing);
      const charging = events.filter((e) => e.type === "material.charged").map((e) => e.id);
      expect(sig(ev(dual[2])).signedContent.eventIds).to.deep.equal(charging);
    });

    it("links the out-of-limit value to its alarm and to a deviation that QA closes before review", () => {
      const ool = ev(good.notable.outOfLimit);
      expect(ool.data).to.include({ withinLimits: false });
      expect(ool.data.value as number).to.be.greaterThan(ool.data.high as number);
      expect(
        events.filter((e) => e.type === "parameter.recorded" && e.data.withinLimits === false).map((e) => e.id),
      ).to.deep.equal([ool.id]);
      const [raised, acked] = [ev(good.notable.alarmRaised), ev(good.notable.alarmAcknowledged)];
      expect(raised.data.alarmId).to.equal(acked.data.alarmId);
      const opened = ev(good.notable.deviationOpened);
      const closed = ev(good.notable.deviationClosed);
      expect(opened.refs).to.deep.equal([{ eventId: ool.id, rel: "relatesTo" }]);
      expect(closed.data.deviationId).to.equal(opened.data.deviationId);
      expect(closed.data.closureSignatureRef).to.equal(good.notable.deviationApproval);
      const order = [
        ool,
        raised,
        acked,
        opened,
        ev(good.notable.deviationApproval),
        closed,
        ev(good.notable.reviewCompleted),
      ].map((e) => events.indexOf(e));
      expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    });

    it("corrects a manual value with previous and new value, reason and authoriser, then signs the correction with it", () => {
      const [c, corrected] = [ev(good.notable.correction), ev(good.notable.corrected)];
      expect(corrected.data).to.include({ source: "manual" });
      expect(c.refs).to.deep.equal([{ eventId: corrected.id, rel: "corrects" }]);
      expect(c.data).to.include({ field: "/data/value", previousValue: corrected.data.value });
      expect(c.data.newValue).to.not.equal(corrected.data.value);
      expect(c.data).to.have.property("reasonCode");
      expect(c.data).to.have.property("reasonText");
      expect(c.data.authorizedBy).to.have.keys("userId", "printedName", "role");
      const covering = signatures.filter((s) => sig(s).signedContent.eventIds.includes(corrected.id));
      expect(covering).to.have.length(2);
      for (const s of covering) {
        expect(events.indexOf(s)).to.be.greaterThan(events.indexOf(c));
        expect(sig(s).signedContent.eventIds).to.include(c.id);
      }
    });

    it("ends with the QA review, its reviewed signature, the QP's released signature and the disposition that names it", () => {
      const n = events.length;
      const [review, reviewed, released, disposition] = events.slice(n - 4);
      expect([review.id, reviewed.id, released.id, disposition.id]).to.deep.equal([
        good.notable.reviewCompleted,
        good.notable.reviewSignature,
        good.notable.releaseSignature,
        good.notable.disposition,
      ]);
      expect(review.data).to.include({ auditTrailReviewed: true });
      expect(sig(reviewed)).to.include({ meaning: "reviewed" });
      expect(sig(reviewed).signedContent.eventIds).to.deep.equal([review.id]);
      expect(reviewed.actor.userId).to.equal(review.actor.userId);
      expect(sig(released)).to.include({ meaning: "released" });
      expect(released.actor.role).to.equal("Qualified Person");
      expect(disposition.data).to.include({ decision: "released", signatureRef: released.id });
    });
  });

  describe("when the variant breaks one checklist item", () => {
    const expectDiff = (v: BatchVariant, want: { removed?: string[]; added?: string[]; changed?: string[] }) =>
      expect(diff(good.events, fixtures.get(v)!.events), v).to.deep.equal({
        removed: [],
        added: [],
        changed: [],
        ...want,
      });
    const f = (v: BatchVariant) => fixtures.get(v)!;
    const keepsOrder = (v: BatchVariant) => {
      const ids = new Set(f(v).events.map((e) => e.id));
      expect(
        f(v)
          .events.map((e) => e.id)
          .filter((id) => byId.has(id)),
        v,
      ).to.deep.equal(good.events.map((e) => e.id).filter((id) => ids.has(id)));
    };

    it("(the comparison itself sees a change to one field, a left-out and an added event)", () => {
      const copy = JSON.parse(JSON.stringify(good.events)) as GxpEvent[];
      copy[5].data.status = "dirty";
      const [left] = copy.splice(9, 1);
      copy.push({ ...copy[0], id: "B-FX-1-9999" });
      expect(diff(good.events, copy)).to.deep.equal({
        removed: [left.id],
        added: ["B-FX-1-9999"],
        changed: [copy[5].id],
      });
    });

    it("missing-phase-end leaves out the completion of one started phase, and nothing else", () => {
      const { notable, events } = f("missing-phase-end");
      expectDiff("missing-phase-end", { removed: [str(notable.removed)] });
      keepsOrder("missing-phase-end");
      const started = ev(notable.missingEndStep);
      expect(started.type).to.equal("phase.started");
      expect(ev(notable.removed))
        .to.deep.include({ type: "phase.completed" })
        .and.have.nested.property("data.stepInstanceId", started.data.stepInstanceId);
      expect(
        events.filter((e) => e.data.stepInstanceId === started.data.stepInstanceId).map((e) => e.type),
      ).to.deep.equal(["phase.started"]);
      // The other events keep their times.
      for (const e of events) expect(e.occurredAt, e.id).to.equal(byId.get(e.id)!.occurredAt);
    });

    it("open-deviation leaves out the closure of the deviation", () => {
      const { notable, events } = f("open-deviation");
      expectDiff("open-deviation", { removed: [str(notable.removed)] });
      expect(notable.removed).to.equal(good.notable.deviationClosed);
      const id = ev(notable.openDeviation).data.deviationId;
      expect(events.filter((e) => e.data.deviationId === id).map((e) => e.type)).to.deep.equal(["deviation.opened"]);
    });

    it("unsigned-step takes one critical charge out of both signatures of its dual pair", () => {
      const { notable, events } = f("unsigned-step");
      expectDiff("unsigned-step", { changed: list(notable.resigned) });
      const step = ev(notable.unsignedStep);
      expect(step).to.deep.include({ type: "material.charged", gmpCriticality: "critical" });
      expect(signaturesOf(events).some((s) => sig(s).signedContent.eventIds.includes(step.id))).to.equal(false);
      for (const id of list(notable.resigned))
        expect(sig(events.find((e) => e.id === id)!).signedContent.eventIds).to.have.length(3);
    });

    it("same-signer has the verified signature of one dual pair made by the performer", () => {
      const { notable, events } = f("same-signer");
      const [performed, verified] = list(notable.sameSigner).map((id) => events.find((e) => e.id === id)!);
      expectDiff("same-signer", { changed: [verified.id] });
      expect(sig(performed).meaning).to.equal("performed");
      expect(sig(verified).meaning).to.equal("verified");
      expect(verified.actor).to.deep.equal(performed.actor);
      expect(sig(verified).signedContent.eventIds).to.deep.equal(sig(performed).signedContent.eventIds);
    });

    it("correction-without-authoriser drops data.authorizedBy from the correction", () => {
      const { notable, events } = f("correction-without-authoriser");
      expectDiff("correction-without-authoriser", { changed: [str(notable.correctionWithoutAuthoriser)] });
      const c = events.find((e) => e.id === notable.correction)!;
      expect(c.data).to.not.have.property("authorizedBy");
      expect(c.data).to.have.property("reasonText");
    });

    it("superseded-signature signs the corrected value before the correction and never again", () => {
      const { notable, events } = f("superseded-signature");
      const pair = list(notable.supersededSignatures);
      expectDiff("superseded-signature", { changed: pair });
      const at = (id: string | string[]) => events.findIndex((e) => e.id === id);
      for (const id of pair) {
        expect(at(id)).to.be.lessThan(at(str(notable.correction)));
        expect(sig(events[at(id)]).signedContent.eventIds)
          .to.include(notable.corrected)
          .and.not.include(notable.correction);
      }
      const after = signaturesOf(events.slice(at(str(notable.correction))));
      expect(after.some((s) => sig(s).signedContent.eventIds.includes(str(notable.corrected)))).to.equal(false);
    });

    it("post-disposition adds one comment after the disposition", () => {
      const { notable, events } = f("post-disposition");
      expectDiff("post-disposition", { added: [str(notable.postDisposition)] });
      keepsOrder("post-disposition");
      expect(events[events.length - 2].id).to.equal(good.notable.disposition);
      expect(events[events.length - 1]).to.deep.include({ id: notable.postDisposition, type: "comment.added" });
    });

    it("source-gap changes no content, only skips one sourceSequence", () => {
      const { notable, events } = f("source-gap");
      expectDiff("source-gap", {});
      keepsOrder("source-gap");
      const i = events.findIndex((e) => e.id === notable.sourceGap);
      expect(events.slice(0, i).map((e) => e.sourceSequence)).to.deep.equal(
        good.events.slice(0, i).map((e) => e.sourceSequence),
      );
      expect(events.slice(i).map((e) => e.sourceSequence)).to.deep.equal(
        good.events.slice(i).map((e) => e.sourceSequence + 1),
      );
    });

    it("out-of-limit-without-deviation makes the deviation about something else", () => {
      const { notable, events } = f("out-of-limit-without-deviation");
      expectDiff("out-of-limit-without-deviation", { changed: [str(notable.deviationOpened)] });
      const ool = events.find((e) => e.id === notable.unlinkedOutOfLimit)!;
      expect(ool.data).to.include({ withinLimits: false });
      const mentions = events.filter(
        (e) => e.type.startsWith("deviation.") && (e.refs ?? []).some((r) => r.eventId === ool.id),
      );
      expect(mentions).to.deep.equal([]);
      const d = events.find((e) => e.id === notable.deviationOpened)!;
      expect(d.refs).to.have.length(1);
      expect(d.data.title).to.not.equal(ev(notable.deviationOpened).data.title);
    });
  });

  describe("when padded to 10,000 events", () => {
    it("adds automatic in-limit trend readings inside running phases, every event still valid", () => {
      const big = generateBatch({ batchId: "B-FX-BIG", events: 10_000, start: START });
      expect(big.events).to.have.length(10_000);
      expect(new Set(big.events.map((e) => e.id)).size).to.equal(10_000);
      for (const e of big.events) assertEvent(e);
      const open = new Set<string>();
      for (const e of big.events) {
        if (e.type === "phase.started") open.add(e.context!.phase!);
        if (e.type === "phase.completed") open.delete(e.context!.phase!);
        if (e.data.trend === true) {
          expect(e).to.deep.include({ type: "parameter.recorded", gmpCriticality: "major" });
          expect(e.data).to.include({ withinLimits: true, source: "automatic" });
          expect(e.data.value as number).to.be.within(e.data.low as number, e.data.high as number);
          expect(open.has(e.context!.phase!), e.id).to.equal(true);
        }
      }
      expect(big.events.filter((e) => e.data.trend === true)).to.have.length(10_000 - good.events.length);
      expect(
        Date.parse(big.events[big.events.length - 1].occurredAt) - Date.parse(big.events[0].occurredAt),
      ).to.be.lessThan(2 * 86_400_000);
    });
  });

  describe("when appended to a ledger through the real store", () => {
    it("stores every variant, each batch chained from batch sequence 0, and flags only the source gap", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-fixture-"));
      const ledger = openLedger(dir);
      try {
        let next = 1;
        const appended = BATCH_VARIANTS.map((v) => {
          const fx = generateBatch({ batchId: `B-FX-${v}`, variant: v, start: START, startSequence: next });
          next = fx.nextSequence;
          ledger.events.append(fx.events);
          return fx;
        });
        for (const [i, fx] of appended.entries()) {
          const batchId = `B-FX-${BATCH_VARIANTS[i]}`;
          const stored = ledger.events.byBatch(batchId, -1, 10_000);
          expect(
            stored.map((e) => e.batchSeq),
            batchId,
          ).to.deep.equal(fx.events.map((_, k) => k));
          expect(
            stored.map((e) => e.eventId),
            batchId,
          ).to.deep.equal(fx.events.map((e) => e.id));
        }
        const gaps = ledger.events.sourceGaps();
        expect(gaps.map((g) => g.eventId)).to.deep.equal([
          appended[BATCH_VARIANTS.indexOf("source-gap")].notable.sourceGap,
        ]);
      } finally {
        ledger.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("bulkChunks", () => {
  it("splits in order into bodies of at most 1,000 events and 1,000,000 bytes", () => {
    const events = generateBatch({ batchId: "B-FX-CH", events: 2500, start: START }).events;
    // The server's default body limit is 1 MiB; 1,000 of these events are more than that.
    const chunks = bulkChunks(events);
    expect(chunks[0].count).to.be.lessThan(1000);
    expect(chunks.every((c) => c.count <= 1000 && Buffer.byteLength(c.body) <= 1_000_000)).to.equal(true);
    expect(chunks.flatMap((c) => (JSON.parse(c.body) as { events: GxpEvent[] }).events)).to.deep.equal(events);
    expect(chunks.map((c) => c.from)).to.deep.equal(
      chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.count, 0)),
    );
    expect(bulkChunks(events, 1000, 10_000_000).map((c) => c.count)).to.deep.equal([1000, 1000, 500]);
  });
});

describe("batch-fixture CLI", function () {
  this.timeout(300_000);

  it("writes one event per line with -o, and names bad usage with exit code 2", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-fixture-cli-"));
    try {
      const file = path.join(dir, "b.jsonl");
      const r = await fixtureCli([
        "--batch",
        "B-FX-CLI",
        "--variant",
        "open-deviation",
        "--start-sequence",
        "7",
        "--start",
        START.toISOString(),
        "-o",
        file,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const want = generateBatch({ batchId: "B-FX-CLI", variant: "open-deviation", startSequence: 7, start: START });
      expect(r.stdout).to.match(
        new RegExp(`^wrote ${want.events.length} events of batch B-FX-CLI \\(open-deviation\\)`),
      );
      expect(
        fs
          .readFileSync(file, "utf8")
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l)),
      ).to.deep.equal(want.events);
      const bad = await fixtureCli(["--batch", "B-FX-CLI", "--variant", "bogus", "-o", file]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/--variant bogus/);
      const both = await fixtureCli(["--batch", "B-FX-CLI", "-o", file, "--post", "http://127.0.0.1:1"]);
      expect(both.code).to.equal(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("when posting to a running ledger", () => {
    let dir: string;
    let s: Served;
    let token: string;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-fixture-post-"));
      s = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
      token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    });
    after(async () => {
      await s?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("posts a good batch in bulk chunks and the ledger holds all of it in batch order", async () => {
      const r = await fixtureCli(["--batch", "B-FX-POST", "--events", "1500", "--post", s.url, "--token", token]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^posted 1500 events of batch B-FX-POST \(good\) to .*: 1500 stored, 0 already stored/);
      const added = await cliAsync(["--data-dir", dir, "--json", "client", "add", "qa-fixture", "--role", "qa"]);
      expect(added.code, added.stderr).to.equal(0);
      const qa = { authorization: `Bearer ${JSON.parse(added.stdout).token}` };
      const stored: { batchSeq: number; id: string; type: string }[] = [];
      for (let url: string | null = `/v1/batches/B-FX-POST/events?limit=1000`; url;) {
        const res = await fetch(new URL(url, s.url), { headers: qa });
        expect(res.status).to.equal(200);
        const page = (await res.json()) as {
          events: { batchSeq: number; id: string; type: string }[];
          next: string | null;
        };
        stored.push(...page.events);
        url = page.next;
      }
      expect(stored.map((e) => e.batchSeq)).to.deep.equal([...Array(1500).keys()]);
      expect(stored.map((e) => e.id)).to.deep.equal(
        generateBatch({ batchId: "B-FX-POST", events: 1500 }).events.map((e) => e.id),
      );
      expect(stored[0].type).to.equal("batch.created");
      expect(stored[1499].type).to.equal("batch.dispositioned");
      const again = await fixtureCli([
        "--batch",
        "B-FX-POST",
        "--variant",
        "post-disposition",
        "--events",
        "1500",
        "--post",
        s.url,
        "--token",
        "not-a-token",
      ]);
      expect(again.code).to.equal(3);
      expect(again.stderr).to.match(/chunk 1\/2 .* refused with HTTP 401/);
    });
  });
});
