import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono } from "hono";
import type { User } from "../user/user-row.js";
import type { Access, AccessRules } from "./access.js";
import { bindingsWithBody } from "./parsed-body.js";
import type { Prepare } from "./request-pipeline.js";
import { getCsrfToken, getSessionUser } from "./request-state.js";
import { headersOf } from "./web-request.js";

/**
 * A Node request as Express and similar frameworks hand it on (`body` when a body parser ran), with
 * `sessionUser` and `csrfToken` once `nodeMiddleware()` ran.
 */
export type NodeRequest = IncomingMessage & {
  /** The URL before a mount stripped its prefix (Express). */
  originalUrl?: string;
  /** The parsed body, when a body parser ran (Express's `req.body`). */
  body?: unknown;
  /** The logged-in user (passing the auth's rules), or null; set by `nodeMiddleware()`. */
  sessionUser?: User | null;
  /** The CSRF token for forms on this request; set by `nodeMiddleware()`. */
  csrfToken?: string;
};
/**
 * A Node response, with Express's `res.locals` (where `nodeMiddleware()` also puts `sessionUser` and `csrfToken`).
 */
export type NodeResponse = ServerResponse & { locals?: Record<string, unknown> };
/** Express/Connect-style middleware. */
export type NodeMiddleware = (req: NodeRequest, res: NodeResponse, next: (error?: unknown) => void) => void;

/** What the adapters run: the session middlewares (once per request) and the guard's check. */
export interface NodeAdapterParts {
  readonly prepare: Prepare;
  readonly access: Pick<Access, "check">;
}

/** What the session layer found for a request that may go on. */
export interface SessionCheck {
  /** The refusal to send instead (its `Set-Cookie` headers included), or null when the request goes on. */
  refusal: Response | null;
  /** The `Set-Cookie` headers to add to the app's own response (a new CSRF cookie). */
  setCookies: string[];
  user: User | null;
  csrfToken: string;
}

const probes = new WeakMap<NodeAdapterParts, Hono>();

/** A Hono app that runs the session middlewares (and a guard) for a request, without reading a parsed body again. */
function probeApp(auth: NodeAdapterParts): Hono {
  let app = probes.get(auth);
  if (app) return app;
  app = new Hono();
  app.all("*", async (c) => {
    const slot = c.env as { guard: AccessRules | null; check: SessionCheck };
    const refused = await auth.prepare(c);
    if (refused) return refused;
    slot.check.user = getSessionUser(c);
    slot.check.csrfToken = getCsrfToken(c);
    if (slot.guard) {
      const guardRefusal = await auth.access.check(c, slot.guard);
      if (guardRefusal) return guardRefusal;
    }
    return c.body(null, 204);
  });
  probes.set(auth, app);
  return app;
}

/**
 * The session middlewares (and a guard, unless `guard` is null) for a request of any framework: the
 * framework passes the headers-only `request`, the Node request (for the socket's address) and the body
 * its parser already read, if any (for a form's CSRF field).
 */
export async function checkSession(
  auth: NodeAdapterParts,
  request: Request,
  incoming: IncomingMessage,
  body: unknown,
  guard: AccessRules | null,
): Promise<SessionCheck> {
  const check: SessionCheck = { refusal: null, setCookies: [], user: null, csrfToken: "" };
  const response = await probeApp(auth).fetch(request, bindingsWithBody({ incoming, guard, check }, body));
  check.setCookies = response.headers.getSetCookie();
  if (response.status !== 204) check.refusal = response;
  return check;
}

/** A headers-only `Request` for a Node request (Express's `originalUrl` when mounted), or null when malformed. */
export function headersRequest(req: NodeRequest): Request | null {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  try {
    const url = new URL(req.originalUrl ?? req.url ?? "/", `${encrypted ? "https" : "http"}://${req.headers.host ?? "localhost"}`);
    return new Request(url, { method: req.method ?? "GET", headers: headersOf(req.headers) });
  } catch {
    return null; // a Host or path no URL can hold: the client's mistake, not the server's
  }
}

/** Writes a web `Response` to a Node response (every `Set-Cookie` kept apart). */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  for (const cookie of response.headers.getSetCookie()) res.appendHeader("Set-Cookie", cookie);
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  res.statusCode = response.status;
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** Answers 400 to a request no URL can be built for. */
export function badRequest(res: ServerResponse): void {
  res.statusCode = 400;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end("Bad request");
}

/** Express/Connect-style middleware running `auth.middleware()` (guard null) or `auth.guard(rules)`. */
export function nodeHandler(auth: NodeAdapterParts, guard: AccessRules | null): NodeMiddleware {
  return (req, res, next) => {
    const request = headersRequest(req);
    if (!request) return badRequest(res);
    const run = async (): Promise<boolean> => {
      const check = await checkSession(auth, request, req, req.body, guard);
      if (check.refusal) {
        await sendResponse(res, check.refusal);
        return false;
      }
      for (const cookie of check.setCookies) res.appendHeader("Set-Cookie", cookie);
      req.sessionUser = check.user;
      req.csrfToken = check.csrfToken;
      if (res.locals) Object.assign(res.locals, { sessionUser: check.user, csrfToken: check.csrfToken });
      return true;
    };
    // `next` is called outside the promise chain's error handler, so it runs once.
    run().then((proceed) => proceed && next(), next);
  };
}

/** A fetch handler, as Hono's `app.fetch` and @hono/node-server's `serve({ fetch })` use. */
export type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * A fetch handler that answers HEAD as GET without a body. Under @hono/node-server 1.19 (whose
 * lightweight Response replaces the global one) Hono's own HEAD handling throws for many responses, so
 * every HEAD request would be a 500; `piccolo admin` serves through this. Wrap your own Hono app the same
 * way when you serve it with @hono/node-server.
 *
 * @example
 * ```ts
 * import { serve } from "@hono/node-server";
 * serve({ fetch: headAsGet(app.fetch), port: 3000 });
 * ```
 */
export function headAsGet(fetch: Fetch): Fetch {
  return async (request, env) => {
    if (request.method !== "HEAD") return fetch(request, env);
    // A Host such as `x@y` puts "credentials" in the URL @hono/node-server builds, and a Request refuses
    // those: drop them, so the GET sees the same Host header and answers as it would (421).
    const url = new URL(request.url);
    url.username = "";
    url.password = "";
    const response = await fetch(new Request(url, { method: "GET", headers: request.headers }), env);
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
