import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send, type Reply } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

const JSON_ACCEPT = { accept: 'application/json' };

interface ErrorJson {
  error: {
    status: number;
    title: string;
    detail: string;
    route?: string;
    backend?: string;
    source: string;
  };
}

const errorOf = (r: Reply) => (JSON.parse(r.body) as ErrorJson).error;

/** A TCP backend that runs `onData` on every socket's first bytes. */
async function tcpBackend(onData: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('errors (SPEC §2)', () => {
  let backend: Backend;
  let resetter: Awaited<ReturnType<typeof tcpBackend>>;
  let halfHead: Awaited<ReturnType<typeof tcpBackend>>;
  let halfBody: Awaited<ReturnType<typeof tcpBackend>>;
  let refusedUrl: string;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startBackend('app');
    backend.handle((req, res) => {
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      const timer = setTimeout(() => res.end('late'), delay);
      res.on('close', () => clearTimeout(timer));
    });
    resetter = await tcpBackend((socket) => socket.resetAndDestroy());
    halfHead = await tcpBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Ty');
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    halfBody = await tcpBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    refusedUrl = `http://127.0.0.1:${await deadPort()}`;
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'refused', match: { path: '/refused' }, to: `${refusedUrl}/base` },
        { name: 'reset', match: { path: '/reset' }, to: resetter.url },
        { name: 'half', match: { path: '/half' }, to: halfHead.url },
        { name: 'half-body', match: { path: '/body' }, to: halfBody.url },
        { name: 'slow', match: { path: '/slow' }, to: backend.url, timeout: '300ms' },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    await resetter.close();
    await halfHead.close();
    await halfBody.close();
  });

  it('answers 502 when the backend refuses the connection', async () => {
    const r = await send(proxy.port(), '/refused/x', { headers: JSON_ACCEPT });
    expect(r.status).toBe(502);
    expect(r.headers['x-switchyard-error']).toBe('502');
    expect(errorOf(r)).toMatchObject({
      status: 502,
      title: 'Backend refused the connection',
      route: 'refused',
      backend: `${refusedUrl}/base`,
      source: 'switchyard',
    });
  });

  it('answers 502 when the backend resets the socket mid-request', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await send(proxy.port(), '/reset/x', {
        method,
        headers: JSON_ACCEPT,
        ...(method === 'POST' ? { body: 'x'.repeat(64 * 1024) } : {}),
      });
      expect(r.status, method).toBe(502);
      expect(errorOf(r)).toMatchObject({ route: 'reset', backend: `${resetter.url}/` });
    }
  });

  it('answers 502 when the backend resets halfway through its response headers', async () => {
    const r = await send(proxy.port(), '/half', { headers: JSON_ACCEPT });
    expect(r.status).toBe(502);
    expect(errorOf(r).route).toBe('half');
  });

  it('cuts the client connection when the backend resets after its headers', async () => {
    const started = Date.now();
    const raw = await rawRequest(proxy.port(), 'GET /body HTTP/1.1\r\nHost: a.localhost\r\n\r\n', {
      idleMs: 3_000,
    });
    expect(Date.now() - started, 'closed, not left hanging').toBeLessThan(2_000);
    // The 200 had started, so it cannot become a 502; it must not look complete either.
    expect(statuses(raw)).toEqual([200]);
    expect(raw).toMatch(/\r\ncontent-length: 100\r\n/i);
    expect(raw.endsWith('\r\n\r\npartial')).toBe(true);
    expect((await send(proxy.port(), '/slow')).status).toBe(200);
  });

  it('answers 504 when the backend is slower than the route timeout', async () => {
    const started = Date.now();
    const r = await send(proxy.port(), '/slow?delay=5000', { headers: JSON_ACCEPT });
    const elapsed = Date.now() - started;
    expect(r.status).toBe(504);
    expect(r.headers['x-switchyard-error']).toBe('504');
    expect(errorOf(r)).toMatchObject({ title: 'Backend timed out', route: 'slow' });
    expect(errorOf(r).detail).toContain('300ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('does not time out a backend that answers within the timeout', async () => {
    const r = await send(proxy.port(), '/slow?delay=100');
    expect(r.status).toBe(200);
    expect(r.body).toBe('late');
  });

  it('keeps the client connection usable after an error page', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /refused/x HTTP/1.1\r\nHost: a.localhost\r\n\r\n' +
        'GET /nowhere HTTP/1.1\r\nHost: a.localhost\r\n\r\n' +
        'GET /slow HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([502, 404, 200]);
  });

  it('answers 404 when no route matches, naming the host and path', async () => {
    const r = await send(proxy.port(), '/nowhere?q=1', {
      headers: { ...JSON_ACCEPT, host: 'x.localhost' },
    });
    expect(r.status).toBe(404);
    expect(r.headers['x-switchyard-error']).toBe('404');
    const e = errorOf(r);
    expect(e.route).toBeUndefined();
    expect(e.detail).toContain("host 'x.localhost'");
    expect(e.detail).toContain("path '/nowhere'");
  });

  describe('error pages', () => {
    it('are HTML by default, naming the route and the backend', async () => {
      const r = await send(proxy.port(), '/refused/x');
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).toContain('<h1>502 Backend refused the connection</h1>');
      expect(r.body).toContain('<dt>Route</dt><dd>refused</dd>');
      expect(r.body).toContain(`<dt>Backend</dt><dd>${refusedUrl}/base</dd>`);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    });

    it('are JSON for Accept: application/json, HTML for a browser Accept', async () => {
      const json = await send(proxy.port(), '/refused/x', { headers: JSON_ACCEPT });
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      const browser = await send(proxy.port(), '/refused/x', {
        headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8' },
      });
      expect(browser.headers['content-type']).toMatch(/^text\/html/);
    });

    it('escape what the client sent', async () => {
      // (Such a Host is refused as invalid; the refusal quotes it, escaped.)
      const r = await send(proxy.port(), '/nowhere', {
        headers: { host: '<img src=x onerror=alert(1)>' },
      });
      expect(r.status).toBe(400);
      expect(r.body).not.toContain('<img');
      expect(r.body).toContain('&#60;img src=x onerror=alert(1)&#62;');
    });

    it('have no body for HEAD', async () => {
      const raw = await rawRequest(
        proxy.port(),
        'HEAD /refused/x HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n\r\n',
      );
      expect(statuses(raw)).toEqual([502]);
      expect(raw.endsWith('\r\n\r\n')).toBe(true);
    });
  });
});

describe('access list (SPEC §1 access)', () => {
  let backend: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startBackend('app');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      access: { allow: ['10.9.9.9/32', '::2'] },
      routes: [{ name: 'app', match: { path: '/' }, to: backend.url }],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it('answers 403 to a client outside the list and forwards nothing', async () => {
    const r = await send(proxy.port(), '/x', { headers: JSON_ACCEPT });
    expect(r.status).toBe(403);
    expect(r.headers['x-switchyard-error']).toBe('403');
    expect(errorOf(r).detail).toContain('127.0.0.1');
    const upgrade = await rawRequest(
      proxy.port(),
      'GET /ws HTTP/1.1\r\nHost: a.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(statuses(upgrade)).toEqual([403]);
    expect(backend.seen).toHaveLength(0);
  });

  it('serves the client once a reload allows it', async () => {
    await proxy.apply({
      listeners: [{ name: 'web', port: 0 }],
      access: { allow: ['10.9.9.9/32', '127.0.0.1'] },
      routes: [{ name: 'app', match: { path: '/' }, to: backend.url }],
    });
    expect((await send(proxy.port(), '/x')).status).toBe(200);
  });
});

describe('loop detection (SPEC §2)', () => {
  let proxy: RunningProxy;

  beforeAll(async () => {
    proxy = await startProxy({ listeners: [{ name: 'web', port: 0 }], routes: [] });
    const port = proxy.port();
    await proxy.apply({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'self', match: { path: '/' }, to: `http://127.0.0.1:${port}/`, timeout: '5s' },
      ],
    });
    expect(proxy.port()).toBe(port);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('stops a route that points at its own listener with 508', async () => {
    const started = Date.now();
    const r = await send(proxy.port(), '/x', { headers: JSON_ACCEPT });
    expect(r.status).toBe(508);
    expect(r.headers['x-switchyard-error']).toBe('508');
    expect(errorOf(r).title).toBe('Loop Detected');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('loop detection with a route that removes Via', () => {
  it('still answers 508: our Via hop is added after the route rules', async () => {
    const proxy = await startProxy({ listeners: [{ name: 'web', port: 0 }], routes: [] });
    try {
      const port = proxy.port();
      await proxy.apply({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          {
            name: 'self',
            to: `http://127.0.0.1:${port}/`,
            timeout: '5s',
            headers: { request: { remove: ['Via'] } },
          },
        ],
      });
      const r = await send(port, '/x', { headers: JSON_ACCEPT });
      expect(r.status).toBe(508);
    } finally {
      await proxy.close();
    }
  });
});
