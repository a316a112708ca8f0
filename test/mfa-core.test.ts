// Two-factor authentication in the user layer, against piccolo_api's own outputs
// (test/fixtures/piccolo-api/mfa.json, a copy of shared/piccolo-vectors/mfa.json): every pure vector
// reproduced, Python's stored rows read, and rows written in the form Python's readers take.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { BaseUser, ConfigError, MfaAuthenticator, MfaError, closeDatabases, type Database } from "piccolo-ts";
import {
  createMfaEncryption,
  generateMfaKey,
  hashRecoveryCodes,
  normalizeRecoveryCode,
  normalizeTotpCode,
  provisioningUri,
  totpCode,
} from "./support/internals.js";
import type * as EncryptionModule from "../dist/user/mfa/encryption.js";
import type * as TotpModule from "../dist/user/mfa/totp.js";
import type * as RecoveryModule from "../dist/user/mfa/recovery-codes.js";
import { root } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { migratedDatabaseUrl } from "./support/migrated.js";

after(() => closeDatabases());

// Internals with no public export: the fixed-nonce and fixed-IV forms the vectors were made with.
const load = async <T>(file: string) => (await import(new URL(`../../dist/${file}`, import.meta.url).href)) as T;
const { sealXchacha, fernetToken } = await load<typeof EncryptionModule>("user/mfa/encryption.js");
const { matchTotpStep, totpCodeAt } = await load<typeof TotpModule>("user/mfa/totp.js");
const { matchRecoveryCode } = await load<typeof RecoveryModule>("user/mfa/recovery-codes.js");

type Cell = { stored?: unknown; text?: unknown };
const mfa = JSON.parse(readFileSync(path.join(root, "test/fixtures/piccolo-api/mfa.json"), "utf8"));
const pure = mfa.pure;
const KEY = pure.key_hex as string;
const hex = (text: string) => Buffer.from(text, "hex");

describe("MFA vectors of piccolo_api (no database)", () => {
  const xchacha = createMfaEncryption({ provider: "xchacha20", key: KEY });
  const fernet = createMfaEncryption({ provider: "fernet", key: pure.fernet_key });
  const plain = createMfaEncryption({ provider: "plain" });

  for (const vector of pure.secrets) {
    it(`encrypts and decrypts ${vector.secret} exactly as piccolo_api (xchacha20, fernet, plain)`, () => {
      const sealed = Buffer.from(sealXchacha(hex(KEY), hex(vector.xchacha20.nonce_hex), Buffer.from(vector.secret))).toString("hex");
      assert.equal(`xchacha20-${sealed}`, vector.xchacha20.stored);
      assert.equal(vector.xchacha20.stored.length, vector.xchacha20.stored_length);
      assert.equal(xchacha.decrypt(vector.xchacha20.stored), vector.secret);
      assert.equal(xchacha.decrypt(vector.xchacha20.random_nonce_example), vector.xchacha20.random_nonce_example_decrypts_to);
      const token = fernetToken(Buffer.from(pure.fernet_key, "base64url"), Buffer.from(vector.secret), hex(vector.fernet.iv_hex), vector.fernet.timestamp);
      assert.equal(`fernet-${token}`, vector.fernet.stored);
      assert.equal(fernet.decrypt(vector.fernet.stored), vector.secret);
      assert.equal(fernet.decrypt(vector.fernet.random_iv_example), vector.fernet.random_iv_example_decrypts_to);
      assert.equal(plain.encrypt(vector.secret), vector.plain.stored);
      assert.equal(plain.decrypt(vector.plain.stored), vector.secret);
      // What we write, Python's provider reads: same layout, so a round trip through our own reader stands for it.
      assert.match(xchacha.encrypt(vector.secret), /^xchacha20-[0-9a-f]+$/);
      assert.equal(xchacha.encrypt(vector.secret).length, vector.secret.length * 2 + 10 + 80);
      assert.equal(xchacha.decrypt(xchacha.encrypt(vector.secret)), vector.secret);
      assert.equal(fernet.decrypt(fernet.encrypt(vector.secret)), vector.secret);
    });

    it(`makes pyotp's codes for ${vector.secret} at every time, accepting ±1 step and no more`, () => {
      for (const { unix_time, counter, code } of vector.totp) {
        assert.equal(totpCodeAt(vector.secret, counter), code, `t=${unix_time}`);
        assert.equal(totpCode(vector.secret, unix_time * 1000), code, `t=${unix_time}`);
      }
      const at = 1234567890_000;
      const [before, now, next] = vector.totp_window1_at_1234567890 as string[];
      assert.equal(matchTotpStep(vector.secret, now!, at), 41152263);
      assert.equal(matchTotpStep(vector.secret, before!, at), 41152262);
      assert.equal(matchTotpStep(vector.secret, next!, at), 41152264);
      assert.equal(matchTotpStep(vector.secret, totpCodeAt(vector.secret, 41152261), at), null, "two steps ago is refused");
      assert.equal(matchTotpStep(vector.secret, totpCodeAt(vector.secret, 41152265), at), null, "two steps ahead is refused");
    });
  }

  it("builds the provisioning URIs byte for byte (issuer and account quoted as Python's quote does)", () => {
    const [first] = pure.secrets;
    assert.equal(provisioningUri(first.secret, "alice@example.com"), first.provisioning_uri_default_issuer);
    assert.equal(provisioningUri(first.secret, "bob+mfa@example.com", "My App & Co"), first.provisioning_uri_special_chars);
    for (const run of Object.values(mfa.db_runs) as { provisioning_uri: string; create_new: { decrypted_secret: string } }[]) {
      assert.equal(provisioningUri(run.create_new.decrypted_secret, "dave@example.com"), run.provisioning_uri);
    }
  });

  it("matches the RFC 6238 cross-check (pyotp's 6 digits of the 8-digit reference codes)", () => {
    const check = pure.rfc6238_cross_check;
    for (const [time, code] of Object.entries(check.pyotp_6digit as Record<string, string>)) {
      assert.equal(totpCode(check.secret_b32, Number(time) * 1000), code);
      assert.equal(check.rfc6238_8digit_sha1[time].slice(2), code);
    }
  });

  it("hashes recovery codes as piccolo_api does (one salt for the set) and matches its generated set", async () => {
    const fixed = pure.recovery_codes.fixed_salt_hashes as { code: string; stored: string }[];
    assert.deepEqual(await hashRecoveryCodes(fixed.map((v) => v.code), pure.recovery_codes.fixed_salt), fixed.map((v) => v.stored));
    const generated = pure.recovery_codes.generated_example as { codes: { code: string; stored: string }[] };
    const stored = generated.codes.map((c) => c.stored);
    assert.equal(await matchRecoveryCode(generated.codes[5]!.code, stored), 5);
    assert.equal(await matchRecoveryCode("aaaaaa-aaaaaa", stored), -1);
  });

  it("reads typed codes forgivingly but never as something else", () => {
    assert.equal(normalizeTotpCode("123 456"), "123456");
    assert.equal(normalizeTotpCode("１２３４５６"), "123456", "full-width digits, as pyotp's NFKC");
    assert.equal(normalizeTotpCode(123456), null, "a JSON number is no code (piccolo_api: a 500)");
    assert.equal(normalizeTotpCode("1".repeat(200)), null);
    assert.equal(normalizeTotpCode("12345"), null);
    assert.equal(normalizeRecoveryCode("ABCDEF 123456"), "abcdef-123456");
    assert.equal(normalizeRecoveryCode("abcdef-12345"), null);
  });

  it("refuses a missing or malformed key at start-up, and a wrong key or foreign provider with a clear MfaError", () => {
    const saved = process.env.PICCOLO_MFA_KEY;
    delete process.env.PICCOLO_MFA_KEY;
    try {
      assert.throws(() => new MfaAuthenticator(), (e: unknown) => e instanceof ConfigError && /PICCOLO_MFA_KEY/.test(e.message));
      assert.throws(() => createMfaEncryption({ key: "abc" }), (e: unknown) => e instanceof ConfigError && /64 hex digits/.test(e.message));
      assert.throws(() => createMfaEncryption({ provider: "fernet", key: KEY }), ConfigError);
      process.env.PICCOLO_MFA_KEY = generateMfaKey();
      assert.equal(new MfaAuthenticator().encryption.provider, "xchacha20");
      assert.throws(() => createMfaEncryption({ key: generateMfaKey() }).decrypt(pure.secrets[0].xchacha20.stored), (e: unknown) => e instanceof MfaError && /cannot be decrypted/.test(e.message));
      assert.throws(() => xchachaOf(KEY).decrypt(pure.secrets[0].fernet.stored), (e: unknown) => e instanceof MfaError && /stored with fernet/.test(e.message));
      assert.equal(createMfaEncryption({ provider: "fernet", key: generateMfaKey("fernet") }).provider, "fernet");
    } finally {
      if (saved === undefined) delete process.env.PICCOLO_MFA_KEY;
      else process.env.PICCOLO_MFA_KEY = saved;
    }
  });
});

function xchachaOf(key: string) {
  return createMfaEncryption({ provider: "xchacha20", key });
}

async function raw(db: Database, text: string): Promise<Record<string, unknown>[]> {
  return (await sql.raw<Record<string, unknown>>(text).execute(db.kysely)).rows;
}

const AWARE_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$/;

for (const engine of testEngines) {
  describe(`MFA on the authenticator_secret table (${engine})`, () => {
    class TestUser extends BaseUser {
      static override iterations = 1000;
    }
    let db: Database;
    let auth: MfaAuthenticator;

    async function newUser(username: string): Promise<number> {
      return (await TestUser.createUser({ username, password: `${username}-pass1`, email: `${username}@example.com`, active: true })).id;
    }

    it("prepares a database", async () => {
      const url = await migratedDatabaseUrl(engine, "mfa_authenticator");
      TestUser.database = url;
      db = await TestUser.getDatabase();
      auth = new MfaAuthenticator({ encryption: { key: KEY }, users: TestUser });
    });

    if (engine !== "mysql") {
      it("reads an enrollment piccolo_api wrote, takes its codes once, and writes back in its form", async () => {
        const run = mfa.db_runs[`${engine}|UTC`];
        const [row] = run.create_new.raw as Record<string, Cell>[];
        const userId = await newUser("dave");
        const value = (name: string) => (row![name]!.stored ?? row![name]!.text) as string | null;
        if (engine === "sqlite") {
          await sql`INSERT INTO authenticator_secret (user_id, secret, recovery_codes, recovery_codes_used_at, created_at) VALUES (${userId}, ${value("secret")}, ${value("recovery_codes")}, ${value("recovery_codes_used_at")}, ${value("created_at")})`.execute(db.kysely);
        } else {
          await sql`INSERT INTO authenticator_secret (user_id, secret, recovery_codes, recovery_codes_used_at, created_at) VALUES (${userId}, ${value("secret")}, ${value("recovery_codes")}::text[], ${value("recovery_codes_used_at")}::timestamptz[], ${value("created_at")}::timestamptz)`.execute(db.kysely);
        }
        const createdAt = Date.parse(value("created_at")!.replace(" ", "T").replace(/\+00(:00)?$/, "Z"));
        assert.deepEqual(await auth.status(userId), { enrolled: true, since: new Date(createdAt), recoveryCodesLeft: 8, lastUsedAt: null });

        const secret = run.create_new.decrypted_secret as string;
        const code = totpCode(secret);
        assert.deepEqual(await auth.verify(userId, `${code.slice(0, 3)} ${code.slice(3)}`), { ok: true, method: "totp", recoveryCodesLeft: 8 });
        assert.deepEqual(await auth.verify(userId, code), { ok: false }, "the same code again (replay)");
        assert.deepEqual(await auth.verify(userId, totpCode(secret, Date.now() - 60_000)), { ok: false }, "two steps ago");
        const [recovery] = run.create_new.recovery_codes_plain as string[];
        assert.deepEqual(await auth.verify(userId, recovery), { ok: true, method: "recovery", recoveryCodesLeft: 7 });
        assert.deepEqual(await auth.verify(userId, recovery), { ok: false }, "a used recovery code");

        const [stored] = await raw(db, `SELECT * FROM authenticator_secret WHERE user_id = ${userId}`);
        assert.equal(stored!.last_used_code, code);
        if (engine === "sqlite") {
          // Python's SQLite readers: datetime.fromisoformat per value, json.loads for the arrays.
          assert.match(String(stored!.last_used_at), AWARE_TEXT);
          const codes = String(stored!.recovery_codes);
          assert.match(codes, /^\["pbkdf2_sha256[^"]+"(, "pbkdf2_sha256[^"]+"){6}\]$/, "json.dumps layout, 7 left");
          assert.match(String(stored!.recovery_codes_used_at), /^\["\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00:00"\]$/);
          const expected = (run.recovery_ok.raw_after as Record<string, Cell>[])[0]!;
          assert.equal(codes.length, String(expected.recovery_codes!.stored).length, "same text as Python writes after one use");
        } else {
          assert.equal((stored!.recovery_codes as string[]).length, 7);
          assert.equal((stored!.recovery_codes_used_at as unknown[]).length, 1);
        }
      });
    }

    it("enrolls only after a right code; the confirming code cannot log in; 8 recovery codes shown once; revoke ends it", async () => {
      const userId = await newUser("erin");
      const started = await auth.beginEnrollment("erin");
      assert.match(started.secret, /^[A-Z2-7]{32}$/);
      assert.match(started.uri, /^otpauth:\/\/totp\/Piccolo-MFA:erin%40example\.com\?secret=[A-Z2-7]{32}&issuer=Piccolo-MFA$/);
      assert.match(started.qrSvg, /^<svg[\s\S]+<\/svg>$/);
      assert.equal(await auth.confirmEnrollment("erin", started.pending, "000000".replace(/0/g, () => "1")), null);
      assert.equal((await auth.status(userId)).enrolled, false, "a wrong code keeps it off");
      await assert.rejects(auth.confirmEnrollment(await newUser("mallory"), started.pending, totpCode(started.secret)), MfaError);

      const code = totpCode(started.secret);
      const done = await auth.confirmEnrollment("erin", started.pending, code);
      assert.equal(done!.recoveryCodes.length, 8);
      for (const recovery of done!.recoveryCodes) assert.match(recovery, /^[a-z0-9]{6}-[a-z0-9]{6}$/);
      assert.equal((await auth.status(userId)).enrolled, true);
      assert.deepEqual(await auth.verify(userId, code), { ok: false }, "the confirming code is spent");

      const [stored] = await raw(db, `SELECT secret, created_at FROM authenticator_secret WHERE user_id = ${userId}`);
      assert.match(String(stored!.secret), /^xchacha20-[0-9a-f]{144}$/);
      assert.equal(xchachaOf(KEY).decrypt(String(stored!.secret)), started.secret);
      if (engine === "sqlite") assert.match(String(stored!.created_at), AWARE_TEXT);

      assert.equal(await TestUser.countUsers({ filter: { mfa: true } }), engine === "mysql" ? 1 : 2, "listing filters by two-factor (dave's Python row, erin)");
      assert.ok((await TestUser.listUsers({ filter: { mfa: false } })).every((u) => u.username !== "erin"));
      assert.equal(await auth.revoke("erin"), true);
      assert.equal((await auth.status(userId)).enrolled, false);
      assert.deepEqual(await auth.verify(userId, totpCode(started.secret, Date.now() + 30_000)), { ok: false });
      assert.equal(await auth.revoke("erin"), false);
    });

    it("refuses a code of an earlier step than the last one used, and one code used twice at once passes once", async () => {
      const userId = await newUser("frank");
      const { secret } = await auth.enroll("frank");
      const ahead = totpCode(secret, Date.now() + 30_000);
      assert.equal((await auth.verify(userId, ahead)).ok, true);
      assert.equal((await auth.verify(userId, totpCode(secret))).ok, false, "the step before the last used one");

      const { secret: second } = await auth.enroll("frank");
      const code = totpCode(second);
      // The three checks overlap: each has started before any has finished.
      const started: number[] = [];
      const finished: number[] = [];
      const timed = async () => {
        started.push(performance.now());
        const result = await auth.verify(userId, code);
        finished.push(performance.now());
        return result;
      };
      const results = await Promise.all([timed(), timed(), timed()]);
      assert.ok(Math.max(...started) < Math.min(...finished), "the calls overlapped");
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    it("checkKey reports a wrong key at start-up as a ConfigError", async () => {
      await auth.checkKey();
      const wrong = new MfaAuthenticator({ encryption: { key: generateMfaKey() }, users: TestUser });
      await assert.rejects(wrong.checkKey(), (e: unknown) => e instanceof ConfigError && /MFA key does not open the stored secrets/.test(e.message));
    });

    it("rekey re-encrypts every secret (revoked ones too) under a new key and provider", async () => {
      const userId = await newUser("grace");
      const { secret } = await auth.enroll("grace");
      const fernetKey = generateMfaKey("fernet");
      const target = createMfaEncryption({ provider: "fernet", key: fernetKey });
      const outcome = await auth.rekey(target);
      assert.equal(outcome.failed, 0);
      assert.ok(outcome.rekeyed >= 2);
      const after = new MfaAuthenticator({ encryption: target, users: TestUser });
      assert.equal((await after.verify(userId, totpCode(secret))).ok, true);
      assert.deepEqual(await after.rekey(target), { rekeyed: 0, unchanged: outcome.rekeyed + outcome.unchanged, failed: 0 });
      const rows = await raw(db, "SELECT secret FROM authenticator_secret");
      assert.ok(rows.every((row) => String(row.secret).startsWith("fernet-gAAAAA")));
    });
  });
}
