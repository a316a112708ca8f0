// Fastify adapters, typed structurally so the library needs no Fastify at run time: the login routes as
// a plugin, and the session middleware and guards as preHandler hooks (`request.sessionUser`,
// `request.csrfToken`). Fastify hands over the Node request (`request.raw`) and its parsed body.
import type { ServerResponse } from "node:http";
import type { AccessRules } from "./access.js";
import { checkSession, headersRequest, type NodeAdapterParts, type NodeRequest } from "./node-adapter.js";
import { fullRequest, type FetchHandlerParts } from "./node-handler.js";

/** The part of a Fastify request the adapters use (plus what they set). */
export interface FastifyRequestLike {
  raw: NodeRequest;
  body?: unknown;
  sessionUser?: NodeRequest["sessionUser"];
  csrfToken?: string;
}
/** The part of a Fastify reply the adapters use. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string | string[]): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}
type Handler = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
/** The part of a Fastify instance the routes plugin uses. */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string, parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void): void;
  route(options: { method: string[]; url: string; handler: Handler }): unknown;
}

/** Sends a web `Response` through a Fastify reply (every `Set-Cookie` kept apart). */
async function send(reply: FastifyReplyLike, response: Response): Promise<FastifyReplyLike> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header("set-cookie", cookies);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/**
 * The login and logout routes (`GET/POST /login`, `POST /logout`) as a Fastify plugin: register it with
 * a prefix. Inside the plugin no body parser runs: the handler reads each body itself, within `bodyLimit`.
 *
 * @example
 * ```ts
 * app.register(fastifySessionRoutes(auth), { prefix: "/auth" });
 * ```
 */
export function fastifySessionRoutes(auth: FetchHandlerParts): (instance: FastifyInstanceLike) => Promise<void> {
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    // Leave the stream unread: the handler streams it under its own body limit.
    instance.addContentTypeParser("*", (_request, _payload, done) => done(null));
    const handler: Handler = async (request, reply) => {
      const web = fullRequest(request.raw);
      if (!web) return reply.code(400).send("Bad request");
      return send(reply, await auth.handler(web, { incoming: request.raw }));
    };
    instance.route({ method: ["GET", "POST"], url: "/login", handler });
    instance.route({ method: ["POST"], url: "/logout", handler });
  };
}

/**
 * The session middleware (`rules` null) or a guard as a Fastify `preHandler` hook: sets
 * `request.sessionUser` and `request.csrfToken`, or answers the refusal. A form's CSRF field is read from
 * the parsed body (register `@fastify/formbody` for forms), else send the `X-CSRFToken` header.
 *
 * @example
 * ```ts
 * app.addHook("preHandler", fastifySessionHook(auth));
 * app.get("/private", { preHandler: fastifySessionHook(auth, {}) }, (request) => `Hello ${request.sessionUser.username}`);
 * ```
 */
export function fastifySessionHook(auth: NodeAdapterParts, rules: AccessRules | null = null): Handler {
  return async (request, reply) => {
    const web = headersRequest(request.raw);
    if (!web) return reply.code(400).send("Bad request");
    const check = await checkSession(auth, web, request.raw, request.body, rules);
    if (check.refusal) return send(reply, check.refusal);
    if (check.setCookies.length > 0) reply.header("set-cookie", check.setCookies);
    request.sessionUser = check.user;
    request.csrfToken = check.csrfToken;
    return undefined;
  };
}
