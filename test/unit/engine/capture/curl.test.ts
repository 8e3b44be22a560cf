/**
 * "Copy as cURL" tested by running the command: bash executes it against a backend on
 * 127.0.0.1 that records exactly what arrived.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote, toCurl } from '../../../../src/engine/capture/curl.js';
import {
  exchangeDetailSchema,
  type ExchangeDetail,
  type HeaderPairs,
} from '../../../../src/shared/exchange.js';

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  headers: HeaderPairs;
  body: Buffer;
}

let server: http.Server;
let baseUrl = '';
let authority = '';
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: HeaderPairs = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        headers.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      }
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers,
        body: Buffer.concat(chunks),
      });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  authority = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  baseUrl = `http://${authority}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Run a shell script with bash: `bash -c`, or from a file when too long for one argument. */
async function bash(script: string): Promise<{ code: number | null; stderr: string }> {
  let args = ['-c', script];
  // Linux caps one argument at 128 KiB; bash reads a file faster than stdin (byte by byte).
  if (Buffer.byteLength(script) > 100_000) {
    const dir = await mkdtemp(join(tmpdir(), 'curl-test-'));
    await writeFile(join(dir, 'command.sh'), script);
    args = [join(dir, 'command.sh')];
  }
  const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (args[0] !== '-c') await rm(dirname(args[0] ?? ''), { recursive: true });
  return { code, stderr };
}

async function replay(d: ExchangeDetail, body?: Buffer, base = baseUrl) {
  const command = toCurl(d, body, { baseUrl: base });
  const before = seen.length;
  const { code, stderr } = await bash(`${command} --silent --show-error --output /dev/null`);
  expect({ code, stderr: stderr.replace(/^switchyard: .*\n/, '') }).toEqual({
    code: 0,
    stderr: '',
  });
  expect(seen).toHaveLength(before + 1);
  return { command, stderr, got: seen[before] as Seen };
}

function detail(overrides: Partial<ExchangeDetail>): ExchangeDetail {
  return exchangeDetailSchema.parse({
    id: 1,
    startedAt: 0,
    listener: 'main',
    client: '127.0.0.1:1',
    method: 'GET',
    url: '/',
    host: 'app.localhost',
    secure: false,
    attempts: 1,
    status: 200,
    outcome: 'completed',
    timings: {},
    requestBytes: 0,
    responseBytes: 0,
    requestHeaders: [],
    responseHeaders: [],
    httpVersion: '1.1',
    requestBody: { size: 0, captured: 0, truncated: false },
    responseBody: { size: 0, captured: 0, truncated: false },
    ...overrides,
  });
}

function withBody(overrides: Partial<ExchangeDetail>, body: Buffer): ExchangeDetail {
  return detail({
    requestBytes: body.length,
    requestBody: { size: body.length, captured: body.length, truncated: false },
    ...overrides,
  });
}

/** Names the test expects curl to drop (hop-by-hop, recomputed) or add on its own. */
const dropped = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te']);
const curlOwn = new Set(['user-agent', 'accept', 'content-length']);

/** Every replayable header arrived with its value, in order, and nothing else but curl's. */
function expectHeaders(got: Seen, sent: HeaderPairs, alsoDropped: string[] = []) {
  const lower = (name: string) => name.toLowerCase();
  const expected = sent.filter(([n]) => !dropped.has(lower(n)) && !alsoDropped.includes(lower(n)));
  const names = new Set(expected.map(([n]) => lower(n)));
  const received = got.headers.filter(([n]) => names.has(lower(n)));
  const withoutHost = (h: HeaderPairs) => h.filter(([n]) => lower(n) !== 'host');
  expect(withoutHost(received)).toEqual(withoutHost(expected));
  expect(received.filter(([n]) => lower(n) === 'host')).toEqual(
    expected.filter(([n]) => lower(n) === 'host'),
  );
  const extra = got.headers.filter(([n]) => !names.has(lower(n)) && lower(n) !== 'host');
  expect(extra.filter(([n]) => !curlOwn.has(lower(n)))).toEqual([]);
}

/** Byte equality; vitest's deep equality walks a Buffer element by element (slow at 200 KB). */
function expectBytes(got: Buffer, sent: Buffer) {
  if (sent.length <= 1024) expect(got).toEqual(sent);
  else
    expect({ length: got.length, equal: got.equals(sent) }).toEqual({
      length: sent.length,
      equal: true,
    });
}

const nasty = `it's "quoted" $HOME $(id) \`id\` \\ ! * ~ ; & | < > #`;

describe('toCurl, executed', () => {
  it('replays a GET: path, query and headers with shell metacharacters', async () => {
    const d = detail({
      url: "/search?q='it's'&x=\"y\"&$(id)&`id`&a=%20b;c|d",
      requestHeaders: [
        ['Host', 'app.localhost'],
        ['User-Agent', 'Mozilla/5.0 (X11) "quoted"'],
        ['Accept', 'text/html'],
        ['X-Nasty', nasty],
        ['Cookie', 'a=1; b=2'],
        ['X-Dup', 'one'],
        ['X-Dup', 'two'],
        ['X-Empty', ''],
      ],
    });
    const { command, got } = await replay(d);
    expect(command).not.toMatch(/ -X /);
    expect(command).toContain('--http1.1');
    expect(got).toMatchObject({ method: 'GET', url: d.url, httpVersion: '1.1' });
    expectHeaders(got, d.requestHeaders);
    expect(got.body.length).toBe(0);
  });

  it('sends a UTF-8 text body as an argument, byte for byte', async () => {
    const body = Buffer.from(`{"msg": "${nasty}\nline 2\n\ttabbed é ✓ 😀 '''"}\n`);
    const d = withBody(
      {
        method: 'POST',
        url: '/api/messages?draft=1',
        requestHeaders: [
          ['Host', 'app.localhost'],
          ['Content-Type', 'application/json; charset=utf-8'],
          ['Content-Length', String(body.length)],
          ['Connection', 'keep-alive, X-Hop'],
          ['X-Hop', 'gone'],
          ['Keep-Alive', 'timeout=5'],
        ],
      },
      body,
    );
    const { command, got } = await replay(d, body);
    expect(command).not.toMatch(/ -X | @- |base64/);
    expect(command).toContain('--data-binary \'{"msg"');
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/api/messages?draft=1');
    expectBytes(got.body, body);
    expectHeaders(got, d.requestHeaders, ['x-hop']);
  });

  it('pipes a binary body with NUL bytes through base64 -d', async () => {
    const body = Buffer.from([0, 1, 2, 0, 255, 0x27, 0x0a, 0x0d, 0, 0x80, 0xc3]);
    const d = withBody(
      {
        method: 'PUT',
        url: '/blob',
        requestHeaders: [['Content-Type', 'application/octet-stream']],
      },
      body,
    );
    const { command, got } = await replay(d, body);
    expect(command).toMatch(/^printf '%s' [A-Za-z0-9+/=]+ \| base64 -d \| curl /);
    expect(command).toContain(' -X PUT ');
    expect(command).toMatch(/--data-binary @-$/);
    expect(got.method).toBe('PUT');
    expectBytes(got.body, body);
    expectHeaders(got, d.requestHeaders);
  });

  it.each<[string, Buffer, 'argument' | 'printf' | 'base64']>([
    [
      'CRLF text (multipart)',
      Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n'),
      'base64',
    ],
    ['text starting with @', Buffer.from('@/etc/passwd is not a file here'), 'printf'],
    ['control characters', Buffer.from('escape \u001b[31m red \u009b'), 'base64'],
    ['invalid UTF-8', Buffer.from([0x68, 0x69, 0xc3]), 'base64'],
    ['text over 64 KiB', Buffer.from(`${'é'.repeat(40_000)}'"$x\n`.repeat(2)), 'printf'],
    ['text over 128 KiB', Buffer.from('x'.repeat(200_000)), 'printf'],
    ['a body over 1 KiB', Buffer.from('y'.repeat(5000)), 'argument'],
  ])('replays %s exactly', async (_name, body, form) => {
    const d = withBody(
      { method: 'POST', url: '/form', requestHeaders: [['Content-Type', 'text/plain']] },
      body,
    );
    const { command, got } = await replay(d, body);
    expect(command.startsWith(form === 'argument' ? 'curl ' : "printf '%s' ")).toBe(true);
    expect(command.includes(' | base64 -d | curl ')).toBe(form === 'base64');
    if (body.length > 1024) expect(command).toContain(' -H Expect: ');
    expectBytes(got.body, body);
    expectHeaders(got, d.requestHeaders);
  });

  it('does not let curl invent a Content-Type', async () => {
    const body = Buffer.from('raw');
    const { got } = await replay(withBody({ method: 'POST' }, body), body);
    expect(got.headers.map(([n]) => n.toLowerCase())).not.toContain('content-type');
    expectBytes(got.body, body);
  });

  it.each([
    ['DELETE', undefined, ' -X DELETE '],
    ['HEAD', undefined, ' --head '],
    ['GET', Buffer.from('a body on a GET'), ' -X GET '],
    ['POST', undefined, ' -X POST '],
    ['PATCH', Buffer.from('{}'), ' -X PATCH '],
  ])('uses the right method flag for %s', async (method, body, flag) => {
    const d = body ? withBody({ method }, body) : detail({ method });
    const { command, got } = await replay(d, body);
    expect(command).toContain(flag);
    expect(got.method).toBe(method);
    expectBytes(got.body, body ?? Buffer.alloc(0));
  });

  it('sends a truncated body as far as it was kept, and says so on stderr', async () => {
    const kept = Buffer.from('{"partial": tr');
    const d = detail({
      method: 'POST',
      requestHeaders: [['Content-Type', 'application/json']],
      requestBytes: 5000,
      requestBody: { size: 5000, captured: kept.length, truncated: true },
    });
    const { command, stderr, got } = await replay(d, kept);
    expect(command).toMatch(
      /^echo 'switchyard: the request body was truncated: sending the 14 of 5000 bytes captured' >&2; curl /,
    );
    expect(stderr).toContain('truncated');
    expect(got.body).toEqual(kept);
  });

  it('says so when the body was not captured at all', async () => {
    const d = detail({
      method: 'PUT',
      requestBytes: 10,
      requestBody: { size: 10, captured: 0, truncated: true },
    });
    const { command, got } = await replay(d);
    expect(command).toContain('was not captured; sending none');
    expect(got.body.length).toBe(0);
  });

  it('keeps dot segments, brackets and braces as sent', async () => {
    const d = detail({ url: '/a/../b/./c/..?x[0]=1&y={z}' });
    const { command, got } = await replay(d);
    expect(command).toContain('--path-as-is');
    expect(command).toContain('--globoff');
    expect(got.url).toBe(d.url);
  });

  it('sends OPTIONS * and HTTP/1.0', async () => {
    const { command, got } = await replay(
      detail({ method: 'OPTIONS', url: '*', httpVersion: '1.0' }),
    );
    expect(command).toContain("--request-target '*'");
    expect(command).toContain('--http1.0');
    expect(got).toMatchObject({ method: 'OPTIONS', url: '*', httpVersion: '1.0' });
  });

  it('leaves Host to curl when it matches the URL', async () => {
    const d = detail({
      host: authority,
      requestHeaders: [
        ['Host', authority],
        ['X-A', '1'],
      ],
    });
    const { command, got } = await replay(d);
    expect(command).not.toContain('Host:');
    expectHeaders(got, d.requestHeaders);
  });
});

describe('toCurl, as text', () => {
  it('targets the client-facing URL by default', () => {
    const d = detail({
      secure: true,
      host: 'app.localhost:8443',
      url: '/x?y=1',
      requestHeaders: [['Host', 'app.localhost:8443']],
    });
    expect(toCurl(d)).toBe("curl 'https://app.localhost:8443/x?y=1' --http1.1");
  });

  it('asks for HTTP/2 as the client used it: ALPN over TLS, prior knowledge in clear text', () => {
    const tls = detail({ secure: true, httpVersion: '2.0', host: 'app.localhost:8443', url: '/x' });
    expect(toCurl(tls)).toBe('curl https://app.localhost:8443/x --http2');
    const plain = detail({ httpVersion: '2.0', url: '/x', requestHeaders: [[':authority', 'a']] });
    expect(toCurl(plain, undefined, { baseUrl: 'http://127.0.0.1:3000' })).toBe(
      'curl http://127.0.0.1:3000/x --http2-prior-knowledge',
    );
  });

  it('strips a trailing slash from baseUrl and keeps its path prefix', () => {
    const d = detail({ url: '/x', requestHeaders: [['Host', 'app.localhost']] });
    expect(toCurl(d, undefined, { baseUrl: 'http://127.0.0.1:3000/api/' })).toBe(
      "curl http://127.0.0.1:3000/api/x --http1.1 -H 'Host: app.localhost'",
    );
  });
});

describe('shellQuote', () => {
  it.each(['', 'plain', nasty, "'", "''", 'a\nb', '-n', '\t', 'é ✓', '%s', '\\'])(
    'survives bash: %j',
    async (word) => {
      const child = spawn('bash', ['-c', `printf '%s' ${shellQuote(word)}`]);
      const out: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      await new Promise((resolve) => child.on('close', resolve));
      expect(Buffer.concat(out).toString()).toBe(word);
    },
  );
});
