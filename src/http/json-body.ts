/**
 * The JSON body parser for hostile input: the body must be valid UTF-8 (no silent U+FFFD), valid
 * JSON without duplicate member names (RFC 8259 §4 leaves them undefined; I-JSON RFC 7493 §2.3
 * forbids them), no `__proto__` or `constructor` members, nesting and string length within limits.
 * Structure is checked on the parse tree (momoa) before the value is built; every refusal is a 400
 * problem with a stable code and the JSON Pointer of the offending member.
 */
import { FastifyInstance } from "fastify";
import * as momoa from "@humanwhocodes/momoa";

/** Limits of a JSON body. */
export interface JsonLimits {
  maxDepth: number;
  maxStringLength: number;
}

/** Defaults: an event nests a few levels; 64 is generous; 64 KiB strings. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxStringLength: 65_536 };

class BodyError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

function escape(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

function check(node: momoa.AnyNode, path: string, depth: number, limits: JsonLimits): void {
  if (depth > limits.maxDepth) throw new BodyError("BODY_TOO_DEEP", `${path || "/"}: nesting deeper than ${limits.maxDepth}`);
  switch (node.type) {
    case "Object": {
      const seen = new Set<string>();
      for (const m of node.members) {
        const name = m.name.type === "String" ? m.name.value : String((m.name as { name?: string }).name);
        const p = `${path}/${escape(name)}`;
        if (seen.has(name)) throw new BodyError("BODY_DUPLICATE_KEY", `${p}: duplicate member name`);
        if (FORBIDDEN.has(name)) throw new BodyError("BODY_FORBIDDEN_KEY", `${p}: member name ${name} is not allowed`);
        if (name.length > limits.maxStringLength) throw new BodyError("BODY_STRING_TOO_LONG", `${p}: member name longer than ${limits.maxStringLength}`);
        seen.add(name);
        check(m.value, p, depth + 1, limits);
      }
      return;
    }
    case "Array":
      node.elements.forEach((e, i) => check(e.value, `${path}/${i}`, depth + 1, limits));
      return;
    case "String":
      if (node.value.length > limits.maxStringLength) throw new BodyError("BODY_STRING_TOO_LONG", `${path || "/"}: string longer than ${limits.maxStringLength}`);
      return;
    default:
      return;
  }
}

/**
 * Parses a JSON body under `limits`.
 * @throws BodyError (statusCode 400) BODY_INVALID_UTF8, BODY_INVALID_JSON, BODY_DUPLICATE_KEY,
 *   BODY_FORBIDDEN_KEY, BODY_TOO_DEEP, BODY_STRING_TOO_LONG
 */
export function parseJsonBody(body: Buffer, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new BodyError("BODY_INVALID_UTF8", "request body is not valid UTF-8");
  }
  let doc: momoa.DocumentNode;
  try {
    doc = momoa.parse(text, { mode: "json" });
  } catch (e) {
    throw new BodyError("BODY_INVALID_JSON", `request body is not JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  check(doc.body, "", 1, limits);
  try {
    // momoa tolerates some things JSON.parse refuses (a raw control character in a string).
    return JSON.parse(text);
  } catch (e) {
    throw new BodyError("BODY_INVALID_JSON", `request body is not JSON: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Replaces Fastify's JSON parser with parseJsonBody. */
export function installJsonParser(app: FastifyInstance, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, limits));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
