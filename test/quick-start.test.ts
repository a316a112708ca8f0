// The README's Quick start, followed verbatim by a new user: its blocks run in order in an empty project
// next to a packed copy of this checkout (as the doc-test does), then its `npx piccolo admin` starts, and
// the Quick start's superuser logs in with Chromium and finds the users page with the rights to change
// users. What the reader is told (the username, the password given at the prompt, the admin command) is
// read from the README, so the test follows the text rather than a copy of it.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { chromiumSkip, launchChromium } from "./support/browser.js";
import { isRunnable, markdownBlocks, packedCheckoutAndProject, projectEnv, readPage, runBlock, section } from "./support/doc-blocks.js";

const quickStart = section(readPage("README.md"), "Quick start");
const blocks = markdownBlocks(quickStart.text, "README.md").map((block) => ({ ...block, line: block.line + quickStart.firstLine }));

/** `npx piccolo admin --port 0` (the Quick start's command, on a free port), until "Piccolo admin at URL". */
function startAdmin(command: string, app: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", `exec ${command} --port 0`], { cwd: app, env: projectEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const started = /Piccolo admin at (http:\/\/\S+\/)/.exec(output);
      if (started) resolve({ child, url: started[1]! });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`"${command}" ended (exit ${code}) before serving:\n${output}`)));
  });
}

/** Waits for the page to reach `pattern`; on a timeout, says where it is and what it shows. */
async function arriveAt(page: import("playwright-core").Page, pattern: RegExp): Promise<void> {
  try {
    await page.waitForURL(pattern, { timeout: 30_000 });
  } catch (error) {
    const shown = (await page.locator("main, body").first().innerText().catch(() => "")).slice(0, 600);
    throw new Error(`expected ${pattern}, the browser is at ${page.url()}, showing:\n${shown}`, { cause: error });
  }
}

describe("the README's Quick start, in an empty project, ends with its superuser in the admin (Chromium, SQLite)", { skip: chromiumSkip }, () => {
  let admin: ChildProcess | undefined;
  after(() => {
    // The admin runs under npx: its whole process group goes.
    if (admin?.pid !== undefined && admin.exitCode === null) process.kill(-admin.pid, "SIGTERM");
  });

  test("the blocks run in order, piccolo admin starts, and the superuser can change users", { timeout: 900_000 }, async () => {
    // What the reader is told: who to create (admin and superuser, active) and the password typed at the prompt.
    const create = blocks.find((block) => /npx piccolo user create\b/.test(block.code));
    assert.ok(create, "the Quick start creates a user");
    for (const flag of ["--is_admin=t", "--is_superuser=t", "--is_active=t"]) assert.ok(create.code.includes(flag), `the Quick start's user is created with ${flag}`);
    assert.match(create.code, /npx piccolo migrations forwards all\b/, "the Quick start migrates every app the admin needs");
    const username = /--username=(\S+)/.exec(create.code)?.[1];
    assert.ok(username, "the Quick start names its user");
    const password = create.stdin?.split("\n")[0];
    assert.ok(password, "the Quick start types a password at the prompt");
    assert.ok(quickStart.text.includes(`here it is ${password}`), "the README tells the reader the password");
    const serve = blocks.find((block) => /^npx piccolo admin\b/m.test(block.code));
    assert.ok(serve?.noRun, "the Quick start ends by serving the admin (a block that serves until stopped)");
    const adminCommand = /^(npx piccolo admin)\b[^#\n]*/m.exec(serve.code)![0].trim();

    const { app, version } = packedCheckoutAndProject();
    assert.ok(quickStart.text.includes(`piccolo-ts-${version}.tgz`), `the Quick start installs the tarball of version ${version}`);
    let index = 0;
    for (const block of blocks) {
      if (!isRunnable(block) || block.noRun !== undefined) continue;
      runBlock(block, app, `quick-start-${++index}.mjs`);
    }
    assert.ok(index >= 2, "the install and the create blocks ran");

    const started = await startAdmin(adminCommand, app);
    admin = started.child;
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(started.url);
      await page.getByLabel("Username", { exact: true }).fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Log in" }).click();
      await arriveAt(page, /\/users$/);
      await page.getByRole("heading", { name: "Users" }).waitFor();
      assert.equal((await page.locator(".whoami").textContent())?.trim(), `Logged in as ${username} (superuser)`);

      // Edit rights: the superuser's controls are there, and a change goes through.
      assert.ok(await page.getByLabel(`Select ${username}`).isVisible(), "rows can be selected for bulk actions");
      await page.getByRole("link", { name: "Add a user" }).click();
      await page.getByLabel("Username", { exact: true }).fill("grace");
      await page.getByLabel("Password", { exact: true }).fill("grace-s3cret");
      await page.getByLabel("Confirm the password").fill("grace-s3cret");
      await page.getByRole("button", { name: "Create user" }).click();
      await arriveAt(page, /\/users\/\d+(\?|$)/);
      await page.getByText("User created.").waitFor();
      await page.getByRole("button", { name: "Save details" }).waitFor();
      await page.getByRole("button", { name: "Save permissions" }).waitFor();
      assert.match((await page.locator("h1").textContent()) ?? "", /grace/);
    } finally {
      await browser.close();
    }
  });
});
