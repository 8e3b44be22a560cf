/**
 * Hostile HTTP/2 clients must not stall anyone else: a bad preface, an oversized frame, a
 * header flood, a flow-control window that never opens, and the rapid-reset flood
 * (CVE-2023-44487). While each runs, a well-behaved client on its own connection keeps
 * getting answers; afterwards the proxy has let go of what the attacker held.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** An HTTP/2 frame: 9-byte header (length, type, flags, stream id) and payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** Write raw bytes, return whether the server closed the connection within `ms`. */
function rawSession(port: number, bytes: Buffer, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.write(bytes);
  });
}

/** The well-behaved client: an HTTP/2 GET on a connection of its own; its status. */
async function goodCall(port: number): Promise<number> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    return await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/ok' });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
      setTimeout(() => reject(new Error('no answer within 2 s')), 2_000);
    });
  } finally {
    session.close();
  }
}

describe('hostile HTTP/2 clients', () => {
  let backend: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startBackend('ok');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'ok', match: { path: '/' }, to: backend.url }],
      clientTimeouts: { send: '1s', bodyIdle: '1s' },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it('closes a connection with a bad preface; others are served', async () => {
    const closed = rawSession(
      proxy.port(),
      Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\ngarbage'),
      3_000,
    );
    expect(await goodCall(proxy.port())).toBe(200);
    expect(await closed).toBe(true);
  });

  it('ends a connection that sent a frame above SETTINGS_MAX_FRAME_SIZE (GOAWAY, then closed when idle)', async () => {
    const settings = frame(0x4, 0, 0, Buffer.alloc(0));
    const huge = frame(0x0, 0, 1, Buffer.alloc(100_000)); // DATA on stream 1, 100 KB > 16 KiB
    const closed = rawSession(
      proxy.port(),
      Buffer.concat([Buffer.from(PREFACE), settings, huge]),
      3_000,
    );
    expect(await goodCall(proxy.port())).toBe(200);
    expect(await closed).toBe(true);
  });

  it('refuses a header flood above the header-list limit without reaching the backend', async () => {
    const before = backend.seen.length;
    const session = http2.connect(`http://127.0.0.1:${proxy.port()}`);
    session.on('error', () => {});
    const headers: http2.OutgoingHttpHeaders = { ':path': '/flood' };
    for (let i = 0; i < 2_000; i++) headers[`x-flood-${i}`] = 'v'.repeat(64);
    const outcome = await new Promise<string>((resolve) => {
      const stream = session.request(headers);
      stream.on('response', (h) => resolve(`status ${String(h[':status'])}`));
      stream.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
      stream.on('close', () => resolve(`closed ${stream.rstCode ?? ''}`));
      stream.end();
    });
    session.destroy();
    expect(outcome).not.toBe('status 200');
    expect(await goodCall(proxy.port())).toBe(200);
    expect(backend.seen.slice(before).some((s) => s.url === '/flood')).toBe(false);
  });

  it('a client whose flow-control window never opens does not hold the backend', async () => {
    let released = false;
    backend.handle((_req, res) => {
      res.once('close', () => (released = true));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let left = 256;
      const pump = (): void => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', pump);
        res.end();
      };
      pump();
    });
    const session = http2.connect(`http://127.0.0.1:${proxy.port()}`, {
      settings: { initialWindowSize: 0 },
    });
    session.on('error', () => {});
    const stream = session.request({ ':path': '/big' });
    stream.on('error', () => {});
    stream.end();
    try {
      // Meanwhile others are served.
      expect(await goodCall(proxy.port())).toBe(200);
      for (let i = 0; i < 80 && !released; i++) await sleep(50);
      expect(released).toBe(true);
    } finally {
      session.destroy();
      backend.handle((_req, res) => res.end('ok'));
    }
  });

  it('survives the rapid-reset flood, and others are served while it runs', async () => {
    backend.handle((_req, res) => res.end('ok'));
    const before = backend.seen.length;
    const attacker = http2.connect(`http://127.0.0.1:${proxy.port()}`);
    attacker.on('error', () => {});
    await new Promise((resolve) => attacker.once('remoteSettings', resolve));
    const flood = (async () => {
      for (let i = 0; i < 2_000 && !attacker.destroyed && !attacker.closed; i++) {
        try {
          const s = attacker.request({ ':path': `/reset/${i}` });
          s.on('error', () => {});
          s.close(http2.constants.NGHTTP2_CANCEL);
        } catch {
          break;
        }
        if (i % 100 === 0) await sleep(1);
      }
    })();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await goodCall(proxy.port()));
    await flood;
    attacker.destroy();
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // Requests cancelled at once mostly never reach the backend.
    expect(backend.seen.length - before).toBeLessThan(2_000);
    expect((await send(proxy.port(), '/after')).status).toBe(200);
  });
});
