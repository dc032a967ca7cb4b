/**
 * Real proof bundles for the verifier tests: the real server on its embedded chain, events posted
 * over HTTP into epochs of the given sizes, sealed and anchored, and every event's bundle exported
 * with `gxp-ledger proof`. Free ports, a temporary data directory.
 */
import { expect } from "chai";
import fs from "node:fs";
import { createPrivateKey, sign } from "node:crypto";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  ProofBundle,
  TrustProfile,
  base64urlEncode,
  checkpointMessage,
  fromHex,
  inclusionProofLength,
  keyIdOfSpki,
  ledgerIdOfName,
  rfc9162,
  rootFromInclusionProof,
  toHex,
  toChecksumAddress,
} from "../../src/core";
import { cliAsync as cli, serve, Served } from "../helpers/process";
import { sampleEvent } from "../helpers/events";

/** One exported bundle. */
export interface ExportedProof {
  eventId: string;
  file: string;
  text: string;
}

/** A running ledger with anchored epochs and their bundles. */
export interface ProofFixture {
  dir: string;
  served: Served;
  /** The embedded chain's JSON-RPC URL. */
  rpcUrl: string;
  proofs: ExportedProof[];
  /** The site's trust profile, from `gxp-ledger trust export --sign` (exportSiteTrust). */
  trust: TrustProfile;
  /** The same, written as site-trust.json in the data directory. */
  trustFile: string;
  stop(): Promise<void>;
}

/** The site's organisation and site names in the fixture's trust profile. */
export const SITE = { organisation: "Acme Pharma GmbH", site: "Werk Mannheim" };

/**
 * The site's trust profile of a running ledger, written by the real `gxp-ledger trust export --sign`
 * into `file`, and checked against the ledger's own facts (contract, ledger and anchoring account of
 * chain/deployment.json, the key of keys/receipt-key.pub.pem, the chain's block 0).
 */
export async function exportSiteTrust(dataDir: string, rpcUrl: string, file: string): Promise<TrustProfile> {
  const t = await cli([
    "--data-dir",
    dataDir,
    "trust",
    "export",
    "-o",
    file,
    "--organisation",
    SITE.organisation,
    "--site",
    SITE.site,
    "--sign",
  ]);
  expect(t.code, t.stdout + t.stderr).to.equal(0);
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as TrustProfile;
  const d = JSON.parse(fs.readFileSync(path.join(dataDir, "chain", "deployment.json"), "utf8"));
  const pem = fs.readFileSync(path.join(dataDir, "keys", "receipt-key.pub.pem"), "utf8");
  const genesis = await (
    await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x0", false] }),
    })
  ).json();
  expect(profile).to.deep.include({
    organisation: SITE.organisation,
    site: SITE.site,
    contract: toChecksumAddress(d.contract),
    ledger: { name: d.ledgerName, id: ledgerIdOfName(d.ledgerName) },
  });
  expect(profile.chain).to.deep.equal({
    chainId: "31337",
    genesisHash: (genesis as { result: { hash: string } }).result.hash,
  });
  expect(profile.anchorers.map((a) => a.address)).to.deep.equal([toChecksumAddress(d.anchorer)]);
  expect(profile.keys.map((k) => k.keyId)).to.deep.equal([keyIdOfSpki(pem)]);
  return profile;
}

/** Writes a trust profile as a file (pretty JSON) and returns its path. */
export function writeTrust(file: string, profile: unknown): string {
  fs.writeFileSync(file, JSON.stringify(profile, null, 2) + "\n");
  return file;
}

/** Starts the ledger, fills epochs of `sizes` events each, anchors them and exports every bundle. */
export async function startProofFixture(sizes: number[]): Promise<ProofFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gxp-proofs-"));
  const served = await serve(dir, { LEDGER_EPOCH_MAX_AGE_SECONDS: "3600" });
  try {
    // The first start of a development ledger writes the dev-mes client's bearer token.
    const token = fs.readFileSync(path.join(dir, "dev-mes-token"), "utf8").trim();
    const ids: string[] = [];
    for (const [k, n] of sizes.entries()) {
      for (let i = 0; i < n; i++) {
        const ev = sampleEvent({}, `B-PROOF-${k}`);
        const res = await fetch(`${served.url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(ev),
        });
        expect(res.status, await res.text()).to.equal(201);
        ids.push(ev.id as string);
      }
      const s = await cli(["--data-dir", dir, "seal"]);
      expect(s.code, s.stderr).to.equal(0);
    }
    const a = await cli(["--data-dir", dir, "anchor"]);
    expect(a.code, a.stderr).to.equal(0);
    const proofs: ExportedProof[] = [];
    for (const id of ids) {
      const file = path.join(dir, `${id}.proof.json`);
      const p = await cli(["--data-dir", dir, "proof", id, "-o", file]);
      expect(p.code, p.stderr).to.equal(0);
      proofs.push({ eventId: id, file, text: fs.readFileSync(file, "utf8") });
    }
    const rpcUrl = JSON.parse(fs.readFileSync(path.join(dir, "chain", "deployment.json"), "utf8")).rpcUrl as string;
    const trustFile = path.join(dir, "site-trust.json");
    const trust = await exportSiteTrust(dir, rpcUrl, trustFile);
    return {
      dir,
      served,
      rpcUrl,
      proofs,
      trust,
      trustFile,
      async stop() {
        await served.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await served.stop();
    throw e;
  }
}

/** A JSON-RPC endpoint that forwards to `upstream` but may rewrite answers: a lying RPC node. */
export interface LyingRpc {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a JSON-RPC proxy on a free loopback port that forwards every request to `upstream` and
 * passes each answer through `rewrite(method, params, result)`.
 */
export async function startLyingRpc(
  upstream: string,
  rewrite: (method: string, params: any[], result: any) => any,
): Promise<LyingRpc> {
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const up = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    const json = await up.json();
    const reqJson = JSON.parse(body);
    const fix = (r: any, q: any) => ("result" in r ? { ...r, result: rewrite(q.method, q.params, r.result) } : r);
    const out = Array.isArray(json) ? json.map((r: any, i: number) => fix(r, reqJson[i])) : fix(json, reqJson);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The bundle with its checkpoint signed again by the site's own ledger key (keys/receipt-key.pem of
 * `dataDir`): what only a thief of that key could write. Lets a test reach the chain's steps with a
 * bundle whose root, size or epoch the chain does not hold.
 */
export function resigned(b: ProofBundle, dataDir: string): ProofBundle {
  const key = createPrivateKey(fs.readFileSync(path.join(dataDir, "keys", "receipt-key.pem"), "utf8"));
  const head = {
    ledger: b.anchor.ledgerName,
    epoch: b.epoch,
    firstSeq: b.anchor.firstSeq,
    treeSize: b.treeSize,
    root: b.root,
    keyId: b.checkpoint.keyId,
  };
  return {
    ...b,
    checkpoint: {
      ...b.checkpoint,
      signature: base64urlEncode(new Uint8Array(sign(null, checkpointMessage(head), key))),
    },
  };
}

/** Every bundle with exactly one byte changed: each byte XOR 0x01 and, where it differs, replaced by a space. */
export function oneByteMutations(text: string): { at: number; text: string }[] {
  const bytes = Buffer.from(text, "utf8");
  const out: { at: number; text: string }[] = [];
  for (let i = 0; i < bytes.length; i++) {
    for (const v of new Set([bytes[i] ^ 0x01, 0x20])) {
      if (v === bytes[i]) continue;
      const m = Buffer.from(bytes);
      m[i] = v;
      out.push({ at: i, text: m.toString("utf8") });
    }
  }
  return out;
}

/**
 * The bundle with a forged audit path (arbitrary sibling hashes) and the root it leads to: internally
 * consistent, so only the chain can tell that the root is not the anchored one.
 */
export function withForgedRoot(b: ProofBundle): ProofBundle {
  const path = Array.from({ length: inclusionProofLength(b.leafIndex, b.treeSize) }, (_, i) =>
    rfc9162.hashLeaf(Uint8Array.of(0xf0, i)),
  );
  const root = rootFromInclusionProof(rfc9162, b.leafIndex, b.treeSize, fromHex(b.leafHash), path);
  return { ...b, auditPath: path.map(toHex), root: toHex(root) };
}
