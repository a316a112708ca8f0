// The migration apps piccolo-ts ships, registered with the runner in the order `forwards all` runs them.
// This file sits above every layer (like index.ts) because it names apps from several of them; the
// runner in src/migrations/ knows only the registry.
import { registerMigrationApps } from "./migrations/registry.js";
import { sessionAuthApp } from "./session/migrations/index.js";
import { userApp } from "./user/migrations/index.js";

registerMigrationApps(userApp, sessionAuthApp);
