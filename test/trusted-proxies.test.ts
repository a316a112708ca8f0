// trustProxy as a list of proxies: addresses and subnets (IPv4, IPv6, IPv4-mapped peers), checked against
// the socket's peer and, from the right, the X-Forwarded-For chain. No database: the client address is
// worked out before any query.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { BaseUser, ConfigError } from "piccolo-ts";
import { createSessionAuth } from "piccolo-ts/session";
import type * as AdminCommand from "../dist/cli/commands/admin.js";

const { parseTrustProxy } = (await import(new URL("../../dist/cli/commands/admin.js", import.meta.url).href)) as typeof AdminCommand;

function clientSeenBy(trustProxy: readonly string[]) {
  const auth = createSessionAuth({ userClass: BaseUser, deployment: { trustProxy } });
  const app = new Hono();
  app.get("/who", (c) => c.text(`${auth.clientAddress(c)} ${auth.deployment.isSecure(c) ? "https" : "http"}`));
  return async (peer: string, forwardedFor?: string) => {
    const headers: Record<string, string> = { "x-forwarded-proto": "https" };
    if (forwardedFor !== undefined) headers["x-forwarded-for"] = forwardedFor;
    const response = await app.request("/who", { headers }, { incoming: { socket: { remoteAddress: peer } } });
    return response.text();
  };
}

test("trustProxy subnets: the headers count only from a listed peer; listed hops are skipped from the right", async () => {
  const seen = clientSeenBy(["10.0.0.0/8", "fd00::/8", "192.168.1.10"]);
  // A peer inside 10.0.0.0/8, and a second proxy inside it too: the client is the entry before both.
  assert.equal(await seen("10.0.0.5", "203.0.113.9, 10.200.0.7"), "203.0.113.9 https");
  // The client's own forged entries to the left change nothing.
  assert.equal(await seen("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.200.0.7"), "203.0.113.9 https");
  // IPv4-mapped peer (a dual-stack socket) and an IPv6 subnet.
  assert.equal(await seen("::ffff:10.1.1.1", "198.51.100.1"), "198.51.100.1 https");
  assert.equal(await seen("fd00::1", "2001:db8::5"), "2001:db8::5 https");
  // A single address is only that address; outside the list nothing forwarded is believed.
  assert.equal(await seen("192.168.1.10", "198.51.100.2"), "198.51.100.2 https");
  assert.equal(await seen("192.168.1.11", "198.51.100.2"), "192.168.1.11 http");
  assert.equal(await seen("203.0.113.50", "1.2.3.4"), "203.0.113.50 http");
  assert.equal(await seen("fe80::1", "1.2.3.4"), "fe80::1 http");
});

test("trustProxy entries that are not addresses or subnets are refused when the app is made, naming the entry", () => {
  for (const entry of ["10.0.0.0/33", "fd00::/129", "not-an-ip", "10.0.0.0/", "10.0.0.0/8/8", "", "10.0.0.0/-1"]) {
    assert.throws(() => createSessionAuth({ userClass: BaseUser, deployment: { trustProxy: [entry] } }), (error: unknown) => error instanceof ConfigError && error.message.includes(`"${entry}"`), entry);
  }
});

test("piccolo admin --trust-proxy takes hops, addresses and subnets, and refuses anything else as a usage error", () => {
  assert.equal(parseTrustProxy("2"), 2);
  assert.deepEqual(parseTrustProxy("10.0.0.5, 10.0.0.0/8,[::1],fd00::/8"), ["10.0.0.5", "10.0.0.0/8", "[::1]", "fd00::/8"]);
  for (const bad of ["10.0.0.0/33", "proxy.internal", ",", "10.0.0.5,nope"]) {
    assert.throws(() => parseTrustProxy(bad), (error: unknown) => (error as { exitCode?: number }).exitCode === 2 && /subnets/.test(String((error as Error).message)), bad);
  }
});
