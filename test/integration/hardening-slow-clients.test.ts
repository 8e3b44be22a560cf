/**
 * Slow clients (issue 11.4): a client that trickles its body, never sends the body it
 * announced, takes too long over its headers or stops reading the response gets 408 (or is
 * disconnected) and the backend is released — while a real upload, and time the backend
 * itself spends not reading, never count against the client.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { statuses } from '../support/raw.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

interface Trickle {
  /** Everything the proxy answered. */
  reply: Promise<string>;
  /** Bytes of body written before the proxy answered or closed. */
  sent(): number;
}

/** Send a request head, then the body one byte every `everyMs` (at most `max` bytes). */
function trickle(port: number, head: string, everyMs: number, max: number): Trickle {
  const socket = net.connect({ host: '127.0.0.1', port });
  let sent = 0;
  const chunks: Buffer[] = [];
  const reply = new Promise<string>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearInterval(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= max || socket.destroyed) return;
        socket.write('x');
        sent++;
      }, everyMs);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', done);
    // A bound on the test itself: whatever happens, stop after 15 s.
    setTimeout(done, 15_000).unref();
  });
  return { reply, sent: () => sent };
}

const post = (length: number | string, extra = ''): string =>
  `POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('slow clients (issue 11.4)', () => {
  let backend: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startBackend('up');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'up', match: { path: '/up' }, to: `${backend.url}/up`, timeout: '10s' },
        // A route timeout shorter than the body limits: it fires while the client is slow.
        { name: 'short', match: { path: '/short' }, to: `${backend.url}/short`, timeout: '500ms' },
      ],
      clientTimeouts: { header: '1s', body: '1s', bodyMinRate: 500, bodyIdle: '2s', send: '1s' },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it('ten POSTs sent at 1 byte per 100 ms all get 408 and release the backend', async () => {
    const held = new Set<http.IncomingMessage>();
    const track = (req: http.IncomingMessage): void => {
      held.add(req);
      req.once('close', () => held.delete(req));
    };
    backend.server.on('request', track);
    const started = Date.now();
    const clients = Array.from({ length: 10 }, () =>
      trickle(proxy.port(), post(100_000), 100, 200),
    );
    const replies = await Promise.all(clients.map((c) => c.reply));
    const elapsed = Date.now() - started;
    for (const reply of replies) {
      expect(statuses(reply)).toEqual([408]);
      expect(reply).toContain('too slowly');
      expect(reply).toContain('bodyMinRate');
      expect(reply.toLowerCase()).toContain('connection: close');
    }
    // 1 s of grace plus 1 s per 500 bytes received (about 10 here): well under 5 s.
    expect(elapsed).toBeLessThan(5_000);
    // Every request the backend got was closed: none is left waiting for its body.
    expect(await until(() => held.size === 0, 3_000)).toBe(true);
    backend.server.off('request', track);
  });

  it('a 10 GB Content-Length that never arrives gets 408 naming the client, not a 504', async () => {
    const client = trickle(proxy.port(), post(10_000_000_000), 1_000_000, 0);
    const reply = await client.reply;
    expect(statuses(reply)).toEqual([408]);
    expect(reply).toContain('none of its request body (Content-Length 10000000000)');
    expect(reply).not.toContain('timed out');
  });

  it('when the route timeout runs out first, the client is still the one blamed (408)', async () => {
    const reply = await trickle(
      proxy.port(),
      'POST /short HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n',
      400,
      1,
    ).reply;
    expect(statuses(reply)).toEqual([408]);
    expect(reply).toContain('The backend was not at fault');
  });

  it('request headers that do not arrive within clientTimeouts.header get 408', async () => {
    const started = Date.now();
    const reply = await trickle(
      proxy.port(),
      'GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
      3_000,
      0,
    ).reply;
    expect(statuses(reply)).toEqual([408]);
    expect(reply).toContain('clientTimeouts.header');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a real upload at a normal rate passes untouched', async () => {
    const body = 'u'.repeat(512 * 1024);
    const r = await send(proxy.port(), '/up/file', { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).body).toHaveLength(body.length);
  });

  it('a slow upload above the minimum rate passes (2 KiB at about 1 KiB/s)', async () => {
    const bytes = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: proxy.port(), path: '/up/slow', method: 'POST', agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        },
      );
      req.on('error', reject);
      req.setHeader('content-length', 2048);
      let sent = 0;
      const timer = setInterval(() => {
        req.write('s'.repeat(128));
        sent += 128;
        if (sent >= 2048) {
          clearInterval(timer);
          req.end();
        }
      }, 125);
    });
    expect(bytes.startsWith('200 ')).toBe(true);
    expect(JSON.parse(bytes.slice(4)).body).toHaveLength(2048);
  });

  it('time the backend spends not reading the body does not count against the client', async () => {
    // The backend reads nothing for 2.5 s (longer than body and bodyIdle), then everything.
    backend.server.prependOnceListener('request', (req: http.IncomingMessage) => {
      req.pause();
      setTimeout(() => req.resume(), 2_500);
    });
    const body = 'p'.repeat(24 * 1024 * 1024);
    const r = await send(proxy.port(), '/up/paused', { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).body).toHaveLength(body.length);
  });

  it('a client that stops reading the response is disconnected after clientTimeouts.send', async () => {
    let backendClosed = false;
    backend.handle((_req, res) => {
      res.once('close', () => {
        backendClosed = true;
      });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Far more than the socket buffers hold, written as the client drains it.
      const chunk = Buffer.alloc(64 * 1024, 1);
      let left = 1_024;
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    // A client that reads the first bytes and then nothing.
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port() });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /up/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.once('data', () => socket.pause());
    try {
      // The proxy gives up on the client, which releases the backend's response.
      expect(await until(() => backendClosed, 6_000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(6_000);
      // (A paused socket notices the reset only once it reads again.)
      socket.resume();
      expect(await Promise.race([closed.then(() => true), sleep(3_000).then(() => false)])).toBe(
        true,
      );
    } finally {
      socket.destroy();
    }
  });

  it('a TLS client that never finishes its handshake is cut after clientTimeouts.header', async () => {
    const tls = await startProxy({
      listeners: [{ name: 'secure', port: 0, tls: true }],
      routes: [{ name: 'up', match: { path: '/' }, to: backend.url }],
      clientTimeouts: { header: '1s' },
    });
    try {
      const started = Date.now();
      const socket = net.connect({ host: '127.0.0.1', port: tls.port() });
      socket.on('error', () => {});
      socket.resume();
      const closed = await Promise.race([
        new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
        sleep(5_000).then(() => false),
      ]);
      socket.destroy();
      expect(closed).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await tls.close();
    }
  });
});
