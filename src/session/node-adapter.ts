import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono, type Context } from "hono";
import type { User } from "../user/user-row.js";
import type { AccessRules, SessionAuth } from "./auth.js";
import { FORBIDDEN_MESSAGE, getCsrfToken, getSessionUser } from "./request-state.js";

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

const PROBE = Symbol("piccolo-session-probe");
interface Probe {
  guard: AccessRules | null;
  body: unknown;
  user: User | null;
  csrfToken: string;
}

/** The body a Node framework's parser already read (Express's `req.body`), when the request came through the adapter. */
export function parsedNodeBody(c: Context): unknown {
  return (c.env as { [PROBE]?: Probe } | undefined)?.[PROBE]?.body;
}

const probes = new WeakMap<SessionAuth, Hono>();

/** A Hono app that runs the auth's middleware (and a guard) for a Node request, without reading its body. */
function probeApp(auth: SessionAuth): Hono {
  let app = probes.get(auth);
  if (app) return app;
  app = new Hono();
  app.all("*", async (c) => {
    const probe = (c.env as { [PROBE]: Probe })[PROBE];
    const refused = await auth.prepare(c);
    if (refused) return refused;
    probe.user = getSessionUser(c);
    probe.csrfToken = getCsrfToken(c);
    if (probe.guard) {
      if (!probe.user) return auth.unauthenticated(c);
      if (!auth.allows(probe.user, probe.guard)) return auth.refuse(c, 403, FORBIDDEN_MESSAGE, "forbidden");
    }
    return c.body(null, 204);
  });
  probes.set(auth, app);
  return app;
}

/** Express/Connect-style middleware running `auth.middleware()` (guard null) or `auth.guard(rules)`. */
export function nodeHandler(auth: SessionAuth, guard: AccessRules | null): NodeMiddleware {
  return (req, res, next) => {
    const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
    const headers = new Headers();
    let request: Request;
    try {
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each);
      }
      const host = req.headers.host ?? "localhost";
      request = new Request(new URL(req.originalUrl ?? req.url ?? "/", `${encrypted ? "https" : "http"}://${host}`), {
        method: req.method ?? "GET",
        headers,
      });
    } catch {
      // A Host or path no URL can hold: the client's mistake, not the server's.
      res.statusCode = 400;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("Bad request");
      return;
    }
    const probe: Probe = { guard, body: req.body, user: null, csrfToken: "" };
    const run = async (): Promise<boolean> => {
      const response = await probeApp(auth).fetch(request, { incoming: req, [PROBE]: probe });
      for (const cookie of response.headers.getSetCookie()) res.appendHeader("Set-Cookie", cookie);
      if (response.status === 204) {
        req.sessionUser = probe.user;
        req.csrfToken = probe.csrfToken;
        if (res.locals) Object.assign(res.locals, { sessionUser: probe.user, csrfToken: probe.csrfToken });
        return true;
      }
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie") res.setHeader(name, value);
      });
      res.statusCode = response.status;
      res.end(await response.text());
      return false;
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
