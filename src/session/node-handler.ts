// `toNodeHandler(auth)`: the login and logout routes (`auth.handler`) as a Node request listener, for
// node:http, Express and Fastify. It works whether or not a body parser ran first: a stream nobody read
// is passed on as it streams (the body limit counts it), and a body a parser consumed (`express.json()`,
// `express.urlencoded()`) is encoded again from `req.body`, so the handler never waits for a stream that
// has already ended.
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { badRequest, headersRequest, sendResponse, type NodeRequest } from "./node-adapter.js";

/** What the listener calls: the framework-neutral core (`SessionAuth.handler`). */
export interface FetchHandlerParts {
  handler(request: Request, bindings?: object): Promise<Response>;
}

/** A Node request listener (`(req, res) => void`), as node:http, Express and Connect take one. */
export type NodeRequestListener = (req: NodeRequest, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The body a parser left in `req.body`, in the encoding its Content-Type names. */
function encodeParsedBody(req: NodeRequest): string | Uint8Array | null {
  const body = req.body;
  if (body === undefined || body === null) return null;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded") && typeof body === "object") {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const each of Array.isArray(value) ? value : [value]) form.append(name, String(each));
    }
    return form.toString();
  }
  return JSON.stringify(body);
}

/** The web `Request` for a Node request, its body streamed or re-encoded (see above). */
export function fullRequest(req: NodeRequest): Request | null {
  const headersOnly = headersRequest(req);
  if (!headersOnly) return null;
  const method = headersOnly.method;
  if (method === "GET" || method === "HEAD") return headersOnly;
  const headers = new Headers(headersOnly.headers);
  let body: string | Uint8Array | ReadableStream<Uint8Array> | null;
  if (req.readableEnded) {
    // A parser read the stream: its result is what the client sent.
    body = encodeParsedBody(req);
    headers.delete("content-length");
    headers.delete("transfer-encoding");
  } else {
    body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
  }
  return new Request(headersOnly.url, { method, headers, body, duplex: "half" } as RequestInit);
}

/**
 * The login and logout routes as a Node request listener: `http.createServer(toNodeHandler(auth))`, or
 * `app.use("/auth", toNodeHandler(auth))` in Express, before or after `express.json()`.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(express.json());
 * app.use("/auth", toNodeHandler(auth)); // GET/POST /auth/login, POST /auth/logout
 * ```
 */
export function toNodeHandler(auth: FetchHandlerParts): NodeRequestListener {
  return (req, res, next) => {
    const request = fullRequest(req);
    if (!request) return badRequest(res);
    auth
      .handler(request, { incoming: req })
      .then((response) => sendResponse(res, response))
      .catch((error: unknown) => {
        if (next) return next(error);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };
}
