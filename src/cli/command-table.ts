// Every `piccolo` command, its flags and its help text, as data: main.ts builds the command line from
// this table. Adding a command is one entry in COMMANDS plus its module in ./commands/, which exports
// `run(input: CommandInput)` (see ./types.ts). Each entry loads its module only when it runs.
import type { CommandModule } from "./types.js";

export interface OptionSpec {
  /** Commander flags of the spelling shown in help: `--is_admin <bool>`, `--fake`, `--limit <n>`. */
  flags: string;
  description: string;
  /** How the value is read: `boolean` (t/f/yes/no/1/0…), `integer`, or text (default). */
  type?: "boolean" | "integer";
  /** A value that fits this flag, for the hint when a value is wrong or missing (`8000` for --port). */
  example?: string;
  /**
   * Other accepted spellings, hidden from help (`-y, --yes`). The snake_case/kebab-case twin of a
   * multi-word flag (`--is-admin` for `--is_admin`) is added on its own.
   */
  also?: string[];
}

export interface CommandSpec {
  /** `["user", "create"]` for a subcommand of a group, `["admin"]` for a top-level command. */
  path: [string] | [string, string];
  aliases?: string[];
  summary: string;
  /** Commander argument syntax with a description: `["<app>", "user, or all"]`. */
  arguments?: [string, string][];
  options?: OptionSpec[];
  /** Adds `--json`. */
  json?: boolean;
  /** Extra text at the end of the command's help. */
  help?: string;
  load(): Promise<CommandModule>;
}

export const GROUPS: Record<string, string> = {
  migrations: "run, reverse and check the migrations of the user app",
  user: "create, change and list users",
};

const PASSWORD_SOURCES =
  "\nSafer password input: --password-stdin (first line of standard input) or the PICCOLO_USER_PASSWORD\n" +
  "environment variable keep the password out of your shell history; --password=… does not.\n" +
  "Without any of them you are asked, with the typing hidden.";

export const COMMANDS: CommandSpec[] = [
  {
    path: ["migrations", "forwards"],
    aliases: ["f", "forward"],
    summary: "run the migrations that have not run yet",
    arguments: [["<app>", "the app to migrate: user, or all for every app"]],
    options: [
      { flags: "--migration_id <id>", description: "stop after this migration (default: run them all)", example: "2021-04-30T16:14:15" },
      { flags: "--fake", description: "record the migrations as ran without running them" },
      { flags: "--preview", description: "print the SQL the migrations would run, and change nothing" },
    ],
    load: () => import("./commands/migrations-forwards.js"),
  },
  {
    path: ["migrations", "backwards"],
    aliases: ["b", "back"],
    summary: "reverse migrations (the latest one by default)",
    arguments: [
      ["<app>", "the app whose migrations to reverse, e.g. user"],
      ["[migration_id]", "reverse back to and including this ID; 1 for the latest only, all for every one"],
    ],
    options: [
      { flags: "--migration_id <id>", description: "same as the migration_id argument", example: "all" },
      { flags: "--auto_agree", description: "reverse without asking for confirmation (also -y, --yes)", also: ["-y, --yes"] },
    ],
    load: () => import("./commands/migrations-backwards.js"),
  },
  {
    path: ["migrations", "check"],
    aliases: ["status"],
    summary: "list every migration and whether it has run",
    arguments: [["[app]", "only this app (default: all apps)"]],
    json: true,
    load: () => import("./commands/migrations-check.js"),
  },
  {
    path: ["user", "create"],
    aliases: ["new"],
    summary: "create a user (asks for every value not given as a flag)",
    options: [
      { flags: "--username <name>", description: "the username (asked for, defaulting to your login name)", example: "bob" },
      { flags: "--email <email>", description: "the email address", example: "bob@example.com" },
      { flags: "--password <password>", description: "the password (visible in shell history: see below)" },
      { flags: "--password-stdin", description: "read the password from the first line of standard input" },
      { flags: "--is_admin <bool>", description: "may log into the admin: t/f, true/false, yes/no, 1/0", type: "boolean" },
      { flags: "--is_superuser <bool>", description: "may change other users (t/f)", type: "boolean" },
      { flags: "--is_active <bool>", description: "may log in at all (t/f)", type: "boolean" },
    ],
    json: true,
    help: PASSWORD_SOURCES,
    load: () => import("./commands/user-create.js"),
  },
  {
    path: ["user", "change_password"],
    aliases: ["password", "pass"],
    summary: "set a user's new password (asks for what is not given)",
    arguments: [["[username]", "the user (asked for when left out)"]],
    options: [
      { flags: "--password <password>", description: "the new password (visible in shell history: see below)" },
      { flags: "--password-stdin", description: "read the new password from the first line of standard input" },
    ],
    help: PASSWORD_SOURCES,
    load: () => import("./commands/user-change-password.js"),
  },
  {
    path: ["user", "change_permissions"],
    aliases: ["perm", "perms"],
    summary: "set a user's admin, superuser and active flags",
    arguments: [["<username>", "the user to change"]],
    options: [
      { flags: "--admin <bool>", description: "may log into the admin (t/f, true/false, yes/no, 1/0)", type: "boolean", also: ["--is_admin <bool>"] },
      { flags: "--superuser <bool>", description: "may change other users", type: "boolean", also: ["--is_superuser <bool>"] },
      { flags: "--active <bool>", description: "may log in at all", type: "boolean", also: ["--is_active <bool>"] },
    ],
    load: () => import("./commands/user-change-permissions.js"),
  },
  {
    path: ["user", "delete"],
    summary: "delete a user and end their sessions (asks first unless --yes)",
    arguments: [["<username>", "the user to delete"]],
    options: [{ flags: "-y, --yes", description: "delete without asking (for scripts)" }],
    json: true,
    load: () => import("./commands/user-delete.js"),
  },
  {
    path: ["user", "list"],
    aliases: ["ls"],
    summary: "list users as a table (never their passwords)",
    options: [
      { flags: "--limit <n>", description: "users per page, > 0 (default: 20)", type: "integer", example: "20" },
      { flags: "--page <n>", description: "which page, from 1 (default: 1)", type: "integer", example: "2" },
      {
        flags: "--order_by <column>",
        description: "id, username, email, first_name, last_name, active, admin, superuser or last_login; - first for descending (default: username)",
        example: "-last_login",
      },
    ],
    json: true,
    load: () => import("./commands/user-list.js"),
  },
  {
    path: ["user", "check"],
    summary: "report users whose stored password is not a well-formed hash or has too few iterations (exit 1 if any)",
    options: [
      { flags: "--iterations <n>", description: "the fewest PBKDF2 iterations accepted (default: 600000)", type: "integer", example: "600000" },
      { flags: "--strict", description: "also exit 1 for hashes imported from another system (listed either way)" },
    ],
    help:
      "\nHashes imported by \"piccolo user import\" are listed but do not fail the check: each is replaced by a Piccolo\n" +
      "hash at that user's next login. --strict fails on them too (exit 1), e.g. once every user should have logged in.",
    json: true,
    load: () => import("./commands/user-check.js"),
  },
  {
    path: ["user", "mfa"],
    summary: "two-factor authentication: status, enroll, revoke <username>; rekey; key",
    arguments: [
      ["<action>", "status, enroll or revoke (with a username), rekey (every secret to a new key), key (print a new key)"],
      ["[username]", "the user"],
    ],
    options: [
      { flags: "-y, --yes", description: "revoke without asking (for scripts)" },
      { flags: "--provider <name>", description: "key: the provider to make a key for, xchacha20 (default) or fernet", example: "fernet" },
      { flags: "--new-provider <name>", description: "rekey: encrypt with this provider from now on (xchacha20, fernet or plain)", example: "xchacha20" },
      { flags: "--new-key-stdin", description: "rekey: read the new key from the first line of standard input (else PICCOLO_MFA_NEW_KEY)" },
    ],
    json: true,
    help:
      "\nThe key: PICCOLO_MFA_KEY (xchacha20: 64 hex digits; fernet: a Fernet key), provider PICCOLO_MFA_PROVIDER.\n" +
      "enroll asks for the app's code before it turns anything on; enroll --json enrolls at once (provisioning)\n" +
      "and prints the secret, its otpauth:// URI and the 8 recovery codes: the only time they are shown.",
    load: () => import("./commands/user-mfa.js"),
  },
  {
    path: ["user", "passkeys"],
    summary: "list a user's passkeys (name, added, last used), or remove one",
    arguments: [["<username>", "the user"]],
    options: [{ flags: "--remove <name>", description: "remove the passkey with this name (a lost device)", example: "laptop" }],
    json: true,
    help: "\nNeeds the passkeys migration app (piccolo migrations forwards passkeys). Never prints key material.",
    load: () => import("./commands/user-passkeys.js"),
  },
  {
    path: ["user", "token"],
    summary: "API tokens: create, list or revoke a user's (Authorization: Bearer <token>)",
    arguments: [
      ["<action>", "create (prints the token once), list, or revoke"],
      ["<username>", "the user"],
    ],
    options: [
      { flags: "--id <n>", description: "revoke: only this token (default: every token of the user)", type: "integer", example: "3" },
      { flags: "-y, --yes", description: "revoke without asking (for scripts)" },
    ],
    json: true,
    help: "\nPICCOLO_TOKENS=piccolo stores tokens as piccolo_api does (readable by a Python app); the default stores digests.",
    load: () => import("./commands/user-token.js"),
  },
  {
    path: ["doctor"],
    summary: "show how passwords are hashed here (native addon or Node's crypto, threads, queue depth) and which database is used and whether it answers",
    json: true,
    load: () => import("./commands/doctor.js"),
  },
  {
    path: ["user", "import"],
    summary: "import users with their password hashes from Django, better-auth, bcrypt apps (CSV or JSON Lines)",
    arguments: [["<file>", "a CSV file with a header row, or JSON Lines: username, password (the stored hash), email, first_name, last_name, active, admin, superuser"]],
    options: [
      { flags: "--format <format>", description: "csv or jsonl (default: from the file name, else its first character)" },
      { flags: "--dry-run", description: "check every row and write nothing" },
      { flags: "--batch-size <n>", description: "rows per transaction (default: 1000)", type: "integer" },
    ],
    help:
      "\nactive, admin and superuser take t/f, true/false, yes/no or 1/0. A missing or empty value is false, Piccolo's\n" +
      "column default: a row without active=t is imported inactive and cannot log in (the summary counts them).",
    json: true,
    load: () => import("./commands/user-import.js"),
  },
  {
    path: ["admin"],
    summary: "serve the user admin in the browser, until stopped (Ctrl-C)",
    options: [
      { flags: "--host <host>", description: "address to listen on (default: 127.0.0.1)", example: "0.0.0.0" },
      { flags: "--port <n>", description: "port to listen on (default: 8000; 0 picks a free one)", type: "integer", example: "8000" },
      { flags: "--trust-proxy <hops|addresses>", description: "behind a reverse proxy: its hop count, or its addresses and subnets (comma-separated, e.g. 10.0.0.0/8)", example: "1" },
      { flags: "--secure", description: "always mark cookies Secure (served over HTTPS by a proxy)" },
      { flags: "--passkeys", description: "passkey logins (instead of the password, and as the second factor); needs `piccolo migrations forwards passkeys`" },
      { flags: "--allowed-host <names>", description: "host names to answer besides the bound host, localhost and 127.0.0.1 (comma-separated)", example: "admin.example.com" },
      { flags: "--redis <url>", description: "keep sessions and login attempts in Redis (redis://host:6379, redis+cluster://host:7001,host:7002; default: PICCOLO_REDIS_URL, else the database)", example: "redis://127.0.0.1:6379" },
    ],
    load: () => import("./commands/admin.js"),
  },
];

export const ROOT_HELP = `
Database: --db, else DATABASE_URL, else piccolo.config.{ts,js,mjs,json}, else ./piccolo.sqlite.
Exit codes: 0 done, 1 the command failed, 2 the command line is wrong, 130 interrupted (Ctrl-C).`;
