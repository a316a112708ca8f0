// The app named on a `piccolo migrations …` command line. An unknown name is a mistake in the command
// line (exit 2, like an unknown command), found before any database is opened.
import { registeredMigrationApps } from "../migrations/registry.js";
import { UsageError } from "./output.js";

/** Accepts `all` and every registered app; anything else is a UsageError naming the apps. */
export function requireKnownApp(app: string, command: string): void {
  if (app === "all") return;
  const names = registeredMigrationApps().map((each) => each.name);
  if (names.includes(app)) return;
  // `users`, `session`: a name the typed one starts with, or that starts with it.
  const close = names.find((name) => app.length >= 3 && (name.startsWith(app) || app.startsWith(name)));
  throw new UsageError(
    `Unknown app ${JSON.stringify(app)}: the apps are ${names.join(", ")} (or all).`,
    close ? `Did you mean "piccolo migrations ${command} ${close}"?` : `Run "piccolo migrations check" to see every app and migration.`,
  );
}
