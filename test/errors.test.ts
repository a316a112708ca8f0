// The error table (src/errors.ts): every code a PiccoloError carries is one of PICCOLO_ERROR_CODES, each
// code of the table is thrown somewhere in src/, and a bad option is a ConfigError whichever entry point
// it is given to (before: RangeError, ValidationError or PiccoloError("CONFIG") depending on the file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import * as root from "piccolo-ts";
import {
  PICCOLO_ERROR_CODES,
  PiccoloError,
  ConfigError,
  BaseUser,
  ApiTokens,
  configureHashing,
  connect,
  openDatabase,
  parseDatabaseUrl,
  type DatabaseTarget,
} from "piccolo-ts";
import { createSessionAuth, LoginRateLimiter, SessionStore } from "piccolo-ts/session";
import { createAdminApp } from "piccolo-ts/admin";
import { root as checkout } from "./support/cli.js";
import { readPage, section } from "./support/doc-blocks.js";

test("every code of the table has its own message, a sentence", () => {
  const messages = Object.values(PICCOLO_ERROR_CODES);
  assert.ok(messages.length >= 10);
  assert.equal(new Set(messages).size, messages.length, "two codes share a message");
  for (const [code, message] of Object.entries(PICCOLO_ERROR_CODES)) {
    assert.match(code, /^[A-Z][A-Z_]*$/);
    assert.match(message, /^[A-Z].*[.!]$/, code);
  }
  // Without a message of its own, an error says its code's default one.
  assert.equal(new PiccoloError(undefined, "BUSY").message, PICCOLO_ERROR_CODES.BUSY);
  assert.equal(new root.LastSuperuserError().message, PICCOLO_ERROR_CODES.LAST_SUPERUSER);
});

test("every error class the package exports is a PiccoloError whose code is in the table", () => {
  const classes = Object.entries(root).filter(
    ([, value]) => typeof value === "function" && (value === PiccoloError || value.prototype instanceof PiccoloError),
  ) as [string, new (...args: never[]) => PiccoloError][];
  assert.ok(classes.length >= 12, classes.map(([name]) => name).join(", "));
  for (const [name, ErrorClass] of classes) {
    // Each constructor takes strings or numbers first; a code argument, where there is one, is the table's.
    const error = new (ErrorClass as unknown as new (...args: unknown[]) => PiccoloError)("username", "USER_EXISTS");
    assert.equal(error.name, name);
    assert.ok(Object.hasOwn(PICCOLO_ERROR_CODES, error.code), `${name} has the code ${error.code}, not in the table`);
  }
});

/** src/ files, without the table itself. */
function sourcesBesidesTable(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith(".ts")) texts.push(readFileSync(file, "utf8"));
    }
  };
  walk(path.join(checkout, "src"));
  const errors = readFileSync(path.join(checkout, "src/error-codes.ts"), "utf8");
  const table = /export const PICCOLO_ERROR_CODES = \{[\s\S]*?\n\}/.exec(errors);
  assert.ok(table, "src/error-codes.ts has the table");
  return texts.join("\n").replace(table[0], "");
}

test("every code of the table is thrown somewhere in src/ (no code is left over from a removed failure)", () => {
  const sources = sourcesBesidesTable();
  for (const code of Object.keys(PICCOLO_ERROR_CODES)) {
    assert.ok(sources.includes(`"${code}"`), `the code ${code} is in the table but nothing throws it`);
  }
});

test("no bad option is a RangeError or a TypeError any more: src/ throws ConfigError for options", () => {
  assert.doesNotMatch(sourcesBesidesTable(), /new (RangeError|TypeError)\(/);
});

/** `run` throws a ConfigError whose message contains `mentions`. */
function assertConfigError(run: () => unknown, mentions: RegExp, what: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `${what}: ${String(error)}`);
    assert.equal(error.code, "CONFIG");
    assert.match(error.message, mentions, what);
    return true;
  });
}

test("bad options of createSessionAuth, createAdminApp, the stores and the limiter are ConfigErrors", () => {
  const session: [string, Parameters<typeof createSessionAuth>[0], RegExp][] = [
    ["trustProxy entry", { deployment: { trustProxy: ["10.0.0.300"] } }, /trustProxy/],
    ["trustProxy hops", { deployment: { trustProxy: -1 } }, /trustProxy/],
    ["bodyLimit", { bodyLimit: -1 }, /bodyLimit/],
    ["trustedOrigins", { csrf: { trustedOrigins: ["not an origin"] } }, /trustedOrigins/],
    ["expiry", { store: { expiry: 0 } }, /expiry/],
    ["maxExpiry", { store: { expiry: 60_000, maxExpiry: 1_000 } }, /maxExpiry/],
    ["tokens", { store: { tokens: "plain" as "digest" } }, /tokens/],
    ["requireMfa", { requireMfa: "everyone" as "all" }, /requireMfa/],
    ["sharedTimeZone", { store: { tokens: "piccolo", sharedTimeZone: "Mars/Olympus_Mons" } }, /time zone/],
  ];
  for (const [what, options, mentions] of session) {
    assertConfigError(() => createSessionAuth({ userClass: BaseUser, ...options }), mentions, `createSessionAuth ${what}`);
    assertConfigError(() => createAdminApp({ userClass: BaseUser, ...options }), mentions, `createAdminApp ${what}`);
  }
  assertConfigError(() => createAdminApp({ pageSize: 0 }), /pageSize/, "createAdminApp pageSize");
  assertConfigError(() => new SessionStore({ extension: -5 }), /extension/, "SessionStore extension");
  assertConfigError(() => new LoginRateLimiter({ store: "memory", username: { max: 0, window: 60_000 } }), /max/, "LoginRateLimiter max");
  assertConfigError(() => new LoginRateLimiter({ store: "memory", address: { max: 5, window: 0 } }), /window/, "LoginRateLimiter window");
  assertConfigError(() => new ApiTokens({ tokens: "plain" as "digest" }), /tokens/, "ApiTokens tokens");
});

test("bad options of configureHashing and of the database functions are ConfigErrors", async () => {
  assertConfigError(() => configureHashing({ threads: 0 }), /threads/, "configureHashing threads");
  assertConfigError(() => configureHashing({ maxQueue: -1 }), /maxQueue/, "configureHashing maxQueue");
  assertConfigError(() => parseDatabaseUrl("redis://localhost"), /redis/, "parseDatabaseUrl scheme");
  await assert.rejects(connect({ engine: "oracle" } as unknown as DatabaseTarget), ConfigError);
  await assert.rejects(async () => openDatabase("sqlite:app.sqlite?journal_mode=sideways"), ConfigError);
});

test("docs/api.md's Errors table lists every code of the table, once", () => {
  const { text } = section(readPage("docs/api.md"), "Errors");
  const documented = [...text.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]!);
  assert.deepEqual([...documented].sort(), Object.keys(PICCOLO_ERROR_CODES).sort());
});
