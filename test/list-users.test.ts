// listUsers reads shallow pages with a plain LIMIT/OFFSET and deep ones by walking the sort key's
// index (src/user/list-users.ts): whichever way a page is read, the pages of a listing join up into
// the whole listing, in the database's own order, with no row twice or missing, across the depth
// where the two meet. Shapes without a search or filter reuse their compiled SQL with new bounds.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BaseUser, closeDatabases, migrateForwards, openDatabase } from "piccolo-ts";
import type * as ListUsersModule from "../dist/user/list-users.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

const { INDEX_WALK_FROM_OFFSET } = (await import(new URL("../../dist/user/list-users.js", import.meta.url).href)) as typeof ListUsersModule;

after(async () => {
  await closeDatabases();
});

// Past the depth where the index walk starts, with room for a few pages beyond it.
const USERS = INDEX_WALK_FROM_OFFSET + 65;

for (const engine of testEngines) {
  describe(`listUsers on ${engine}, ${USERS} users`, () => {
    class Listed extends BaseUser {}

    test("pages join up into the whole listing across the depth where the index walk starts", async () => {
      const url = await freshDatabaseUrl(engine);
      Listed.database = url;
      await migrateForwards("user", { database: url });
      const db = await openDatabase(url);
      // Scrambled so that username, email and id orders all differ; same-length lowercase hex keys.
      const rows = Array.from({ length: USERS }, (_, i) => {
        const key = ((i * 7919) % 4096).toString(16).padStart(3, "0");
        const other = ((i * 104729) % 4096).toString(16).padStart(3, "0");
        return {
          username: `u${key}${String(i).padStart(5, "0")}`,
          email: `e${other}${String(i).padStart(5, "0")}@example.com`,
          password: "pbkdf2_sha256$1000$00000000000000000000000000000000$00",
          active: db.dialect.booleanToDatabase(i % 3 === 0),
          admin: db.dialect.booleanToDatabase(false),
          superuser: db.dialect.booleanToDatabase(false),
          first_name: `First${i % 50}`,
          last_name: "",
        };
      });
      for (let i = 0; i < rows.length; i += 250) await db.kysely.insertInto("piccolo_user").values(rows.slice(i, i + 250)).execute();

      for (const orderBy of ["username", "-username", "email", "-id", "first_name"]) {
        // The whole listing in one page (offset 0: a plain query), the reference order.
        const whole = (await Listed.listUsers({ orderBy, limit: USERS + 10 })).map((user) => user.id);
        assert.equal(whole.length, USERS);
        assert.equal(new Set(whole).size, USERS, `${orderBy}: every user once`);
        for (const limit of [20, 7]) {
          // Pages from a little before the switch to the end: some plain, some walked.
          const firstPage = Math.floor((INDEX_WALK_FROM_OFFSET - 3 * limit) / limit) + 1;
          const ids: number[] = [];
          const lastPage = Math.ceil(USERS / limit);
          for (let page = firstPage; page <= lastPage; page++) {
            const users = await Listed.listUsers({ orderBy, limit, page });
            ids.push(...users.map((user) => user.id));
          }
          assert.deepEqual(ids, whole.slice((firstPage - 1) * limit), `${orderBy}, ${limit} a page: pages ${firstPage}… join up`);
        }
      }

      // The first pages, again and in another order: the reused compiled SQL binds each call's bounds.
      const page = async (n: number, limit = 20) => (await Listed.listUsers({ limit, page: n })).map((user) => user.username);
      const all = (await Listed.listUsers({ limit: USERS })).map((user) => user.username);
      for (const [n, limit] of [[3, 20], [1, 20], [2, 5], [1, 1], [52, 20], [2, 20]] as const) {
        assert.deepEqual(await page(n, limit), all.slice((n - 1) * limit, n * limit), `page ${n} of ${limit}`);
      }
      // A search or a filter is its own query, and the plain listing after it is unchanged.
      const active = await Listed.listUsers({ filter: { active: true }, limit: USERS });
      assert.equal(active.length, Math.ceil(USERS / 3));
      assert.ok(active.every((user) => user.active));
      const searched = await Listed.listUsers({ search: "First7", limit: USERS });
      assert.equal(searched.length, rows.filter((row) => row.first_name === "First7").length);
      assert.ok(searched.every((user) => user.firstName === "First7"));
      assert.deepEqual(await page(1), all.slice(0, 20));
    });
  });
}
