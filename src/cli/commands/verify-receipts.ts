/**
 * `verify-receipts <dir|file.ndjson>`: an MES reconciles its archive of receipts against the ledger
 * and the chain (src/service/audit/reconcile-receipts.ts): every receipt verifies with a key the site pins,
 * its event is in the ledger unchanged at its seq, and its epoch is anchored by its `anchorBy`. Each
 * missing or changed record is named, with a summary.
 *
 * Input: a directory (its regular `*.json` files, each one receipt or an array of receipts, and
 * `*.ndjson` files, one receipt a line), or one such file. Keys: the site's trust profile (`--trust`)
 * or a PEM file (`--public-key`); without either, the ledger's recorded keys are used and the verdict
 * is UNPINNED. Exit 0 all reconciled (or pending within their promise), 1 some invalid, missing,
 * changed, late, overdue or failing, 6 otherwise fine but unpinned, 2 bad usage, 3 chain unreachable.
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import {
  Receipt,
  TrustPin,
  checkPin,
  checkReceiptPin,
  pemOfSpki,
  pinFromProfile,
  pinnedKey,
  pinSummary,
} from "../../core";
import { openLedger } from "../../service/app/ledger";
import { openReadChain } from "../../service/app/chain-context";
import {
  ArchivedReceipt,
  FAILED_STATUSES,
  KeyFor,
  ReconcileReport,
  reconcileReceipts,
} from "../../service/audit/reconcile-receipts";
import { readDeployment } from "../../chain/deploy";
import { ledgerKeys } from "../../store/pin-store";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";
import { pinnedKeyOfPem, readTrustProfile } from "../pin-options";

/** Receipts of one archive file: `*.ndjson` one a line, `*.json` one receipt or an array. */
function readArchiveFile(file: string): ArchivedReceipt[] {
  const text = fs.readFileSync(file, "utf8");
  if (file.endsWith(".ndjson")) {
    const out: ArchivedReceipt[] = [];
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        out.push({ source: `${file}:${i + 1}`, receipt: JSON.parse(line) });
      } catch (e) {
        out.push({ source: `${file}:${i + 1}`, error: `not JSON: ${(e as Error).message}` });
      }
    });
    return out;
  }
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v)
      ? v.map((receipt, i) => ({ source: `${file}[${i}]`, receipt }))
      : [{ source: file, receipt: v }];
  } catch (e) {
    return [{ source: file, error: `not JSON: ${(e as Error).message}` }];
  }
}

/**
 * The receipts of an archive: a file, or a directory's regular `*.json` and `*.ndjson` files in
 * name order (symbolic links and other entries skipped).
 * @throws CliExit USAGE when the path cannot be read
 */
export function readArchive(p: string): ArchivedReceipt[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `cannot read ${p}: ${(e as Error).message}`);
  }
  if (st.isFile()) return readArchiveFile(p);
  if (!st.isDirectory()) throw new CliExit(EXIT.USAGE, `${p} is neither a file nor a directory`);
  const names = fs
    .readdirSync(p, { withFileTypes: true })
    .filter((d) => d.isFile() && (d.name.endsWith(".json") || d.name.endsWith(".ndjson")))
    .map((d) => d.name)
    .sort();
  return names.flatMap((n) => readArchiveFile(path.join(p, n)));
}

/** The report for people. */
export function reconcileText(r: ReconcileReport, pinned: string | undefined): string {
  const c = r.counts;
  const bad = FAILED_STATUSES.reduce((n, s) => n + c[s], 0);
  const summary = `${r.lines.length} receipts: ${c.reconciled} reconciled, ${c.pending} pending, ${c.missing} missing, ${c.changed} changed, ${c.invalid} invalid, ${c.overdue} overdue, ${c.late} anchored late, ${c.failed} failing`;
  const head = bad
    ? `RECEIPTS NOT RECONCILED: ${summary}`
    : pinned
      ? `RECEIPTS RECONCILED (pinned: ${pinned}): ${summary}`
      : `RECEIPTS RECONCILED BUT UNPINNED (no --trust: the keys are the ledger's own record): ${summary}`;
  const lines = r.lines
    .filter((l) => l.status !== "reconciled")
    .map((l) => `  ${l.status.toUpperCase()} ${l.source}${l.code ? ` [${l.code}]` : ""}: ${l.detail}`);
  return [head, ...lines].join("\n");
}

/** Registers `verify-receipts`. */
export function verifyReceiptsCommand(): Command {
  return new Command("verify-receipts")
    .description(
      "reconcile an MES's archive of receipts against the ledger and the chain: each receipt's event present and unchanged at its seq, anchored by its anchorBy",
    )
    .argument("<archive>", "a directory of receipts (*.json, *.ndjson) or one such file")
    .option(
      "--trust <file>",
      "the site's trust profile: receipts must be signed by its keys, anchors in its chain and contract",
    )
    .option("--public-key <pem>", "pin the ledger's receipt public key (a PEM file from the site)")
    .option("--confirmations <n>", "confirmations required (LEDGER_CONFIRMATIONS)")
    .action(
      async (archive: string, opts: { trust?: string; publicKey?: string; confirmations?: string }, cmd: Command) => {
        if (opts.trust && opts.publicKey) throw new CliExit(EXIT.USAGE, "give --trust or --public-key, not both");
        const config = configOf(cmd, { confirmations: opts.confirmations });
        const receipts = readArchive(archive);
        if (receipts.length === 0)
          throw new CliExit(EXIT.USAGE, `no receipts in ${archive} (want *.json or *.ndjson files)`);
        let pin: TrustPin | undefined;
        if (opts.trust) pin = pinFromProfile(readTrustProfile(opts.trust));
        else if (opts.publicKey) pin = { source: `the key ${opts.publicKey}`, keys: [pinnedKeyOfPem(opts.publicKey)] };
        const ledger = openLedger(config.dataDir, config.seal, undefined, true);
        let provider: JsonRpcProvider | undefined;
        try {
          const recorded = new Map(ledgerKeys(ledger.db).map((k) => [k.keyId, k.publicKeyPem]));
          const keyFor: KeyFor = (r) => {
            const keyId = typeof r?.keyId === "string" ? r.keyId : String(r?.keyId);
            if (pin) {
              const k = pinnedKey(pin, keyId);
              return k
                ? { pem: pemOfSpki(k.publicKey) }
                : {
                    code: "TRUST_KEY_MISMATCH",
                    detail: `signed by key ${keyId}, which is not one of the site's keys (${pin.source})`,
                  };
            }
            const pem = recorded.get(keyId);
            return pem
              ? { pem }
              : {
                  code: "RECEIPT_KEY_MISMATCH",
                  detail: `signed by key ${keyId}, which is not a recorded key of this ledger`,
                };
          };
          const report = await reconcileReceipts(ledger, receipts, {
            keyFor,
            checkReceipt: opts.trust
              ? (r: Receipt) => {
                  const c = checkReceiptPin(pin!, r);
                  return c.problems.length
                    ? {
                        code: c.problems[0].code,
                        detail: `not the site's ledger (${pin!.source}): ${c.problems.map((p) => p.detail).join("; ")}`,
                      }
                    : undefined;
                }
              : undefined,
            checkAnchor: opts.trust
              ? (r, a) => {
                  const c = checkPin(
                    pin,
                    {
                      chainId: a.chainId,
                      contract: a.contract,
                      ledgerName: r.ledger,
                      anchorer: a.anchorer ?? undefined,
                      at: a.blockTimestamp,
                    },
                    { anchorer: !!pin!.anchorers?.length, key: false },
                  );
                  return c.problems.length
                    ? {
                        code: c.problems[0].code,
                        detail: `the anchor is not the site's (${pin!.source}): ${c.problems.map((p) => p.detail).join("; ")}`,
                      }
                    : undefined;
                }
              : undefined,
            chain: async () =>
              (provider = (await openReadChain(config.rpcUrl, config.dataDir, undefined, config.chainPort)).provider),
            confirmations: config.confirmations,
            deployment: readDeployment(config.dataDir),
          });
          const failed = FAILED_STATUSES.some((s) => report.counts[s] > 0);
          const pinned = pin ? (opts.trust ? pinSummary(pin) : pin.source) : undefined;
          output(
            cmd,
            { reconciled: !failed, pinned: pinned ?? null, counts: report.counts, receipts: report.lines },
            reconcileText(report, pinned),
          );
          process.exitCode = failed ? EXIT.FAILED : pin ? EXIT.OK : EXIT.UNPINNED;
        } finally {
          provider?.destroy();
          ledger.close();
        }
      },
    );
}
