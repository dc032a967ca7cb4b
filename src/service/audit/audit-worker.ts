/**
 * A worker thread of `audit`: scans one range of the ledger (audit-scan.ts) on its own read-only
 * connection, in one read transaction, reporting its count as it goes and its result at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { ScanInput, scanRange } from "./audit-scan";

const { file, input, every } = workerData as { file: string; input: ScanInput; every: number };
const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  db.pragma("busy_timeout = 10000");
  // Structured clone hands Buffers over as Uint8Arrays.
  const epochs = input.epochs.map((e) => ({
    ...e,
    root: Buffer.from(e.root.buffer, e.root.byteOffset, e.root.byteLength),
  }));
  const result = db.transaction(() =>
    scanRange(db, { ...input, epochs }, (count) => parentPort!.postMessage({ count }), every),
  )();
  parentPort!.postMessage({ result });
} finally {
  db.close();
}
