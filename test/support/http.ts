/**
 * One HTTP request to 127.0.0.1 with full control over the path (sent as written, so
 * `..` and `//` reach the proxy unnormalised) and the headers (Host included), on a fresh
 * connection each time.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface SendOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export function send(port: number, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The JSON echo of test/support/backend.ts. */
export interface Echo {
  backend: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function echoOf(reply: Reply): Echo {
  return JSON.parse(reply.body) as Echo;
}

/** Values of one header name (any case) in a rawHeaders list, in order. */
export function rawValues(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name.toLowerCase()) out.push(rawHeaders[i + 1] ?? '');
  }
  return out;
}
