// Every request body the session layer and the admin read goes through here: counted while it streams
// (chunked bodies included, whose size no header announces), and never held past the limit.
import type { Context, MiddlewareHandler } from "hono";

/** The most bytes of a request body read by default (the login form, a form's CSRF field, the admin's forms). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** What a body past the limit is answered (413). */
export const BODY_TOO_LARGE_MESSAGE = "The request body is too large.";

const BOUNDED = Symbol("piccolo-body-bounded");

/**
 * Reads the request's body into memory when it fits in `limit` bytes, so later reads (`c.req.parseBody()`,
 * `c.req.json()`) take the copy; false as soon as it does not. A `Content-Length` over the limit is refused
 * before any byte is read; a chunked body is read until its running count passes the limit, then the
 * stream is cancelled: at most `limit` bytes plus one chunk are ever held. Done once per request.
 */
export async function readBodyWithin(c: Context, limit: number): Promise<boolean> {
  const holder = c as unknown as { [BOUNDED]?: boolean };
  if (holder[BOUNDED] !== undefined) return holder[BOUNDED];
  const fits = await bufferBody(c, limit);
  holder[BOUNDED] = fits;
  return fits;
}

async function bufferBody(c: Context, limit: number): Promise<boolean> {
  const raw = c.req.raw;
  // Nothing to read, or something read it already (through Hono's cache): nothing left to bound here.
  if (!raw.body || raw.bodyUsed) return true;
  const declared = raw.headers.get("content-length");
  if (declared !== null && !raw.headers.has("transfer-encoding") && Number(declared) > limit) return false;
  const reader = raw.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      chunks.length = 0;
      // Stop reading: the server discards (or cuts off) the rest after the answer.
      await reader.cancel().catch(() => undefined);
      return false;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  c.req.raw = new Request(raw, { body });
  return true;
}

/**
 * Middleware: any body past `limit` bytes is answered by `tooLarge` (default: 413 with a plain-text
 * message) at once; a body within it is read into memory first, so the handlers after it read the copy.
 * For routes of your own that read bodies the session middleware does not (JSON with the token in a header).
 *
 * @example
 * ```ts
 * app.post("/api/notes", auth.guard(), bodyLimit(16 * 1024), async (c) => c.json(await c.req.json()));
 * ```
 */
export function bodyLimit(limit: number, tooLarge?: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (await readBodyWithin(c, limit)) return next();
    return tooLarge ? tooLarge(c) : c.text(BODY_TOO_LARGE_MESSAGE, 413);
  };
}
