// Run by test/runtimes.test.ts on Node, Bun and Deno (a file inside the package, so Deno resolves its
// imports through the package's node_modules): logs each given user in with BaseUser.login and
// loginSync, tries a wrong password, and logs in through examples/hono-app.mjs's session routes, then
// prints one JSON line. Arguments: one JSON object { url, password, usernames }.
import { BaseUser, hasherInfo } from "piccolo-ts";

interface Settings {
  url: string;
  password: string;
  usernames: string[];
}

export interface ProbeResult {
  login: number | null;
  loginSync: number | null;
  wrong: number | null;
  sessionStatus: number;
  privateStatus: number;
  privateText: string;
}

export interface ProbeReport {
  results: Record<string, ProbeResult>;
  implementation: string;
  runtime: string;
  completed: number;
}

type HonoLike = { request(url: string, init?: RequestInit): Promise<Response> };

const { url, password, usernames } = JSON.parse(process.argv[2] ?? "{}") as Settings;
const example = new URL("../../../examples/hono-app.mjs", import.meta.url).href;
const { createApp } = (await import(example)) as { createApp(options: { userClass: typeof BaseUser }): HonoLike };

class User extends BaseUser {
  static override database = url;
}
const app = createApp({ userClass: User });
const results: Record<string, ProbeResult> = {};
for (const username of usernames) {
  const login = await User.login(username, password);
  const loginSync = User.loginSync(username, password);
  const wrong = await User.login(username, `${password}!`);
  // The example's session login: the form's CSRF cookie and token, then the session cookie opens /private.
  const form = await app.request("http://127.0.0.1/auth/login");
  const csrf = /csrftoken=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const posted = await app.request("http://127.0.0.1/auth/login", {
    method: "POST",
    headers: { cookie: `csrftoken=${csrf}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password, csrftoken: csrf }).toString(),
  });
  const session = /(?:^|[ ,])(id=[^;]+)/.exec(posted.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const page = await app.request("http://127.0.0.1/private", { headers: { cookie: `${session}; csrftoken=${csrf}` } });
  results[username] = { login, loginSync, wrong, sessionStatus: posted.status, privateStatus: page.status, privateText: await page.text() };
}
const { implementation, runtime, completed } = hasherInfo();
console.log(JSON.stringify({ results, implementation, runtime, completed } satisfies ProbeReport));
await User.close();
