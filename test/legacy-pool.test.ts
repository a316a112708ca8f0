// Issue 19: checks of imported hashes (Django PBKDF2, argon2, bcrypt, better-auth's scrypt) run on the
// bounded hash pool like Piccolo's own: libuv's pool stays free for the file system while they run, and a
// flood of them is refused with BusyError past the queue. The engine does not matter here (SQLite).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { stat } from "node:fs/promises";
import { hash as argon2Hash } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import {
  BaseUser,
  BusyError,
  closeDatabases,
  configureHashing,
  connect,
  hasherInfo,
  migrateForwards,
  parseDatabaseUrl,
  verifyLegacyHash,
  type Database,
} from "piccolo-ts";
import { freshDatabaseUrl } from "./support/engines.js";

/** Stored values of every imported format at the caps of LEGACY_COST_CAPS (the password is "right-pass"). */
async function hashesAtCaps(): Promise<Record<string, string>> {
  const password = "right-pass";
  const djangoSalt = "capsalt123";
  const pbkdf2 = pbkdf2Sync(password, djangoSalt, 1_200_000, 32, "sha256").toString("base64");
  const argon2 = await argon2Hash(password, { memoryCost: 102_400, timeCost: 4, parallelism: 8, algorithm: 2 /* argon2id */ });
  const scryptSalt = randomBytes(16).toString("hex");
  const scrypt = scryptSync(password.normalize("NFKC"), scryptSalt, 64, { N: 16384, r: 16, p: 1, maxmem: 64 * 1024 * 1024 }).toString("hex");
  return {
    django_pbkdf2_sha256: `pbkdf2_sha256$1200000$${djangoSalt}$${pbkdf2}`,
    django_argon2: `argon2${argon2}`,
    bcrypt: bcrypt.hashSync(password, 12),
    better_auth_scrypt: `${scryptSalt}:${scrypt}`,
  };
}

let hashes: Record<string, string>;
let db: Database;
class ImportedUser extends BaseUser {
  static override iterations = 1000;
}

before(async () => {
  hashes = await hashesAtCaps();
  const url = await freshDatabaseUrl("sqlite");
  await migrateForwards("user", { database: url });
  ImportedUser.database = url;
  db = await connect(parseDatabaseUrl(url));
  for (const [format, stored] of Object.entries(hashes)) {
    await db.kysely.insertInto("piccolo_user").values({ username: format, password: stored, email: `${format}@example.com`, first_name: "", last_name: "" }).execute();
  }
});
after(async () => {
  configureHashing();
  await db.close();
  await closeDatabases();
});

test("the caps' hashes verify (right password) and refuse a wrong one", async () => {
  for (const [format, stored] of Object.entries(hashes)) {
    assert.equal(await verifyLegacyHash("right-pass", stored), true, format);
    assert.equal(await verifyLegacyHash("wrong-pass", stored), false, format);
  }
});

/** Runs fs.stat one after another until `work` settles; answers each stat's time in milliseconds. */
async function statsDuring(work: Promise<unknown>): Promise<number[]> {
  let done = false;
  void work.finally(() => (done = true));
  const times: number[] = [];
  while (!done) {
    const started = performance.now();
    await stat(new URL(import.meta.url));
    times.push(performance.now() - started);
  }
  await work;
  return times;
}

for (const formats of [["django_argon2", "django_argon2", "django_argon2", "django_argon2"], ["django_argon2", "bcrypt", "django_pbkdf2_sha256", "better_auth_scrypt"]]) {
  test(`fs.stat stays under 20 ms while 4 wrong logins run against imported hashes at the caps (${formats.join(", ")})`, async () => {
    configureHashing();
    const completedBefore = hasherInfo().completed;
    const started = performance.now();
    let firstLogin = Infinity;
    const logins = Promise.all(
      formats.map((format) => ImportedUser.login(format, "wrong-pass").finally(() => (firstLogin = Math.min(firstLogin, performance.now() - started)))),
    );
    // On libuv's pool (4 threads) the checks held every thread: the first stat waited for a whole check,
    // and 20 in a row ended about when the first login did.
    let twentyStats = Infinity;
    const firstStats = (async () => {
      for (let i = 0; i < 20; i++) await stat(new URL(import.meta.url));
      twentyStats = performance.now() - started;
    })();
    const times = await statsDuring(Promise.all([logins, firstStats]));
    assert.deepEqual(await logins, [null, null, null, null]);
    assert.ok(
      twentyStats < firstLogin / 4,
      `20 stats in a row took ${twentyStats.toFixed(1)} ms, the first login ${firstLogin.toFixed(1)} ms: the stats waited for the checks`,
    );
    // The median, not the slowest: a loaded machine (the CI runner, other processes) deschedules the event
    // loop now and then, which no design of ours prevents.
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    assert.ok(median < 20, `fs.stat took ${median.toFixed(1)} ms (median of ${times.length}) while legacy checks ran`);
    // The legacy checks and the padding hashes after them all ran on the pool.
    assert.equal(hasherInfo().completed - completedBefore, 8);
  });
}

test("a flood of legacy checks is refused with BusyError past the queue, for every format", async () => {
  const cheap = {
    django_pbkdf2_sha256: `pbkdf2_sha256$20000$floodsalt$${pbkdf2Sync("p", "floodsalt", 20000, 32, "sha256").toString("base64")}`,
    django_argon2: `argon2${await argon2Hash("p", { memoryCost: 4096, timeCost: 2, parallelism: 1, algorithm: 2 })}`,
    bcrypt: bcrypt.hashSync("p", 6),
    better_auth_scrypt: hashes.better_auth_scrypt!,
  };
  try {
    for (const [format, stored] of Object.entries(cheap)) {
      configureHashing({ threads: 1, maxQueue: 3 });
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => verifyLegacyHash("p", stored)));
      const answered = results.filter((result) => result.status === "fulfilled").length;
      const refused = results.filter((result) => result.status === "rejected" && result.reason instanceof BusyError).length;
      assert.deepEqual({ answered, refused }, { answered: 4, refused: 8 }, format);
      assert.equal(hasherInfo().completed, 4, `${format}: the refused checks did no work`);
    }
  } finally {
    configureHashing();
  }
});
