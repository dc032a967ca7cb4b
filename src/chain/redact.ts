/**
 * Redaction of RPC URLs and error messages for logs, output and replies. No ethers here: the logger
 * loads this, and so does every command, including those that never touch a chain.
 */

/** Redacts credentials and query strings (API keys) from an RPC URL before it is shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username || u.password ? "***@" : "";
    return `${u.protocol}//${auth}${u.host}${u.pathname === "/" ? "" : u.pathname.replace(/\/[^/]{20,}$/, "/***")}`;
  } catch {
    return "<invalid url>";
  }
}

/**
 * A one-line error message safe to log, print or serve: ethers' short message or code, never its
 * request details, with every URL in it redacted (an RPC URL can carry an API key or a password).
 */
export function safeErrorMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string; code?: string };
  const base = err?.shortMessage ?? String(err?.message ?? e).split("\n")[0];
  return base
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"',)]+/gi, (u) => redactUrl(u))
    .replace(/\(request=\{.*$/, "")
    .slice(0, 500);
}
