/**
 * Event schema per type (GXP.md §3.4) at the API: required data fields with units, vendor types only
 * under x-, corrections and voids that reference a stored event with a reason, and signatures whose
 * content hash the ledger recomputes.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/app";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { createApiServices } from "../../src/service/app/api";
import { canonicalString, computePayloadHash } from "../../src/core";
import { sampleEvent } from "../helpers/events";

describe("event types at POST /v1/events", () => {
  let dir: string;
  let ledger: Ledger;
  let app: FastifyInstance;
  let token: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-types-"));
    ledger = openLedger(dir);
    const api = createApiServices(ledger, dir, "DE01", 60_000);
    token = api.clients.add("mes-1", "mes", undefined, new Date()).token;
    app = buildApp({ ledger, ...api });
  });
  afterEach(async () => {
    await app.close();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const post = (ev: unknown) =>
    app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { authorization: `Bearer ${token}` },
      payload: ev as object,
    });
  const paths = async (ev: unknown) => (await post(ev)).json().errors?.map((e: { path: string }) => e.path);

  it("requires each type's data fields, with a unit where a quantity is given", async () => {
    expect(
      await paths(sampleEvent({ type: "material.charged", data: { lotId: "L-1", quantity: 12.5 } })),
    ).to.have.members(["/data/unit", "/data/destinationUnit"]);
    expect(
      await paths(sampleEvent({ type: "phase.completed", data: { stepInstanceId: "s-1", outcome: "exploded" } })),
    ).to.deep.equal(["/data/outcome"]);
    expect(
      await paths(sampleEvent({ type: "batch.state_changed", data: { from: "Running", to: "Held" } })),
    ).to.deep.equal(["/data"]);
    expect(
      (
        await post(
          sampleEvent({
            type: "material.charged",
            data: { lotId: "L-1", quantity: 12.5, unit: "kg", destinationUnit: "GRAN-01" },
          }),
        )
      ).statusCode,
    ).to.equal(201);
  });

  it("accepts vendor types only under the x- prefix", async () => {
    expect((await post(sampleEvent({ type: "x-acme.line_clearance", data: { anything: true } }))).statusCode).to.equal(
      201,
    );
    expect(await paths(sampleEvent({ type: "acme.line_clearance" }))).to.deep.equal(["/type"]);
  });

  it("takes a correction only with a reason and a reference to a stored event, keeping the original", async () => {
    const original = sampleEvent();
    await post(original);
    const correction = (refs: unknown, data: Record<string, unknown>) =>
      sampleEvent({
        type: "record.corrected",
        refs,
        data: { field: "/data/value", previousValue: 61.5, newValue: 61.2, unit: "degC", ...data },
      });
    expect(await paths(correction([{ eventId: original.id, rel: "corrects" }], {}))).to.deep.equal(["/data"]);
    expect(await paths(correction(undefined, { reasonText: "typo" }))).to.deep.equal(["/refs"]);
    const dangling = await post(correction([{ eventId: "evt-nowhere", rel: "corrects" }], { reasonText: "typo" }));
    expect(dangling.statusCode).to.equal(422);
    expect(dangling.json().code).to.equal("REFERENCED_EVENT_NOT_FOUND");
    expect(
      (
        await post(
          correction([{ eventId: original.id, rel: "corrects" }], {
            reasonCode: "TRANSCRIPTION_ERROR",
            reasonText: "digits transposed",
          }),
        )
      ).statusCode,
    ).to.equal(201);
    expect(ledger.events.getById(original.id as string)?.record.event).to.deep.equal(original);
  });

  it("refuses a correction or signature of a batch event that does not carry the batch, so that the batch record holds it", async () => {
    const original = sampleEvent({}, "B-OWN-1");
    await post(original);
    const correction = (over: Record<string, unknown>) => {
      const c = sampleEvent(
        {
          type: "record.corrected",
          refs: [{ eventId: original.id, rel: "corrects" }],
          data: { field: "/data/value", previousValue: 61.5, newValue: 61.2, reasonText: "typo" },
          ...over,
        },
        "B-OWN-1",
      );
      return c;
    };
    const bare = correction({});
    delete bare.batch;
    delete bare.recipe;
    const before = ledger.events.nextSeq();
    const r1 = await post(bare);
    expect(r1.statusCode).to.equal(422);
    expect(r1.json().code).to.equal("REFERENCE_OUTSIDE_BATCH");
    expect(r1.json().detail).to.include("it must carry batch B-OWN-1");
    const r2 = await post(correction({ batch: { batchId: "B-OTHER-9", productCode: "P-100" } }));
    expect(r2.statusCode).to.equal(422);
    expect(r2.json().detail).to.include("not B-OTHER-9");
    expect(ledger.events.nextSeq()).to.equal(before);
    expect((await post(correction({}))).statusCode).to.equal(201);
  });

  it("recomputes a signature's content hash over the signed events and refuses one that does not match", async () => {
    const a = sampleEvent();
    const b = sampleEvent();
    await post(a);
    await post(b);
    const hash =
      "sha256:" +
      createHash("sha256")
        .update(canonicalString([computePayloadHash(a), computePayloadHash(b)]))
        .digest("hex");
    const sig = (contentHash: string) =>
      sampleEvent({
        type: "signature.applied",
        actor: { type: "person", userId: "u777", printedName: "Dr. Maria Keller", role: "QA Reviewer" },
        refs: [
          { eventId: a.id, rel: "signs" },
          { eventId: b.id, rel: "signs" },
        ],
        data: {
          meaning: "reviewed",
          signedAt: "2026-11-25T10:22:05+01:00",
          timeZone: "Europe/Berlin",
          signedContent: { kind: "eventSet", eventIds: [a.id, b.id], contentHash },
        },
      });
    const wrong = await post(sig("sha256:" + "00".repeat(32)));
    expect(wrong.statusCode).to.equal(422);
    expect(wrong.json().code).to.equal("SIGNATURE_CONTENT_MISMATCH");
    expect(wrong.json().detail).to.include(hash);
    expect((await post(sig(hash))).statusCode).to.equal(201);
  });
});
