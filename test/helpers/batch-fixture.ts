/**
 * Realistic batch records (issue 4 §7): a solid-dose batch (dispensing → granulation → compression →
 * film coating → yield → QA review → QP release) as an MES such as Werum PAS-X would post it, with the
 * event types of ../shared/domain/GXP.md §3.4, plus variants that each break one item of the QA
 * release checklist (GXP.md §4.1). `generateBatch` is pure apart from reading the clock when no
 * `start` is given; `main` is the command line of scripts/batch-fixture.ts (`npm run fixture:batch`), which
 * writes JSON lines or posts the events.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { computePayloadHash, EXIT, signedContentHash } from "../../src/core";
import { Actor, EventType, GxpEvent } from "../../src/core/event/types";

/** What differs from the good batch (each variant changes exactly one thing). */
export type BatchVariant =
  | "good"
  | "missing-phase-end"
  | "open-deviation"
  | "unsigned-step"
  | "same-signer"
  | "correction-without-authoriser"
  | "superseded-signature"
  | "post-disposition"
  | "source-gap"
  | "out-of-limit-without-deviation";

/** Every variant, "good" first. */
export const BATCH_VARIANTS: readonly BatchVariant[] = [
  "good",
  "missing-phase-end",
  "open-deviation",
  "unsigned-step",
  "same-signer",
  "correction-without-authoriser",
  "superseded-signature",
  "post-disposition",
  "source-gap",
  "out-of-limit-without-deviation",
];

/** Options of `generateBatch`. */
export interface BatchFixtureOptions {
  batchId: string;
  variant?: BatchVariant;
  source?: string;
  startSequence?: number;
  start?: Date;
  /** pad the batch with extra automatic parameter.recorded events (granulation/compression trends) to reach about this many events in total */
  events?: number;
}

/** A generated batch record. */
export interface BatchFixture {
  events: GxpEvent[];
  nextSequence: number;
  /** for tests: ids of notable events by role, e.g. { outOfLimit, deviationOpened, deviationClosed, correction, corrected, releaseSignature, disposition, dualSignatures: [..], unsignedStep?, postDisposition?, missingEndStep? ... } */
  notable: Record<string, string | string[]>;
}

type Crit = GxpEvent["gmpCriticality"];
type Ref = NonNullable<GxpEvent["refs"]>[number];

/** One event before it is stamped (times, sequence, hashes are given in document order at the end). */
interface Spec {
  id: string;
  type: EventType;
  actor: Actor;
  crit: Crit;
  /** milliseconds after the previous event */
  gapMs: number;
  data: Record<string, unknown>;
  context?: Record<string, string>;
  refs?: Ref[];
  /** signature.applied: the signed event ids (contentHash is computed when stamped) */
  signs?: string[];
  /** fills data that depends on the final times or position */
  finish?: (
    data: Record<string, unknown>,
    env: { index: number; occurredMs: number; timeOf: (id: string) => number },
  ) => void;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:~-]*$/;
const TZ = "Europe/Berlin";
const SITE = "DE01";
const S = 1000;
const MIN = 60 * S;

// People with distinct user ids and printed names as captured at signing time (21 CFR 11.50).
const person = (userId: string, printedName: string, role: string, workstationId: string): Actor => ({
  type: "person",
  userId,
  printedName,
  role,
  workstationId,
});
const DISPENSER = person("u-op-0921", "Katrin Hoffmann", "Dispensing Operator", "WS-DISP-02");
const OPERATOR = person("u-op-1042", "Jonas Weber", "Production Operator", "WS-GRAN-01");
const SECOND = person("u-op-1187", "Elif Yilmaz", "Production Operator", "WS-GRAN-01");
const PRESS_OPERATOR = person("u-op-1233", "Marco Rossi", "Production Operator", "WS-COMP-01");
const SUPERVISOR = person("u-sup-0311", "Anna Schmidt", "Shift Supervisor", "WS-SUP-01");
const QA_REVIEWER = person("u-qa-0077", "Dr. Maria Keller", "QA Reviewer", "WS-QA-03");
const QP = person("u-qp-0009", "Dr. Thomas Braun", "Qualified Person", "WS-QA-01");
const MES: Actor = { type: "system", userId: "svc-pasx-orders", printedName: "PAS-X Order Management", role: "MES" };
const equipment = (equipmentId: string, name: string): Actor => ({
  type: "equipment",
  userId: `EQ-${equipmentId}`,
  printedName: name,
  role: "Equipment",
  equipmentId,
});
const GRANULATOR = equipment("GRAN-TRAIN-01", "Granulation train GRAN-TRAIN-01 (PLC)");
const PRESS = equipment("PRESS-01", "Rotary tablet press PRESS-01 (PLC)");
const COATER = equipment("COAT-01", "Drum coater COAT-01 (PLC)");

const AREA = "Solids";
const CELL = "PC-SOLIDS-2";
const PROCEDURE = "P-IBU400-FCT";

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A deterministic pseudo-random source (mulberry32) seeded from the batch id. */
function rng(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const offsetCache = new Map<number, string>();
const offsetFormat = new Intl.DateTimeFormat("en-US", { timeZone: TZ, timeZoneName: "longOffset" });

/** RFC 3339 local time in Europe/Berlin with its offset of that instant (+01:00 in winter, +02:00 in summer). */
function berlinTime(ms: number): string {
  const hour = Math.floor(ms / 3_600_000);
  let off = offsetCache.get(hour);
  if (off === undefined) {
    const name = offsetFormat.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName")!.value; // "GMT+01:00"
    off = name === "GMT" ? "+00:00" : name.slice(3);
    offsetCache.set(hour, off);
  }
  const minutes = (off[0] === "-" ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
  return new Date(ms + minutes * MIN).toISOString().slice(0, -1) + off;
}

interface Step {
  started: string;
  completed: string;
}

/** The ids of the events that the variants and the tests need. */
interface Roles {
  phaseSpray: Step;
  charges: string[];
  chargeSigs: [string, string];
  wetMassSigs: [string, string];
  outOfLimit: string;
  alarmRaised: string;
  alarmAcknowledged: string;
  deviationOpened: string;
  deviationClosed: string;
  deviationApproval: string;
  correction: string;
  corrected: string;
  pressVerified: string;
  review: string;
  reviewSignature: string;
  releaseSignature: string;
  disposition: string;
  produced: string;
  yield: string;
  sample: string;
  dualSignatures: string[];
  signatures: string[];
}

/**
 * Builds the good batch as specs, with `pad[i]` automatic trend events in running phase i (four
 * slots: wet massing, drying, compression, coating).
 */
function buildGood(
  batchId: string,
  pad: number[],
  idWidth: number,
  random: () => number,
): { specs: Spec[]; roles: Roles } {
  const specs: Spec[] = [];
  let n = 0;
  let sigNo = 0;
  const add = (
    type: EventType,
    actor: Actor,
    crit: Crit,
    gapMs: number,
    data: Record<string, unknown>,
    extra: Partial<Spec> = {},
  ): string => {
    const id = `${batchId}-${String(++n).padStart(idWidth, "0")}`;
    specs.push({ id, type, actor, crit, gapMs, data, ...extra });
    return id;
  };
  const ctx = (
    unit: string,
    up?: string,
    op?: string,
    ph?: string,
    stepInstanceId?: string,
  ): Record<string, string> => ({
    area: AREA,
    processCell: CELL,
    unit,
    procedure: PROCEDURE,
    ...(up ? { unitProcedure: up } : {}),
    ...(op ? { operation: op } : {}),
    ...(ph ? { phase: ph } : {}),
    ...(stepInstanceId ? { stepInstanceId } : {}),
  });
  const roles: Partial<Roles> = { dualSignatures: [], signatures: [] };
  const wetMassCpps: string[] = [];
  const dryingCpps: string[] = [];

  /** A unit procedure, operation or phase: started, the body, completed with its duration. */
  const step = (
    level: "unit_procedure" | "operation" | "phase",
    actor: Actor,
    context: Record<string, string>,
    body: () => void,
  ): Step => {
    const name = context[level === "unit_procedure" ? "unitProcedure" : level];
    const stepInstanceId = `${batchId}.${name}.1`;
    const c = { ...context, stepInstanceId };
    const started = add(`${level}.started`, actor, "major", 40 * S, { stepInstanceId }, { context: c });
    body();
    const completed = add(
      `${level}.completed`,
      actor,
      "major",
      30 * S,
      { stepInstanceId, outcome: "completed" },
      {
        context: c,
        finish: (d, env) => (d.durationSeconds = Math.round((env.occurredMs - env.timeOf(started)) / S)),
      },
    );
    return { started, completed };
  };

  /** A signature over `eventIds` (GXP.md §3.3): meaning, time, content hash, 11.200 components. */
  const signedBefore = new Set<string>();
  const signature = (
    actor: Actor,
    meaning: string,
    eventIds: string[],
    meaningText: string,
    seq = 1,
    required = 1,
    extraRefs: Ref[] = [],
  ): string => {
    // 11.200(a)(1): the first signing of a session uses all components, later ones at least one.
    const componentsUsed = signedBefore.has(actor.userId) ? "subsequent-in-session" : "all";
    signedBefore.add(actor.userId);
    const id = add(
      "signature.applied",
      actor,
      "critical",
      25 * S,
      {
        signatureId: `MES-SIG-${batchId}-${String(++sigNo).padStart(3, "0")}`,
        meaning,
        meaningText,
        timeZone: TZ,
        authMethod: "id+password",
        componentsUsed,
        sequence: seq,
        requiredSignatures: required,
      },
      {
        signs: eventIds,
        refs: [...eventIds.map((eventId) => ({ eventId, rel: "signs" as const })), ...extraRefs],
        finish: (d, env) => (d.signedAt = berlinTime(env.occurredMs)),
      },
    );
    roles.signatures!.push(id);
    return id;
  };
  /** Performer and second-person verifier over the same events (21 CFR 211.188(b)(11), 211.101(d)). */
  const dual = (performer: Actor, verifier: Actor, eventIds: string[], what: string): [string, string] => {
    const first = signature(performer, "performed", eventIds, `Performed: ${what}`, 1, 2);
    const second = signature(verifier, "verified", eventIds, `Verified (second person): ${what}`, 2, 2, [
      { eventId: first, rel: "verifies" },
    ]);
    roles.dualSignatures!.push(first, second);
    return [first, second];
  };
  const param = (
    actor: Actor,
    crit: Crit,
    context: Record<string, string>,
    gapMs: number,
    name: string,
    value: number,
    unit: string,
    low: number,
    high: number,
    more: Record<string, unknown> = {},
  ): string =>
    add(
      "parameter.recorded",
      actor,
      crit,
      gapMs,
      {
        name,
        value,
        unit,
        low,
        high,
        withinLimits: value >= low && value <= high,
        source: actor.type === "person" ? "manual" : "automatic",
        cpp: crit === "critical",
        ...more,
      },
      { context },
    );
  /** Automatic non-CPP trend readings, all within limits. */
  const trend = (
    count: number,
    actor: Actor,
    context: Record<string, string>,
    name: string,
    tag: string,
    unit: string,
    low: number,
    high: number,
    gapMs: number,
  ) => {
    const mid = (low + high) / 2;
    const span = (high - low) * 0.3;
    for (let i = 0; i < count; i++) {
      param(actor, "major", context, gapMs, name, round(mid + (random() - 0.5) * span, 2), unit, low, high, {
        instrumentId: tag,
        trend: true,
      });
    }
  };
  const trendGap = () =>
    Math.max(
      S,
      Math.min(
        15 * S,
        Math.floor(
          (24 * 3600 * S) /
            Math.max(
              1,
              pad.reduce((a, b) => a + b, 0),
            ),
        ),
      ),
    );

  // ── Order, release to the shop floor, equipment status ──
  add(
    "batch.created",
    MES,
    "major",
    0,
    {
      plannedQuantity: 200_000,
      unit: "tab",
      plannedCoreMass: 114,
      plannedCoreMassUnit: "kg",
      mbrApprovalRef: "MBR-IBU400-FCT-v7.0/APPR-2025-0193",
      masterRecipeId: "MR-IBU400-FCT",
      masterRecipeVersion: "7.0",
      erpOrderId: `PO-${batchId}`,
    },
    { context: { area: AREA, processCell: CELL, procedure: PROCEDURE } },
  );
  add(
    "batch.state_changed",
    SUPERVISOR,
    "major",
    12 * MIN,
    { from: "Released-to-shopfloor", to: "Running" },
    { context: { area: AREA, processCell: CELL, procedure: PROCEDURE } },
  );
  const verified = (
    equipmentId: string,
    checkType: string,
    logbookRef: string,
    unit: string,
    validDays: number,
    area = AREA,
  ) =>
    add(
      "equipment.verified",
      OPERATOR,
      "major",
      90 * S,
      { equipmentId, checkType, status: checkType === "calibrated" ? "calibrated" : "clean", logbookRef },
      {
        context: { area, ...(area === AREA ? { processCell: CELL } : {}), unit },
        finish: (d, env) => {
          // Cleaning or calibration done before the batch, valid well beyond its end.
          d.effectiveAt = berlinTime(env.occurredMs - (checkType === "calibrated" ? 20 * 24 * 60 : 5 * 60) * MIN);
          d.expiresAt = berlinTime(env.occurredMs + validDays * 24 * 60 * MIN);
        },
      },
    );
  verified("BAL-DISP-02", "calibrated", "LB-BAL-DISP-02/2026-117", "DISP-BOOTH-02", 10, "Dispensary");
  verified("GRAN-TRAIN-01", "clean", "LB-GRAN-TRAIN-01/2026-341", "GRAN-TRAIN-01", 5);
  roles.pressVerified = verified("PRESS-01", "clean", "LB-PRESS-01/2026-288", "PRESS-01", 5);
  verified("COAT-01", "clean", "LB-COAT-01/2026-203", "COAT-01", 5);

  // ── Dispensing: API and excipients, weighed against target and tolerance (211.101) ──
  const materials = [
    {
      materialId: "RM-10231",
      materialName: "Ibuprofen (Ph. Eur.)",
      lotId: "BASF-IB-2609-0417",
      target: 80.0,
      containerId: "CT-448812",
    },
    {
      materialId: "RM-20115",
      materialName: "Microcrystalline cellulose PH-101",
      lotId: "JRS-MC-2608-1132",
      target: 24.0,
      containerId: "CT-448813",
    },
    {
      materialId: "RM-20340",
      materialName: "Croscarmellose sodium",
      lotId: "DFE-CC-2607-0551",
      target: 6.0,
      containerId: "CT-448814",
    },
    {
      materialId: "RM-20502",
      materialName: "Povidone K30",
      lotId: "ASH-PV-2606-0090",
      target: 4.0,
      containerId: "CT-448815",
    },
  ];
  const dispensingCtx = { area: "Dispensary", unit: "DISP-BOOTH-02" };
  const dispensed = materials.map((m, i) => {
    const net = round(m.target * (1 + (random() - 0.5) * 0.004), 3); // within ±0.2 % of a ±0.5 % tolerance
    const tare = round(1.2 + i * 0.35, 3);
    return add(
      "material.dispensed",
      DISPENSER,
      "critical",
      (3 + i) * MIN,
      {
        materialId: m.materialId,
        materialName: m.materialName,
        lotId: m.lotId,
        containerId: m.containerId,
        targetQuantity: m.target,
        tolerance: { percent: 0.5, low: round(m.target * 0.995, 3), high: round(m.target * 1.005, 3) },
        grossQuantity: round(net + tare, 3),
        tareQuantity: tare,
        netQuantity: net,
        withinTolerance: true,
        unit: "kg",
        balanceId: "BAL-DISP-02",
        balanceCalibrationStatus: "calibrated",
        lotQcStatus: "released",
        lotExpiry: "2028-09-30",
        manualEntry: false,
      },
      { context: dispensingCtx },
    );
  });
  dual(DISPENSER, SECOND, dispensed, "dispensing of 4 materials for the granulation");

  // ── Granulation: charging, wet massing, fluid-bed drying ──
  const gran = ctx("GRAN-TRAIN-01", "UP-GRANULATION");
  step("unit_procedure", OPERATOR, gran, () => {
    const wet = { ...gran, operation: "OP-WET-GRANULATION" };
    step("operation", OPERATOR, wet, () => {
      const charge = { ...wet, phase: "PH-CHARGING" };
      step("phase", OPERATOR, charge, () => {
        roles.charges = materials.map((m, i) =>
          add(
            "material.charged",
            OPERATOR,
            "critical",
            4 * MIN,
            {
              materialId: m.materialId,
              lotId: m.lotId,
              containerId: m.containerId,
              quantity: specs.find((s) => s.id === dispensed[i])!.data.netQuantity as number,
              unit: "kg",
              destinationUnit: "GRAN-TRAIN-01",
              additionOrder: i + 1,
              scanVerified: true,
            },
            { context: charge },
          ),
        );
      });
      roles.chargeSigs = dual(OPERATOR, SECOND, roles.charges!, "charging of 4 materials into GRAN-TRAIN-01");
      const mass = { ...wet, phase: "PH-WET-MASSING" };
      step("phase", OPERATOR, mass, () => {
        wetMassCpps.push(
          param(
            GRANULATOR,
            "critical",
            mass,
            2 * MIN,
            "impeller_speed",
            round(248 + random() * 4, 1),
            "rpm",
            230,
            270,
            { instrumentId: "SI-101" },
          ),
          param(GRANULATOR, "major", mass, 20 * S, "chopper_speed", round(1490 + random() * 20, 0), "rpm", 1400, 1600, {
            instrumentId: "SI-102",
          }),
          param(
            GRANULATOR,
            "critical",
            mass,
            30 * S,
            "binder_spray_rate",
            round(0.78 + random() * 0.04, 3),
            "kg/min",
            0.7,
            0.9,
            { instrumentId: "FI-103" },
          ),
        );
        trend(pad[0], GRANULATOR, mass, "impeller_motor_power", "JI-104", "kW", 4, 12, trendGap());
        // Entered by hand from the floor-balance printout: the digits are transposed, corrected later.
        roles.corrected = param(
          OPERATOR,
          "critical",
          mass,
          3 * MIN,
          "granulating_liquid_added",
          20.13,
          "kg",
          19.5,
          20.5,
          { instrumentId: "BAL-FLOOR-07" },
        );
        wetMassCpps.push(
          roles.corrected,
          param(GRANULATOR, "critical", mass, 2 * MIN, "wet_massing_time", 180, "s", 150, 210, {
            instrumentId: "KT-105",
          }),
        );
      });
    });
    roles.correction = add(
      "record.corrected",
      OPERATOR,
      "major",
      6 * MIN,
      {
        field: "/data/value",
        previousValue: 20.13,
        newValue: 20.31,
        unit: "kg",
        reasonCode: "TRANSCRIPTION_ERROR",
        reasonText: "Digits transposed on manual entry; balance printout BAL-FLOOR-07 #55312 shows 20.31 kg",
        authorizedBy: { userId: SUPERVISOR.userId, printedName: SUPERVISOR.printedName, role: SUPERVISOR.role },
      },
      {
        refs: [{ eventId: roles.corrected!, rel: "corrects" }],
        context: { ...gran, operation: "OP-WET-GRANULATION", phase: "PH-WET-MASSING" },
      },
    );
    roles.wetMassSigs = dual(
      OPERATOR,
      SUPERVISOR,
      [...wetMassCpps, roles.correction],
      "wet massing critical process parameters incl. correction",
    );

    const dry = { ...gran, operation: "OP-FLUID-BED-DRYING" };
    step("operation", OPERATOR, dry, () => {
      const drying = { ...dry, phase: "PH-DRYING" };
      step("phase", OPERATOR, drying, () => {
        dryingCpps.push(
          param(
            GRANULATOR,
            "critical",
            drying,
            2 * MIN,
            "inlet_air_temperature",
            round(64 + random() * 2, 1),
            "degC",
            60,
            70,
            { instrumentId: "TT-101" },
          ),
          param(
            GRANULATOR,
            "critical",
            drying,
            5 * MIN,
            "product_temperature",
            round(38 + random() * 3, 1),
            "degC",
            35,
            45,
            { instrumentId: "TT-102" },
          ),
        );
        trend(pad[1], GRANULATOR, drying, "exhaust_air_temperature", "TT-103", "degC", 25, 45, trendGap());
        roles.outOfLimit = param(GRANULATOR, "critical", drying, 4 * MIN, "product_temperature", 47.8, "degC", 35, 45, {
          instrumentId: "TT-102",
        });
        dryingCpps.push(roles.outOfLimit);
        const alarmId = `ALM-${batchId}-TT102-HI`;
        roles.alarmRaised = add(
          "alarm.raised",
          GRANULATOR,
          "major",
          2 * S,
          { alarmId, alarmType: "HI", tag: "TT-102", limit: 45, value: 47.8, unit: "degC", priority: "high" },
          {
            context: drying,
            refs: [{ eventId: roles.outOfLimit, rel: "causedBy" }],
          },
        );
        roles.alarmAcknowledged = add(
          "alarm.acknowledged",
          OPERATOR,
          "major",
          50 * S,
          {
            alarmId,
            ackText:
              "Product temperature high; inlet air set point reduced from 65 to 60 degC, shift supervisor informed",
            limit: 45,
            value: 47.8,
            unit: "degC",
            priority: "high",
          },
          { context: drying, refs: [{ eventId: roles.alarmRaised, rel: "relatesTo" }] },
        );
        roles.deviationOpened = add(
          "deviation.opened",
          SUPERVISOR,
          "major",
          9 * MIN,
          {
            deviationId: `DEV-${batchId}-01`,
            classification: "major",
            title: "Product temperature above 45 degC during fluid-bed drying",
            description:
              "TT-102 read 47.8 degC (limit 35-45 degC) for about 3 min; inlet air reduced, temperature back in range",
            qmsSystem: "TrackWise",
            impactAssessment: "pending",
          },
          { context: drying, refs: [{ eventId: roles.outOfLimit, rel: "relatesTo" }] },
        );
        dryingCpps.push(
          param(
            GRANULATOR,
            "critical",
            drying,
            4 * MIN,
            "product_temperature",
            round(41 + random() * 2, 1),
            "degC",
            35,
            45,
            { instrumentId: "TT-102" },
          ),
        );
        roles.sample = add(
          "sample.taken",
          OPERATOR,
          "major",
          20 * MIN,
          {
            sampleId: `S-${batchId}-LOD-1`,
            quantity: 10,
            unit: "g",
            reason: "IPC loss on drying at end of drying",
            sopRef: "SOP-PRD-0412",
          },
          { context: drying },
        );
        add(
          "ipc.result_recorded",
          OPERATOR,
          "major",
          12 * MIN,
          {
            testCode: "LOD",
            testName: "Loss on drying",
            sampleId: `S-${batchId}-LOD-1`,
            result: 1.6,
            unit: "%",
            specification: "<= 2.0 %",
            passed: true,
            instrumentId: "MA-HX204-03",
            analyst: OPERATOR.printedName,
          },
          {
            context: drying,
            refs: [{ eventId: roles.sample, rel: "relatesTo" }],
          },
        );
      });
    });
  });
  dual(OPERATOR, SUPERVISOR, dryingCpps, "fluid-bed drying critical process parameters");

  // ── Compression ──
  const comp = ctx("PRESS-01", "UP-COMPRESSION");
  const compCpps: string[] = [];
  step("unit_procedure", PRESS_OPERATOR, comp, () => {
    const op = { ...comp, operation: "OP-COMPRESSION" };
    step("operation", PRESS_OPERATOR, op, () => {
      const ph = { ...op, phase: "PH-COMPRESSION-RUN" };
      step("phase", PRESS_OPERATOR, ph, () => {
        compCpps.push(
          param(PRESS, "critical", ph, 3 * MIN, "main_compression_force", round(14 + random(), 1), "kN", 12, 17, {
            instrumentId: "PT-201",
          }),
          param(PRESS, "critical", ph, 40 * S, "turret_speed", round(44 + random() * 2, 1), "rpm", 35, 50, {
            instrumentId: "SI-202",
          }),
        );
        param(PRESS, "major", ph, 40 * S, "fill_depth", round(11.2 + random() * 0.2, 2), "mm", 10.5, 12, {
          instrumentId: "ZT-203",
        });
        trend(pad[2], PRESS, ph, "ejection_force", "PT-204", "N", 50, 400, trendGap());
        const sample = add(
          "sample.taken",
          PRESS_OPERATOR,
          "major",
          10 * MIN,
          {
            sampleId: `S-${batchId}-TAB-1`,
            quantity: 20,
            unit: "tab",
            reason: "IPC tablet weight and hardness",
            sopRef: "SOP-PRD-0420",
          },
          { context: ph },
        );
        add(
          "ipc.result_recorded",
          PRESS_OPERATOR,
          "major",
          6 * MIN,
          {
            testCode: "TAB-WEIGHT",
            testName: "Mean tablet weight (n=20)",
            sampleId: `S-${batchId}-TAB-1`,
            result: round(569 + random() * 3, 1),
            unit: "mg",
            specification: "570 mg +/- 3 %",
            passed: true,
            instrumentId: "BAL-IPC-05",
            analyst: PRESS_OPERATOR.printedName,
          },
          {
            context: ph,
            refs: [{ eventId: sample, rel: "relatesTo" }],
          },
        );
        add(
          "ipc.result_recorded",
          PRESS_OPERATOR,
          "major",
          3 * MIN,
          {
            testCode: "TAB-HARDNESS",
            testName: "Tablet hardness (n=10)",
            sampleId: `S-${batchId}-TAB-1`,
            result: round(118 + random() * 8, 0),
            unit: "N",
            specification: "100-150 N",
            passed: true,
            instrumentId: "HT-IPC-02",
            analyst: PRESS_OPERATOR.printedName,
          },
          {
            context: ph,
            refs: [{ eventId: sample, rel: "relatesTo" }],
          },
        );
      });
    });
  });
  dual(PRESS_OPERATOR, SUPERVISOR, compCpps, "compression critical process parameters");

  // ── Film coating ──
  const coat = ctx("COAT-01", "UP-COATING");
  const coatCpps: string[] = [];
  step("unit_procedure", PRESS_OPERATOR, coat, () => {
    const op = { ...coat, operation: "OP-FILM-COATING" };
    step("operation", PRESS_OPERATOR, op, () => {
      const spray = { ...op, phase: "PH-SPRAYING" };
      roles.phaseSpray = step("phase", PRESS_OPERATOR, spray, () => {
        coatCpps.push(
          param(
            COATER,
            "critical",
            spray,
            3 * MIN,
            "inlet_air_temperature",
            round(56 + random() * 2, 1),
            "degC",
            50,
            60,
            { instrumentId: "TT-301" },
          ),
          param(COATER, "critical", spray, 40 * S, "spray_rate", round(240 + random() * 10, 0), "g/min", 200, 280, {
            instrumentId: "FI-302",
          }),
          param(
            COATER,
            "critical",
            spray,
            40 * S,
            "product_bed_temperature",
            round(42 + random() * 2, 1),
            "degC",
            38,
            46,
            { instrumentId: "TT-303" },
          ),
        );
        param(COATER, "major", spray, 40 * S, "pan_speed", round(8 + random(), 1), "rpm", 6, 12, {
          instrumentId: "SI-304",
        });
        trend(pad[3], COATER, spray, "pan_differential_pressure", "PDT-305", "Pa", -150, -50, trendGap());
      });
      const cool = { ...op, phase: "PH-DRYING-COOLING" };
      step("phase", PRESS_OPERATOR, cool, () => {
        param(COATER, "major", cool, 10 * MIN, "exhaust_air_temperature", round(33 + random() * 2, 1), "degC", 25, 40, {
          instrumentId: "TT-306",
        });
        const sample = add(
          "sample.taken",
          PRESS_OPERATOR,
          "major",
          8 * MIN,
          {
            sampleId: `S-${batchId}-FCT-1`,
            quantity: 50,
            unit: "tab",
            reason: "IPC coating weight gain",
            sopRef: "SOP-PRD-0431",
          },
          { context: cool },
        );
        add(
          "ipc.result_recorded",
          PRESS_OPERATOR,
          "major",
          5 * MIN,
          {
            testCode: "COAT-WG",
            testName: "Coating weight gain",
            sampleId: `S-${batchId}-FCT-1`,
            result: round(3.1 + random() * 0.3, 2),
            unit: "%",
            specification: "2.8-3.6 %",
            passed: true,
            instrumentId: "BAL-IPC-05",
            analyst: PRESS_OPERATOR.printedName,
          },
          {
            context: cool,
            refs: [{ eventId: sample, rel: "relatesTo" }],
          },
        );
      });
    });
  });
  dual(PRESS_OPERATOR, SUPERVISOR, coatCpps, "film coating critical process parameters");

  // ── Output, yield, end of production ──
  const lot = `L-${batchId}`;
  const produced = 193_000 + Math.floor(random() * 1500);
  roles.produced = add(
    "material.produced",
    PRESS_OPERATOR,
    "major",
    15 * MIN,
    { outputLotId: lot, materialId: "FG-IBU400-FCT", quantity: produced, unit: "tab", containerCount: 12 },
    { context: ctx("COAT-01", "UP-COATING") },
  );
  roles.yield = add(
    "yield.recorded",
    SUPERVISOR,
    "major",
    4 * MIN,
    {
      outputLotId: lot,
      actualQuantity: produced,
      theoreticalQuantity: 200_000,
      unit: "tab",
      percentOfTheoretical: round((produced / 200_000) * 100, 2),
      low: 95,
      high: 101,
      withinLimits: true,
    },
    { context: { area: AREA, processCell: CELL, procedure: PROCEDURE } },
  );
  add(
    "batch.state_changed",
    SUPERVISOR,
    "major",
    6 * MIN,
    { from: "Running", to: "Completed" },
    { context: { area: AREA, processCell: CELL, procedure: PROCEDURE } },
  );

  // ── Deviation assessment and closure (QA), review, release ──
  roles.deviationApproval = signature(
    QA_REVIEWER,
    "approved",
    [roles.deviationOpened!],
    `Deviation DEV-${batchId}-01: investigation and impact assessment approved (no impact on product quality)`,
  );
  roles.deviationClosed = add(
    "deviation.closed",
    QA_REVIEWER,
    "major",
    3 * MIN,
    {
      deviationId: `DEV-${batchId}-01`,
      closureSignatureRef: roles.deviationApproval,
      rootCause: "Inlet air set point too high for the ambient humidity of the day",
      impactAssessment:
        "No impact: LOD 1.6 % within specification; excursion 3 min, below the degradation threshold of the API",
      capaRef: `CAPA-${batchId}-01`,
    },
    { refs: [{ eventId: roles.deviationOpened!, rel: "closes" }] },
  );
  const exceptions = [roles.outOfLimit!, roles.alarmAcknowledged!, roles.deviationOpened!, roles.correction!];
  roles.review = add(
    "batch.review_completed",
    QA_REVIEWER,
    "critical",
    2 * 3600 * S,
    {
      reviewScope: "QA review of the executed batch record and its audit trail (21 CFR 211.192; FDA DI Q&A Q7-Q8)",
      auditTrailReviewed: true,
      reviewer: { userId: QA_REVIEWER.userId, printedName: QA_REVIEWER.printedName, role: QA_REVIEWER.role },
      independence: "Reviewer was not involved in the manufacture of this batch",
      exceptionsReviewed: exceptions,
    },
    {
      context: { area: AREA, processCell: CELL, procedure: PROCEDURE },
      finish: (d, env) => (d.eventsInScope = env.index),
    },
  );
  roles.reviewSignature = signature(
    QA_REVIEWER,
    "reviewed",
    [roles.review],
    "Reviewed the batch record incl. audit trail; exceptions assessed",
  );
  roles.releaseSignature = signature(
    QP,
    "released",
    [roles.review, roles.reviewSignature],
    `Certified batch ${batchId} for release (EU GMP Annex 16)`,
  );
  roles.disposition = add(
    "batch.dispositioned",
    QP,
    "critical",
    2 * MIN,
    {
      decision: "released",
      signatureRef: roles.releaseSignature,
      certificateRef: `QP-CERT-${batchId}`,
      openItemCheck: "no open deviations, CAPA or OOS for this batch",
    },
    { context: { area: AREA, processCell: CELL, procedure: PROCEDURE } },
  );
  return { specs, roles: roles as Roles };
}

/**
 * Generates the batch record of `opts.batchId`: the good batch, or the variant that breaks one
 * checklist item. Events are valid under assertEvent, ids are stable for a batch id and options, and
 * sourceSequence counts up from `startSequence`.
 * @throws Error when the batch id cannot be part of an event id, or an option is out of range
 */
export function generateBatch(opts: BatchFixtureOptions): BatchFixture {
  const { batchId } = opts;
  const variant = opts.variant ?? "good";
  if (!ID_PATTERN.test(batchId) || batchId.length > 100)
    throw new Error(`batch id ${JSON.stringify(batchId)}: must match ${ID_PATTERN} and be at most 100 characters`);
  if (!BATCH_VARIANTS.includes(variant))
    throw new Error(`unknown variant ${variant}: one of ${BATCH_VARIANTS.join(", ")}`);
  const startSequence = opts.startSequence ?? 1;
  if (!Number.isSafeInteger(startSequence) || startSequence < 0)
    throw new Error(`startSequence ${startSequence}: must be a non-negative integer`);
  const wanted = opts.events ?? 0;
  if (!Number.isSafeInteger(wanted) || wanted < 0 || wanted > 1_000_000)
    throw new Error(`events ${wanted}: must be an integer from 0 to 1000000`);
  const source = opts.source ?? "urn:mes:pasx:site-DE01:prod";
  const startMs = (opts.start ?? new Date(Date.now() - 2 * 24 * 3600 * S)).getTime();
  if (!Number.isFinite(startMs)) throw new Error("start: not a valid date");

  const idWidth = Math.max(4, String(wanted + 10).length);
  const base = buildGood(batchId, [0, 0, 0, 0], idWidth, rng(batchId)).specs.length;
  const extra = Math.max(0, wanted - base);
  const pad = [0.3, 0.2, 0.3, 0.2].map((f) => Math.floor(extra * f));
  pad[0] += extra - pad.reduce((a, b) => a + b, 0);
  const { specs: good, roles } = buildGood(batchId, pad, idWidth, rng(batchId));

  const notable: Record<string, string | string[]> = {
    variant,
    outOfLimit: roles.outOfLimit,
    alarmRaised: roles.alarmRaised,
    alarmAcknowledged: roles.alarmAcknowledged,
    deviationOpened: roles.deviationOpened,
    deviationClosed: roles.deviationClosed,
    deviationApproval: roles.deviationApproval,
    correction: roles.correction,
    corrected: roles.corrected,
    reviewCompleted: roles.review,
    reviewSignature: roles.reviewSignature,
    releaseSignature: roles.releaseSignature,
    disposition: roles.disposition,
    produced: roles.produced,
    yield: roles.yield,
    dualSignatures: roles.dualSignatures,
    signatures: roles.signatures,
  };
  const byId = new Map(good.map((s) => [s.id, s]));
  const spec = (id: string) => byId.get(id)!;
  let specs = good;
  /** Leaves out one event; its gap goes to the next so every other event keeps its time. */
  const remove = (id: string) => {
    const i = specs.findIndex((s) => s.id === id);
    if (i + 1 < specs.length) specs[i + 1] = { ...specs[i + 1], gapMs: specs[i + 1].gapMs + specs[i].gapMs };
    specs = specs.filter((s) => s.id !== id);
  };
  /** Re-signs one signature over other events (refs follow signedContent). */
  const resign = (id: string, eventIds: string[]) => {
    const s = spec(id);
    s.signs = eventIds;
    s.refs = [
      ...eventIds.map((eventId) => ({ eventId, rel: "signs" as const })),
      ...(s.refs ?? []).filter((r) => r.rel !== "signs"),
    ];
  };
  let gapBefore: string | undefined;
  switch (variant) {
    case "good":
      break;
    case "missing-phase-end":
      remove(roles.phaseSpray.completed);
      notable.missingEndStep = roles.phaseSpray.started;
      notable.removed = roles.phaseSpray.completed;
      break;
    case "open-deviation":
      remove(roles.deviationClosed);
      notable.removed = roles.deviationClosed;
      notable.openDeviation = roles.deviationOpened;
      break;
    case "unsigned-step": {
      const step = roles.charges[2];
      for (const sig of roles.chargeSigs)
        resign(
          sig,
          spec(sig).signs!.filter((e) => e !== step),
        );
      notable.unsignedStep = step;
      notable.resigned = [...roles.chargeSigs];
      break;
    }
    case "same-signer": {
      const [performed, verifiedBy] = roles.chargeSigs;
      spec(verifiedBy).actor = { ...spec(performed).actor };
      notable.sameSigner = [performed, verifiedBy];
      break;
    }
    case "correction-without-authoriser":
      delete spec(roles.correction).data.authorizedBy;
      notable.correctionWithoutAuthoriser = roles.correction;
      break;
    case "superseded-signature": {
      // Performer and verifier signed the wet-massing values before the correction; nobody re-signed.
      const pair = roles.wetMassSigs;
      for (const sig of pair)
        resign(
          sig,
          spec(sig).signs!.filter((e) => e !== roles.correction),
        );
      const moved = specs.filter((s) => pair.includes(s.id));
      specs = specs.filter((s) => !pair.includes(s.id));
      specs.splice(
        specs.findIndex((s) => s.id === roles.correction),
        0,
        ...moved,
      );
      notable.supersededSignatures = [...pair];
      break;
    }
    case "post-disposition": {
      const id = `${batchId}-${String(good.length + 1).padStart(idWidth, "0")}`;
      specs = [
        ...specs,
        {
          id,
          type: "comment.added",
          actor: SUPERVISOR,
          crit: "minor",
          gapMs: 47 * MIN,
          data: {
            text: "Two containers of the lot relabelled after release (label printer fault); see logbook LB-PACK-03/2026-77",
          },
          refs: [{ eventId: roles.disposition, rel: "relatesTo" }],
          context: { area: AREA, processCell: CELL, procedure: PROCEDURE },
        },
      ];
      notable.postDisposition = id;
      break;
    }
    case "source-gap":
      gapBefore = roles.sample;
      notable.sourceGap = roles.sample;
      break;
    case "out-of-limit-without-deviation": {
      // The deviation is about something else; the product-temperature excursion has none.
      const d = spec(roles.deviationOpened);
      d.refs = [{ eventId: roles.pressVerified, rel: "relatesTo" }];
      d.data = {
        deviationId: d.data.deviationId,
        classification: "minor",
        title: "Cleaning logbook entry for PRESS-01 signed after the start of the shift",
        description:
          "Cleaning of PRESS-01 performed and verified on time; logbook LB-PRESS-01/2026-288 countersigned 40 min late",
        qmsSystem: "TrackWise",
        impactAssessment: "pending",
      };
      notable.unlinkedOutOfLimit = roles.outOfLimit;
      break;
    }
  }
  return { ...stamp(specs, { batchId, source, startSequence, startMs, gapBefore }), notable };
}

/** Gives the specs their times, source sequence numbers, payload hashes and signature content hashes. */
function stamp(
  specs: Spec[],
  o: { batchId: string; source: string; startSequence: number; startMs: number; gapBefore?: string },
): { events: GxpEvent[]; nextSequence: number } {
  const batch = {
    batchId: o.batchId,
    productCode: "FG-IBU400-FCT",
    lotId: `L-${o.batchId}`,
    productName: "Ibuprofen 400 mg film-coated tablets",
    orderId: `PO-${o.batchId}`,
  };
  const recipe = { masterRecipeId: "MR-IBU400-FCT", masterRecipeVersion: "7.0", controlRecipeId: `CR-${o.batchId}` };
  const byId = new Map<string, GxpEvent>();
  const times = new Map<string, number>();
  const timeOf = (id: string) => times.get(id)!;
  const events: GxpEvent[] = [];
  let t = o.startMs;
  let seq = o.startSequence;
  specs.forEach((s, index) => {
    t += s.gapMs;
    times.set(s.id, t);
    if (s.id === o.gapBefore) seq++; // the MES skipped one number here
    const data = { ...s.data }; // finish() and signedContent write top-level members only
    s.finish?.(data, { index, occurredMs: t, timeOf });
    if (s.signs) {
      // 21 CFR 11.70 binding: the hash the ledger recomputes over the signed events (the core's own).
      const signed = s.signs.map((id) => byId.get(id) ?? missing(s.id, id));
      data.signedContent = { kind: "eventSet", eventIds: [...s.signs], contentHash: signedContentHash(signed) };
    }
    const ev: GxpEvent = {
      specversion: "1.0",
      schemaVersion: "gxp-ledger/1.0",
      id: s.id,
      type: s.type,
      source: o.source,
      sourceSequence: seq++,
      occurredAt: berlinTime(t),
      recordedAt: berlinTime(t + 180 + (index % 7) * 90),
      timeZone: TZ,
      site: SITE,
      actor: { ...s.actor },
      gmpCriticality: s.crit,
      batch: { ...batch },
      recipe: { ...recipe },
      ...(s.context ? { context: { ...s.context } } : {}),
      ...(s.refs ? { refs: s.refs.map((r) => ({ ...r })) } : {}),
      data,
    };
    ev.payloadHash = computePayloadHash(ev as unknown as Record<string, unknown>);
    byId.set(s.id, ev);
    events.push(ev);
  });
  return { events, nextSequence: seq };
}

function missing(signature: string, id: string): never {
  throw new Error(`signature ${signature} signs ${id}, which does not come before it`);
}

// ── CLI ──────────────────────────────────────────────────────────────────────────────────────────

const USAGE = `usage: ts-node --transpile-only scripts/batch-fixture.ts --batch <batchId> [--variant <v>] [--events <n>]
         [--start-sequence <n>] [--source <uri>] [--start <RFC 3339>] (-o <file.jsonl|-> | --post <url> --token <token>)
variants: ${BATCH_VARIANTS.join(", ")}`;

/** A CLI failure with the exit code of CONVENTIONS.md §7 (2 bad usage, 3 I/O, 75 retry later). */
class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Splits events into bulk bodies of at most `maxEvents` events and about `maxBytes` bytes. */
export function bulkChunks(
  events: readonly GxpEvent[],
  maxEvents = 1000,
  maxBytes = 1_000_000,
): { from: number; body: string; count: number }[] {
  const chunks: { from: number; body: string; count: number }[] = [];
  let parts: string[] = [];
  let bytes = 0;
  let from = 0;
  const flush = () => {
    if (parts.length) chunks.push({ from, body: `{"events":[${parts.join(",")}]}`, count: parts.length });
    from += parts.length;
    parts = [];
    bytes = 0;
  };
  for (const e of events) {
    const text = JSON.stringify(e);
    const size = Buffer.byteLength(text) + 1;
    if (parts.length && (parts.length === maxEvents || bytes + size + 16 > maxBytes)) flush();
    parts.push(text);
    bytes += size;
  }
  flush();
  return chunks;
}

/** Posts the events in order to POST /v1/events:bulk; returns how many the ledger stored anew. */
async function post(
  events: readonly GxpEvent[],
  baseUrl: string,
  token: string,
): Promise<{ stored: number; replayed: number }> {
  const url = new URL("/v1/events:bulk", baseUrl).toString();
  let stored = 0;
  let replayed = 0;
  const chunks = bulkChunks(events);
  for (const [k, c] of chunks.entries()) {
    const what = `chunk ${k + 1}/${chunks.length} (events ${c.from + 1}-${c.from + c.count}: ${events[c.from].id} .. ${events[c.from + c.count - 1].id})`;
    let res: Response | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: c.body,
        });
      } catch (e) {
        const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
        throw new CliError(EXIT.IO, `post ${url}: ${what}: cannot reach the ledger: ${cause}`);
      }
      if ((res.status !== 429 && res.status !== 503) || attempt === 5) break;
      // Rate limited or not ready: wait as told (Retry-After, seconds), then send the same chunk again.
      await new Promise((r) => setTimeout(r, Math.min(30, Number(res!.headers.get("retry-after")) || attempt) * S));
    }
    const text = await res!.text();
    if (res!.status !== 200 && res!.status !== 201) {
      let detail = text.slice(0, 2000);
      try {
        const p = JSON.parse(text) as {
          code?: string;
          detail?: string;
          title?: string;
          errors?: { path: string; message: string }[];
        };
        // Bulk errors name /events/<index>/…; say which event that is.
        const errors = (p.errors ?? [])
          .slice(0, 20)
          .map(
            (x) =>
              `${x.path.replace(/^\/events\/(\d+)/, (_, i) => `${events[c.from + Number(i)]?.id ?? `/events/${i}`}`)} ${x.message}`,
          );
        detail = `${p.code ?? "?"}: ${p.detail ?? p.title ?? ""}${errors.length ? `; ${errors.join("; ")}` : ""}`;
      } catch {
        /* not a problem document: show the text */
      }
      throw new CliError(
        res!.status === 429 || res!.status === 503 ? EXIT.RETRY : EXIT.IO,
        `post ${url}: ${what} refused with HTTP ${res!.status}: ${detail}; ${stored + replayed} events before it were stored`,
      );
    }
    const receipts = (JSON.parse(text) as { receipts?: { duplicate?: boolean }[] }).receipts ?? [];
    if (receipts.length !== c.count)
      throw new CliError(EXIT.IO, `post ${url}: ${what}: ${receipts.length} receipts for ${c.count} events`);
    for (const r of receipts) r.duplicate ? replayed++ : stored++;
  }
  return { stored, replayed };
}

/** Parses the command line into generator options and a destination. */
function optionsFromArgs(argv: string[]): { opts: BatchFixtureOptions; out?: string; url?: string; token?: string } {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: argv,
      options: {
        batch: { type: "string" },
        variant: { type: "string" },
        events: { type: "string" },
        "start-sequence": { type: "string" },
        source: { type: "string" },
        start: { type: "string" },
        output: { type: "string", short: "o" },
        post: { type: "string" },
        token: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    throw new CliError(EXIT.USAGE, `${(e as Error).message}\n${USAGE}`);
  }
  if (v.help) throw new CliError(EXIT.OK, USAGE);
  const int = (name: string): number | undefined => {
    const s = v[name] as string | undefined;
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s)) throw new CliError(EXIT.USAGE, `--${name} ${s}: must be a non-negative integer`);
    return Number(s);
  };
  if (!v.batch) throw new CliError(EXIT.USAGE, `--batch is required\n${USAGE}`);
  if (v.variant !== undefined && !BATCH_VARIANTS.includes(v.variant as BatchVariant))
    throw new CliError(EXIT.USAGE, `--variant ${v.variant}: one of ${BATCH_VARIANTS.join(", ")}`);
  if ((v.output === undefined) === (v.post === undefined))
    throw new CliError(EXIT.USAGE, `give exactly one of -o <file> and --post <url>\n${USAGE}`);
  if (v.post !== undefined && !v.token)
    throw new CliError(EXIT.USAGE, "--post needs --token <bearer token of an mes client>");
  if (v.post !== undefined && !/^https?:\/\//.test(v.post as string))
    throw new CliError(EXIT.USAGE, `--post ${v.post}: must be an http(s) URL`);
  let start: Date | undefined;
  if (v.start !== undefined) {
    start = new Date(v.start as string);
    if (Number.isNaN(start.getTime())) throw new CliError(EXIT.USAGE, `--start ${v.start}: not an RFC 3339 date-time`);
  }
  return {
    opts: {
      batchId: v.batch as string,
      variant: v.variant as BatchVariant | undefined,
      events: int("events"),
      startSequence: int("start-sequence"),
      source: v.source as string | undefined,
      start,
    },
    out: v.output as string | undefined,
    url: v.post as string | undefined,
    token: v.token as string | undefined,
  };
}

/** The command line (scripts/batch-fixture.ts): writes JSON lines or posts the events; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { opts, out, url, token } = optionsFromArgs(argv);
    let fixture: BatchFixture;
    try {
      fixture = generateBatch(opts);
    } catch (e) {
      throw new CliError(EXIT.USAGE, (e as Error).message);
    }
    const label = `batch ${opts.batchId} (${opts.variant ?? "good"})`;
    if (out !== undefined) {
      const text = fixture.events.map((e) => JSON.stringify(e)).join("\n") + "\n";
      try {
        if (out === "-") process.stdout.write(text);
        else fs.writeFileSync(out, text);
      } catch (e) {
        throw new CliError(EXIT.IO, `write ${out}: ${(e as Error).message}`);
      }
      if (out !== "-")
        console.log(
          `wrote ${fixture.events.length} events of ${label} to ${out}; next sourceSequence ${fixture.nextSequence}`,
        );
    } else {
      const r = await post(fixture.events, url!, token!);
      console.log(
        `posted ${fixture.events.length} events of ${label} to ${url}: ${r.stored} stored, ${r.replayed} already stored; next sourceSequence ${fixture.nextSequence}`,
      );
    }
    return 0;
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    (e.exitCode === EXIT.OK ? console.log : console.error)(
      e.exitCode === EXIT.OK ? e.message : `batch-fixture: ${e.message}`,
    );
    return e.exitCode;
  }
}
