/**
 * Request smuggling and forward-proxy abuse, proven at the byte level (SPEC §2): the
 * backend is a raw TCP server that parses exactly what it received, so a second request
 * hidden in a body would show up as a second parsed request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';
import { startRawBackend, type ParsedRequest, type RawBackend } from '../support/raw-backend.js';

/** Every byte the backend received, on any connection. */
const received = (backend: RawBackend): string =>
  backend.bytes.map((b) => b.toString('latin1')).join('');

/** A body framed as RFC 9112 wants it: chunked alone, or a Content-Length equal to its size. */
function framing(req: ParsedRequest | undefined): boolean {
  if (!req) return false;
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined) return cl === undefined && te.join() === 'chunked';
  return cl?.length === 1 && Number(cl[0]) === Buffer.byteLength(req.body, 'latin1');
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
      // Framed either way the transport chooses: chunked, or the exact length it read.
      expect(framing(req)).toBe(true);
    });
  }

  // Issue 11.1: a client listed the framing header in Connection. Before the fix the
  // hop-by-hop rule dropped Content-Length, and the body went upstream unframed: the backend
  // read the request inside it as a request of its own, outside the route's prefix.
  const SMUGGLED = (path: string) => `GET ${path} HTTP/1.1\r\nHost: smuggled.example\r\n\r\n`;
  function listedLength(method: string, hidden: string): string {
    return (
      `${method} /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(hidden)}\r\n` +
      `Connection: keep-alive, Content-Length\r\n\r\n${hidden}`
    );
  }
  for (const method of ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']) {
    for (const path of ['/app/SMUGGLED', '/admin/secret']) {
      it(`${method} with 'Connection: Content-Length' keeps its body framed (hidden ${path})`, async () => {
        const hidden = SMUGGLED(path);
        const raw = await rawRequest(proxy.port(), listedLength(method, hidden), { idleMs: 150 });
        expect(statuses(raw)).toEqual([200]);
        await sleep(50);
        expect(backend.garbage).toEqual([]);
        expect(backend.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
          `${method} /app/x`,
        ]);
        const [req] = backend.requests;
        expect(req?.body).toBe(hidden);
        expect(req?.headers['content-length']).toEqual([String(Buffer.byteLength(hidden))]);
        expect(req?.headers['x-forwarded-for']).toBeDefined();
      });
    }
  }

  it("a chunked DELETE with 'Connection: Transfer-Encoding' stays chunked upstream", async () => {
    const bytes =
      'DELETE /app/item HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close, Transfer-Encoding\r\n' +
      `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(HIDDEN).toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`;
    expect(statuses(await rawRequest(proxy.port(), bytes))).toEqual([200]);
    expect(backend.garbage).toEqual([]);
    expect(backend.requests.map((r) => r.body)).toEqual([HIDDEN]);
    expect(framing(backend.requests[0])).toBe(true);
  });

  it('other headers listed in Connection are still dropped', async () => {
    const bytes =
      'GET /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close, X-Private, Content-Length\r\n' +
      'X-Private: secret\r\nX-Public: yes\r\n\r\n';
    expect(statuses(await rawRequest(proxy.port(), bytes))).toEqual([200]);
    const [req] = backend.requests;
    expect(req?.headers['x-private']).toBeUndefined();
    expect(req?.headers['x-public']).toEqual(['yes']);
  });

  it('refuses a WebSocket handshake that carries a body, before any backend sees it', async () => {
    const hidden = SMUGGLED('/admin/secret');
    const raw = await rawRequest(
      proxy.port(),
      'GET /app/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, Content-Length\r\n' +
        'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Content-Length: ${Buffer.byteLength(hidden)}\r\n\r\n${hidden}`,
    );
    expect(statuses(raw)).toEqual([400]);
    expect(raw).toContain('cannot carry a body');
    await sleep(50);
    expect(received(backend)).toBe('');
  });

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
      expect(received(backend)).toBe('');
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
    for (let i = 0; i < 40 && backend.openWithBytes() > 0; i++) await sleep(50);
    expect(backend.openWithBytes()).toBe(0);
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
    expect(received(backend)).toBe('');
  });

  it('refuses an absolute-form target with 400 and never forward-proxies', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET http://other.example/app/x HTTP/1.1\r\nHost: other.example\r\n\r\n' + follow,
    );
    expect(statuses(raw)).toEqual([400]);
    expect(raw).toContain('reverse proxy');
    expect(received(backend)).toBe('');
  });

  it('refuses CONNECT with 405', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([405]);
    expect(received(backend)).toBe('');
  });

  it('refuses an asterisk-form OPTIONS target with 400', async () => {
    const raw = await rawRequest(proxy.port(), 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(statuses(raw)).toEqual([400]);
    expect(received(backend)).toBe('');
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
