// Issue 9 items 3 and 4: `piccolo admin --trust-proxy --secure --allowed-host` behind a real reverse
// proxy on loopback (a small Node proxy that adds X-Forwarded-For/-Proto/-Host, as nginx would).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { BaseUser, closeDatabases, migrateForwards } from "piccolo-ts";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";
import { startCliAdmin, startProxy, stop } from "./support/proxy.js";
import { send, type Answer } from "./support/http.js";

after(async () => {
  await closeDatabases();
});

const cookieOf = (answer: Answer, name: string) =>
  (answer.headers["set-cookie"] ?? []).find((line) => line.startsWith(`${name}=`));

for (const engine of testEngines) {
  describe(`piccolo admin behind a reverse proxy on ${engine}`, () => {
    let url: string;
    let admin: { child: ChildProcess; port: number };
    let proxy: http.Server;
    let proxyPort: number;

    before(async () => {
      url = await freshDatabaseUrl(engine);
      await migrateForwards("all", { database: url });
      class TestUser extends BaseUser {}
      TestUser.database = url;
      await TestUser.createUser({ username: "alice", password: "alice-pass1", email: "a@example.com", active: true, admin: true, superuser: true });
      admin = await startCliAdmin(url, ["--trust-proxy", "1", "--allowed-host", "admin.example.test"]);
      proxy = await startProxy(admin.port);
      proxyPort = (proxy.address() as AddressInfo).port;
    });
    after(async () => {
      proxy?.closeAllConnections();
      await new Promise((resolve) => proxy?.close(resolve));
      if (admin) await stop(admin.child);
    });

    /** A browser at one loopback address, talking to https://admin.example.test through the proxy. */
    const browser = (from: string) => {
      let csrf = "";
      const headers = (extra: Record<string, string> = {}) => ({ host: "admin.example.test", ...extra });
      return {
        async open() {
          const page = await send(proxyPort, "/login", { headers: headers(), from });
          assert.equal(page.status, 200);
          const cookie = cookieOf(page, "__Host-csrftoken");
          assert.ok(cookie, "the CSRF cookie is __Host- over HTTPS");
          assert.match(cookie, /; Secure/i);
          assert.match(cookie, /; Path=\//i);
          csrf = cookie.split(";")[0]!.split("=")[1]!;
        },
        login(password: string, extra: Record<string, string> = {}) {
          return send(proxyPort, "/login", {
            method: "POST",
            from,
            headers: headers({
              "content-type": "application/x-www-form-urlencoded",
              origin: "https://admin.example.test",
              cookie: `__Host-csrftoken=${csrf}`,
              ...extra,
            }),
            body: new URLSearchParams({ username: "alice", password, csrftoken: csrf }).toString(),
          });
        },
      };
    };

    test("3. cookies are Secure and the origin is https://admin.example.test; each client counts on its own address", async () => {
      const attacker = browser("127.0.0.2");
      await attacker.open();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await attacker.login("wrong-password")).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      // Its own X-Forwarded-For does not make it another client: the proxy appends what it saw.
      const spoofed = await attacker.login("alice-pass1", { "x-forwarded-for": "198.51.100.9" });
      assert.equal(spoofed.status, 429);
      // The owner, behind the same proxy, is not locked out.
      const owner = browser("127.0.0.3");
      await owner.open();
      const login = await owner.login("alice-pass1");
      assert.equal(login.status, 303);
      // The session cookie is __Host-id over HTTPS: a sibling subdomain cannot plant one.
      assert.match(cookieOf(login, "__Host-id")!, /; Secure/i);
      assert.match(cookieOf(login, "__Host-id")!, /; HttpOnly/i);
      // A page on http:// (another scheme) may not post.
      const wrongScheme = await owner.login("alice-pass1", { origin: "http://admin.example.test" });
      assert.equal(wrongScheme.status, 403);
    });

    test("4. a host name that is not allowed gets 421, through the proxy and directly", async () => {
      const rebound = await send(proxyPort, "/login", { headers: { host: "rebind.attacker.example" } });
      assert.equal(rebound.status, 421);
      const direct = await send(admin.port, "/login", { headers: { host: "rebind.attacker.example" } });
      assert.equal(direct.status, 421);
      assert.equal((await send(admin.port, "/login", { headers: { host: `127.0.0.1:${admin.port}` } })).status, 200);
      assert.equal((await send(admin.port, "/login", { headers: { host: `localhost:${admin.port}` } })).status, 200);
    });

    test("--secure marks cookies Secure without a proxy; bad --trust-proxy values are refused", async () => {
      const secure = await startCliAdmin(url, ["--secure"]);
      try {
        const page = await send(secure.port, "/login", { headers: { host: `127.0.0.1:${secure.port}` } });
        assert.match(cookieOf(page, "__Host-csrftoken") ?? "", /; Secure/i);
        // Without --trust-proxy the forwarded headers are ignored: no other host, no other client address.
        const forged = await send(secure.port, "/login", { headers: { host: `127.0.0.1:${secure.port}`, "x-forwarded-host": "rebind.attacker.example" } });
        assert.equal(forged.status, 200);
      } finally {
        await stop(secure.child);
      }
      await assert.rejects(startCliAdmin(url, ["--trust-proxy", "not-an-address"]), /--trust-proxy takes a number of hops or proxy IP addresses/);
    });
  });
}
