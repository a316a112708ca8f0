// The migration apps piccolo-ts ships, registered with the runner in the order `forwards all` runs them.
// This file sits above every layer (like index.ts) because it names apps from several of them; the
// runner in src/migrations/ knows only the registry.
import { adminHistoryApp } from "./admin/migrations/index.js";
import { registerMigrationApps } from "./migrations/registry.js";
import { sessionAuthApp } from "./session/migrations/index.js";
import { tokenAuthApp } from "./user/api-tokens/migrations.js";
import { mfaAuthenticatorApp } from "./user/mfa/migrations.js";
import { passkeysApp } from "./user/passkeys/migrations.js";
import { userApp } from "./user/migrations/index.js";
import { userCaseInsensitiveApp } from "./user/migrations/case-insensitive/index.js";

registerMigrationApps(userApp, sessionAuthApp, tokenAuthApp, mfaAuthenticatorApp, adminHistoryApp, userCaseInsensitiveApp, passkeysApp);
