/**
 * A benchmark ledger served for real: a copy of a template sealed here into epochs of `epochSize`
 * events, then `gxp-ledger serve` on it (embedded Anvil, its own deployment, the anchorer anchoring
 * every sealed epoch, 1 confirmation), and a QA client token to read proofs. Waits until the last
 * epoch's proof is issued. Needs the compiled CLI (`npm run build`).
 */
import fs from "node:fs";
import { cli, serve, Served } from "../../test/helpers/process";
import { openLedger } from "../../src/service/app/ledger";
import { copyFixture, Fixture } from "./fixture";

/** A served benchmark ledger. */
export interface ServedLedger {
  dir: string;
  url: string;
  token: string;
  server: Served;
  events: number;
  epochs: number;
  /** Stops the server (and its chain) and removes the directory. */
  stop(): Promise<void>;
}

/** Copies the template, seals it into epochs of `epochSize`, serves it and waits for its anchors. */
export async function servedLedger(
  f: Fixture,
  epochSize: number,
  tag: string,
  timeoutMs = 600_000,
): Promise<ServedLedger> {
  const dir = copyFixture(f, tag);
  const ledger = openLedger(dir, { maxEvents: epochSize, maxAgeMs: 1 << 30 });
  let epochs = 0;
  while (ledger.sealer.seal(new Date())) epochs++;
  const events = ledger.events.nextSeq();
  const last = ledger.events.getBySeq(events - 1)!.eventId;
  ledger.close();
  const env = { LEDGER_DEV_TOKEN: "off", LEDGER_RATE_LIMIT: "10000000" };
  const server = await serve(dir, env, ["--confirmations", "1", "--epoch-max-events", String(epochSize)]);
  const stop = async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const add = cli(["--data-dir", dir, "--json", "client", "add", `bench-qa-${tag}`, "--role", "qa"]);
    if (add.code !== 0) throw new Error(`client add failed: ${add.stderr}`);
    const token = JSON.parse(add.stdout).token as string;
    const t0 = Date.now();
    for (;;) {
      const r = await fetch(`${server.url}/v1/events/${last}/proof`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      if (r.status === 200) break;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`the last epoch was not anchored within ${timeoutMs} ms (last status ${r.status})`);
      await new Promise((res) => setTimeout(res, 200));
    }
    return { dir, url: server.url, token, server, events, epochs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
