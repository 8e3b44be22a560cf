/**
 * Request smuggling and forward-proxy abuse, proven at the byte level (SPEC §2): the
 * backend is a raw TCP server that parses exactly what it received, so a second request
 * hidden in a body would show up as a second parsed request.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

interface ParsedRequest {
  method: string;
  target: string;
  headers: Record<string, string[]>;
  body: string;
}

interface RawBackend {
  port: number;
  /** Every byte received, per connection, in arrival order. */
  bytes: Buffer[];
  requests: ParsedRequest[];
  /** Bytes that did not parse as an HTTP request (a desynchronised stream). */
  garbage: string[];
  /** Connections open right now. */
  open(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Parse one request at the start of `buf`; undefined while incomplete, 'garbage' when not HTTP. */
function parseOne(buf: Buffer): { request: ParsedRequest; used: number } | 'garbage' | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return buf.length > 65_536 ? 'garbage' : undefined;
  const [line = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return 'garbage';
  const headers: Record<string, string[]> = {};
  for (const l of lines) {
    const colon = l.indexOf(':');
    const name = l.slice(0, colon).toLowerCase();
    (headers[name] ??= []).push(l.slice(colon + 1).trim());
  }
  let at = end + 4;
  let body = '';
  if (headers['transfer-encoding']?.join(',').toLowerCase().includes('chunked')) {
    for (let guard = 0; guard < 10_000; guard++) {
      const eol = buf.indexOf('\r\n', at);
      if (eol === -1) return undefined;
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) return 'garbage';
      if (buf.length < eol + 2 + size + 2) return undefined;
      body += buf.subarray(eol + 2, eol + 2 + size).toString('latin1');
      at = eol + 2 + size + 2;
      if (size === 0) break;
    }
  } else if (headers['content-length']) {
    const n = Number(headers['content-length'][0]);
    if (buf.length < at + n) return undefined;
    body = buf.subarray(at, at + n).toString('latin1');
    at += n;
  }
  return { request: { method: m[1] ?? '', target: m[2] ?? '', headers, body }, used: at };
}

async function startRawBackend(): Promise<RawBackend> {
  const backend = {
    bytes: [] as Buffer[],
    requests: [] as ParsedRequest[],
    garbage: [] as string[],
  };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const index = backend.bytes.push(Buffer.alloc(0)) - 1;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      backend.bytes[index] = Buffer.concat([backend.bytes[index] ?? Buffer.alloc(0), chunk]);
      pending = Buffer.concat([pending, chunk]);
      for (let guard = 0; guard < 100 && pending.length > 0; guard++) {
        const parsed = parseOne(pending);
        if (parsed === undefined) return;
        if (parsed === 'garbage') {
          backend.garbage.push(pending.toString('latin1'));
          pending = Buffer.alloc(0);
          return;
        }
        backend.requests.push(parsed.request);
        pending = pending.subarray(parsed.used);
        const reply = `seen ${parsed.request.method} ${parsed.request.target}`;
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${reply.length}\r\n\r\n${reply}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...backend,
    port: (server.address() as AddressInfo).port,
    open: () => sockets.size,
    reset() {
      backend.bytes.length = 0;
      backend.requests.length = 0;
      backend.garbage.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const HIDDEN = 'GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

function chunked(method: string, body: string): string {
  return (
    `${method} /app/item HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n` +
    `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`
  );
}

describe('request smuggling', () => {
  let backend: RawBackend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startRawBackend();
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'app', match: { path: '/app' }, to: `http://127.0.0.1:${backend.port}/app` },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });
  beforeEach(() => backend.reset());

  it('control: plain http-proxy-3 (deleteLength pass kept) does smuggle a chunked DELETE body', async () => {
    const lib = createProxyServer({ target: `http://127.0.0.1:${backend.port}` });
    lib.on('error', () => {});
    const server = http.createServer((req, res) => lib.web(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await rawRequest((server.address() as AddressInfo).port, chunked('DELETE', HIDDEN));
      // Shows the raw backend detects the flaw: the hidden request was parsed separately.
      expect(backend.requests.map((r) => r.target)).toContain('/smuggled');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      lib.close();
    }
  });

  for (const method of ['DELETE', 'OPTIONS']) {
    it(`frames a chunked ${method} body so a request inside it stays body`, async () => {
      const raw = await rawRequest(proxy.port(), chunked(method, HIDDEN));
      expect(statuses(raw)).toEqual([200]);
      expect(raw).toContain(`seen ${method} /app/item`);
      expect(backend.garbage).toEqual([]);
      expect(backend.requests).toHaveLength(1);
      const [req] = backend.requests;
      expect(req?.method).toBe(method);
      expect(req?.body).toBe(HIDDEN);
      expect(req?.headers['transfer-encoding']).toEqual(['chunked']);
      expect(req?.headers['content-length']).toBeUndefined();
    });
  }

  it('still forwards a chunked POST whose body is several chunks', async () => {
    const bytes =
      'POST /app/item HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n' +
      '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n';
    expect(statuses(await rawRequest(proxy.port(), bytes))).toEqual([200]);
    expect(backend.requests.map((r) => r.body)).toEqual(['abcdefg']);
  });

  const follow = 'GET /app/follow-up HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const refused: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two Content-Length headers (equal)',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
    ],
    [
      'two Content-Length headers (different)',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 0\r\n\r\nabc',
    ],
    [
      'a bad chunk size',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    ],
    ['two Host headers', 'GET /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: other.example\r\n\r\n'],
    [
      'HTTP/1.0 with Transfer-Encoding',
      'POST /app/x HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'Transfer-Encoding: gzip, chunked',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two Transfer-Encoding headers',
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
  ];
  for (const [name, bytes] of refused) {
    it(`refuses ${name} with 400, reaches no backend and closes the connection`, async () => {
      const raw = await rawRequest(proxy.port(), bytes + follow, { idleMs: 1_500 });
      // One answer only: the pipelined follow-up was never read as a request.
      expect(statuses(raw)).toEqual([400]);
      expect(raw.toLowerCase()).toContain('connection: close');
      // Give anything that did leak a moment to arrive before counting.
      await sleep(100);
      expect(backend.requests).toEqual([]);
      expect(backend.garbage).toEqual([]);
      expect(backend.bytes.map((b) => b.toString('latin1'))).toEqual([]);
    });
  }

  it('a bad chunk after a good one: the partial upstream request is cut, never reused', async () => {
    // Bodies stream, so the first chunk may already be upstream when the framing error
    // appears. The upstream connection must then be closed, not pooled mid-body.
    const raw = await rawRequest(
      proxy.port(),
      'POST /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n' +
        follow,
    );
    expect(statuses(raw)).toEqual([400]);
    for (let i = 0; i < 40 && backend.open() > 0; i++) await sleep(50);
    expect(backend.open()).toBe(0);
    expect(backend.requests).toEqual([]);
    const ok = 'GET /app/after HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    expect(statuses(await rawRequest(proxy.port(), ok))).toEqual([200]);
    expect(backend.requests.map((r) => r.target)).toEqual(['/app/after']);
    expect(backend.garbage).toEqual([]);
  });

  it('does not tunnel a WebSocket handshake pipelined after a refused request', async () => {
    const upgrade =
      'GET /app/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const raw = await rawRequest(
      proxy.port(),
      'GET /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: other.example\r\n\r\n' + upgrade,
    );
    expect(statuses(raw)).toEqual([400]);
    await sleep(100);
    expect(backend.bytes.map((b) => b.toString('latin1'))).toEqual([]);
  });

  it('refuses an absolute-form target with 400 and never forward-proxies', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET http://other.example/app/x HTTP/1.1\r\nHost: other.example\r\n\r\n' + follow,
    );
    expect(statuses(raw)).toEqual([400]);
    expect(raw).toContain('reverse proxy');
    expect(backend.bytes.map((b) => b.toString('latin1'))).toEqual([]);
  });

  it('refuses CONNECT with 405', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([405]);
    expect(backend.bytes.map((b) => b.toString('latin1'))).toEqual([]);
  });

  it('refuses an asterisk-form OPTIONS target with 400', async () => {
    const raw = await rawRequest(proxy.port(), 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(statuses(raw)).toEqual([400]);
    expect(backend.bytes.map((b) => b.toString('latin1'))).toEqual([]);
  });

  it('keeps serving after all of the above', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /app/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([200]);
    expect(backend.requests.map((r) => r.target)).toEqual(['/app/ok']);
  });
});
