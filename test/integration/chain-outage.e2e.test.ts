/**
 * The chain's RPC endpoint goes away and comes back (issue 6, point 4): the real service against a
 * real Anvil behind a TCP proxy that the test closes and reopens. Ingestion and sealing go on,
 * /readyz reports the anchor lag, anchoring backs off exponentially with jitter (log and /metrics,
 * never the RPC URL's secret) and catches up on every epoch once the endpoint is back.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { Wallet, parseEther } from "ethers";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { anchorContract } from "../../src/chain/contract";
import { backoffCeiling } from "../../src/service/app/backoff";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { startTcpProxy, TcpProxy } from "../helpers/tcp-proxy";
import { sampleEvents } from "../helpers/events";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Readiness {
  ready: boolean;
  reasons: string[];
  pendingEvents: number;
  unanchoredEpochs: number;
  unconfirmedEpochs: number;
  anchorLagSeconds: number;
}

describe("gxp-ledger when the chain's RPC endpoint is unreachable (real local chain behind a TCP proxy)", function () {
  this.timeout(90_000);
  const SECRET = "k3y-0f-the-rpc-provider-8d1f2e";
  const RETRY_MAX_S = 4;
  let chainDir: string;
  let dir: string;
  let chain: EmbeddedChain;
  let proxy: TcpProxy;
  let contract: string;
  let ledgerId: string;
  let s: Served | undefined;
  // The anchorer's own key, funded by the admin: off the embedded chain the public test keys are refused.
  const ANCHORER = Wallet.createRandom();

  before(async () => {
    chainDir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-outage-chain-"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-outage-"));
    chain = await startEmbeddedChain({ dataDir: chainDir, port: 0 });
    const { provider } = await connect(chain.rpcUrl);
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    await (await admin.sendTransaction({ to: ANCHORER.address, value: parseEther("10") })).wait(1);
    const r = await deployLedger(admin, ANCHORER.address, "DE01");
    contract = r.contract;
    ledgerId = r.ledgerId;
    provider.destroy();
    proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(chain.rpcUrl).port) });
  });
  after(async () => {
    await s?.stop();
    await proxy?.close();
    await chain?.stop();
    fs.rmSync(chainDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps ingesting and sealing, reports the lag, backs off, and catches up when the endpoint returns", async () => {
    const env = {
      LEDGER_ANCHOR_KEY: ANCHORER.privateKey,
      LEDGER_NAME: "DE01",
      // An API key in the URL, as hosted providers want it: it must never reach a log line or /readyz.
      LEDGER_RPC_URL: `http://127.0.0.1:${proxy.port}/?apikey=${SECRET}`,
      LEDGER_CONFIRMATIONS: "1",
      LEDGER_EPOCH_MAX_EVENTS: "5",
      LEDGER_EPOCH_MAX_AGE_SECONDS: "3600",
      LEDGER_ANCHOR_RETRY_MAX_SECONDS: String(RETRY_MAX_S),
    };
    s = await serve(dir, env, ["--contract", contract]);
    const token = async (name: string, role: string) => {
      const r = await cli(["--data-dir", dir, "--json", "client", "add", name, "--role", role], env);
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout).token as string;
    };
    const mes = await token("pasx-de01", "mes");
    const auditor = await token("qa-audit", "auditor");
    const url = s.url;
    const post = async (n: number) => {
      const events = sampleEvents(n);
      const res = await fetch(`${url}/v1/events:bulk`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${mes}` },
        body: JSON.stringify({ events }),
      });
      expect(res.status, await res.clone().text()).to.be.oneOf([200, 201]);
      return events;
    };
    const ready = async () => {
      const res = await fetch(`${url}/readyz`);
      const body = (await res.json()) as Readiness;
      expect(res.status).to.equal(body.ready ? 200 : 503);
      return body;
    };
    const waitFor = async (what: string, ok: (r: Readiness) => boolean, ms = 20_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const r = await ready();
        if (ok(r)) return r;
        if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms; last /readyz ${JSON.stringify(r)}`);
        await sleep(100);
      }
    };
    const metric = async (name: string) => {
      const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${auditor}` } })).text();
      const line = text.split("\n").find((l) => l.startsWith(name + " "));
      return line === undefined ? undefined : Number(line.split(" ")[1]);
    };

    // Epochs of 5 events (the two `client add` security events count too).
    await post(5);
    await waitFor("epoch 0 anchored", (r) => r.ready && r.unconfirmedEpochs === 0 && r.pendingEvents < 5);

    // The endpoint goes away.
    await proxy.down();
    const t0 = Date.now();
    const during = [...(await post(5)), ...(await post(5))];
    const down = await waitFor(
      "two epochs sealed while the chain is down",
      (r) => r.unconfirmedEpochs === 2 && r.reasons.includes("chain unreachable"),
    );
    expect(down.ready).to.equal(false);
    expect(down.pendingEvents).to.be.below(5);
    expect(down.unanchoredEpochs).to.equal(2);
    await sleep(2500);
    const lagging = await ready();
    expect(lagging.anchorLagSeconds).to.be.at.least(2);
    expect(lagging.reasons.some((x) => x.startsWith("anchoring failing: "))).to.equal(true);
    expect(JSON.stringify(lagging)).to.not.include(SECRET);
    const failures = (await metric("gxp_ledger_anchor_consecutive_failures"))!;
    const delay = (await metric("gxp_ledger_anchor_retry_delay_seconds"))!;
    expect(failures).to.be.at.least(2);
    expect(delay).to.be.above(0).and.at.most(RETRY_MAX_S);
    expect(await metric("gxp_ledger_chain_errors_total")).to.be.at.least(failures);

    // The retries: attempt 1, 2, 3 … each waiting between half and all of 1 s, 2 s, 4 s (the cap).
    const retries = s.logs
      .map((l) => JSON.parse(l) as { msg?: string; attempt?: number; retryInMs?: number; level?: number })
      .filter((l) => l.msg === "anchoring failed; will retry");
    expect(retries.length).to.be.at.least(2);
    retries.forEach((r, i) => {
      expect(r.attempt).to.equal(i + 1);
      const c = backoffCeiling(r.attempt!, { baseMs: 1000, maxMs: RETRY_MAX_S * 1000 });
      expect(r.retryInMs).to.be.within(c / 2, c);
    });
    // No more attempts than the backoff allows in the time the endpoint was down (not one per 100 ms tick).
    expect(retries.length).to.be.at.most(2 + Math.ceil((Date.now() - t0) / 500));

    // The endpoint comes back: every epoch sealed meanwhile is anchored, in order.
    await proxy.up();
    const t1 = Date.now();
    await waitFor("caught up", (r) => r.ready && r.unconfirmedEpochs === 0, 20_000);
    const catchUpMs = Date.now() - t1;
    expect(catchUpMs).to.be.below(RETRY_MAX_S * 1000 + 5000);
    // The round that confirmed the last epoch logs its recovery and resets the metrics just after its
    // anchors are recorded, and its log line travels through a pipe: give both a moment to arrive.
    for (let i = 0; i < 50 && !s.logs.some((l) => l.includes('"msg":"anchoring recovered"')); i++) await sleep(100);
    expect(s.logs.some((l) => l.includes('"msg":"anchoring recovered"'))).to.equal(true);
    expect(await metric("gxp_ledger_anchor_consecutive_failures")).to.equal(0);
    expect(await metric("gxp_ledger_anchor_retry_delay_seconds")).to.equal(0);
    const { provider } = await connect(chain.rpcUrl);
    try {
      expect(Number((await anchorContract(contract, provider).ledgerState(ledgerId)).nextEpoch)).to.equal(3);
    } finally {
      provider.destroy();
    }
    const proof = await fetch(`${url}/v1/events/${during[0].id as string}/proof`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(proof.status).to.equal(200);
    expect(s.logs.join("\n")).to.not.include(SECRET);
    console.log(
      `      outage ${t1 - t0} ms, ${retries.length} failed rounds before the endpoint returned; caught up on 2 epochs ${catchUpMs} ms after it returned`,
    );
  });
});
