// The message shown after a redirect (`?done=deleted_many&count=4`) is the server's, not the URL's: the
// redirect signs its message parameters with an HMAC keyed by the session's CSRF token, and the page shows
// a message only when the signature matches. A link made by someone else (`?done=deleted_many&count=4821`)
// carries no valid signature for the victim's session, so it shows nothing. Keyed by the CSRF token rather
// than a per-process secret, so a redirect answered by another worker of a cluster still shows it.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCsrfToken } from "../session/request-state.js";

/** The query parameters a message is built from: each is covered by the signature. */
const SIGNED_PARAMETERS = ["done", "count", "skipped"] as const;

function signatureOf(c: Context, values: Record<string, string>): string {
  const text = SIGNED_PARAMETERS.map((name) => `${name}=${values[name] ?? ""}`).join("\n");
  return createHmac("sha256", `piccolo-admin-flash\n${getCsrfToken(c)}`).update(text).digest("base64url").slice(0, 32);
}

/** `?done=…&count=…&sig=…`: the query string of a redirect that shows `done`'s message once there. */
export function flashQuery(c: Context, done: string, counts: { count?: number; skipped?: number } = {}): string {
  const values: Record<string, string> = { done };
  if (counts.count !== undefined) values.count = String(counts.count);
  if (counts.skipped !== undefined && counts.skipped > 0) values.skipped = String(counts.skipped);
  return `?${new URLSearchParams({ ...values, sig: signatureOf(c, values) })}`;
}

/** True when the request's message parameters were signed by this admin for this session. */
export function flashIsSigned(c: Context): boolean {
  const values: Record<string, string> = {};
  for (const name of SIGNED_PARAMETERS) {
    const value = c.req.query(name);
    if (value !== undefined) values[name] = value;
  }
  const given = Buffer.from(c.req.query("sig") ?? "");
  const expected = Buffer.from(signatureOf(c, values));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
