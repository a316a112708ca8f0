// Web-standard requests from what frameworks hand over: the adapters and `getSession` build on these.

/** Request headers as a framework holds them: `Headers`, or Node's `req.headers` object. */
export type HeadersInput = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The headers as a `Headers` (Node's repeated headers appended one by one). */
export function headersOf(input: HeadersInput): Headers {
  if (input instanceof Headers) return input;
  const headers = new Headers();
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    for (const each of typeof value === "string" ? [value] : value) headers.append(name, each);
  }
  return headers;
}

/** A GET request for the headers (at `/` of their Host), or the request itself. */
export function requestOf(input: Request | HeadersInput): Request {
  if (input instanceof Request) return input;
  const headers = headersOf(input);
  let url: URL;
  try {
    url = new URL(`http://${headers.get("host") ?? "localhost"}/`);
  } catch {
    url = new URL("http://localhost/"); // a Host no URL can hold: the cookies still say whose session it is
  }
  return new Request(url, { headers });
}

/** The last segment of a request's path (`/auth/login` → `/login`): the login routes answer wherever mounted. */
export function lastSegmentPath(request: Request): string {
  const path = new URL(request.url).pathname.replace(/\/+$/, "");
  return path.slice(path.lastIndexOf("/")) || "/";
}
