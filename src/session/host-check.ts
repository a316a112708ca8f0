import type { MiddlewareHandler } from "hono";
import type { Deployment } from "./deployment.js";
import { UNKNOWN_HOST_MESSAGE } from "./request-state.js";

/**
 * Middleware: answers 421 to a request naming a host this app does not serve (`allowedHosts`; DNS
 * rebinding defence), before anything reads its body: a Host that is no host (`a@b`) cannot even form
 * the URL that reading the body needs.
 */
export function hostCheck(deployment: Pick<Deployment, "hostAllowed">): MiddlewareHandler {
  return async (c, next) => (deployment.hostAllowed(c) ? next() : c.text(UNKNOWN_HOST_MESSAGE, 421));
}
