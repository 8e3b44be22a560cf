import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A backend counting its TCP connections, behind a fresh proxy (so a fresh pool). */
async function setup(): Promise<{ backend: Backend; proxy: RunningProxy; connections(): number }> {
  const backend = await startBackend('app');
  cleanup.push(() => backend.close());
  let connections = 0;
  backend.server.on('connection', () => connections++);
  const proxy = await startProxy({
    listeners: [{ name: 'web', port: 0 }],
    routes: [{ name: 'app', match: { path: '/' }, to: backend.url }],
  });
  cleanup.push(() => proxy.close());
  return { backend, proxy, connections: () => connections };
}

describe('upstream keep-alive', () => {
  it('reuses one upstream connection for sequential requests', async () => {
    const { backend, proxy, connections } = await setup();
    for (let i = 0; i < 6; i++) {
      // Each client request arrives on its own client connection.
      const r = await send(proxy.port(), `/r${i}`, i % 2 ? { method: 'POST', body: `b${i}` } : {});
      expect(r.status).toBe(200);
    }
    expect(backend.seen.map((s) => s.url)).toEqual(['/r0', '/r1', '/r2', '/r3', '/r4', '/r5']);
    expect(backend.seen[1]?.body).toBe('b1');
    expect(connections()).toBe(1);
  });

  it("keeps the upstream connection when the client says Connection: close (it's hop-by-hop)", async () => {
    const { proxy, connections } = await setup();
    for (let i = 0; i < 3; i++) {
      const r = await send(proxy.port(), '/x', { headers: { connection: 'close' } });
      expect(r.status).toBe(200);
    }
    expect(connections()).toBe(1);
  });

  it('opens a new connection after the backend answers Connection: close', async () => {
    const { backend, proxy, connections } = await setup();
    backend.handle((_req, res) => {
      res.writeHead(200, { connection: 'close' });
      res.end('bye');
    });
    for (let i = 0; i < 2; i++) expect((await send(proxy.port(), '/x')).status).toBe(200);
    // The backend's `close` is about its own hop: the client's connection stays open.
    const raw = await rawRequest(
      proxy.port(),
      'GET /x HTTP/1.1\r\nHost: a.localhost\r\n\r\nGET /y HTTP/1.1\r\nHost: a.localhost\r\n\r\n',
      { idleMs: 300 },
    );
    expect(statuses(raw)).toEqual([200, 200]);
    expect(raw).not.toMatch(/\r\nconnection: close/i);
    expect(connections()).toBe(4);
  });

  it('does not 502 when the backend closes idle connections quickly', async () => {
    const { backend, proxy, connections } = await setup();
    backend.server.keepAliveTimeout = 100;
    // Gaps on both sides of the backend's idle timeout, to meet its close at every phase.
    const gaps = [0, 60, 90, 95, 100, 105, 110, 120, 150, 0, 98, 102];
    const results: number[] = [];
    for (const gap of [...gaps, ...gaps]) {
      await sleep(gap);
      results.push((await send(proxy.port(), '/x')).status);
    }
    expect(results.filter((s) => s !== 200)).toEqual([]);
    expect(connections()).toBeGreaterThan(1);
  });

  it('retries a GET on a fresh connection when a reused one is closed under it', async () => {
    const { backend, proxy, connections } = await setup();
    // The backend closes a kept-alive connection as the next request arrives on it, the
    // race of an idle timeout that fires just as the proxy reuses the connection.
    const served = new WeakMap<Socket, number>();
    backend.handle((req, res, body) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      res.end(`${req.method} ${body}`);
    });
    expect((await send(proxy.port(), '/one')).status).toBe(200);
    const second = await send(proxy.port(), '/two');
    expect(second.status).toBe(200);
    expect(second.body).toBe('GET ');
    expect(backend.seen.map((s) => s.url)).toEqual(['/one', '/two', '/two']);
    expect(connections()).toBe(2);
  });

  it('never sends a POST twice, even when the reused connection was closed under it', async () => {
    const { backend, proxy } = await setup();
    const served = new WeakMap<Socket, number>();
    backend.handle((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) req.socket.destroy();
      else res.end('ok');
    });
    expect((await send(proxy.port(), '/one')).status).toBe(200);
    const post = await send(proxy.port(), '/pay', { method: 'POST', body: 'amount=10' });
    expect(post.status).toBe(502);
    expect(backend.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });
});
