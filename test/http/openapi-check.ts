/**
 * Checks real responses against the served OpenAPI document: the status is documented for the
 * operation, the content type is one of that status's media types, and the body validates against
 * the documented schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
import Ajv2020, { ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

/** The parts of an OpenAPI 3.1 document the checks read. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
      }
    >
  >;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const BASE = "urn:gxp-ledger:openapi";

/** A 2020-12 validator that knows the document's components (their `#/components/…` refs resolve against it). */
export function docAjv(doc: OpenApiDoc): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat("iana-time-zone", true);
  ajv.addSchema({ $id: BASE, components: doc.components });
  return ajv;
}

/** Media type without charset, spaces and parameter quotes: `application/json`, `application/vnd.gxp-ledger.proof+json;version=2`. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (
    (contentType ?? "")
      .split(";")
      .map((p) => p.trim())
      .filter((p) => p && !/^charset=/i.test(p))
      // A parameter value is the same as a token or a quoted string (RFC 9110 §5.6.6): Fastify sends version="2".
      .map((p) => p.replace(/^([^=]+)="([^"\\]*)"$/, "$1=$2"))
      .join(";")
      .toLowerCase()
  );
}

/** The documented path of a Fastify route (`/v1/events/:id` → `/v1/events/{id}`, `::bulk` → `:bulk`). */
export function openApiPath(route: string): string {
  return route
    .replace(/::/g, "\uE000")
    .replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}")
    .replace(/\uE000/g, ":");
}

/** Checks one real response against the document; returns what is wrong (empty: documented). */
export function checkResponse(
  doc: OpenApiDoc,
  ajv: Ajv2020,
  method: string,
  path: string,
  res: { status: number; contentType?: string; body: string },
): string[] {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) return [`${method} ${path} is not in the document`];
  const documented = op.responses?.[String(res.status)];
  if (!documented)
    return [
      `${method} ${path} answered ${res.status}, which ${op.operationId} does not document (it has ${Object.keys(op.responses ?? {}).join(", ")})`,
    ];
  const got = mediaTypeOf(res.contentType);
  const types = Object.keys(documented.content ?? {});
  const key = types.find((t) => mediaTypeOf(t) === got) ?? types.find((t) => mediaTypeOf(t) === got.split(";")[0]);
  if (!key)
    return [
      `${method} ${path} ${res.status}: content type ${res.contentType} is not documented (documented: ${types.join(", ") || "none"})`,
    ];
  const schema = documented.content![key].schema;
  if (!schema) return [];
  const body: unknown = /json/.test(key) ? JSON.parse(res.body) : res.body;
  let validate: ValidateFunction;
  const r = schema.$ref;
  if (typeof r === "string" && r.startsWith("#/")) validate = ajv.getSchema(`${BASE}${r}`)!;
  else validate = ajv.compile(schema);
  if (!validate) return [`${method} ${path} ${res.status}: schema ${String(r)} does not resolve`];
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) => `${method} ${path} ${res.status}: body${e.instancePath} ${e.message} (${e.schemaPath})`,
  );
}
