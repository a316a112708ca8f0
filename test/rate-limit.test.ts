// LoginRateLimiter on its own (the memory store): the pair, address and username rules, refunds, and its
// bounded memory. Through the login routes: session-routes.test.ts; on each database: session-account-limits.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LoginRateLimiter } from "piccolo-ts/session";
import { MemoryAttemptStore } from "./support/internals.js";

const MINUTE = 60_000;

describe("LoginRateLimiter (memory store)", () => {
  test("a (username, address) pair gets 5 attempts per 15 minutes; a success gives its attempt back", async () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ now: () => now });
    const tickets = [];
    for (let i = 0; i < 5; i++) {
      const decision = await limiter.begin("alice", "10.0.0.1");
      assert.equal(decision.allowed, true);
      if (decision.allowed) tickets.push(decision.ticket);
      now += MINUTE;
    }
    const refused = await limiter.begin("alice", "10.0.0.1");
    assert.deepEqual(refused, { allowed: false, retryAfter: 10 * 60 });
    await tickets[0]!.succeeded();
    await tickets[0]!.succeeded(); // once only
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, true);
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, false);
    // Another address for the same username is not locked out.
    assert.equal((await limiter.begin("alice", "10.0.0.2")).allowed, true);
    now += 10 * MINUTE; // the window has ended
    assert.equal((await limiter.begin("alice", "10.0.0.1")).allowed, true);
  });

  test("an address gets 20 attempts per 15 minutes over any usernames", async () => {
    const limiter = new LoginRateLimiter({ now: () => 0 });
    for (let i = 0; i < 20; i++) assert.equal((await limiter.begin(`guess${i}`, "192.0.2.1")).allowed, true, `attempt ${i}`);
    assert.deepEqual(await limiter.begin("alice", "192.0.2.1"), { allowed: false, retryAfter: 15 * 60 });
    assert.equal((await limiter.begin("alice", "192.0.2.2")).allowed, true);
  });

  test("a username from many addresses: 10 at once, then a delay growing by a second per attempt, never a lock-out", async () => {
    let now = 0;
    const limiter = new LoginRateLimiter({ now: () => now });
    for (let i = 0; i < 10; i++) assert.equal((await limiter.begin("alice", `10.9.0.${i}`)).allowed, true);
    // The 11th waits 1 s, the 12th 2 s more, the 13th 3 s more; refusals are not counted.
    assert.deepEqual(await limiter.begin("alice", "10.9.1.1"), { allowed: false, retryAfter: 1 });
    now += 1000;
    assert.equal((await limiter.begin("alice", "10.9.1.1")).allowed, true);
    assert.deepEqual(await limiter.begin("alice", "10.9.1.2"), { allowed: false, retryAfter: 2 });
    now += 2000;
    assert.equal((await limiter.begin("alice", "10.9.1.2")).allowed, true);
    assert.deepEqual(await limiter.begin("alice", "10.9.1.3"), { allowed: false, retryAfter: 3 });
    // A refused attempt gave back what the pair and the address had taken.
    for (let i = 0; i < 30; i++) await limiter.begin("alice", "10.9.1.3");
    now += 3000;
    assert.equal((await limiter.begin("alice", "10.9.1.3")).allowed, true);
  });

  test("an attempt stamped before its window opened (another process's clock behind, or its count delayed) is not refused when no delay is owed", async () => {
    let now = 50_000;
    const limiter = new LoginRateLimiter({ now: () => now });
    assert.equal((await limiter.begin("alice", "10.7.0.1")).allowed, true); // opens the windows at 50 000
    now = 49_400; // 600 ms behind: it used to be refused, "try again in 1 second"
    assert.equal((await limiter.begin("alice", "10.7.0.1")).allowed, true);
    assert.equal((await limiter.begin("bob", "10.7.0.1")).allowed, true);
    // A delay that is owed still holds: 10 at once for one username, then the 11th waits.
    for (let i = 0; i < 8; i++) await limiter.begin("alice", `10.7.1.${i}`);
    assert.equal((await limiter.begin("alice", "10.7.2.1")).allowed, false);
  });

  test("keys are digests, so a huge username costs no memory; the memory store stays bounded", async () => {
    const key = LoginRateLimiter.usernameKey("x".repeat(1_000_000));
    assert.ok(key.length < 60);
    assert.notEqual(key, LoginRateLimiter.usernameKey("X".repeat(1_000_000)));
    const store = new MemoryAttemptStore(50);
    const limiter = new LoginRateLimiter({ store, now: () => 0 });
    for (let i = 0; i < 200; i++) await limiter.begin(`user${i}`, `10.8.${i}.1`);
    assert.ok(store.size <= 50, `kept ${store.size} buckets`);
  });
});
