/**
 * Robustness (SPEC §2): hostile or broken backends, aborting clients, WebSocket resets,
 * half-closed connections and oversized headers never take the process down, never leak
 * an upstream connection, and the proxy keeps serving afterwards.
 */
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait (bounded) until `check` holds. */
async function until(check: () => boolean, ms = 3_000): Promise<void> {
  for (let waited = 0; waited < ms && !check(); waited += 25) await sleep(25);
  expect(check()).toBe(true);
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Tracks a server's open connections. */
function track(server: net.Server): Set<net.Socket> {
  const open = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  });
  return open;
}

/** Responses a well-behaved HTTP server could never send, keyed by request path. */
const EVIL: Record<string, string> = {
  '/bad/ctl': 'HTTP/1.1 200 OK\r\nX-Evil: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  '/bad/del': 'HTTP/1.1 200 OK\r\nX-Evil: a\x7fb\r\nContent-Length: 2\r\n\r\nok',
  '/bad/name': 'HTTP/1.1 200 OK\r\nX Evil: yes\r\nContent-Length: 2\r\n\r\nok',
  '/bad/split': 'HTTP/1.1 200 OK\r\nX-Evil: a\rSet-Cookie: x=1\r\nContent-Length: 2\r\n\r\nok',
  '/bad/status': 'HTTP/1.1 2000 Nope\r\nContent-Length: 2\r\n\r\nok',
  '/bad/trailer': 'HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nContent-Length: 5\r\n\r\nhello',
  '/bad/trailer-chunked':
    'HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5\r\nhello\r\n0\r\nX-Checksum: 42\r\n\r\n',
};

describe('robustness', () => {
  let app: Backend;
  let admin: Backend;
  let proxy: RunningProxy;
  const servers: net.Server[] = [];
  let hangOpen: Set<net.Socket>;
  const hangRequests: IncomingMessage[] = [];
  let wsOpen: Set<net.Socket>;
  let slowUpgradeOpen: Set<net.Socket>;

  beforeAll(async () => {
    app = await startBackend('app');
    admin = await startBackend('admin');

    const evil = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      let head = '';
      socket.on('data', (c: Buffer) => {
        head += c.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? '';
        socket.end(EVIL[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      });
    });
    // Never answers: for client aborts and the proxy timeout.
    const hang = http.createServer((req) => hangRequests.push(req));
    hangOpen = track(hang);
    const wsHttp = http.createServer();
    wsOpen = track(wsHttp);
    const wss = new WebSocketServer({ server: wsHttp });
    wss.on('connection', (ws, req) => {
      ws.on('error', () => {});
      ws.on('message', (m: Buffer) => {
        if (m.toString() === 'reset-me') req.socket.resetAndDestroy();
        else ws.send(m);
      });
    });
    // Answers the WebSocket handshake only after 300 ms.
    const slowUpgrade = http.createServer();
    slowUpgradeOpen = track(slowUpgrade);
    slowUpgrade.on('upgrade', (_req, socket: net.Socket) => {
      socket.on('end', () => socket.end()); // closes when the proxy does, as real servers do
      setTimeout(() => {
        if (!socket.destroyed) {
          socket.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
          );
        }
      }, 300);
    });
    servers.push(evil, hang, wsHttp, slowUpgrade);
    const [evilPort, hangPort, wsPort, slowPort] = await Promise.all(servers.map(listen));
    const at = (port: number | undefined, path: string) => `http://127.0.0.1:${port}${path}`;

    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'app', match: { path: '/app' }, to: `${app.url}/app` },
        { name: 'admin', match: { path: '/admin' }, to: `${admin.url}/admin` },
        { name: 'evil', match: { path: '/bad' }, to: at(evilPort, '/bad') },
        { name: 'hang', match: { path: '/hang' }, to: at(hangPort, '/hang') },
        { name: 'slow', match: { path: '/slow' }, to: at(hangPort, '/slow'), timeout: '300ms' },
        { name: 'ws', match: { path: '/ws' }, to: at(wsPort, '/ws') },
        { name: 'slowws', match: { path: '/slowws' }, to: at(slowPort, '/slowws') },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    for (const s of [...hangOpen, ...wsOpen, ...slowUpgradeOpen]) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await app.close();
    await admin.close();
  });

  const get = (path: string) =>
    rawRequest(
      proxy.port(),
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );

  it('passes a Content-Length response that declares a Trailer, minus the Trailer header', async () => {
    const raw = await get('/bad/trailer');
    expect(statuses(raw)).toEqual([200]);
    expect(raw.endsWith('\r\n\r\nhello')).toBe(true);
    expect(raw.toLowerCase()).not.toContain('trailer:');
  });

  it('passes a chunked response with trailers', async () => {
    const raw = await get('/bad/trailer-chunked');
    expect(statuses(raw)).toEqual([200]);
    expect(raw).toContain('hello');
  });

  for (const path of ['/bad/ctl', '/bad/del', '/bad/name', '/bad/split', '/bad/status']) {
    it(`answers 502 to invalid backend response bytes (${path}) and keeps serving`, async () => {
      const raw = await rawRequest(
        proxy.port(),
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n` +
          'GET /app/next HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      );
      expect(statuses(raw)).toEqual([502, 200]);
      expect(raw).toContain('"route":"evil"');
      expect(raw).not.toContain('Set-Cookie');
    });
  }

  it('normalizes .. segments before matching, so /app/../admin is routed to admin', async () => {
    const appBefore = app.seen.length;
    const paths = ['/app/../admin/panel', '/app/%2e%2e/admin/panel', '/app/./.././admin/panel'];
    for (const path of paths) expect(statuses(await get(path))).toEqual([200]);
    expect(app.seen.length).toBe(appBefore);
    expect(admin.seen.map((r) => r.url)).toEqual(['/admin/panel', '/admin/panel', '/admin/panel']);
    expect(statuses(await get('/app/../../etc/passwd'))).toEqual([404]);
  });

  /** Send `bytes`, wait until the backend holds the request for `url`, return both ends. */
  async function hold(bytes: string, url: string) {
    const client = net.connect({ host: '127.0.0.1', port: proxy.port() });
    client.on('error', () => {});
    client.write(bytes);
    await until(() => hangRequests.some((r) => r.url === url));
    const upstream = hangRequests.find((r) => r.url === url);
    let closed = false;
    upstream?.once('close', () => (closed = true));
    // Closed: the request, and the upstream connection that carried it.
    return { client, closed: () => closed && upstream?.socket.destroyed === true };
  }

  it('destroys the upstream request when the client resets, leaving no upstream socket', async () => {
    const held = await hold('GET /hang/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '/hang/a');
    held.client.resetAndDestroy();
    await until(held.closed, 2_000);
    // At most a spare idle connection remains (undici#5845: an aborted request makes the
    // pool open a new connection, which the next request to this backend reuses).
    await until(() => hangOpen.size <= 1);
  });

  it('destroys the upstream request when the client aborts mid-body', async () => {
    const head = 'POST /hang/b HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n';
    const held = await hold(head + 'x'.repeat(100), '/hang/b');
    held.client.destroy(); // FIN with the body incomplete: an abort, not a half-close
    await until(held.closed, 2_000);
    // At most a spare idle connection remains (undici#5845: an aborted request makes the
    // pool open a new connection, which the next request to this backend reuses).
    await until(() => hangOpen.size <= 1);
  });

  it('a client that closes (FIN) after a complete request is released by the route timeout', async () => {
    // With httpAllowHalfOpen a FIN after a complete request is a half-close: the proxy
    // keeps waiting for the answer (as Apache does), bounded by the route's timeout.
    const held = await hold('GET /slow/c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '/slow/c');
    held.client.destroy();
    await until(held.closed, 2_000);
  });

  it('answers 504 when the backend is slower than the route timeout', async () => {
    const raw = await get('/slow/x');
    expect(statuses(raw)).toEqual([504]);
    expect(raw).toContain('route &#39;slow&#39;');
    await until(() => hangRequests.find((r) => r.url === '/slow/x')?.socket.destroyed === true);
  });

  /** A raw WebSocket client through the proxy; resolves once the 101 arrived. */
  async function openWs(path: string): Promise<net.Socket> {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port() });
    socket.on('error', () => {});
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    await until(() => got.includes('\r\n\r\n'));
    expect(statuses(got)).toEqual([101]);
    return socket;
  }

  /** A masked client text frame (payload < 126 bytes). */
  const frame = (text: string) => {
    const payload = Buffer.from(text);
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = payload.map((b, i) => b ^ (mask[i % 4] ?? 0));
    return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
  };

  it('survives a client resetting an open WebSocket', async () => {
    const socket = await openWs('/ws/a');
    await until(() => wsOpen.size === 1);
    socket.resetAndDestroy();
    await until(() => wsOpen.size === 0);
  });

  it('survives the backend resetting an open WebSocket', async () => {
    const socket = await openWs('/ws/b');
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.write(frame('reset-me'));
    await until(() => closed);
    await until(() => wsOpen.size === 0);
  });

  it('closes the upstream handshake when the client resets before the 101', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port() });
    socket.on('error', () => {});
    socket.write(
      'GET /slowws/c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await until(() => slowUpgradeOpen.size === 1);
    socket.resetAndDestroy();
    await sleep(500); // past the backend's 101
    await until(() => slowUpgradeOpen.size === 0);
  });

  it('answers a GET whose client half-closes right after sending it', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /app/half HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      {
        endAfterWrite: true,
      },
    );
    expect(statuses(raw)).toEqual([200]);
    expect(raw).toContain('"url":"/app/half"');
    expect(raw.endsWith('}\r\n0\r\n\r\n')).toBe(true); // the whole chunked body
  });

  it('answers a POST whose client half-closes after the body', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'POST /app/half HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello',
      { endAfterWrite: true },
    );
    expect(statuses(raw)).toEqual([200]);
    expect(raw).toContain('"body":"hello"');
    expect(raw).toContain('"backend":"app"');
  });

  it('answers 431 to oversized request headers', async () => {
    const raw = await rawRequest(
      proxy.port(),
      `GET /app/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(statuses(raw)).toEqual([431]);
  });

  it('still serves a normal request after everything above', async () => {
    const res = await fetch(`${proxy.url()}/app/final`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/app/final');
  });
});
