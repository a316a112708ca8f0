// A body a framework already parsed (Express's `req.body`, Fastify's `request.body`) travels with the
// request's bindings, so the CSRF check reads the form field from it instead of the stream the parser
// has consumed. Framework-neutral: the adapters put it there, the checks read it.
import type { Context } from "hono";

const PARSED_BODY = Symbol("piccolo-parsed-body");

/** Bindings for `app.fetch(request, env)` that carry a parsed body next to the Node request. */
export function bindingsWithBody<T extends object>(bindings: T, body: unknown): T {
  return { ...bindings, [PARSED_BODY]: body };
}

/** The body a framework's parser already read, when an adapter passed one. */
export function parsedBody(c: Context): unknown {
  return (c.env as { [PARSED_BODY]?: unknown } | undefined)?.[PARSED_BODY];
}
