// API tokens in piccolo_api's token_auth table: the library, the Bearer guard beside the session cookie,
// both storage modes against rows in piccolo_api's form (test/fixtures/piccolo-api/token_auth.json), and
// `piccolo user token`.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { sql } from "kysely";
import { ApiTokens, BaseUser, closeDatabases, type Database } from "piccolo-ts";
import { createSessionAuth, getSessionUser, parseBearerHeader, tokenOrSessionGuard } from "piccolo-ts/session";
import { readFileSync } from "node:fs";
import path from "node:path";
import { boundTo, root } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

// A token piccolo_api's create_token made (str(uuid.uuid4()), stored as is): test/fixtures/piccolo-api/token_auth.json.
const vectors = JSON.parse(readFileSync(path.join(root, "test/fixtures/piccolo-api/token_auth.json"), "utf8"));
const PYTHON_TOKEN: string = vectors.runs["sqlite|UTC"].create_token.raw[0].token.stored;

describe("the Bearer header parser", () => {
  it("takes exactly `Bearer <b64token>` and nothing looser than RFC 6750", () => {
    assert.equal(parseBearerHeader("Bearer abc-DEF_123.~+/="), "abc-DEF_123.~+/=");
    assert.equal(parseBearerHeader("bearer abc"), "abc", "the scheme is case-insensitive (RFC 7235)");
    for (const header of ["xyzBearer abc", "Token abc", "Bearer  abc", "Bearer abc def", "Bearer ", "Bearer abc\n", `Bearer ${"a".repeat(600)}`, "", undefined]) {
      assert.equal(parseBearerHeader(header), null, JSON.stringify(header));
    }
  });
});

for (const engine of testEngines) {
  describe(`API tokens on ${engine}`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let url: string;
    let db: Database;
    const ids: Record<string, number> = {};

    it("prepares a database", async () => {
      url = await migratedDatabaseUrl(engine, "session_auth", "token_auth");
      TestUser.database = url;
      db = await TestUser.getDatabase();
      for (const username of ["alice", "bob", "carol"]) {
        ids[username] = (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true })).id;
      }
    });

    it("creates, lists and revokes tokens; the table holds only digests by default", async () => {
      const tokens = new ApiTokens({ users: TestUser });
      const token = await tokens.create("alice");
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const rows = (await db.kysely.selectFrom("token_auth").select(["token", "user"]).execute()) as { token: string; user: number }[];
      assert.deepEqual(rows.map((r) => [r.token, Number(r.user)]), [[createHash("sha256").update(token).digest("hex"), ids.alice]]);
      assert.equal((await tokens.authenticate(token))?.username, "alice");
      assert.equal(await tokens.authenticate(rows[0]!.token), null, "the stored digest is no token");
      const second = await tokens.create("alice");
      assert.equal((await tokens.list("alice")).length, 2);
      const [first] = await tokens.list("alice");
      assert.equal(await tokens.revoke("alice", first!.id), 1);
      assert.equal(await tokens.authenticate(token), null);
      assert.equal((await tokens.authenticate(second))?.username, "alice");
      assert.equal(await tokens.revoke("alice"), 1);
      assert.equal(await tokens.authenticate(second), null);
    });

    it("shared mode reads and writes piccolo_api's plain rows; digest mode honours neither as the other", async () => {
      const digest = new ApiTokens({ users: TestUser });
      const shared = new ApiTokens({ tokens: "piccolo", users: TestUser });
      await db.kysely.insertInto("token_auth").values({ token: PYTHON_TOKEN, user: ids.bob }).execute();
      assert.equal((await shared.authenticate(PYTHON_TOKEN))?.username, "bob", "a token Python made");
      assert.equal(await digest.authenticate(PYTHON_TOKEN), null);
      const ours = await shared.create("bob");
      const row = await db.kysely.selectFrom("token_auth").select("user").where("token", "=", ours).executeTakeFirst();
      assert.equal(Number(row?.user), ids.bob, "stored as piccolo_api stores it: WHERE token = <token> finds it");
      assert.equal(await digest.authenticate(ours), null);
      const digested = await digest.create("bob");
      assert.equal(await shared.authenticate(digested), null);
      await shared.revoke("bob");
    });

    it("refuses a token that several users' rows share (piccolo_api's baked-in DEFAULT)", async () => {
      const shared = new ApiTokens({ tokens: "piccolo", users: TestUser });
      const baked = "1244c6f6-64f7-4c84-9697-4a0ad098a14d";
      await db.kysely.insertInto("token_auth").values([{ token: baked, user: ids.bob }, { token: baked, user: ids.carol }]).execute();
      assert.equal(await shared.authenticate(baked), null);
    });

    it("a Bearer token reaches a guarded route beside the session cookie; a deactivated user's token gets 401", async () => {
      const auth = createSessionAuth({ userClass: TestUser, access: { adminOnly: false }, rateLimit: false });
      const tokens = new ApiTokens({ users: TestUser });
      const app = new Hono();
      app.get("/api/me", tokenOrSessionGuard(auth, tokens), (c) => c.json({ username: getSessionUser(c)?.username }));
      app.post("/api/things", tokenOrSessionGuard(auth, tokens), (c) => c.json({ by: getSessionUser(c)?.username }));
      const token = await tokens.create("carol");
      const call = (headers: Record<string, string>, method = "GET", path = "/api/me") => app.request(`http://localhost${path}`, { method, headers });

      const ok = await call({ Authorization: `Bearer ${token}` });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { username: "carol" });
      const posted = await call({ Authorization: `Bearer ${token}` }, "POST", "/api/things");
      assert.equal(posted.status, 200, "no CSRF token needed: browsers never add the header themselves");

      for (const header of [`Token ${token}`, `xyzBearer ${token}`, "Bearer nope", `Bearer ${createHash("sha256").update(token).digest("hex")}`]) {
        const refused = await call({ Authorization: header });
        assert.equal(refused.status, 401, header);
        assert.match(refused.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
      }
      assert.equal((await call({})).status, 401, "no header and no session cookie");

      await TestUser.changePermissions("carol", { active: false });
      const inactive = await call({ Authorization: `Bearer ${token}` });
      assert.equal(inactive.status, 401);
      assert.deepEqual(await inactive.json(), { detail: "This API token is not valid." });
      await TestUser.changePermissions("carol", { active: true });
    });

    it("piccolo user token create prints a token once; revoke --yes removes it", async () => {
      const run = boundTo(url);
      const created = await run(["user", "token", "create", "alice", "--json"]);
      assert.equal(created.code, 0, created.stderr);
      const { token } = JSON.parse(created.stdout) as { token: string };
      const tokens = new ApiTokens({ users: TestUser });
      assert.equal((await tokens.authenticate(token))?.username, "alice");
      const listed = await run(["user", "token", "list", "alice"]);
      assert.ok(!listed.all.includes(token), "never listed again");
      const revoked = await run(["user", "token", "revoke", "alice", "--yes"]);
      assert.match(revoked.stdout, /Revoked 1 API token\(s\) of alice/);
      assert.equal(await tokens.authenticate(token), null);
      const shared = await run(["user", "token", "create", "alice"], { env: { PICCOLO_TOKENS: "piccolo" } });
      const plain = shared.stdout.trim();
      const found = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM token_auth WHERE token = ${plain}`.execute(db.kysely);
      assert.equal(Number(found.rows[0]!.n), 1);
    });
  });
}
