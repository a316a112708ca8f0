// Multi-host MySQL/MariaDB URLs (mysql://user:pass@h1:3306,h2:3306/db): read, checked, and never shown with
// their password. No server needed: these run in every pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, DatabaseConnectionError, closeDatabases, maskPassword, migrationStatus, parseDatabaseUrl } from "piccolo-ts";

test("a multi-host URL is a mysql target whose display form hides the password", () => {
  const url = "mysql://app:s3cret%2Fpw@db1.internal:3306,db2.internal:3307,[::1]:3308/shop?connectTimeout=2000";
  const target = parseDatabaseUrl(url);
  assert.equal(target.engine, "mysql");
  assert.equal(target.url, url);
  assert.equal(target.displayUrl, "mysql://app:***@db1.internal:3306,db2.internal:3307,[::1]:3308/shop?connectTimeout=2000");
  assert.ok(!maskPassword(url).includes("s3cret"));
  assert.equal(parseDatabaseUrl("mariadb://app@h1,h2/db").displayUrl, "mariadb://app@h1,h2/db");
});

test("a malformed host list is a ConfigError that names the problem, without the password", () => {
  for (const [url, words] of [
    ["mysql://app:pw@h1:3306,,h3:3306/db", /empty entry/],
    ["mysql://app:pw@h1:3306,h2:99999/db", /port out of range/],
    ["mysql://app:pw@h1:3306,h2:33a/db", /cannot be read/],
  ] as const) {
    assert.throws(() => parseDatabaseUrl(url), (error: Error) => {
      assert.ok(error instanceof ConfigError, `${url}: ${String(error)}`);
      assert.match(error.message, words);
      assert.ok(!error.message.includes(":pw@"), error.message);
      return true;
    });
  }
});

test("when no listed server answers, the error is a DatabaseConnectionError with the masked URL", async () => {
  // Ports 1 and 2 on loopback refuse at once.
  await assert.rejects(migrationStatus({ database: "mysql://root:topsecret@127.0.0.1:1,127.0.0.1:2/nothing" }), (error: Error) => {
    assert.ok(error instanceof DatabaseConnectionError, String(error));
    assert.ok(!error.message.includes("topsecret"), error.message);
    assert.match(error.message, /127\.0\.0\.1:1,127\.0\.0\.1:2/);
    return true;
  });
  await closeDatabases();
});
