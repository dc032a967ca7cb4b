/**
 * The service's structured logger (pino, one JSON object per line on stdout). What may be logged is
 * decided where each line is written (identifiers, counts, codes; never a token, a key, an RPC URL's
 * credentials or an event's content); the redaction here is the second line of defence for fields
 * that must never reach the log even if a caller passes them by mistake.
 */
import { safeErrorMessage } from "../../chain/redact";
import pino, { DestinationStream, Logger } from "pino";

/**
 * Fields censored wherever they appear at the top level or one object deep (pino's redaction paths,
 * fast-redact syntax): credentials, keys, and the places an event's content or a request's body
 * would sit.
 */
export const REDACTED_PATHS: readonly string[] = [
  "authorization",
  "cookie",
  "token",
  "password",
  "privateKey",
  "anchorKey",
  "mnemonic",
  "rpcUrl",
  "body",
  "payload",
  "record",
  "data",
  "event",
  "events",
]
  .flatMap((k) => [k, `*.${k}`])
  .concat(["req.headers.authorization", "req.headers.cookie", 'req.headers["x-api-key"]']);

/** Options of the logger. */
export interface LoggerOptions {
  /** pino level; default `info` (or LOG_LEVEL as the caller passes it). */
  level?: string;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

/** Builds the service logger: JSON lines, `service: "gxp-ledger"` on each, secrets censored. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { service: "gxp-ledger" },
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    },
    opts.destination,
  );
}

/**
 * An unexpected error as it may be logged: its one-line message with URLs redacted and the stack's
 * frames, without the error's other properties. pino's own serializer would copy every property,
 * and an ethers error carries the request URL (credentials, API key) and the response in them.
 */
export function loggableError(err: Error): { type: string; code?: string; message: string; stack: string } {
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    code: typeof code === "string" ? code : undefined,
    message: safeErrorMessage(err),
    stack: (err.stack ?? "")
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .join("\n"),
  };
}
