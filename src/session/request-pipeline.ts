// The session layer's middlewares (host check, CSRF, session resolution) run as one step per request:
// the middleware and every guard share it, so applying them together does the work once.
import type { Context, MiddlewareHandler } from "hono";

const STATE = Symbol("piccolo-session-state");

/** The request's refusal, or undefined when it may go on. */
export type Prepare = (c: Context) => Promise<Response | undefined>;

/** Runs `steps` in order, once per request (the outcome is kept on the context): the first refusal wins. */
export function sessionPipeline(steps: readonly MiddlewareHandler[]): Prepare {
  return async (c) => {
    const holder = c as unknown as { [STATE]?: Promise<Response | undefined> };
    holder[STATE] ??= runSteps(c, steps);
    return holder[STATE];
  };
}

async function runSteps(c: Context, steps: readonly MiddlewareHandler[]): Promise<Response | undefined> {
  for (const step of steps) {
    let passed = false;
    const answer = await step(c, async () => {
      passed = true;
    });
    if (!passed) return answer ?? undefined;
  }
  return undefined;
}
