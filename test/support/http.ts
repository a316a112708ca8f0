// One raw HTTP request to a server on loopback, without any client's own handling of the answer
// (no redirects followed, no cookies kept): what a test of status codes and headers needs.
import http from "node:http";

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The local address to send from (another loopback address is another client). */
  from?: string;
  /** How the body is read: latin1 keeps every byte of a malformed answer. Default utf8. */
  encoding?: BufferEncoding;
}

export function send(port: number, path: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, localAddress: options.from, agent: false },
      (res) => {
        let body = "";
        res.setEncoding(options.encoding ?? "utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
