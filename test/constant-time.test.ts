// Issue 19: the password check and the CSRF token check compare with crypto.timingSafeEqual, and a test
// now sees it: replacing it with `===` or Buffer.equals (which leak, through timing, how much of a value
// matched) fails here. The code calls it through node:crypto's module object, which mock.method wraps.
import { after, afterEach, test } from "node:test";
import { mock } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Hono } from "hono";
import { BaseUser, closeDatabases, hashPassword, verifyPassword } from "piccolo-ts";
import { createSessionAuth } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";

after(async () => {
  await closeDatabases();
});
afterEach(() => {
  mock.restoreAll();
});

/** Watches crypto.timingSafeEqual (still doing its work); answers the lengths of each call's two inputs. */
function watchCompare(): () => [number, number][] {
  const watched = mock.method(crypto, "timingSafeEqual");
  return () => watched.mock.calls.map((call) => [(call.arguments[0] as Uint8Array).length, (call.arguments[1] as Uint8Array).length]);
}

test("a password check compares the derived key with the stored one through crypto.timingSafeEqual", async () => {
  const stored = await hashPassword("right-pass1", 1000);
  const calls = watchCompare();
  assert.equal(await verifyPassword("right-pass1", stored), true);
  assert.equal(await verifyPassword("wrong-pass1", stored), false);
  assert.deepEqual(calls(), [
    [32, 32],
    [32, 32],
  ]);
});

test("a login's password check goes through crypto.timingSafeEqual too", async () => {
  const url = await migratedDatabaseUrl("sqlite");
  class TimedUser extends BaseUser {
    static override iterations = 1000;
  }
  TimedUser.database = url;
  await TimedUser.createUser({ username: "timed", password: "timed-pass1", email: "timed@example.com" });
  const calls = watchCompare();
  assert.equal(typeof (await TimedUser.login("timed", "timed-pass1")), "number");
  assert.equal(await TimedUser.login("timed", "wrong-pass1"), null);
  assert.deepEqual(calls(), [
    [32, 32],
    [32, 32],
  ]);
});

test("the CSRF check compares the sent token with the cookie's through crypto.timingSafeEqual", async () => {
  const url = await migratedDatabaseUrl("sqlite", sessionAuthApp);
  const auth = createSessionAuth({ database: url, access: { adminOnly: false }, rateLimit: false });
  const app = new Hono();
  app.use("*", auth.middleware());
  app.get("/", (c) => c.text("form"));
  app.post("/action", (c) => c.text("done"));
  const browser = new FakeBrowser((target, init) => app.request(target, init));
  await browser.get("/");
  const token = browser.csrf();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);

  const calls = watchCompare();
  const accepted = await browser.postJson("/action", {});
  assert.equal(accepted.status, 200);
  assert.deepEqual(calls(), [[43, 43]]);

  const wrong = `${token.slice(0, 42)}${token.endsWith("A") ? "B" : "A"}`; // same length, last character differs
  const refused = await browser.postJson("/action", {}, { csrf: false, headers: { "x-csrftoken": wrong } });
  assert.equal(refused.status, 403);
  assert.deepEqual(calls(), [
    [43, 43],
    [43, 43],
  ]);
});
