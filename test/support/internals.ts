// What tests use that the package does not export (its three entry points are a curated list): loaded
// from the build by path. The compiled file sits in build/test/support/, three levels below the
// checkout; TypeScript reads the types from dist/ two levels up.
import type * as UserMigrations from "../../dist/user/migrations/index.js";
import type * as TokenMigrations from "../../dist/user/api-tokens/migrations.js";
import type * as Mfa from "../../dist/user/mfa/index.js";
import type * as Hasher from "../../dist/password/hasher.js";
import type * as SessionMigrations from "../../dist/session/migrations/index.js";
import type * as Store from "../../dist/session/store.js";
import type * as AttemptStore from "../../dist/session/attempt-store.js";
import type * as NodeAdapter from "../../dist/session/node-adapter.js";
import type * as RequestState from "../../dist/session/request-state.js";
import type * as AdminMigrations from "../../dist/admin/migrations/index.js";
import type * as PasskeyMigrations from "../../dist/user/passkeys/migrations.js";
import type * as PasskeyChallenges from "../../dist/user/passkeys/challenges.js";

const load = <T>(file: string): Promise<T> => import(new URL(`../../../dist/${file}`, import.meta.url).href) as Promise<T>;

export const { userApp } = await load<typeof UserMigrations>("user/migrations/index.js");
export const { tokenAuthApp } = await load<typeof TokenMigrations>("user/api-tokens/migrations.js");
export const { mfaAuthenticatorApp, generateMfaKey, createMfaEncryption, totpCode, provisioningUri, normalizeTotpCode, hashRecoveryCodes, normalizeRecoveryCode } =
  await load<typeof Mfa>("user/mfa/index.js");
export const { parseStoredHash } = await load<typeof Hasher>("password/hasher.js");
export const { sessionAuthApp } = await load<typeof SessionMigrations>("session/migrations/index.js");
export const { generateSessionToken, digestSessionToken } = await load<typeof Store>("session/store.js");
export const { MemoryAttemptStore } = await load<typeof AttemptStore>("session/attempt-store.js");
export const { headAsGet } = await load<typeof NodeAdapter>("session/node-adapter.js");
export const { safeRedirect } = await load<typeof RequestState>("session/request-state.js");
export const { adminHistoryApp, ADMIN_HISTORY_TABLE } = await load<typeof AdminMigrations>("admin/migrations/index.js");
export const { passkeysApp } = await load<typeof PasskeyMigrations>("user/passkeys/migrations.js");
export const { MAX_PENDING_LOGIN_CHALLENGES } = await load<typeof PasskeyChallenges>("user/passkeys/challenges.js");
export type { PasswordProblem } from "../../dist/user/base-user.js";
export type { MigrationEvent } from "../../dist/migrations/runner.js";
export type { LimitedBucket } from "../../dist/session/attempt-store.js";
