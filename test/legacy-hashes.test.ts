// Password formats of other systems: known-answer vectors for each, then logins on every engine that
// verify them once and replace them with a Piccolo hash of the class's iteration count.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BaseUser,
  closeDatabases,
  connect,
  identifyLegacyHash,
  migrateForwards,
  parseDatabaseUrl,
  verifyLegacyHash,
  type Database,
} from "piccolo-ts";
import { parseStoredHash } from "./support/internals.js";
import { freshDatabaseUrl, testEngines } from "./support/engines.js";

/**
 * [password, stored value, where the vector comes from]. None was computed with the code under test.
 */
const VECTORS: [string, string, string][] = [
  [
    "lètmein",
    "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
    // Django's PBKDF2PasswordHasher, as its source describes it: Python's
    // base64.b64encode(hashlib.pbkdf2_hmac("sha256", password, salt, 600000)), computed with CPython 3.11.
    "Python hashlib.pbkdf2_hmac + base64 (Django 4.2's count)",
  ],
  [
    "correct horse",
    "pbkdf2_sha256$260000$aB3dE5gH7jK9mN1pQ3sT5v$Tcp6yx7Ni2LWKOrIuYAS7WH5+75Q2qofs/CHk8auz2U=",
    "Python hashlib.pbkdf2_hmac + base64 (Django 3.2's count, 22-character salt)",
  ],
  [
    "lètmein",
    "pbkdf2_sha1$1000$seasalt2$4O6tM3Kd5cOD3UmnpGuCKdAiHa8=",
    "Python hashlib.pbkdf2_hmac('sha1', …) + base64 (Django's PBKDF2SHA1PasswordHasher)",
  ],
  [
    "password",
    "argon2$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    // The argon2 reference implementation's own test vector (phc-winner-argon2 src/test.c: argon2id,
    // t=2, m=65536, p=1, "password"/"somesalt"), with `argon2` put before it as Django stores it.
    "phc-winner-argon2 src/test.c, Django's `argon2` prefix",
  ],
  [
    "password",
    "argon2$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
    "phc-winner-argon2 src/test.c (argon2i, as older Django versions stored)",
  ],
  [
    "U*U",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "Openwall crypt_blowfish's test vectors (wrapper.c)",
  ],
  [
    "U*U*U",
    "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a",
    "Openwall crypt_blowfish's test vectors (wrapper.c)",
  ],
  [
    "",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy",
    "Openwall crypt_blowfish's test vectors (wrapper.c): the empty password",
  ],
  [
    "lètmein",
    "bcrypt_sha256$$2b$05$abcdefghijklmnopqrstuuaQz6CVhbgRiZmnmiNLc9bv5cauhFkti",
    // Django's BCryptSHA256PasswordHasher: bcrypt over hexlify(sha256(password)). The SHA-256 hex
    // (1af7ea1e…ba2d) computed with Python hashlib; the bcrypt step with bcryptjs.hashSync at a fixed
    // salt, after bcryptjs reproduced the crypt_blowfish vectors above.
    "Python hashlib.sha256 hex, then bcrypt (Django's bcrypt_sha256)",
  ],
  [
    "password123",
    "0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d",
    // better-auth crypto/password.ts: scrypt(password.normalize("NFKC"), salt = the hex text, N=16384,
    // r=16, p=1, dkLen=64), computed with Python's hashlib.scrypt and unicodedata.normalize("NFKC").
    "Python hashlib.scrypt (better-auth's parameters)",
  ],
  [
    "ｐａｓｓｗｏｒｄ①",
    "fedcba9876543210fedcba9876543210:d2ed273427ef95164c5ff6bcca15b606a824f436879d7f248878c5769dc096cf4d988c8ee3609a03b55829a860bcb21bca59ea50ce8dacdcfbf468d0b83e3850",
    "Python hashlib.scrypt over NFKC('ｐａｓｓｗｏｒｄ①') = 'password1' (better-auth)",
  ],
];

test("known-answer vectors of every imported format verify, and a wrong password does not", async () => {
  for (const [password, stored, origin] of VECTORS) {
    assert.notEqual(identifyLegacyHash(stored), null, `not recognised: ${origin}`);
    assert.equal(await verifyLegacyHash(password, stored), true, `right password refused: ${origin}`);
    assert.equal(await verifyLegacyHash(`${password}x`, stored), false, `wrong password accepted: ${origin}`);
  }
});

test("better-auth normalises with NFKC: a password typed in its compatibility form is the same password", async () => {
  // better-auth stored scrypt(NFKC("password1")); a user typing the full-width form must still get in.
  const stored = VECTORS.find(([password]) => password === "ｐａｓｓｗｏｒｄ①")![1];
  assert.equal(await verifyLegacyHash("password1", stored), true);
  assert.equal(await verifyLegacyHash("ｐａｓｓｗｏｒｄ１", stored), true); // full-width digit one
});

test("only well-shaped values with bounded costs count as an imported format", () => {
  const notLegacy = [
    "pbkdf2_sha256$600000$0123456789abcdef0123456789abcdef$3ed0c190ed531edb43ff0f87843d258b1a91129c5e9c82592861bb1339282788", // Piccolo's own
    "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA", // digest cut
    "pbkdf2_sha256$99999999$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=", // too many iterations
    "$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", // cost 31
    // Just past the caps of the source systems (LEGACY_COST_CAPS).
    "pbkdf2_sha256$1200001$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
    "$2b$13$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "bcrypt_sha256$$2b$13$abcdefghijklmnopqrstuuaQz6CVhbgRiZmnmiNLc9bv5cauhFkti",
    "argon2$argon2id$v=19$m=102401,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    "argon2$argon2id$v=19$m=65536,t=5,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    "argon2$argon2id$v=19$m=65536,t=2,p=9$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    "argon2$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", // 4 GiB
    "0123456789abcdef0123456789abcdef:e8b2", // key cut
    "plaintext-password",
    "",
  ];
  for (const value of notLegacy) assert.equal(identifyLegacyHash(value), null, value.slice(0, 30));
  // At the caps they are recognised.
  const atCaps = [
    "pbkdf2_sha256$1200000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
    "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "argon2$argon2id$v=19$m=102400,t=4,p=8$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
  ];
  for (const value of atCaps) assert.notEqual(identifyLegacyHash(value), null, value.slice(0, 30));
});

after(async () => {
  await closeDatabases();
});

for (const engine of testEngines) {
  describe(`logins with imported hashes on ${engine}`, () => {
    let db: Database;
    class ImportedUser extends BaseUser {
      static override iterations = 1000;
    }
    const warnings: string[] = [];

    before(async () => {
      const url = await freshDatabaseUrl(engine);
      await migrateForwards("user", { database: url });
      ImportedUser.database = url;
      ImportedUser.logger = { warn: (message) => warnings.push(message) };
      db = await connect(parseDatabaseUrl(url));
    });
    after(async () => {
      await db.close();
    });

    const storedPassword = async (username: string) =>
      String(
        (await db.kysely.selectFrom("piccolo_user").select("password").where("username", "=", username).executeTakeFirstOrThrow())
          .password,
      );
    const plant = async (username: string, stored: string) => {
      await db.kysely
        .insertInto("piccolo_user")
        .values({ username, password: stored, email: `${username}@example.com`, first_name: "", last_name: "" })
        .execute();
    };

    test("each format logs in once, and the stored value becomes a Piccolo hash of the class's count", async () => {
      for (const [index, [password, stored, origin]] of VECTORS.entries()) {
        if (password.length < 1) continue; // the empty password cannot be typed at a login
        const username = `legacy${index}`;
        await plant(username, stored);
        assert.equal(await ImportedUser.login(username, `${password}!`), null, `wrong password logged in: ${origin}`);
        assert.equal(await storedPassword(username), stored, `a failed login changed the stored value: ${origin}`);

        const id = await ImportedUser.login(username, password);
        assert.equal(typeof id, "number", `login refused: ${origin}`);
        const upgraded = await storedPassword(username);
        assert.equal(parseStoredHash(upgraded)?.iterations, 1000, `not replaced by a Piccolo hash: ${origin}`);
        // The new hash is of the same password, and the old value no longer opens the account.
        assert.equal(await ImportedUser.login(username, password), id);
        assert.equal(await storedPassword(username), upgraded, "a second login re-hashed again");
      }
      assert.deepEqual(warnings, [], "a supported format was reported as malformed");
    });

    test("a bcrypt password longer than 72 bytes: a same-prefix variant is accepted as bcrypt did, and the hash is never upgraded from it", async () => {
      const { default: bcrypt } = await import("bcryptjs");
      const real = `${"long-passphrase-".repeat(5)}-real-end`; // 89 bytes: bcrypt reads the first 72
      const variant = `${real.slice(0, 72)}-attacker`;
      const stored = bcrypt.hashSync(real, 4);
      await plant("longpass", stored);
      warnings.length = 0;
      const id = await ImportedUser.login("longpass", variant);
      assert.equal(typeof id, "number", "bcrypt accepts any password with the same first 72 bytes");
      assert.equal(await storedPassword("longpass"), stored, "the hash was replaced from the variant bcrypt truncated");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^User \d+ logged in with a password longer than bcrypt's 72 bytes/);
      // The owner still gets in with the real password, and the hash stays bcrypt for them too.
      assert.equal(await ImportedUser.login("longpass", real), id);
      assert.equal(await storedPassword("longpass"), stored);
      // Exactly 72 bytes is read whole: upgraded as usual.
      const exact = "x".repeat(72);
      await plant("exactly72", bcrypt.hashSync(exact, 4));
      assert.equal(typeof (await ImportedUser.login("exactly72", exact)), "number");
      assert.equal(parseStoredHash(await storedPassword("exactly72"))?.iterations, 1000);
    });

    test("a value that only looks like an imported format is refused and reported by id", async () => {
      await plant("lookalike", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyO"); // cut short
      warnings.length = 0;
      assert.equal(await ImportedUser.login("lookalike", "U*U"), null);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^User \d+ has a stored password that is not a valid hash/);
      assert.doesNotMatch(warnings[0]!, /\$2a\$/);
    });

    test("checkPasswords lists imported hashes as legacy with their format, not as malformed", async () => {
      await plant("imported_check", VECTORS[0]![1]);
      const problems = await ImportedUser.checkPasswords();
      const mine = problems.find((problem) => problem.username === "imported_check");
      assert.deepEqual(mine && { problem: mine.problem, format: mine.format }, { problem: "legacy", format: "Django pbkdf2_sha256" });
      assert.equal(problems.find((problem) => problem.username === "lookalike")?.problem, "malformed");
    });
  });
}
