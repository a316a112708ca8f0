// Two kinds of browser for the session and admin tests: `FakeBrowser`, which keeps cookies across
// `app.request(...)` calls (no server, no network) in a real cookie jar (tough-cookie: paths, Secure,
// expiry and deletion as RFC 6265 says, so a cookie scoped to /admin is not sent to /), and a real
// Chromium driven by playwright-core.
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import { CookieJar } from "tough-cookie";
import { root } from "./cli.js";
import { tempDir } from "./engines.js";

/** Where the browser tests save screenshots: the README's, only on request, so test runs leave the checkout clean. */
export const screenshotDir = process.env.PICCOLO_UPDATE_SCREENSHOTS === "1" ? path.join(root, "docs/screenshots") : tempDir();

type Fetcher = (url: string, init: RequestInit) => Response | Promise<Response>;

export interface FormOptions {
  /** Send the CSRF token from the cookie as the form field (default true). */
  csrf?: boolean;
  headers?: Record<string, string>;
}

export interface StoredCookie {
  value: string;
  /** The attributes as the server sent them (`Path=/; HttpOnly; SameSite=Lax`…). */
  attributes: string;
  path: string;
}

/** A cookie jar in front of a fetch function (`(url, init) => app.request(url, init, env)`). */
export class FakeBrowser {
  readonly jar = new CookieJar();
  /** The Set-Cookie attributes last received for each cookie (by name and path). */
  private readonly received = new Map<string, string>();

  constructor(
    private readonly fetcher: Fetcher,
    readonly origin = "http://localhost",
  ) {}

  /**
   * Every cookie the browser holds now (any path), by name; with one name on several paths, the most
   * specific path. For what a request to a URL would carry, see `cookieHeader(path)`.
   */
  get cookies(): Map<string, StoredCookie> {
    const all = this.jar.getCookiesSync(this.origin, { allPaths: true });
    all.sort((a, b) => (a.path ?? "").length - (b.path ?? "").length);
    const map = new Map<string, StoredCookie>();
    for (const cookie of all) {
      const path = cookie.path ?? "/";
      map.set(cookie.key, { value: cookie.value, path, attributes: this.received.get(`${cookie.key};${path}`) ?? "" });
    }
    return map;
  }

  /** The Cookie header this browser sends with a request to `path` (empty when none). */
  cookieHeader(path: string): string {
    return this.jar.getCookieStringSync(new URL(path, this.origin).href);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path, this.origin).href;
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie !== "" && !headers.has("cookie")) headers.set("cookie", cookie);
    const response = await this.fetcher(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      // A cookie a browser would refuse (wrong domain, Secure over http) is dropped, as a browser does.
      const stored = this.jar.setCookieSync(line, url, { ignoreError: true });
      if (stored) this.received.set(`${stored.key};${stored.path ?? "/"}`, line.slice(line.indexOf(";") + 1).trim());
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers: { accept: "text/html", ...headers } });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  csrf(): string {
    return this.cookie("csrftoken") ?? this.cookie("__Host-csrftoken") ?? "";
  }

  postForm(path: string, fields: Record<string, string>, options: FormOptions = {}): Promise<Response> {
    const body = new URLSearchParams(fields);
    if (options.csrf !== false) body.set("csrftoken", this.csrf());
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", ...options.headers },
      body: body.toString(),
    });
  }

  postJson(path: string, value: unknown, options: FormOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json", ...options.headers };
    if (options.csrf !== false) headers["x-csrftoken"] = this.csrf();
    return this.request(path, { method: "POST", headers, body: JSON.stringify(value) });
  }
}

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM_PATH = process.env.PICCOLO_CHROMIUM ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** One headless Chromium, started the same way on every machine. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Why a Chromium file skips (outside CI only: on CI a missing Chromium fails the run), or false. */
export const chromiumSkip: string | false =
  !chromiumAvailable() && process.env.CI !== "true" ? "Chromium is not installed (apt-get install chromium)" : false;

/**
 * One Chromium for a whole test file: launched before its tests, closed after them (with the file's
 * database pools). Returns a getter for the running browser.
 */
export function chromiumForFile(closeDatabases: () => Promise<void>): () => import("playwright-core").Browser {
  let browser: import("playwright-core").Browser | undefined;
  before(async () => {
    if (!chromiumSkip) browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await closeDatabases();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not running");
    return browser;
  };
}
