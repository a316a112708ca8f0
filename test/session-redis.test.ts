// Issue 24: sessions and login limits in Redis. The same store suite runs on the database store, a single
// Redis and a Redis Cluster (scripts/redis-cluster.sh); the Redis attempt store keeps the database store's
// policy and numbers, atomically. Every test uses its own key prefix.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { Hono } from "hono";
import { BaseUser, closeDatabases, connect, DatabaseConnectionError, hashPassword, parseDatabaseUrl, type Database } from "piccolo-ts";
import {
  createSessionAuth,
  DatabaseAttemptStore,
  getSessionUser,
  RedisAttemptStore,
  RedisConnection,
  RedisSessionStore,
  SessionStore,
  type AttemptRule,
  type SessionStorage,
} from "piccolo-ts/session";
import { digestSessionToken, sessionAuthApp, type LimitedBucket } from "./support/internals.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { keysUnder, redisTargets, redisUnavailable, testPrefix } from "./support/redis.js";

const MINUTE = 60_000;
const connections: RedisConnection[] = [];
after(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await closeDatabases();
});

const skipOf = new Map<string, string | undefined>();
for (const target of redisTargets) skipOf.set(target.name, await redisUnavailable(target));

function connection(url: string): RedisConnection {
  const made = new RedisConnection(url);
  connections.push(made);
  return made;
}

/** A redis-server of its own on a free loopback port, nothing persisted. */
async function startOwnRedis(): Promise<{ connection: RedisConnection; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const own = new RedisConnection(`redis://127.0.0.1:${port}`);
  for (let i = 0; ; i++) {
    try {
      await own.ensureConnected();
      break;
    } catch (error) {
      if (i >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    connection: own,
    async stop() {
      await own.close();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

type Kind = "database" | "single" | "cluster";
const kinds: Kind[] = ["database", "single", "cluster"];

for (const engine of testEngines) {
  for (const kind of kinds) {
    const target = redisTargets.find((candidate) => candidate.name === kind);
    const skip = target ? skipOf.get(kind) : undefined;
    describe(`the session store on ${kind === "database" ? `the ${engine} database` : `${kind} Redis (users on ${engine})`}`, { skip }, () => {
      let url: string;
      let outside: Database;
      let redis: RedisConnection | undefined;
      let prefix: string;
      class TestUser extends BaseUser {
        static override iterations = 1000;
      }

      before(async () => {
        url = await migratedDatabaseUrl(engine, sessionAuthApp);
        TestUser.database = url;
        outside = await connect(parseDatabaseUrl(url));
        if (target) redis = connection(target.url);
      });
      after(async () => {
        await outside?.close();
      });

      function store(options: { expiry?: number; maxExpiry?: number; extension?: number } = {}): SessionStorage {
        prefix = testPrefix();
        const common = { database: url, userTable: TestUser.tableName, ...options };
        return redis ? new RedisSessionStore({ ...common, redis, prefix }) : new SessionStore(common);
      }

      let counter = 0;
      async function user(admin = false) {
        const username = `${kind}user${++counter}`;
        return TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true, admin, superuser: admin });
      }

      test("a session resolves to its user; removing it ends it; the token is stored only as its digest", async () => {
        const sessions = store();
        const bob = await user();
        const { token, expiryDate } = await sessions.create(bob.id);
        assert.equal(await sessions.resolve(token), bob.id);
        assert.equal((await sessions.lookup(token))?.expiryDate.getTime(), expiryDate.getTime());
        if (redis) {
          const keys = await keysUnder(redis.client, prefix);
          assert.ok(keys.length >= 2, "a session key and the user's index");
          for (const key of keys) {
            assert.ok(!key.includes(token));
            const type = await redis.client.type(key);
            const value = type === "string" ? await redis.client.get(key) : JSON.stringify(await redis.client.zrange(key, 0, -1));
            assert.ok(!String(value).includes(token), `${key} holds the token`);
          }
        }
        await sessions.remove(token);
        assert.equal(await sessions.resolve(token), null);
        assert.equal(await sessions.resolve("x".repeat(43)), null);
        assert.equal(await sessions.resolve("not a token"), null);
      });

      test("log out everywhere reaches every session of the user, and only theirs", async () => {
        const sessions = store();
        const [alice, carol] = [await user(), await user()];
        const tokens = await Promise.all([1, 2, 3].map(async () => (await sessions.create(alice.id)).token));
        const other = (await sessions.create(carol.id)).token;
        assert.equal(await sessions.countForUser(alice.id), 3);
        assert.equal(await sessions.removeAllForUser(alice.id), 3);
        for (const token of tokens) assert.equal(await sessions.resolve(token), null);
        assert.equal(await sessions.resolve(other), carol.id);
        if (redis) assert.deepEqual((await keysUnder(redis.client, prefix)).filter((key) => key.includes(`u:${alice.id}}`)), []);
      });

      test("deactivated through the API, then reactivated: the stolen cookie stays dead (log out everywhere reached the store)", async () => {
        const sessions = store();
        const kim = await user();
        const tokens = await Promise.all([1, 2].map(async () => (await sessions.create(kim.id)).token));
        await TestUser.changePermissions(kim.id, { active: false });
        assert.equal(await sessions.countForUser(kim.id), 0);
        await TestUser.changePermissions(kim.id, { active: true });
        for (const token of tokens) assert.equal(await sessions.resolve(token), null);
        if (redis) assert.deepEqual((await keysUnder(redis.client, prefix)).filter((key) => key.includes(":s:")), []);
      });

      test("a password change anywhere ends the user's sessions", async () => {
        const sessions = store();
        const dave = await user();
        const { token } = await sessions.create(dave.id);
        await outside.kysely.updateTable("piccolo_user").set({ password: await hashPassword("dave-new-pass1", 1000) }).where("id", "=", dave.id).execute();
        assert.equal(await sessions.resolve(token), null);
      });

      test("a user deleted outside piccolo-ts and the id reused: the old cookie gets 401, never the new user", async () => {
        const sessions = store();
        const auth = createSessionAuth({ userClass: TestUser, rateLimit: false, store: { sessions } });
        const app = new Hono();
        app.use("*", auth.middleware());
        app.route("/auth", auth.routes());
        app.get("/whoami", auth.guard(), (c) => c.text(getSessionUser(c)!.username));
        const browser = new FakeBrowser((input, init) => app.request(input, init));
        const boss = await user(true);
        await browser.get("/auth/login");
        assert.equal((await browser.postJson("/auth/login", { username: boss.username, password: `${boss.username}-pass1` })).status, 200);
        assert.equal(await (await browser.get("/whoami")).text(), boss.username);
        await outside.kysely.deleteFrom("piccolo_user").where("id", "=", boss.id).execute();
        if (engine === "sqlite") {
          // SQLite gives the highest id again after a delete.
          const reused = await TestUser.createUser({ username: `${boss.username}new`, password: "other-pass1", email: `${boss.username}new@example.com`, active: true, admin: true, superuser: true });
          assert.equal(reused.id, boss.id);
        } else {
          await outside.kysely
            .insertInto("piccolo_user")
            .values({ id: boss.id, username: `${boss.username}new`, password: await hashPassword("other-pass1", 1000), email: `${boss.username}new@example.com`, active: true, admin: true, superuser: true })
            .execute();
        }
        assert.equal((await browser.get("/whoami")).status, 401);
        await TestUser.deleteUser(boss.id);
      });

      test("use near the end extends the expiry, never past the max expiry, and moves the key's TTL", async () => {
        const sessions = store({ expiry: 10 * MINUTE, maxExpiry: 25 * MINUTE, extension: 20 * MINUTE });
        const erin = await user();
        const { token, expiryDate, maxExpiryDate } = await sessions.create(erin.id);
        const info = await sessions.lookup(token);
        assert.equal(info?.expiryDate.getTime(), maxExpiryDate.getTime(), "moved by 20 minutes, capped at the max expiry");
        assert.ok(info!.expiryDate > expiryDate);
        if (redis) {
          const ttl = await redis.client.pttl(`${prefix}s:${digestSessionToken(token)}`);
          assert.ok(ttl > 20 * MINUTE && ttl <= 25 * MINUTE, `TTL ${ttl} ms`);
        }
      });

      if (kind !== "database") {
        test("every key has a TTL (scan of the test's prefix)", async () => {
          const sessions = store();
          const frank = await user();
          const tokens = await Promise.all([1, 2, 3, 4].map(async () => (await sessions.create(frank.id)).token));
          await sessions.remove(tokens[0]);
          await sessions.lookup(tokens[1]);
          const keys = await keysUnder(redis!.client, prefix);
          assert.equal(keys.length, 4, keys.join(", "));
          for (const key of keys) assert.ok((await redis!.client.pttl(key)) > 0, `${key} has no TTL`);
        });

        test("keys lost (eviction, a flush): at worst a logout, never another user's session", async () => {
          const sessions = store();
          const [gina, hank] = [await user(), await user()];
          const ginaToken = (await sessions.create(gina.id)).token;
          const hankToken = (await sessions.create(hank.id)).token;
          // The index lost (evicted first): the session is dead, though its key is still there.
          await redis!.client.del(`${prefix}{${prefix}u:${gina.id}}:sessions`);
          assert.equal(await sessions.resolve(ginaToken), null);
          // The session key lost: the index entry alone revives nothing.
          await redis!.client.del(`${prefix}s:${digestSessionToken(hankToken)}`);
          assert.equal(await sessions.resolve(hankToken), null);
          assert.equal(await sessions.countForUser(gina.id), 0);
        });
      }

      if (kind === "single") {
        test("after FLUSHALL old cookies get 401, never another user", async () => {
          // FLUSHALL on a Redis of its own: on the shared one it would wipe the test files running alongside.
          const own = await startOwnRedis();
          prefix = testPrefix();
          const sessions = new RedisSessionStore({ database: url, userTable: TestUser.tableName, redis: own.connection, prefix });
          const auth = createSessionAuth({ userClass: TestUser, rateLimit: false, store: { sessions }, access: { adminOnly: false } });
          const app = new Hono();
          app.use("*", auth.middleware());
          app.route("/auth", auth.routes());
          app.get("/whoami", auth.guard(), (c) => c.text(getSessionUser(c)!.username));
          const ivy = await user();
          const browser = new FakeBrowser((input, init) => app.request(input, init));
          await browser.get("/auth/login");
          assert.equal((await browser.postJson("/auth/login", { username: ivy.username, password: `${ivy.username}-pass1` })).status, 200);
          assert.equal((await browser.get("/whoami")).status, 200);
          await own.connection.client.flushall();
          const jack = await user();
          await sessions.create(jack.id);
          assert.equal((await browser.get("/whoami")).status, 401);
          await own.stop();
        });
      }
    });
  }
}

describe("Redis unreachable at start", () => {
  test("a clear error naming the URL, its password masked", async () => {
    await assert.rejects(RedisConnection.connect("redis://app:hunter2@127.0.0.1:1/0"), (error: unknown) => {
      assert.ok(error instanceof DatabaseConnectionError);
      assert.match(error.message, /^Cannot connect to the database at redis:\/\/app:\*\*\*@127\.0\.0\.1:1\/0: Redis did not answer \(.+\)\.$/);
      assert.ok(!error.message.includes("hunter2"));
      return true;
    });
  });
});

// The database store's policy, replayed on Redis with a fake clock: the same answers, attempt by attempt.
const RULES: Record<string, AttemptRule> = {
  pair: { max: 5, window: 15 * MINUTE },
  address: { max: 20, window: 15 * MINUTE },
  username: { max: 100, window: 60 * MINUTE, free: 10, step: 1000 },
};

for (const target of redisTargets) {
  describe(`login limits in ${target.name} Redis`, { skip: skipOf.get(target.name) }, () => {
    let redis: RedisConnection;
    before(() => {
      redis = connection(target.url);
    });

    test("the same answers as the database store, attempt by attempt (fake clock)", async () => {
      const database = new DatabaseAttemptStore(await migratedDatabaseUrl("sqlite", sessionAuthApp));
      const store = new RedisAttemptStore({ redis, prefix: testPrefix() });
      const start = Date.now();
      const script: [string, string, number][] = [];
      // One address, two usernames, then many addresses on one username (its growing delay).
      for (let i = 0; i < 30; i++) script.push([i % 2 ? "bob" : "amy", "203.0.113.7", i * 500]);
      for (let i = 0; i < 40; i++) script.push(["carl", `198.51.100.${i}`, 20_000 + i * 700]);
      script.push(["amy", "203.0.113.7", 16 * MINUTE]);
      // A process whose clock is behind (or whose count waited out a failover) after a window opened:
      // stamped before its start, and owed no delay, it is counted, not refused.
      script.push(["dave", "203.0.113.9", 17 * MINUTE], ["dave", "203.0.113.9", 17 * MINUTE - 600], ["erin", "203.0.113.9", 17 * MINUTE - 300]);
      for (const [name, address, offset] of script) {
        const buckets: LimitedBucket[] = [
          [`p:${name}|${address}`, RULES.pair!],
          [`a:${address}`, RULES.address!],
          [`u:${name}`, RULES.username!],
        ];
        const expected = await database.take(buckets, start + offset);
        const actual = await store.take(buckets, start + offset);
        assert.deepEqual(actual, expected, `${name} from ${address} at +${offset} ms`);
        if (expected.allowed && offset % 1500 === 0) {
          await database.refund(buckets.map(([bucket]) => bucket), expected.windowStarts);
          await store.refund(buckets.map(([bucket]) => bucket), (actual as typeof expected).windowStarts);
        }
      }
    });

    test("each counter's TTL is its window; 100 parallel takes on one key: exactly the limit", async () => {
      const prefix = testPrefix();
      const store = new RedisAttemptStore({ redis, prefix });
      const now = Date.now();
      const buckets: LimitedBucket[] = [["p:x", RULES.pair!], ["a:y", RULES.address!], ["u:z", RULES.username!]];
      const answers = await Promise.all(Array.from({ length: 100 }, () => store.take(buckets, now)));
      assert.equal(answers.filter((answer) => answer.allowed).length, 5);
      const keys = await keysUnder(redis.client, prefix);
      assert.equal(keys.length, 3);
      for (const key of keys) {
        const ttl = await redis.client.pttl(key);
        const window = key.endsWith("u:z") ? 60 * MINUTE : 15 * MINUTE;
        assert.ok(ttl > window - 60_000 && ttl <= window, `${key}: ${ttl} ms`);
      }
      await store.clear();
      assert.deepEqual(await keysUnder(redis.client, prefix), []);
    });
  });
}
