/**
 * RFC 9457 problem details: one shape for every error reply, with a stable `code` and every bad
 * field listed. 5xx replies never carry internal details.
 */
import { FieldIssue } from "../core";

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldIssue[];
}

/** Media type of problem replies. */
export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Builds a problem document. */
export function problem(status: number, code: string, title: string, detail?: string, errors?: FieldIssue[]): Problem {
  return {
    type: `https://gxp-ledger.dev/problems/${code.toLowerCase().replace(/_/g, "-")}`,
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(errors ? { errors } : {}),
  };
}
