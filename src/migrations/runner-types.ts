// What the migration runner (runner.ts) takes and reports: its options, events and results.
import type { Database } from "../engine/connect.js";
import type { MigrationApp } from "./types.js";

/** Which way a migration runs. */
export type MigrationDirection = "forwards" | "backwards";

/** An app by name (`"user"`, or `"all"` for every app in order), or an app of your own. */
export type AppSelector = string | MigrationApp;

/** What the runner is doing, as it does it: enough for a CLI to print Piccolo's lines. */
export type MigrationEvent =
  /** Before anything runs: the migrations that will (empty: nothing to do for this app). */
  | { type: "plan"; direction: MigrationDirection; app: string; ids: string[]; fake: boolean }
  | { type: "start"; direction: MigrationDirection; app: string; id: string; description: string; fake: boolean }
  | { type: "done"; direction: MigrationDirection; app: string; id: string; fake: boolean; durationMs: number }
  /** Another process migrating at the same time did this one first. */
  | { type: "skipped"; direction: MigrationDirection; app: string; id: string };

interface CommonOptions {
  /** An open Database, a URL / SQLite path, or nothing for the usual resolution order. */
  database?: string | Database;
}

/** Options of `migrateForwards`. */
export interface ForwardsOptions extends CommonOptions {
  /** Stop after this migration (inclusive). Default (or `"all"`): every pending one. */
  migrationId?: string;
  /** Record the migrations as ran without running them. */
  fake?: boolean;
  /** Called as each step is planned, starts, finishes or is skipped: to print progress. */
  onEvent?: (event: MigrationEvent) => void;
}

/** What `migrateForwards` did for one app. */
export interface AppForwardsResult {
  /** The app's name. */
  app: string;
  /** How many were not yet run when this run looked (within `migrationId`). */
  pending: number;
  /** IDs this run applied (or recorded, with `fake`), in order. */
  applied: string[];
  /** Pending ones that a concurrent process applied first. */
  appliedElsewhere: string[];
}

/** What `migrateForwards` did, app by app. */
export interface ForwardsResult {
  /** Whether the migrations were only recorded, not run. */
  fake: boolean;
  /** One entry per app, in the order they ran. */
  apps: AppForwardsResult[];
}

/** The migrations `migrateBackwards` is about to reverse in one app (what `confirm` is shown). */
export interface BackwardsPlan {
  /** The app's name. */
  app: string;
  /** In the order they will be reversed (latest first). */
  ids: string[];
}

/** Options of `migrateBackwards`. */
export interface BackwardsOptions extends CommonOptions {
  /** Reverse down to and including this one; `"all"` for every one that ran. Default: only the latest. */
  migrationId?: string;
  /** Called as each step is planned, starts, finishes or is skipped: to print progress. */
  onEvent?: (event: MigrationEvent) => void;
  /** Asked once before anything is reversed (the CLI's `Reverse N migration(s)? [y/N]`); false cancels. */
  confirm?: (plan: BackwardsPlan[]) => boolean | Promise<boolean>;
}

/** What `migrateBackwards` did for one app. */
export interface AppBackwardsResult {
  /** The app's name. */
  app: string;
  /** IDs it meant to reverse, latest first. */
  planned: string[];
  /** IDs this run reversed. */
  reversed: string[];
  /** Planned ones that a concurrent process reversed first. */
  reversedElsewhere: string[];
}

/** What `migrateBackwards` did, app by app. */
export interface BackwardsResult {
  /** Nothing had been run, so nothing was reversed (not an error). */
  nothingToReverse: boolean;
  /** `confirm` said no. */
  cancelled: boolean;
  /** One entry per app, in the order they were reversed. */
  apps: AppBackwardsResult[];
}

/** Options of `migrationStatus`. */
export interface MigrationStatusOptions extends CommonOptions {
  /** One app (or `"all"`, the default). */
  app?: AppSelector;
}

/** One migration and whether it ran, as `migrationStatus` (and `piccolo migrations check`) lists it. */
export interface MigrationStatus {
  /** The app's name. */
  app: string;
  /** The migration's ID. */
  id: string;
  /** What it does. */
  description: string;
  /** Whether the `migration` table records it. */
  ran: boolean;
  /** When it ran, or null. */
  ranOn: Date | null;
}

/** Options of `previewForwards`. */
export interface PreviewOptions extends CommonOptions {
  /** Stop after this migration (inclusive). Default (or `"all"`): every pending one. */
  migrationId?: string;
}

/** The SQL one pending migration would run (`previewForwards`). */
export interface MigrationPreview {
  /** The app's name. */
  app: string;
  /** The migration's ID. */
  id: string;
  /** What it does. */
  description: string;
  /** The SQL forwards would run for this migration, in order, without the trailing `;`. */
  statements: string[];
}
