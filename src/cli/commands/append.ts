/**
 * `append <file.ndjson|->`: bulk import (backfills, tests) through the same validation as the API.
 * Every line is validated first; if any is bad, each bad line is named and nothing is stored. The
 * whole file is then appended all-or-nothing (chunks of 1,000 events, each a savepoint inside one
 * transaction): an id conflict or a sequence step back found while writing names its line and
 * stores nothing.
 */
import fs from "node:fs";
import readline from "node:readline";
import { Command } from "commander";
import { EventError, GxpEvent, assertEvent } from "../../core";
import { openLedger } from "../../service/app/ledger";
import { configOf, output } from "../context";
import { CliExit, EXIT } from "../exit";
import { StoreError } from "../../store/errors";
import { assertNotReserved, WriteRefused } from "../../service/ingest/write-rules";

const CHUNK = 1000;

/** Registers `append`. */
export function appendCommand(): Command {
  return new Command("append")
    .description("append events from an NDJSON file (one event per line) or - for standard input")
    .argument("<file>", "NDJSON file, or - for standard input")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      if (file !== "-" && !fs.existsSync(file)) throw new CliExit(EXIT.USAGE, `no such file: ${file}`);
      const input = file === "-" ? process.stdin : fs.createReadStream(file);
      const events: unknown[] = [];
      const lineOf = new Map<string, number>();
      const bad: { line: number; errors: { path: string; message: string }[] }[] = [];
      let lineNo = 0;
      for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (line.trim() === "") continue;
        try {
          const ev = JSON.parse(line);
          assertEvent(ev);
          events.push(ev);
          lineOf.set(ev.id, lineNo);
        } catch (e) {
          if (e instanceof EventError)
            bad.push({ line: lineNo, errors: e.issues.length ? e.issues : [{ path: "/", message: e.message }] });
          else bad.push({ line: lineNo, errors: [{ path: "/", message: `not JSON: ${(e as Error).message}` }] });
        }
      }
      if (bad.length) {
        const text = bad
          .map((b) => `line ${b.line}: ${b.errors.map((i) => `${i.path} ${i.message}`).join("; ")}`)
          .join("\n");
        if (cmd.optsWithGlobals().json)
          process.stdout.write(JSON.stringify({ stored: 0, rejected: bad }, null, 2) + "\n");
        throw new CliExit(EXIT.USAGE, `${bad.length} invalid line(s); nothing stored:\n${text}`);
      }
      // The ledger's own type and sources are written only by the ledger (its security recorder).
      try {
        assertNotReserved(events as GxpEvent[]);
      } catch (e) {
        if (e instanceof WriteRefused)
          throw new CliExit(
            EXIT.USAGE,
            `line ${lineOf.get(e.info.eventId as string) ?? "?"}: ${e.code}: ${e.message}; nothing stored`,
          );
        throw e;
      }
      const ledger = openLedger(config.dataDir, config.seal, undefined, false, config.ledgerName);
      let stored = 0;
      let duplicates = 0;
      let first: number | undefined;
      let last: number | undefined;
      try {
        ledger.db
          .transaction(() => {
            for (let i = 0; i < events.length; i += CHUNK) {
              for (const r of ledger.events.append(events.slice(i, i + CHUNK))) {
                if (r.duplicate) duplicates++;
                else {
                  stored++;
                  first ??= r.receipt.seq;
                  last = r.receipt.seq;
                }
              }
            }
          })
          .immediate();
      } catch (e) {
        if (e instanceof StoreError && typeof e.info.eventId === "string") {
          throw new CliExit(EXIT.USAGE, `line ${lineOf.get(e.info.eventId) ?? "?"}: ${e.message}; nothing stored`);
        }
        throw e;
      } finally {
        ledger.close();
      }
      output(
        cmd,
        { stored, duplicates, firstSeq: first ?? null, lastSeq: last ?? null },
        `stored ${stored} event(s)${duplicates ? `, ${duplicates} already stored` : ""}${first !== undefined ? ` (seq ${first}..${last})` : ""}`,
      );
    });
}
