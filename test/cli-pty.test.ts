// A real interactive `piccolo user create` in a pseudo-terminal (tmux): the answers are typed as a
// person would, the password must not appear on the screen, and a bad y/n answer is asked again.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseUser, closeDatabases } from "piccolo-ts";
import { freshDatabaseUrl, tempDir } from "./support/engines.js";
import { baseEnv, bin, piccolo } from "./support/cli.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !hasTmux && process.env.CI !== "true" ? "tmux is not installed (CI installs it)" : false;
const socket = `piccolo-cli-test-${process.pid}-${randomBytes(3).toString("hex")}`;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env: baseEnv() });
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** A tmux session running `node dist/cli/main.js …args` in `cwd`; the shell prints EXIT=<code> after it. */
function startSession(name: string, cwd: string, args: string[]): void {
  const command = `cd ${quote(cwd)} && ${quote(process.execPath)} ${quote(bin)} ${args.map(quote).join(" ")}; echo EXIT=$?; sleep 600`;
  tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "50", command);
}

/** Everything the terminal shows, scrollback included. */
function screen(name: string): string {
  return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name);
}

/** Waits (with a generous deadline, never a timing assertion) until the screen satisfies `ready`. */
async function waitFor(name: string, ready: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = screen(name);
    if (ready(text)) return text;
    if (Date.now() > deadline) assert.fail(`the terminal never showed ${what}; it shows:\n${text}`);
    await sleep(50);
  }
}

const count = (text: string, part: string) => text.split(part).length - 1;

function type(name: string, text: string): void {
  if (text !== "") tmux("send-keys", "-t", name, "-l", text);
  tmux("send-keys", "-t", name, "Enter");
}

after(async () => {
  if (hasTmux) spawnSync("tmux", ["-L", socket, "kill-server"]);
  await closeDatabases();
});

test("an interactive user create in a terminal: hidden password, Unrecognised option asked again", { skip }, async () => {
  const cwd = tempDir();
  const url = await freshDatabaseUrl("sqlite");
  const migrated = await piccolo(["--db", url, "migrations", "forwards", "user"], { cwd });
  assert.equal(migrated.code, 0, migrated.stderr);
  const password = "Typed-Secret-42";

  startSession("create", cwd, ["--db", url, "user", "create"]);
  await waitFor("create", (s) => s.includes(`Enter username (${userInfo().username}):`), "the username question");
  type("create", "tess");
  await waitFor("create", (s) => s.includes("Enter email:"), "the email question");
  type("create", "tess@example.com");
  let text = await waitFor("create", (s) => s.includes("Enter password:"), "the password question");
  type("create", password);
  text = await waitFor("create", (s) => s.includes("Confirm password:"), "the confirmation");
  assert.ok(!text.includes(password), `the password was echoed:\n${text}`);
  assert.ok(!text.includes("*".repeat(password.length)), "not even as a mask");
  type("create", password);
  await waitFor("create", (s) => s.includes("Admin user? Enter y or n:"), "the admin question");
  type("create", "maybe");
  await waitFor(
    "create",
    (s) => s.includes("Unrecognised option") && count(s, "Admin user? Enter y or n:") === 2,
    "Unrecognised option and the admin question again",
  );
  type("create", "y");
  await waitFor("create", (s) => s.includes("Superuser? Enter y or n:"), "the superuser question");
  type("create", "n");
  await waitFor("create", (s) => s.includes("Active? Enter y or n:"), "the active question");
  type("create", "y");
  text = await waitFor("create", (s) => /EXIT=\d+/.test(s), "the end of the command");

  assert.match(text, /EXIT=0/, text);
  assert.match(text, /^Created User \d+$/m);
  assert.ok(!text.includes(password), `the password is on the screen:\n${text}`);
  assert.doesNotMatch(text, /pbkdf2/);
  // The questions appear in Piccolo's order, answered on their own lines.
  const lines = text.split("\n").map((line) => line.trim()).filter(Boolean);
  const order = ["Enter username (", "Enter email: tess@example.com", "Enter password:", "Confirm password:", "Admin user? Enter y or n: maybe", "Unrecognised option", "Admin user? Enter y or n: y", "Superuser? Enter y or n: n", "Active? Enter y or n: y", "Created User"];
  let at = -1;
  for (const expected of order) {
    const index = lines.findIndex((line, i) => i > at && line.includes(expected));
    assert.ok(index > at, `"${expected}" not in order in:\n${text}`);
    at = index;
  }

  // What was typed (and hidden) is what was stored.
  class Check extends BaseUser {}
  Check.database = url;
  const user = await Check.getUser("tess");
  assert.deepEqual([user?.email, user?.admin, user?.superuser, user?.active], ["tess@example.com", true, false, true]);
  assert.equal(await Check.login("tess", password), user?.id);
});

test("Ctrl-C at the hidden password question cancels (exit 130) and creates nothing", { skip }, async () => {
  const cwd = tempDir();
  const url = await freshDatabaseUrl("sqlite");
  assert.equal((await piccolo(["--db", url, "migrations", "forwards", "user"], { cwd })).code, 0);
  startSession("cancel", cwd, ["--db", url, "user", "create", "--username=uma", "--email=uma@example.com"]);
  await waitFor("cancel", (s) => s.includes("Enter password:"), "the password question");
  tmux("send-keys", "-t", "cancel", "-l", "half-typed");
  tmux("send-keys", "-t", "cancel", "C-c");
  const text = await waitFor("cancel", (s) => /EXIT=\d+/.test(s), "the end of the command");
  assert.match(text, /EXIT=130/, text);
  assert.match(text, /Cancelled\./);
  // Stopping is not a failure: no "The command failed." before it.
  assert.doesNotMatch(text, /The command failed/);
  assert.ok(!text.includes("half-typed"));
  class Check extends BaseUser {}
  Check.database = url;
  assert.equal(await Check.getUser("uma"), null);
});

test("a refused answer is asked again with its reason: taken username, a second user without email, short password, mismatch", { skip }, async () => {
  const cwd = tempDir();
  const url = await freshDatabaseUrl("sqlite");
  assert.equal((await piccolo(["--db", url, "migrations", "forwards", "user"], { cwd })).code, 0);
  const first = await piccolo(["--db", url, "user", "create", "--username=taken", "--email=", "--password=taken-pass-1", "--is_admin=f", "--is_superuser=f", "--is_active=t"], { cwd });
  assert.equal(first.code, 0, first.stderr);
  const password = "Long-Enough-1";

  startSession("reask", cwd, ["--db", url, "user", "create"]);
  await waitFor("reask", (s) => s.includes("Enter username ("), "the username question");
  type("reask", "taken");
  await waitFor("reask", (s) => s.includes('The username "taken" is already taken.') && count(s, "Enter username (") === 2, "the reason and the username question again");
  type("reask", "tess");
  await waitFor("reask", (s) => s.includes("Enter email:"), "the email question");
  type("reask", "");
  await waitFor(
    "reask",
    (s) => s.includes("Another user already has no email address, and emails must be unique: give this user an email.") && count(s, "Enter email:") === 2,
    "the no-email reason right after the email, and the email question again",
  );
  let text = screen("reask");
  assert.ok(!text.includes("Enter password:"), "asked before the password");
  type("reask", "tess@example.com");
  await waitFor("reask", (s) => s.includes("Enter password:"), "the password question");
  type("reask", "Qz9x");
  await waitFor("reask", (s) => s.includes("The password is too short. (min 6)") && count(s, "Enter password:") === 2, "the rule and the password question again");
  type("reask", password);
  await waitFor("reask", (s) => s.includes("Confirm password:"), "the confirmation");
  type("reask", "Something-Else-2");
  await waitFor("reask", (s) => s.includes("Passwords don't match!") && count(s, "Enter password:") === 3, "the mismatch and both questions again");
  type("reask", password);
  await waitFor("reask", (s) => count(s, "Confirm password:") === 2, "the confirmation again");
  type("reask", password);
  await waitFor("reask", (s) => s.includes("Admin user? Enter y or n:"), "the admin question");
  type("reask", "y");
  await waitFor("reask", (s) => s.includes("Superuser? Enter y or n:"), "the superuser question");
  type("reask", "n");
  await waitFor("reask", (s) => s.includes("Active? Enter y or n:"), "the active question");
  type("reask", "y");
  text = await waitFor("reask", (s) => /EXIT=\d+/.test(s), "the end of the command");
  assert.match(text, /EXIT=0/, text);
  assert.match(text, /^Created User 2$/m);
  for (const secret of [password, "Qz9x", "Something-Else-2"]) assert.ok(!text.includes(secret), `${secret} is on the screen:\n${text}`);

  class Check extends BaseUser {}
  Check.database = url;
  const user = await Check.getUser("tess");
  assert.equal(user?.email, "tess@example.com");
  assert.equal(await Check.login("tess", password), user?.id);
});
