/**
 * The ledger pins itself (issue 11 item 5), on a real local chain (Anvil) and real SQLite: a
 * rewritten history re-anchored in a look-alike contract with the anchors rows repointed, a swapped
 * chain/deployment.json, and a different chain, contract or ledger at start; every verifier inside
 * the ledger (verify, verify-batch, audit, proof, export-batch, the HTTP proof) names the rows.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { openLedger, Ledger } from "../../src/service/app/ledger";
import { verifyStoredEvent } from "../../src/service/proof/verify-event";
import { auditLedger, auditChainOf } from "../../src/service/audit/audit";
import { verifyBatch } from "../../src/service/batch/batch-verify";
import { buildProof } from "../../src/service/proof/proof";
import { exportBatch, PackageError } from "../../src/service/batch/batch-package";
import { PinError } from "../../src/service/security/pin-check";
import { ensureLedgerPin } from "../../src/service/security/ledger-pin";
import { createApiServices } from "../../src/service/app/api";
import { createSecurityRecorder } from "../../src/service/security/security";
import { buildApp } from "../../src/http/app";
import { providerTransport } from "../../src/chain/verify-anchor";
import { deployLedger, Deployment, writeDeployment } from "../../src/chain/deploy";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { loadReceiptKey } from "../../src/crypto/receipt-key";
import { currentPin } from "../../src/store/pin-store";
import { StoreError } from "../../src/store/errors";
import { sampleEvents } from "../helpers/events";
import { startLocalChain, useLocalChain } from "../helpers/local-chain";
import { pinTo } from "../helpers/pin";
import { forgeWholeLedger, reanchorElsewhere, resignCheckpoints, tamper } from "../helpers/tamper";
import { cli } from "../helpers/process";

const NAME = "site-pin";

describe("the ledger's pin (real local chain)", function () {
  this.timeout(240_000);
  const { chain: lc, tempDir } = useLocalChain();

  /** 3 anchored epochs of 4 events (batches B-A and B-B), pinned like the service's first start. */
  async function pinned(): Promise<{ l: Ledger; dir: string; contract: string; ledgerId: string }> {
    const dir = tempDir("gxp-pin-");
    const l = openLedger(dir, { maxEvents: 4, maxAgeMs: 60_000 }, undefined, false, NAME);
    for (let i = 0; i < 12; i++) l.events.append(sampleEvents(1, i % 2 ? "B-B" : "B-A"));
    while (l.sealer.seal(new Date()));
    const d = await lc.anchorAll(l, "pin");
    expect(d.anchored).to.have.length(3);
    await pinTo(l, lc.provider, d);
    return { l, dir, contract: d.contract, ledgerId: d.ledgerId };
  }
  const idOf = (l: Ledger, seq: number) =>
    l.db.prepare("SELECT event_id FROM events WHERE seq = ?").pluck().get(seq) as string;
  const deploymentOf = (contract: string, ledgerId: string): Deployment => ({
    chainId: lc.chainId.toString(),
    contract,
    ledgerName: NAME,
    ledgerId,
    rpcUrl: lc.rpcUrl,
    deployTx: "",
    deployBlock: 0,
    admin: "",
    anchorer: "",
    development: true,
  });

  describe("when nothing was touched", () => {
    it("verify, verify-batch and audit pass, with the pin and checkpoint checks done", async () => {
      const { l, contract, ledgerId } = await pinned();
      const v = (await verifyStoredEvent(l, idOf(l, 5), async () => lc.provider, 1, deploymentOf(contract, ledgerId)))!;
      expect(v.outcome, JSON.stringify(v.checks)).to.equal("verified");
      expect(v.checks.map((c) => c.check)).to.include.members(["checkpoint", "pin"]);
      const b = (await verifyBatch(l, "B-A", {
        confirmations: 1,
        chain: async () => providerTransport(lc.provider),
        deployment: deploymentOf(contract, ledgerId),
      }))!;
      expect(b.integrity.findings).to.deep.equal([]);
      expect(b.integrity.checks.find((c) => c.check === "ledger pin")?.ok).to.equal(true);
      const a = await auditLedger(l, {
        chain: async () => auditChainOf(lc.provider, contract, ledgerId),
        deployment: deploymentOf(contract, ledgerId),
      });
      expect(a.findings).to.deep.equal([]);
      expect(a.chain).to.equal("checked");
      l.close();
    });
  });

  describe("when a rewritten history is re-anchored in another contract and the anchors rows repointed", () => {
    it("verify, verify-batch, audit, proof, export-batch and the HTTP proof fail naming the rows (the forger even holds the ledger key)", async () => {
      const { l, dir, contract } = await pinned();
      const target = idOf(l, 6);
      forgeWholeLedger(l, (r) =>
        r.event.id === target ? { ...r, event: { ...r.event, data: { ...r.event.data, value: 99.9 } } } : r,
      );
      resignCheckpoints(l, dir);
      const forged = await reanchorElsewhere(l, lc.provider, NAME);
      expect(forged.rows).to.have.length(3);
      expect(forged.contract.toLowerCase()).to.not.equal(contract.toLowerCase());
      const row1 = forged.rows.find((r) => r.epoch === 1)!;

      // The attacker's contract holds the forged roots: without the pin every chain check passes.
      const v = (await verifyStoredEvent(l, target, async () => lc.provider, 1))!;
      expect(v.outcome).to.equal("failed");
      expect(v.code).to.equal("ANCHOR_NOT_PINNED");
      expect(v.anchorId).to.equal(row1.id);
      expect(v.anchorTx).to.equal(row1.txHash);

      const b = (await verifyBatch(l, "B-A", { confirmations: 1, chain: async () => providerTransport(lc.provider) }))!;
      expect(b.verdict).to.equal("INTEGRITY-FAIL");
      const notPinned = b.integrity.findings.filter((f) => f.code === "ANCHOR_NOT_PINNED");
      expect(notPinned).to.have.length(3);
      expect(notPinned.find((f) => f.message.includes(row1.txHash))?.eventIds).to.include(target);
      expect(b.integrity.findings.map((f) => f.code)).to.not.include("PROOF_ANCHOR_ROOT_MISMATCH");

      // audit asks the pinned contract, never the rows: it also sees the chain disagree.
      const pin = currentPin(l.db)!;
      const a = await auditLedger(l, { chain: async () => auditChainOf(lc.provider, pin.contract, pin.ledgerId) });
      const rows = a.findings
        .filter((f) => f.code === "ANCHOR_NOT_PINNED")
        .map((f) => [f.epoch, f.anchorId, f.anchorTx]);
      expect(rows).to.deep.equal(forged.rows.map((r) => [r.epoch, r.id, r.txHash]));
      expect(a.findings.map((f) => [f.code, f.epoch])).to.deep.include(["ANCHOR_ROOT_MISMATCH", 1]);

      const ev = l.events.getById(target)!;
      let thrown: unknown;
      try {
        buildProof(l, ev);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(PinError);
      expect((thrown as PinError).code).to.equal("ANCHOR_NOT_PINNED");
      expect((thrown as PinError).findings[0]).to.include({ epoch: 1, anchorId: row1.id, anchorTx: row1.txHash });

      const api = createApiServices(l, dir, NAME, 660_000);
      const token = api.clients.add("qa-1", "qa", undefined, new Date()).token;
      const app = buildApp({ ledger: l, ...api });
      const res = await app.inject({
        method: "GET",
        url: `/v1/events/${target}/proof`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).to.equal(409);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
      expect(res.json().code).to.equal("ANCHOR_NOT_PINNED");
      expect(res.json().findings[0]).to.include({ epoch: 1, anchorId: row1.id });
      // The batch review over HTTP is a verdict (data): it names the rows too.
      const review = await app.inject({
        method: "GET",
        url: "/v1/batches/B-A",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(review.statusCode).to.equal(200);
      expect(review.json().verdict).to.equal("INTEGRITY-FAIL");
      expect(
        review.json().integrity.findings.filter((f: { code: string }) => f.code === "ANCHOR_NOT_PINNED"),
      ).to.have.length(3);
      await app.close();

      // export-batch: refused on the review already; and buildProof itself refuses.
      const out = path.join(tempDir("gxp-pin-export-"), "pkg");
      expect(() => exportBatch(l, b, out, loadReceiptKey(dir)))
        .to.throw(PackageError)
        .with.property("code", "BATCH_INTEGRITY_FAILED");
      const pretendClean = { ...b, verdict: "PASS" as const, integrity: { ...b.integrity, findings: [] } };
      expect(() => exportBatch(l, pretendClean, out + "2", loadReceiptKey(dir)))
        .to.throw(PackageError)
        .with.property("code", "BATCH_INTEGRITY_FAILED");
      l.close();

      // Through the CLI (bin/gxp-ledger.js): verify, verify-batch and audit exit 1 naming the rows.
      const cv = cli(["--data-dir", dir, "--rpc", lc.rpcUrl, "--json", "verify", target]);
      expect(cv.code, cv.stderr).to.equal(1);
      expect(JSON.parse(cv.stdout)).to.include({ code: "ANCHOR_NOT_PINNED", anchorId: row1.id, anchorTx: row1.txHash });
      const cb = cli(["--data-dir", dir, "--rpc", lc.rpcUrl, "--json", "verify-batch", "B-A"]);
      expect(cb.code, cb.stderr).to.equal(1);
      expect(
        JSON.parse(cb.stdout).integrity.findings.filter((f: { code: string }) => f.code === "ANCHOR_NOT_PINNED"),
      ).to.have.length(3);
      const ca = cli(["--data-dir", dir, "--rpc", lc.rpcUrl, "--json", "audit"]);
      expect(ca.code, ca.stderr).to.equal(1);
      const af = JSON.parse(ca.stdout).findings as {
        code: string;
        epoch?: number;
        anchorId?: number;
        anchorTx?: string;
      }[];
      expect(
        af.filter((f) => f.code === "ANCHOR_NOT_PINNED").map((f) => [f.epoch, f.anchorId, f.anchorTx]),
      ).to.deep.equal(forged.rows.map((r) => [r.epoch, r.id, r.txHash]));
      const cp = cli(["--data-dir", dir, "proof", target]);
      expect(cp.code).to.equal(1);
      expect(cp.stderr).to.contain("ANCHOR_NOT_PINNED");
    });

    it("without the ledger key the forger also fails every checkpoint", async () => {
      const { l } = await pinned();
      forgeWholeLedger(l, (r) =>
        r.seq === 6 ? { ...r, event: { ...r.event, data: { ...r.event.data, value: 99.9 } } } : r,
      );
      await reanchorElsewhere(l, lc.provider, NAME, 8);
      const a = await auditLedger(l, {});
      // seq 6 sits in epoch 1; the batch links after it change epoch 2; epoch 0 is untouched.
      expect(a.findings.filter((f) => f.code === "CHECKPOINT_INVALID").map((f) => f.epoch)).to.deep.equal([1, 2]);
      expect(a.findings.filter((f) => f.code === "ANCHOR_NOT_PINNED")).to.have.length(3);
      const v = (await verifyStoredEvent(l, idOf(l, 6), async () => lc.provider, 1))!;
      expect(v.code).to.equal("CHECKPOINT_INVALID");
      l.close();
    });
  });

  describe("when an anchors row names no anchoring account", () => {
    it("the HTTP proof answers 409 ANCHORER_UNKNOWN naming the row, never a bundle or a 500", async () => {
      const { l, dir } = await pinned();
      const id = l.epochs.anchorOf(1)!.id;
      tamper(l, "UPDATE anchors SET anchorer = NULL WHERE id = ?", id);
      const api = createApiServices(l, dir, NAME, 660_000);
      const token = api.clients.add("qa-2", "qa", undefined, new Date()).token;
      const app = buildApp({ ledger: l, ...api });
      const res = await app.inject({
        method: "GET",
        url: `/v1/events/${idOf(l, 5)}/proof`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).to.equal(409);
      expect(res.json()).to.include({ code: "ANCHORER_UNKNOWN" });
      expect(res.json().findings[0]).to.include({ epoch: 1, anchorId: id });
      const ok = await app.inject({
        method: "GET",
        url: `/v1/events/${idOf(l, 1)}/proof`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.statusCode).to.equal(200);
      await app.close();
      l.close();
    });
  });

  describe("when the chain asked is another chain with the same id (another genesis block)", () => {
    it("verify, verify-batch and audit name CHAIN_NOT_PINNED", async () => {
      const { l, contract, ledgerId } = await pinned();
      await new Promise((r) => setTimeout(r, 1100)); // Anvil's genesis carries the start second
      const other = await startLocalChain();
      try {
        const v = (await verifyStoredEvent(l, idOf(l, 5), async () => other.provider, 1))!;
        expect(v.code).to.equal("CHAIN_NOT_PINNED");
        const b = (await verifyBatch(l, "B-A", {
          confirmations: 1,
          chain: async () => providerTransport(other.provider),
        }))!;
        expect(b.integrity.findings.map((f) => f.code)).to.include("CHAIN_NOT_PINNED");
        const a = await auditLedger(l, { chain: async () => auditChainOf(other.provider, contract, ledgerId) });
        expect(a.findings.map((f) => f.code)).to.include("CHAIN_NOT_PINNED");
      } finally {
        await other.stop();
        l.close();
      }
    });
  });

  describe("when chain/deployment.json is swapped to another contract", () => {
    it("audit (CLI) exits 1 naming it, and still asks the pinned contract; verify names it too", async () => {
      const { l, dir, contract, ledgerId } = await pinned();
      const other = await deployLedger(devWallet(9, lc.provider), devWallet(9).address, NAME);
      writeDeployment(dir, deploymentOf(other.contract, other.ledgerId));
      const v = (await verifyStoredEvent(
        l,
        idOf(l, 5),
        async () => lc.provider,
        1,
        deploymentOf(other.contract, other.ledgerId),
      ))!;
      expect(v.code).to.equal("DEPLOYMENT_NOT_PINNED");
      l.close();
      const ca = cli(["--data-dir", dir, "--rpc", lc.rpcUrl, "--json", "audit"]);
      expect(ca.code, ca.stderr).to.equal(1);
      const r = JSON.parse(ca.stdout) as { findings: { code: string; message: string }[]; chain: string };
      expect(r.findings.map((f) => f.code)).to.deep.equal(["DEPLOYMENT_NOT_PINNED"]);
      expect(r.findings[0].message).to.contain(other.contract).and.to.contain(contract);
      // The chain checks ran against the pinned contract (the real anchors): nothing else found.
      expect(r.chain).to.equal("checked");
      writeDeployment(dir, deploymentOf(contract, ledgerId));
      const clean = cli(["--data-dir", dir, "--rpc", lc.rpcUrl, "--json", "audit"]);
      expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
    });
  });

  describe("when the pin row is deleted", () => {
    it("every verifier reports LEDGER_NOT_PINNED", async () => {
      const { l } = await pinned();
      l.db.exec("DROP TRIGGER ledger_pin_no_delete");
      l.db.exec("DELETE FROM ledger_pin");
      expect((await verifyStoredEvent(l, idOf(l, 5), async () => lc.provider, 1))!.code).to.equal("LEDGER_NOT_PINNED");
      expect((await auditLedger(l, {})).findings.map((f) => f.code)).to.deep.equal(["LEDGER_NOT_PINNED"]);
      const b = (await verifyBatch(l, "B-A", { confirmations: 1, chain: async () => providerTransport(lc.provider) }))!;
      expect(b.integrity.findings.map((f) => f.code)).to.deep.equal(["LEDGER_NOT_PINNED"]);
      l.close();
    });
  });

  describe("when a pin row or a ledger key row is written into the file (the tables take INSERTs)", () => {
    it("names a later pin row that is no recorded re-pin (LEDGER_PIN_ALTERED) in verify, verify-batch and audit", async () => {
      const { l } = await pinned();
      const p = l.db.prepare("SELECT * FROM ledger_pin ORDER BY id LIMIT 1").get() as Record<string, unknown>;
      l.db
        .prepare(
          "INSERT INTO ledger_pin (chain_id, genesis_hash, contract, ledger_id, ledger_name, development, pinned_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          p.chain_id,
          p.genesis_hash,
          "0x000000000000000000000000000000000000dEaD",
          p.ledger_id,
          p.ledger_name,
          1,
          new Date().toISOString(),
          "forged",
        );
      expect((await verifyStoredEvent(l, idOf(l, 5), async () => lc.provider, 1))!.code).to.equal("LEDGER_PIN_ALTERED");
      expect((await auditLedger(l, {})).findings.map((f) => f.code)).to.include("LEDGER_PIN_ALTERED");
      const b = (await verifyBatch(l, "B-A", { confirmations: 1, chain: async () => providerTransport(lc.provider) }))!;
      expect(b.integrity.findings.map((f) => f.code)).to.include("LEDGER_PIN_ALTERED");
      l.close();
    });

    it("does not accept checkpoints signed by a key row without the ledger's recorded rotation", async () => {
      const { l } = await pinned();
      const { createHash, generateKeyPairSync, sign } = await import("node:crypto");
      const k = generateKeyPairSync("ed25519");
      const pem = k.publicKey.export({ type: "spki", format: "pem" }).toString();
      const keyId = createHash("sha256")
        .update(k.publicKey.export({ type: "spki", format: "der" }))
        .digest("hex");
      l.db
        .prepare("INSERT INTO ledger_keys (key_id, public_key, valid_from) VALUES (?, ?, ?)")
        .run(keyId, pem, new Date().toISOString());
      // The forger re-signs epoch 0's checkpoint with the injected key.
      const ep = l.epochs.get(0)!;
      const { checkpointMessage, toHex } = await import("../../src/core");
      const sig = sign(
        null,
        checkpointMessage({
          ledger: l.name,
          epoch: 0,
          firstSeq: ep.firstSeq,
          treeSize: ep.size,
          root: toHex(ep.root),
          keyId,
        }),
        k.privateKey,
      );
      l.db.exec("DROP TRIGGER IF EXISTS epoch_checkpoints_no_update");
      l.db.prepare("UPDATE epoch_checkpoints SET key_id = ?, signature = ? WHERE epoch = 0").run(keyId, sig);
      expect((await auditLedger(l, {})).findings.map((f) => f.code)).to.include("CHECKPOINT_INVALID");
      l.close();
    });
  });

  describe("ensureLedgerPin at a later start", () => {
    const chainOf = (contract: string, ledgerId: string, development = true) => ({
      provider: lc.provider,
      chainId: lc.chainId,
      ledgerId,
      deployment: { ...deploymentOf(contract, ledgerId), development },
    });
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e) => (e instanceof StoreError ? e.code : String(e)),
      );

    it("checks the same chain, contract and ledger, and refuses another contract or ledger id naming both", async () => {
      const { l, contract, ledgerId } = await pinned();
      const security = createSecurityRecorder(l, l.name);
      expect((await ensureLedgerPin(l, chainOf(contract, ledgerId), security)).action).to.equal("checked");
      const other = await deployLedger(
        devWallet(DEV_ACCOUNT.admin, lc.provider),
        devWallet(DEV_ACCOUNT.anchorer).address,
        NAME,
      );
      let err: unknown;
      await ensureLedgerPin(l, chainOf(other.contract, other.ledgerId), security).catch((e) => (err = e));
      expect(err).to.be.instanceOf(StoreError).with.property("code", "LEDGER_PIN_MISMATCH");
      expect((err as Error).message)
        .to.contain(other.contract)
        .and.to.contain(contract);
      const otherName = await deployLedger(
        devWallet(DEV_ACCOUNT.admin, lc.provider),
        devWallet(DEV_ACCOUNT.anchorer).address,
        "another-site",
      );
      expect(await codeOf(ensureLedgerPin(l, chainOf(contract, otherName.ledgerId), security))).to.equal(
        "LEDGER_PIN_MISMATCH",
      );
      l.close();
    });

    it("records the first pin with a ledger.pinned security event", async () => {
      const dir = tempDir("gxp-pin-first-");
      const l = openLedger(dir, undefined, undefined, false, NAME);
      const d = await deployLedger(
        devWallet(DEV_ACCOUNT.admin, lc.provider),
        devWallet(DEV_ACCOUNT.anchorer).address,
        NAME,
      );
      const r = await ensureLedgerPin(l, chainOf(d.contract, d.ledgerId), createSecurityRecorder(l, l.name));
      expect(r.action).to.equal("pinned");
      expect(r.pin).to.include({
        chainId: lc.chainId.toString(),
        contract: d.contract,
        ledgerId: d.ledgerId.toLowerCase(),
        ledgerName: NAME,
        development: true,
      });
      expect(r.pin.genesisHash).to.match(/^0x[0-9a-f]{64}$/);
      const kinds = (
        l.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[]
      ).map((t) => JSON.parse(t).event.data.kind);
      expect(kinds).to.deep.equal(["ledger.pinned"]);
      l.close();
    });

    it("on another chain with the same id: re-pins a development ledger (same contract and ledger id, security event), refuses a production one", async () => {
      // Two fresh chains: the same deployer at the same nonce gives the same contract address, as
      // after the embedded chain lost its state file; the genesis blocks differ.
      // Anvil's genesis block carries the start time in seconds: start the second chain a second later.
      const a = await startLocalChain();
      await new Promise((r) => setTimeout(r, 1100));
      const b = await startLocalChain();
      try {
        const da = await deployLedger(
          devWallet(DEV_ACCOUNT.admin, a.provider),
          devWallet(DEV_ACCOUNT.anchorer).address,
          NAME,
        );
        const db = await deployLedger(
          devWallet(DEV_ACCOUNT.admin, b.provider),
          devWallet(DEV_ACCOUNT.anchorer).address,
          NAME,
        );
        expect(db.contract).to.equal(da.contract);
        const on = (c: typeof a, development: boolean) => ({
          provider: c.provider,
          chainId: c.chainId,
          ledgerId: da.ledgerId,
          deployment: { ...deploymentOf(da.contract, da.ledgerId), development },
        });
        for (const development of [true, false]) {
          const l = openLedger(tempDir("gxp-pin-genesis-"), undefined, undefined, false, NAME);
          const security = createSecurityRecorder(l, l.name);
          const first = await ensureLedgerPin(l, on(a, development), security);
          if (development) {
            const r = await ensureLedgerPin(l, on(b, true), security);
            expect(r.action).to.equal("repinned");
            expect(r.pin.genesisHash).to.not.equal(first.pin.genesisHash);
            const kinds = (
              l.db.prepare("SELECT record FROM events WHERE type = 'security.event'").pluck().all() as string[]
            ).map((t) => JSON.parse(t).event.data.kind);
            expect(kinds).to.deep.equal(["ledger.pinned", "ledger.repinned"]);
          } else {
            expect(await codeOf(ensureLedgerPin(l, on(b, false), security))).to.equal("LEDGER_PIN_MISMATCH");
            expect(currentPin(l.db)!.genesisHash).to.equal(first.pin.genesisHash);
          }
          l.close();
        }
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  });

  it("seal (CLI) refuses to sign with the key file gone, and never creates a new key in its place", async () => {
    const { l, dir } = await pinned();
    l.events.append(sampleEvents(4, "B-C"));
    l.close();
    const keyFile = path.join(dir, "keys", "receipt-key.pem");
    fs.rmSync(keyFile);
    const r = cli(["--data-dir", dir, "seal"]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include("keys/receipt-key.pem");
    expect(fs.existsSync(keyFile)).to.equal(false);
  });
});
