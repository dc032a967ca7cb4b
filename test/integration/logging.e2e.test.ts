/**
 * The server's log at the default level, end to end: the real `serve` against an "external" chain
 * (a separate local Anvil) reached through an RPC URL with credentials in it, an anchorer key in the
 * environment, a client token made by `client add` while it runs, posts accepted and refused,
 * anchoring, and an RPC outage. None of the secrets, and none of the events' content, may appear
 * in what it writes; every request line carries the request id the response returned.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startEmbeddedChain, EmbeddedChain } from "../../src/chain/embedded-chain";
import { connect } from "../../src/chain/provider";
import { deployLedger } from "../../src/chain/deploy";
import { Wallet, parseEther } from "ethers";
import { devWallet, DEV_ACCOUNT } from "../../src/chain/dev-keys";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

describe("serve's log at the default level (real server, external chain with RPC credentials)", function () {
  this.timeout(180_000);
  const RPC_USER = "ledgeruser";
  const RPC_PASSWORD = "rpc-pw-Zq81x";
  const MARKER = "payload-marker-Qx93";
  // The anchorer's own key, funded by the admin: off the embedded chain the public test keys are refused.
  const ANCHORER = Wallet.createRandom();
  let chainDir: string;
  let dir: string;
  let chain: EmbeddedChain;
  let s: Served | undefined;
  let rpcUrl = "";
  let contract = "";

  before(async () => {
    chainDir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-logchain-"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-logs-"));
    chain = await startEmbeddedChain({ dataDir: chainDir, port: 0 });
    const { provider } = await connect(chain.rpcUrl);
    const admin = devWallet(DEV_ACCOUNT.admin, provider);
    await (await admin.sendTransaction({ to: ANCHORER.address, value: parseEther("10") })).wait(1);
    contract = (await deployLedger(admin, ANCHORER.address, "LOGS")).contract;
    provider.destroy();
    rpcUrl =
      chain.rpcUrl.replace("http://", `http://${RPC_USER}:${RPC_PASSWORD}@`) + "/?key=apikey-0123456789abcdefghij";
  });
  after(async () => {
    await s?.stop();
    await chain?.stop();
    fs.rmSync(chainDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // LOG_LEVEL empty: the default level, whatever the shell running the tests has set.
  const env = (): Record<string, string> => ({
    LEDGER_RPC_URL: rpcUrl,
    LEDGER_ANCHOR_KEY: ANCHORER.privateKey,
    LEDGER_NAME: "LOGS",
    LEDGER_CONTRACT: contract,
    LEDGER_CONFIRMATIONS: "1",
    LEDGER_EPOCH_MAX_AGE_SECONDS: "1",
    LOG_LEVEL: "",
  });
  const secrets = () => [
    RPC_PASSWORD,
    `${RPC_USER}:`,
    "apikey-0123456789abcdefghij",
    ANCHORER.privateKey,
    ANCHORER.privateKey.slice(2),
    MARKER,
  ];
  const waitForLog = async (msg: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = s!.logs.find((l) => l.includes(`"msg":"${msg}`));
      if (hit) return JSON.parse(hit) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no "${msg}" in the log:\n${s!.logs.slice(-10).join("\n")}`);
  };

  describe("when a client is added, events posted and refused, epochs anchored, and the RPC endpoint lost", () => {
    it("logs no token, key, RPC credential or event content, and every request line has the id the response returned", async () => {
      s = await serve(dir, env());
      const added = await cli(["--data-dir", dir, "--json", "client", "add", "pasx-logs", "--role", "mes"], env());
      expect(added.code, added.stderr).to.equal(0);
      const token = JSON.parse(added.stdout).token as string;
      expect(token).to.match(/^[A-Za-z0-9_-]{20,}$/); // shown to the operator on the CLI's stdout, once

      const post = (body: unknown, auth = `Bearer ${token}`) =>
        fetch(`${s!.url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: auth },
          body: JSON.stringify(body),
        });
      const ok = await post(
        sampleEvent({ actor: { type: "person", userId: MARKER, printedName: MARKER, role: "Operator" } }, "B-LOGS-1"),
      );
      expect(ok.status).to.equal(201);
      const refused = await post({ ...sampleEvent({}, "B-LOGS-1"), data: { name: MARKER, value: MARKER } });
      expect(refused.status).to.equal(400);
      const badToken = await post(sampleEvent(), `Bearer ${token.slice(0, -4)}AAAA`);
      expect(badToken.status).to.equal(401);

      await waitForLog("epoch anchored");
      // The CLI's own anchor run through the same URL: its output must not show the credentials either.
      const cliAnchor = await cli(["--data-dir", dir, "anchor"], env());
      expect(cliAnchor.code, cliAnchor.stderr).to.equal(0);
      for (const x of secrets()) expect(cliAnchor.stdout + cliAnchor.stderr, x).to.not.include(x);

      // The endpoint goes away: the anchoring errors are logged, with the URL redacted.
      await chain.stop();
      expect(
        (
          await post(
            sampleEvent(
              { actor: { type: "person", userId: MARKER, printedName: MARKER, role: "Operator" } },
              "B-LOGS-1",
            ),
          )
        ).status,
      ).to.equal(201);
      const failed = await waitForLog("anchoring failed; will retry");
      expect(String(failed.error)).to.have.length.greaterThan(0);
      // Then something answers on the endpoint's port with HTTP 500: ethers' error carries the
      // request URL (with the credentials) in its details, which must not reach the log.
      const port = Number(new URL(chain.rpcUrl).port);
      const fake = http.createServer((_req, res) => res.writeHead(500, { "content-type": "text/plain" }).end("boom"));
      await new Promise<void>((r) => fake.listen(port, "127.0.0.1", r));
      try {
        const deadline = Date.now() + 60_000;
        while (
          !s.logs.some((l) => l.includes('"msg":"anchoring failed; will retry"') && l.includes("500")) &&
          Date.now() < deadline
        )
          await new Promise((r) => setTimeout(r, 100));
        expect(s.logs.filter((l) => l.includes("anchoring failed")).join("\n")).to.include("500");
      } finally {
        await s.stop();
        fake.closeAllConnections();
        await new Promise((r) => fake.close(r));
      }

      const log = s.logs.join("\n");
      for (const x of [...secrets(), token, token.slice(0, -4) + "AAAA", "Bearer"]) expect(log, x).to.not.include(x);
      const lines = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.every((l) => l.level !== undefined && l.service === "gxp-ledger")).to.equal(true);
      const requests = lines.filter((l) => l.msg === "request refused");
      expect(requests.map((l) => [l.status, l.reqId])).to.deep.equal([
        [400, refused.headers.get("x-request-id")],
        [401, badToken.headers.get("x-request-id")],
      ]);
      expect(ok.headers.get("x-request-id")).to.be.a("string").with.length.greaterThan(0);
      // Successes are not logged at the default level at all (only at debug).
      expect(lines.filter((l) => l.msg === "request")).to.deep.equal([]);
    });
  });

  describe("when the RPC endpoint with credentials is unreachable at start", () => {
    it("exits 3 naming the endpoint without its credentials", async () => {
      const other = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-logs-down-"));
      const r = await cli(["--data-dir", other, "serve", "--port", "0"], {
        ...env(),
        LEDGER_RPC_URL: `http://${RPC_USER}:${RPC_PASSWORD}@127.0.0.1:9/?key=apikey-0123456789abcdefghij`,
      });
      fs.rmSync(other, { recursive: true, force: true });
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.include("127.0.0.1:9");
      for (const x of secrets()) expect(r.stdout + r.stderr, x).to.not.include(x);
    });
  });
});
