import net, { type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { rawValues, send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
];

/** A backend that answers every request with exactly these bytes and closes. */
async function rawBackend(response: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    let got = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n')) socket.end(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Header names (lowercased) of the first response in a raw byte stream. */
function responseHeaderNames(raw: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

describe('forwarding headers (SPEC §2)', () => {
  let backend: Backend;
  let hopBackend: Awaited<ReturnType<typeof rawBackend>>;
  let proxy: RunningProxy;
  const last = () => {
    const seen = backend.seen.at(-1);
    if (!seen) throw new Error('the backend saw no request');
    return seen;
  };

  beforeAll(async () => {
    backend = await startBackend('app');
    backend.handle((_req, res) => {
      res.writeHead(200, { 'X-Powered-By': 'Express', 'X-Frame-Options': 'SAMEORIGIN' });
      res.end('ok');
    });
    hopBackend = await rawBackend(
      [
        'HTTP/1.1 200 OK',
        'Content-Type: text/plain',
        'Content-Length: 5',
        'Connection: close, X-Backend-Secret, X-Other-Secret',
        'X-Backend-Secret: s1',
        'X-Other-Secret: s2',
        'Keep-Alive: timeout=1, max=7',
        'Proxy-Connection: keep-alive',
        'Proxy-Authenticate: Basic realm="backend"',
        'Trailer: X-Checksum',
        'Upgrade: h2c',
        'TE: trailers',
        'X-End-To-End: kept',
        '',
        'hello',
      ].join('\r\n'),
    );
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'hop', match: { path: '/hop' }, to: `http://127.0.0.1:${hopBackend.port}` },
        { name: 'keep', match: { path: '/keep' }, to: backend.url, preserveHost: true },
        {
          name: 'ops',
          match: { path: '/ops' },
          to: backend.url,
          headers: {
            request: {
              set: { 'X-Forwarded-Proto': 'https', 'X-Team': 'blue' },
              remove: ['X-Debug', 'Cookie'],
            },
            response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['X-Powered-By'] },
          },
        },
        { name: 'app', match: { path: '/' }, to: backend.url },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    await hopBackend.close();
  });
  beforeEach(() => {
    backend.seen.length = 0;
  });

  it('sets X-Forwarded-For to the client address when there was none', async () => {
    await send(proxy.port(), '/x');
    expect(rawValues(last().rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1']);
  });

  it('appends the client address to a client-sent X-Forwarded-For', async () => {
    await send(proxy.port(), '/x', { headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' } });
    expect(rawValues(last().rawHeaders, 'x-forwarded-for')).toEqual([
      '203.0.113.7, 10.0.0.1, 127.0.0.1',
    ]);
  });

  it('replaces client-sent X-Forwarded-Host and X-Forwarded-Proto', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /x HTTP/1.1\r\nHost: app.localhost:8080\r\nX-Forwarded-Host: evil.example\r\n' +
        'X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil2.example\r\n' +
        'X-Forwarded-Server: spoofed\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([200]);
    const raws = last().rawHeaders;
    expect(rawValues(raws, 'x-forwarded-host')).toEqual(['app.localhost:8080']);
    expect(rawValues(raws, 'x-forwarded-proto')).toEqual(['http']);
    expect(rawValues(raws, 'x-forwarded-server')).toEqual([hostname()]);
  });

  it('adds a Via hop, appended to a client-sent Via, with the request HTTP version', async () => {
    await send(proxy.port(), '/x', { headers: { Via: '1.1 cdn-edge' } });
    expect(rawValues(last().rawHeaders, 'via')).toHaveLength(1);
    expect(last().headers.via).toMatch(/^1\.1 cdn-edge, 1\.1 switchyard-[0-9a-f]{6}$/);
    await rawRequest(proxy.port(), 'GET /x HTTP/1.0\r\nHost: a.localhost\r\n\r\n');
    expect(last().headers.via).toMatch(/^1\.0 switchyard-[0-9a-f]{6}$/);
  });

  it("sends the backend's Host by default and the client's with preserveHost", async () => {
    await send(proxy.port(), '/x', { headers: { Host: 'app.localhost:8080' } });
    expect(rawValues(last().rawHeaders, 'host')).toEqual([`127.0.0.1:${backend.port}`]);
    expect(last().headers['x-forwarded-host']).toBe('app.localhost:8080');
    await send(proxy.port(), '/keep', { headers: { Host: 'app.localhost:8080' } });
    expect(rawValues(last().rawHeaders, 'host')).toEqual(['app.localhost:8080']);
  });

  it('applies the route request header set/remove last, overriding X-Forwarded-Proto', async () => {
    await send(proxy.port(), '/ops/x', {
      headers: { 'X-Team': 'red', 'X-Debug': '1', Cookie: 'a=b', 'X-Other': 'o' },
    });
    const raws = last().rawHeaders;
    expect(rawValues(raws, 'x-forwarded-proto')).toEqual(['https']);
    expect(rawValues(raws, 'x-team')).toEqual(['blue']);
    expect(rawValues(raws, 'x-debug')).toEqual([]);
    expect(rawValues(raws, 'cookie')).toEqual([]);
    expect(rawValues(raws, 'x-other')).toEqual(['o']);
  });

  it('applies the route response header set/remove', async () => {
    const ops = await send(proxy.port(), '/ops/x');
    expect(rawValues(ops.rawHeaders, 'x-powered-by')).toEqual([]);
    expect(rawValues(ops.rawHeaders, 'x-frame-options')).toEqual(['DENY']);
    const plain = await send(proxy.port(), '/x');
    expect(plain.headers['x-powered-by']).toBe('Express');
    expect(plain.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  describe('hop-by-hop headers are removed both ways', () => {
    it('client → backend: Connection and what it lists, and every hop-by-hop header', async () => {
      const raw = await rawRequest(
        proxy.port(),
        [
          'GET /x HTTP/1.1',
          'Host: a.localhost',
          'Connection: keep-alive, X-Secret, x-other-secret',
          'X-Secret: s1',
          'X-Other-Secret: s2',
          'Keep-Alive: timeout=99, max=42',
          'Proxy-Connection: keep-alive',
          'TE: trailers, deflate',
          'Trailer: X-Checksum',
          'Upgrade: h2c',
          'Proxy-Authorization: Basic dXNlcjpwYXNz',
          'X-End-To-End: kept',
          '',
          '',
        ].join('\r\n'),
        { idleMs: 200 },
      );
      expect(statuses(raw)).toEqual([200]);
      const seen = last();
      const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      expect(names).not.toContain('x-secret');
      expect(names).not.toContain('x-other-secret');
      for (const h of HOP_BY_HOP.filter((h) => h !== 'connection')) {
        expect(names, h).not.toContain(h);
      }
      // Node's pooled agent adds its own `Connection: keep-alive` for the upstream hop.
      expect(rawValues(seen.rawHeaders, 'connection')).toEqual(['keep-alive']);
      expect(seen.rawHeaders.join('\n')).not.toMatch(/max=42|dXNlcjpwYXNz|deflate|h2c/i);
      expect(seen.headers['x-end-to-end']).toBe('kept');
    });

    it('a chunked request body is re-framed upstream, not passed with its own framing', async () => {
      const raw = await rawRequest(
        proxy.port(),
        'POST /x HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked\r\n' +
          'Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      );
      expect(statuses(raw)).toEqual([200]);
      expect(last().body).toBe('abcde');
      // Re-framed by the transport: chunked, or the exact length once the whole body is read.
      const te = rawValues(last().rawHeaders, 'transfer-encoding');
      const cl = rawValues(last().rawHeaders, 'content-length');
      expect(te.length + cl.length).toBe(1);
      expect(te.length === 1 ? te : cl).toEqual(te.length === 1 ? ['chunked'] : ['5']);
    });

    it('backend → client: Connection and what it lists, and every hop-by-hop header', async () => {
      const raw = await rawRequest(
        proxy.port(),
        'GET /hop HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n\r\n',
      );
      expect(statuses(raw)).toEqual([200]);
      expect(raw.endsWith('\r\n\r\nhello')).toBe(true);
      const names = responseHeaderNames(raw);
      expect(names).toContain('x-end-to-end');
      expect(names).not.toContain('x-backend-secret');
      expect(names).not.toContain('x-other-secret');
      for (const h of HOP_BY_HOP.filter((h) => h !== 'connection')) {
        expect(names, h).not.toContain(h);
      }
      // The only Connection header is the proxy's own answer to the client's `close`.
      expect(raw).toMatch(/\r\nConnection: close\r\n/i);
      expect(names.filter((n) => n === 'connection')).toHaveLength(1);
      expect(raw).not.toMatch(/max=7|realm="backend"|X-Checksum|h2c/i);
    });

    it('backend → client on a kept-alive client connection: no backend Keep-Alive', async () => {
      const raw = await rawRequest(proxy.port(), 'GET /hop HTTP/1.1\r\nHost: a.localhost\r\n\r\n', {
        idleMs: 200,
      });
      expect(statuses(raw)).toEqual([200]);
      expect(raw).not.toMatch(/max=7|X-Backend-Secret|X-Other-Secret|Proxy-/i);
      expect(raw).not.toMatch(/\r\nConnection: [^\r]*secret/i);
    });
  });
});

describe('a request without Host (HTTP/1.0)', () => {
  it('names the listener address as X-Forwarded-Host and in reversed Locations', async () => {
    const backend = await startBackend('b');
    backend.handle((_req, res) => {
      res.writeHead(302, { location: `${backend.url}/next` });
      res.end();
    });
    const proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'r', to: backend.url }],
    });
    try {
      const raw = await rawRequest(proxy.port(), 'GET /x HTTP/1.0\r\n\r\n');
      expect(statuses(raw)).toEqual([302]);
      expect(raw).toContain(`\r\nlocation: http://127.0.0.1:${proxy.port()}/next\r\n`);
      expect(backend.seen[0]?.headers['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port()}`);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});
