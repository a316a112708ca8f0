#!/usr/bin/env node
// The main job on the embedded default, no server needed: in a fresh folder (./demo), migrate the
// `user` app into ./piccolo.sqlite, create a user with the CLI (password from stdin), log in through
// the API, and list the users.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "dist/cli/main.js");
const cwd = path.join(root, "demo");
rmSync(cwd, { recursive: true, force: true });
mkdirSync(cwd, { recursive: true });
const env = { ...process.env };
delete env.DATABASE_URL;

const piccolo = (args, input) => {
  console.log(`$ piccolo ${args.join(" ")}`);
  process.stdout.write(execFileSync(process.execPath, [bin, ...args], { cwd, env, input, encoding: "utf8" }));
};

piccolo(["migrations", "forwards", "user"]);
piccolo(
  ["user", "create", "--username=bob", "--email=bob@example.com", "--is_admin=t", "--is_superuser=f", "--is_active=t", "--password-stdin"],
  "bob-s3cret\n",
);

process.chdir(cwd);
const { BaseUser } = await import(path.join(root, "dist/index.js"));
console.log(`BaseUser.login("bob", <right password>) → ${await BaseUser.login("bob", "bob-s3cret")}`);
console.log(`BaseUser.login("bob", <wrong password>) → ${await BaseUser.login("bob", "wrong-password")}`);
await BaseUser.close();

piccolo(["user", "list"]);
console.log(`The database is ${path.join(cwd, "piccolo.sqlite")}.`);
