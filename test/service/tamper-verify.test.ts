/**
 * The tamper suite from the side of one event: every tampering of issue 6 made in the SQLite file by
 * an attacker who dropped the triggers is named by `verify` of an affected event (and by `audit`),
 * on a ledger anchored on a real local chain (Anvil), up to a whole database replaced by a
 * self-consistent forgery that only the chain can catch.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { verifyStoredEvent } from "../../src/service/proof/verify-event";
import { auditLedger, auditLocal, auditChainOf } from "../../src/service/audit/audit";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { providerTransport } from "../../src/chain/verify-anchor";
import { sampleEvents } from "../helpers/events";
import { useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";
import { forgeWholeLedger, recordOf, resealInPlace, resignCheckpoints, rewriteRecord, tamper } from "../helpers/tamper";

describe("verify of an affected event, for every tampering (real local chain)", function () {
  this.timeout(180_000);
  const { chain: lc, tempDir } = useLocalChain();

  /** 3 anchored epochs of 4 events, batches B-A and B-B alternating. */
  async function anchored(): Promise<{
    l: Ledger;
    audit: () => ReturnType<typeof auditLedger>;
    contract: string;
    ledgerId: string;
  }> {
    const dir = tempDir("gxp-tamper-");
    const l = openLedger(dir, { maxEvents: 4, maxAgeMs: 60_000 });
    for (let i = 0; i < 12; i++) l.events.append(sampleEvents(1, i % 2 ? "B-B" : "B-A"));
    while (l.sealer.seal(new Date()));
    const d = await lc.anchorAll(l, "tamper");
    await pinTo(l, lc.provider, d);
    expect(d.anchored).to.have.length(3);
    return {
      l,
      contract: d.contract,
      ledgerId: d.ledgerId,
      audit: () => auditLedger(l, { chain: async () => auditChainOf(lc.provider, d.contract, d.ledgerId) }),
    };
  }
  const idOf = (l: Ledger, seq: number) =>
    l.db.prepare("SELECT event_id FROM events WHERE seq = ?").pluck().get(seq) as string;
  const verify = async (l: Ledger, id: string) => (await verifyStoredEvent(l, id, async () => lc.provider, 1))!;
  const auditCodes = async (audit: () => ReturnType<typeof auditLedger>) =>
    [...new Set((await audit()).findings.map((f) => f.code))].sort();

  const cases: [string, (l: Ledger) => string, string, string][] = [
    [
      "a payload edited",
      (l) => (
        tamper(l, "UPDATE events SET record = ? WHERE seq = 5", recordOf(l, 5).replace('"value":61.5', '"value":66.5')),
        idOf(l, 5)
      ),
      "PROOF_LEAF_MISMATCH",
      "EVENT_RECORD_ALTERED",
    ],
    [
      "a salt edited",
      (l) => (
        tamper(
          l,
          "UPDATE events SET record = ? WHERE seq = 5",
          recordOf(l, 5).replace(/"salt":"0x(.)/, (_, c: string) => `"salt":"0x${c === "0" ? "1" : "0"}`),
        ),
        idOf(l, 5)
      ),
      "PROOF_LEAF_MISMATCH",
      "EVENT_RECORD_ALTERED",
    ],
    [
      "a sequence number edited",
      (l) => {
        const id = idOf(l, 5);
        tamper(l, "UPDATE events SET seq = 500 WHERE seq = 5");
        return id;
      },
      "RECORD_ROW_MISMATCH",
      "EVENT_ROW_MISMATCH",
    ],
    [
      "an event deleted (verify of its epoch neighbour)",
      (l) => (tamper(l, "DELETE FROM events WHERE seq = 5"), idOf(l, 6)),
      "EVENT_MISSING",
      "SEQUENCE_GAP",
    ],
    [
      "two events swapped",
      (l) => {
        const b = idOf(l, 5);
        tamper(l, "UPDATE events SET seq = -1 WHERE seq = 4");
        tamper(l, "UPDATE events SET seq = 4 WHERE seq = 5");
        tamper(l, "UPDATE events SET seq = 5 WHERE seq = -1");
        return b;
      },
      "RECORD_ROW_MISMATCH",
      "EVENT_ROW_MISMATCH",
    ],
    [
      "a forged event inserted (verify of an event it displaced)",
      (l) => {
        tamper(l, "UPDATE events SET seq = seq + 1000 WHERE seq >= 5");
        tamper(l, "UPDATE events SET seq = seq - 999 WHERE seq >= 1000");
        const forged = recordOf(l, 6)
          .replace(/"id":"evt-[^"]+"/, '"id":"evt-forged"')
          .replace(/"seq":6/, '"seq":5');
        tamper(
          l,
          "INSERT INTO events (seq, event_id, type, source, source_sequence, batch_id, batch_seq, received_at, record, leaf_hash) VALUES (5, 'evt-forged', 'parameter.recorded', 'x', 0, NULL, NULL, '2026-11-25T00:00:00.000Z', ?, ?)",
          forged,
          Buffer.alloc(32, 7),
        );
        return idOf(l, 6);
      },
      "RECORD_ROW_MISMATCH",
      "EVENT_ROW_MISMATCH",
    ],
    [
      "a stored tree node edited",
      (l) => (
        tamper(l, "UPDATE epoch_tiles SET hashes = ? WHERE epoch = 1 AND level = 1", randomBytes(64)),
        idOf(l, 5)
      ),
      "PROOF_ROOT_MISMATCH",
      "EPOCH_TREE_ALTERED",
    ],
    [
      "an epoch root edited",
      (l) => (tamper(l, "UPDATE epochs SET root = ? WHERE epoch = 1", randomBytes(32)), idOf(l, 5)),
      "PROOF_ROOT_MISMATCH",
      "EPOCH_ROOT_MISMATCH",
    ],
    [
      "an anchor's tx hash edited",
      (l) => (
        tamper(l, "UPDATE anchors SET tx_hash = ? WHERE epoch = 1", "0x" + randomBytes(32).toString("hex")),
        idOf(l, 5)
      ),
      "PROOF_TX_MISMATCH",
      "ANCHOR_TX_MISSING",
    ],
    [
      "an epoch rewritten consistently (record, leaf, tiles, root)",
      (l) => (
        rewriteRecord(l, 10, recordOf(l, 10).replace('"value":61.5', '"value":66.5')),
        resealInPlace(l, 2),
        idOf(l, 10)
      ),
      "CHECKPOINT_INVALID",
      "ANCHOR_ROOT_MISMATCH",
    ],
    [
      "an epoch rewritten consistently and its checkpoint re-signed with the ledger key",
      (l) => (
        rewriteRecord(l, 10, recordOf(l, 10).replace('"value":61.5', '"value":66.5')),
        resealInPlace(l, 2),
        resignCheckpoints(l, path.dirname(l.db.name)),
        idOf(l, 10)
      ),
      "PROOF_ANCHOR_ROOT_MISMATCH",
      "ANCHOR_ROOT_MISMATCH",
    ],
    [
      "an epoch's checkpoint deleted",
      (l) => (tamper(l, "DELETE FROM epoch_checkpoints WHERE epoch = 1"), idOf(l, 5)),
      "CHECKPOINT_MISSING",
      "CHECKPOINT_MISSING",
    ],
    [
      "an epoch's checkpoint signature altered",
      (l) => (tamper(l, "UPDATE epoch_checkpoints SET signature = ? WHERE epoch = 1", randomBytes(64)), idOf(l, 5)),
      "CHECKPOINT_INVALID",
      "CHECKPOINT_INVALID",
    ],
  ];
  for (const [what, doIt, verifyCode, auditCode] of cases) {
    describe(`when ${what}`, () => {
      it(`verify fails with ${verifyCode} naming the event, and audit reports ${auditCode}`, async () => {
        const { l, audit } = await anchored();
        const id = doIt(l);
        const r = await verify(l, id);
        expect(r.outcome, JSON.stringify(r.checks)).to.equal("failed");
        expect(r.code, JSON.stringify(r.checks)).to.equal(verifyCode);
        expect(r.eventId).to.equal(id);
        expect(await auditCodes(audit)).to.include(auditCode);
        l.close();
      });
    });
  }

  describe("when the whole database is replaced by a self-consistent forgery", () => {
    it("nothing local can tell; the chain catches it in verify, verify-batch and audit", async () => {
      const { l, audit } = await anchored();
      const target = idOf(l, 6);
      forgeWholeLedger(l, (r) =>
        r.event.id === target ? { ...r, event: { ...r.event, data: { ...r.event.data, value: 99.9 } } } : r,
      );
      // An insider with the ledger key: without it, the checkpoints would already tell.
      resignCheckpoints(l, path.dirname(l.db.name));
      expect(auditLocal(l.db).findings).to.deep.equal([]);
      const v = await verify(l, target);
      expect(v.outcome).to.equal("failed");
      expect(v.code).to.equal("PROOF_ANCHOR_ROOT_MISMATCH");
      const a = await audit();
      expect(a.findings.map((f) => [f.code, f.epoch])).to.deep.include(["ANCHOR_ROOT_MISMATCH", 1]);
      const b = (await verifyBatch(l, "B-A", { confirmations: 1, chain: async () => providerTransport(lc.provider) }))!;
      expect(b.verdict).to.equal("INTEGRITY-FAIL");
      expect(
        b.integrity.findings.some((f) => f.code === "PROOF_ANCHOR_ROOT_MISMATCH" && f.eventIds.includes(target)),
      ).to.equal(true);
      l.close();
    });
  });
});
