// Two kinds of browser for the session and admin tests: `FakeBrowser`, which keeps cookies across
// `app.request(...)` calls (no server, no network), and a real Chromium driven by playwright-core.
import { existsSync } from "node:fs";

type Fetcher = (url: string, init: RequestInit) => Response | Promise<Response>;

export interface FormOptions {
  /** Send the CSRF token from the cookie as the form field (default true). */
  csrf?: boolean;
  headers?: Record<string, string>;
}

/** A cookie jar in front of a fetch function (`(url, init) => app.request(url, init, env)`). Cookie paths are ignored. */
export class FakeBrowser {
  readonly cookies = new Map<string, { value: string; attributes: string }>();

  constructor(
    private readonly fetcher: Fetcher,
    readonly origin = "http://localhost",
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("cookie")) {
      headers.set("cookie", [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join("; "));
    }
    const response = await this.fetcher(new URL(path, this.origin).href, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const text = attributes.join(";");
      if (/max-age=0\b/i.test(text) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: text });
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
