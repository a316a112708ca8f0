// API tokens in the admin: a user creates one on their own page (with their password; shown once) and
// revokes it; a superuser revokes another user's; nobody creates one for someone else.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { ApiTokens, BaseUser, closeDatabases } from "piccolo-ts";
import { createAdminApp } from "piccolo-ts/admin";
import { sessionAuthApp, adminHistoryApp } from "./support/internals.js";
import { FakeBrowser } from "./support/browser.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

for (const engine of testEngines) {
  describe(`API tokens in the admin on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let app: Hono;
    let tokens: ApiTokens;
    const ids: Record<string, number> = {};
    let address = 1;
    const loginAs = async (username: string) => {
      const b = new FakeBrowser((path, init) => app.request(path, init, { incoming: { socket: { remoteAddress: `10.9.0.${address++}` } } }));
      await b.get("/login");
      assert.equal((await b.postForm("/login", { username, password: `${username}-pass1` })).status, 303);
      return b;
    };

    test("create (password, shown once), list, revoke; a superuser revokes another's", async () => {
      const url = await migratedDatabaseUrl(engine, sessionAuthApp, adminHistoryApp, "token_auth");
      TestUser.database = url;
      for (const [username, superuser] of [["root", true], ["alice", false]] as const) {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin: true, superuser })).id;
      }
      tokens = new ApiTokens({ users: TestUser });
      app = createAdminApp({ userClass: TestUser, apiTokens: tokens });

      const alice = await loginAs("alice");
      const wrong = await alice.postForm(`/users/${ids.alice}/tokens`, { password: "nope-nope" });
      assert.equal(wrong.status, 400);
      const created = await alice.postForm(`/users/${ids.alice}/tokens`, { password: "alice-pass1" });
      assert.equal(created.status, 200);
      const token = /<code id="new-token">([A-Za-z0-9_-]{43})<\/code>/.exec(await created.text())?.[1];
      assert.ok(token);
      assert.equal((await tokens.authenticate(token))?.username, "alice");
      const page = await (await alice.get(`/users/${ids.alice}`)).text();
      assert.ok(page.includes("API tokens") && !page.includes(token), "listed by id, never shown again");
      assert.equal((await alice.postForm(`/users/${ids.root}/tokens`, { password: "alice-pass1" })).status, 403);

      const [listed] = await tokens.list("alice");
      const root = await loginAs("root");
      assert.equal((await root.postForm(`/users/${ids.alice}/tokens/${listed!.id}/revoke`, {})).status, 303);
      assert.equal(await tokens.authenticate(token), null);
      const another = await tokens.create("root");
      const [rootToken] = await tokens.list("root");
      assert.equal((await alice.postForm(`/users/${ids.root}/tokens/${rootToken!.id}/revoke`, {})).status, 403);
      assert.equal((await tokens.authenticate(another))?.username, "root");
    });
  });
}
