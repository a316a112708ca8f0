// Issue 19, attack 3 and the IPv6 note: the login rate limit counts accounts and networks, not spellings
// and addresses. All spellings and identifiers of one account (case, email, Unicode variants) share its
// per-account and per-(account, address) limits; unknown names are counted by their folded form; an IPv6
// client is counted by its /64 and an IPv4-mapped one as IPv4. On every engine, with the database store.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";
import { FakeBrowser } from "./support/browser.js";
import { createSessionAuth, LoginRateLimiter, rateLimitedAddress } from "piccolo-ts/session";
import { sessionAuthApp } from "./support/internals.js";


after(async () => {
  await closeDatabases();
});

test("rateLimitedAddress: IPv6 by its /64, IPv4-mapped IPv6 as IPv4, IPv4 as is", () => {
  assert.equal(rateLimitedAddress("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(rateLimitedAddress("2001:DB8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  assert.equal(rateLimitedAddress("[2001:db8:1:2::5]"), "2001:db8:1:2::/64");
  assert.equal(rateLimitedAddress("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  assert.equal(rateLimitedAddress("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(rateLimitedAddress("::ffff:cb00:7107"), "203.0.113.7");
  assert.equal(rateLimitedAddress("203.0.113.7"), "203.0.113.7");
  assert.equal(LoginRateLimiter.addressKey("2001:db8:1:2::1"), LoginRateLimiter.addressKey("2001:db8:1:2:9:9:9:9"));
  assert.notEqual(LoginRateLimiter.addressKey("2001:db8:1:2::1"), LoginRateLimiter.addressKey("2001:db8:1:3::1"));
  assert.equal(LoginRateLimiter.pairKey("u", "::ffff:203.0.113.7"), LoginRateLimiter.pairKey("u", "203.0.113.7"));
});

for (const engine of testEngines) {
  describe(`one limit per account on ${engine}`, () => {
    let url: string;
    class FoldedUser extends BaseUser {
      static override iterations = 1000;
      static override caseInsensitiveUsernames = true;
    }
    class EmailUser extends BaseUser {
      static override iterations = 1000;
      static override loginWithEmail = true;
    }
    class ExactUser extends BaseUser {
      static override iterations = 1000;
    }

    before(async () => {
      url = await migratedDatabaseUrl(engine, sessionAuthApp, "user_case_insensitive");
      for (const cls of [FoldedUser, EmailUser, ExactUser]) cls.database = url;
      await FoldedUser.createUser({ username: "victim", password: "victim-pass1", email: "Victim@Example.com", active: true });
      await FoldedUser.createUser({ username: "straße", password: "strasse-pass1", email: "s@example.com", active: true });
      await FoldedUser.createUser({ username: "Élodie", password: "elodie-pass1", email: "e@example.com", active: true });
    });

    /**
     * The session routes on `cls`, the database rate limit on a frozen clock (so the per-account delay
     * never lets a further attempt through: counts, not timing), cleared first. `attempt` logs in from
     * an address, each address a browser of its own.
     */
    async function site(cls: typeof BaseUser) {
      const limiter = new LoginRateLimiter({ store: "database", database: url, now: () => Date.UTC(2026, 0, 1) });
      await limiter.clear();
      const app = new Hono();
      app.route("/auth", createSessionAuth({ userClass: cls, access: { adminOnly: false }, rateLimit: limiter }).routes());
      const browsers = new Map<string, FakeBrowser>();
      const attempt = async (username: string, password: string, address: string): Promise<number> => {
        let browser = browsers.get(address);
        if (!browser) {
          browser = new FakeBrowser((target, init) => app.request(target, init, { incoming: { socket: { remoteAddress: address } } }));
          await browser.get("/auth/login");
          browsers.set(address, browser);
        }
        return (await browser.postJson("/auth/login", { username, password })).status;
      };
      return { attempt };
    }
    const count = (statuses: number[]) => statuses.reduce<Record<number, number>>((all, s) => ({ ...all, [s]: (all[s] ?? 0) + 1 }), {});

    async function spellingsFromOneAddress(cls: typeof BaseUser, spellings: string[], address: string) {
      const { attempt } = await site(cls);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await attempt(spellings[i % spellings.length]!, "wrong-pass", address));
      return { attempt, statuses: count(statuses) };
    }

    test("case-insensitive names: victim, Victim, VICTIM, vIcTiM from one address share 5 tries", async () => {
      const { attempt, statuses } = await spellingsFromOneAddress(FoldedUser, ["victim", "Victim", "VICTIM", "vIcTiM"], "198.51.100.10");
      assert.deepEqual(statuses, { 401: 5, 429: 15 });
      // Locked out from that address only: the owner logs in from elsewhere.
      assert.equal(await attempt("Victim", "victim-pass1", "198.51.100.11"), 200);
    });

    test("case-insensitive names: three spellings from 30 addresses share the account's 10", async () => {
      const { attempt } = await site(FoldedUser);
      const statuses: number[] = [];
      const spellings = ["victim", "Victim", "VICTIM"];
      for (let i = 0; i < 30; i++) statuses.push(await attempt(spellings[i % 3]!, "wrong-pass", `203.0.113.${i + 1}`));
      assert.deepEqual(count(statuses), { 401: 10, 429: 20 });
    });

    test("Unicode variants: straße, STRASSE, Strasse and a decomposed É share one account's tries", async () => {
      const strasse = await spellingsFromOneAddress(FoldedUser, ["straße", "STRASSE", "Strasse", "STRAßE"], "198.51.100.20");
      assert.deepEqual(strasse.statuses, { 401: 5, 429: 15 });
      const elodie = await spellingsFromOneAddress(FoldedUser, ["Élodie", "E\u0301lodie", "ÉLODIE", "élodie"], "198.51.100.21");
      assert.deepEqual(elodie.statuses, { 401: 5, 429: 15 });
    });

    test("email login: the username and each case of the email share 5 tries", async () => {
      const ids = ["victim", "Victim@Example.com", "victim@example.com", "VICTIM@EXAMPLE.COM"];
      const { attempt, statuses } = await spellingsFromOneAddress(EmailUser, ids, "198.51.100.30");
      assert.deepEqual(statuses, { 401: 5, 429: 15 });
      assert.equal(await attempt("VICTIM@example.COM", "victim-pass1", "198.51.100.31"), 200);
    });

    test("unknown names are counted by their folded form: ghost, GHOST, Ghost share 5 tries", async () => {
      const { statuses } = await spellingsFromOneAddress(ExactUser, ["ghost", "GHOST", "Ghost", "gHoSt"], "198.51.100.40");
      assert.deepEqual(statuses, { 401: 5, 429: 15 });
    });

    test("another account from the same address keeps its own tries", async () => {
      const { attempt, statuses } = await spellingsFromOneAddress(FoldedUser, ["victim", "VICTIM"], "198.51.100.50");
      assert.deepEqual(statuses, { 401: 5, 429: 15 });
      assert.equal(await attempt("STRASSE", "strasse-pass1", "198.51.100.50"), 200);
    });

    test("IPv6: addresses of one /64 share the per-address tries; another /64 has its own", async () => {
      const { attempt } = await site(ExactUser);
      const statuses: number[] = [];
      for (let i = 1; i <= 8; i++) statuses.push(await attempt("victim", "wrong-pass", `2001:db8:1:2::${i.toString(16)}`));
      assert.deepEqual(count(statuses), { 401: 5, 429: 3 });
      assert.equal(await attempt("victim", "wrong-pass", "2001:db8:1:3::1"), 401);
      // 20 unknown names over 20 addresses of one /64: the address limit, then 429 for any name.
      const spread = await site(ExactUser);
      const names: number[] = [];
      for (let i = 1; i <= 21; i++) names.push(await spread.attempt(`nobody${i}`, "wrong-pass", `2001:db8:9:9:${i.toString(16)}::1`));
      assert.deepEqual(count(names), { 401: 20, 429: 1 });
    });

    test("IPv4-mapped IPv6 is the IPv4 client: 203.0.113.70, ::ffff:203.0.113.70 and ::ffff:cb00:7146 share 5 tries", async () => {
      const { attempt } = await site(ExactUser);
      const statuses: number[] = [];
      const forms = ["203.0.113.70", "::ffff:203.0.113.70", "::ffff:cb00:7146"];
      for (let i = 0; i < 8; i++) statuses.push(await attempt("victim", "wrong-pass", forms[i % 3]!));
      assert.deepEqual(count(statuses), { 401: 5, 429: 3 });
    });
  });
}
