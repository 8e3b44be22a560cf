/**
 * WebSocket bytes that arrive with the backend's 101 reach the client while capture is on
 * (issue 11 item 2). A backend that writes its `101 Switching Protocols` and a first frame
 * close together hands the proxy both in one read; that first frame must be tunnelled to
 * the client, not only shown to the recorder. Proved with real software through a route:
 * a raw backend that sends both in one write(), Vite's HMR server (its `connected`
 * message is the first frame, to `ws` clients and to Chromium), and socket.io clients on
 * the websocket transport (engine.io's open packet is the first frame).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { Server as SocketIoServer } from 'socket.io';
import { io, type Socket as IoClient } from 'socket.io-client';
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { deadPort } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

type Outcome = { ok: true; text: string } | { ok: false; why: string };

/**
 * Open a WebSocket and wait for its first message. The listener is attached before the
 * handshake so that a frame delivered with the 101 cannot slip past the test itself.
 * Never rejects: a failure is an outcome saying how far the client got.
 */
function firstMessage(
  url: string,
  options: { protocol?: string; origin?: string } = {},
  ms = 5_000,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(
      url,
      options.protocol === undefined ? [] : [options.protocol],
      options.origin === undefined ? {} : { origin: options.origin },
    );
    let opened = false;
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.on('error', () => undefined);
      if (outcome.ok) ws.close(1000);
      else ws.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          why: opened ? `opened, no message within ${ms} ms` : `not opened within ${ms} ms`,
        }),
      ms,
    );
    ws.once('open', () => {
      opened = true;
    });
    ws.once('message', (data: Buffer) => finish({ ok: true, text: data.toString('utf8') }));
    ws.once('unexpected-response', (req: http.ClientRequest, res: http.IncomingMessage) => {
      req.destroy();
      finish({ ok: false, why: `handshake answered ${res.statusCode}` });
    });
    ws.once('error', (error: Error) => finish({ ok: false, why: error.message }));
    ws.once('close', (code: number) =>
      finish({ ok: false, why: `closed (${code}) before any message` }),
    );
  });
}

/** The outcomes that are not exactly `expected`, as readable lines (empty when all good). */
function misses(outcomes: Outcome[], expected: (text: string) => boolean): string[] {
  return outcomes.flatMap((o, i) => {
    if (!o.ok) return [`client ${i}: ${o.why}`];
    return expected(o.text) ? [] : [`client ${i}: unexpected first message ${o.text}`];
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const WEB = { name: 'web', port: 0 };
const routeTo = (port: number) => ({
  listeners: [WEB],
  routes: [{ name: 'app', match: { path: '/' }, to: `http://127.0.0.1:${port}`, websocket: true }],
});

describe('a backend writing its 101 and a first frame in one write()', () => {
  const GREETING = 'sent with the 101';
  let backend: net.Server;
  const sockets = new Set<Socket>();
  let handshakes = 0;
  let proxy: RunningProxy;

  /** An unmasked server text frame (payload under 126 bytes). */
  function textFrame(text: string): Buffer {
    const payload = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
  }

  beforeAll(async () => {
    backend = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        // Frames the client sends afterwards (its close) are read and dropped.
        socket.on('data', () => undefined);
        const key = /\r\nsec-websocket-key:[ \t]*(\S+)/i.exec(head)?.[1];
        if (key === undefined) {
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        handshakes++;
        socket.write(
          Buffer.concat([
            Buffer.from(
              'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
                `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
              'latin1',
            ),
            textFrame(GREETING),
          ]),
        );
      };
      socket.on('data', onData);
    });
    proxy = await startProxy(routeTo(await listen(backend)));
  });

  afterAll(async () => {
    await proxy?.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => backend?.close(resolve));
  });

  const wsUrl = (path: string) => `ws://127.0.0.1:${proxy.port()}${path}`;

  it('tunnels that frame to every client and records it, capture on', async () => {
    expect(proxy.engine.recorder.paused).toBe(false);
    const before = handshakes;
    const n = 10;
    const outcomes = await Promise.all(
      Array.from({ length: n }, (_, i) => firstMessage(wsUrl(`/first-frame?client=${i}`))),
    );
    expect(handshakes - before).toBe(n);
    expect(misses(outcomes, (t) => t === GREETING)).toEqual([]);

    // The recorder saw the same frame, backend → client, on each of those exchanges.
    const recorded = () =>
      proxy.engine.recorder
        .list()
        .filter((s) => s.url.startsWith('/first-frame?client=') && s.status === 101)
        .map((s) =>
          proxy.engine.recorder
            .get(s.id)!
            .detail()
            .frames!.filter((f) => f.direction === 'down' && f.opcode === 1)
            .map((f) => Buffer.from(f.preview, 'base64').toString('utf8')),
        );
    await expect.poll(recorded).toEqual(Array.from({ length: n }, () => [GREETING]));
  });

  it('tunnels it as well with capture paused (the control)', async () => {
    proxy.engine.recorder.setPaused(true);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, (_, i) => firstMessage(wsUrl(`/paused?client=${i}`))),
      );
      expect(misses(outcomes, (t) => t === GREETING)).toEqual([]);
    } finally {
      proxy.engine.recorder.setPaused(false);
    }
  });
});

describe('Vite dev server HMR through a route, capture on', () => {
  let root: string;
  let vite: ViteDevServer;
  let proxy: RunningProxy;
  let token: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-vite-'));
    await writeFile(
      join(root, 'index.html'),
      '<!doctype html><html><head><title>vite through switchyard</title></head>' +
        '<body><h1>HMR</h1></body></html>',
    );
    // The proxy exists first so that Vite's client is told to open its HMR socket on the
    // proxy's port (ws.clientPort): a browser then has no direct fallback to Vite's port.
    proxy = await startProxy(routeTo(await deadPort()));
    vite = await createViteServer({
      configFile: false,
      root,
      cacheDir: join(root, '.vite'),
      logLevel: 'silent',
      clearScreen: false,
      optimizeDeps: { noDiscovery: true },
      server: {
        host: '127.0.0.1',
        port: 0,
        strictPort: true,
        hmr: true,
        ws: { clientPort: proxy.port() },
      },
    });
    await vite.listen();
    const vitePort = (vite.httpServer!.address() as AddressInfo).port;
    await proxy.apply(routeTo(vitePort));

    // Vite 8 checks a token on HMR sockets that carry an Origin (browsers always do): it is
    // baked into the client code it serves, which is fetched here through the proxy.
    const client = await fetch(`${proxy.url()}/@vite/client`);
    expect(client.status).toBe(200);
    const found = /const wsToken = "([^"]+)"/.exec(await client.text())?.[1];
    if (found === undefined) throw new Error('no wsToken in /@vite/client');
    token = found;
  }, 60_000);

  afterAll(async () => {
    await vite?.close();
    await proxy?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it("gives 20 'vite-hmr' ws clients Vite's connected message", async () => {
    expect(proxy.engine.recorder.paused).toBe(false);
    const n = 20;
    const origin = proxy.url();
    const outcomes = await Promise.all(
      Array.from({ length: n }, () =>
        firstMessage(`ws://127.0.0.1:${proxy.port()}/?token=${token}`, {
          protocol: 'vite-hmr',
          origin,
        }),
      ),
    );
    const connected = (text: string) =>
      (JSON.parse(text) as { type?: string }).type === 'connected';
    expect(misses(outcomes, connected)).toEqual([]);
    const tunnels = proxy.engine.recorder
      .list()
      .filter((s) => s.url === `/?token=${token}` && s.status === 101);
    expect(tunnels).toHaveLength(n);
  });

  const missing = chromiumMissing();
  it.skipIf(missing !== undefined)(
    `makes Chromium's Vite client log '[vite] connected.'${missing ? ` (skipped: ${missing})` : ''}`,
    async () => {
      let browser: Browser | undefined;
      const hmrTunnels = () =>
        proxy.engine.recorder.list().filter((s) => s.url === `/?token=${token}` && s.status === 101)
          .length;
      const tunnelsBefore = hmrTunnels();
      try {
        browser = await launchChromium();
        const pages = 3;
        const results: string[] = [];
        for (let i = 0; i < pages; i++) {
          const page = await browser.newPage();
          try {
            const logged = page
              .waitForEvent('console', {
                predicate: (m) => m.text() === '[vite] connected.',
                timeout: 10_000,
              })
              .then(
                () => 'connected',
                () => 'no [vite] connected. within 10 s',
              );
            const response = await page.goto(`${proxy.url()}/`);
            expect(response?.status()).toBe(200);
            expect(await page.title()).toBe('vite through switchyard');
            results.push(await logged);
          } finally {
            await page.close();
          }
        }
        expect(results).toEqual(Array.from({ length: pages }, () => 'connected'));
        // Those sockets went through the proxy (the client was told to use its port).
        expect(hmrTunnels() - tunnelsBefore).toBe(pages);
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});

describe('socket.io on the websocket transport through a route, capture on', () => {
  let server: http.Server;
  let ioServer: SocketIoServer;
  let proxy: RunningProxy;
  let accepted = 0;
  const clients: IoClient[] = [];

  beforeAll(async () => {
    server = http.createServer();
    ioServer = new SocketIoServer(server, { transports: ['websocket'] });
    ioServer.on('connection', (socket) => {
      accepted++;
      socket.emit('greeting', { hello: socket.id });
    });
    proxy = await startProxy(routeTo(await listen(server)));
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await new Promise((resolve) => ioServer?.close(resolve));
    await proxy?.close();
  });

  it('connects 10 clients that each get the greeting', async () => {
    expect(proxy.engine.recorder.paused).toBe(false);
    const n = 10;
    const outcomes = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<Outcome>((resolve) => {
            const client = io(proxy.url(), {
              transports: ['websocket'],
              reconnection: false,
              forceNew: true,
              timeout: 8_000,
            });
            clients.push(client);
            let connected = false;
            const timer = setTimeout(
              () =>
                resolve({
                  ok: false,
                  why: connected ? 'connected, no greeting within 8 s' : 'no connect within 8 s',
                }),
              8_000,
            );
            client.on('connect', () => {
              connected = true;
            });
            client.on('greeting', (data: { hello?: string }) => {
              clearTimeout(timer);
              resolve({ ok: true, text: `${connected}:${data.hello === client.id}` });
            });
            client.on('connect_error', (error: Error) => {
              clearTimeout(timer);
              resolve({ ok: false, why: `connect_error: ${error.message}` });
            });
          }),
      ),
    );
    expect(misses(outcomes, (t) => t === 'true:true')).toEqual([]);
    expect(accepted).toBe(n);
    for (const c of clients) c.disconnect();
    await expect.poll(() => ioServer.of('/').sockets.size).toBe(0);
  });
});
