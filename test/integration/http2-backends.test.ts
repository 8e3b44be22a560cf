/**
 * HTTP/2 backends (`h2c://` and `h2://`), reached from HTTP/1.1 clients: one multiplexed
 * session per origin, MAX_CONCURRENT_STREAMS, GOAWAY, refused streams, trailers, RST_STREAM
 * on cancellation, TLS verification, balancing per request, and the errors a user meets
 * (an HTTP/1.1 server behind h2c://, a slow backend, a WebSocket to an HTTP/2 backend).
 */
import http2, { type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { mkdtemp } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/engine/tls/authority.js';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SeenStream {
  headers: http2.IncomingHttpHeaders;
  body: string;
  session: number;
}

interface H2Backend {
  port: number;
  server: Http2Server;
  seen: SeenStream[];
  /** Sessions opened so far. */
  sessions: number;
  /** Streams open right now, and the most seen at once. */
  open: number;
  maxOpen: number;
  /** Replace the default answer (a JSON echo). */
  handle(fn: (stream: ServerHttp2Stream, seen: SeenStream) => void): void;
  close(): Promise<void>;
}

/** A real HTTP/2 server (clear text, or TLS when `tls` is given) that records each stream. */
async function startH2(
  settings: http2.Settings = {},
  tls?: { cert: string; key: string },
): Promise<H2Backend> {
  const server = tls
    ? http2.createSecureServer({ ...tls, settings })
    : http2.createServer({ settings });
  const echo = (stream: ServerHttp2Stream, seen: SeenStream): void => {
    stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-h2': 'yes' });
    stream.end(JSON.stringify(seen));
  };
  const backend: H2Backend = {
    port: 0,
    server,
    seen: [],
    sessions: 0,
    open: 0,
    maxOpen: 0,
    handle: (fn) => {
      handler = fn;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  let handler = echo;
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    backend.sessions++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const sessionNumber = backend.sessions;
    backend.open++;
    backend.maxOpen = Math.max(backend.maxOpen, backend.open);
    stream.on('close', () => backend.open--);
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const seen = { headers, body: Buffer.concat(chunks).toString(), session: sessionNumber };
      backend.seen.push(seen);
      handler(stream, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

function seenOf(body: string): SeenStream {
  return JSON.parse(body) as SeenStream;
}

describe('h2c:// backends from HTTP/1.1 clients', () => {
  let h2: H2Backend;
  let other: H2Backend;
  let h1: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    [h2, other, h1] = await Promise.all([
      startH2({ maxConcurrentStreams: 2 }),
      startH2(),
      startBackend('h1'),
    ]);
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'api', match: { path: '/api' }, to: `h2c://127.0.0.1:${h2.port}/v1` },
        {
          name: 'kept',
          match: { path: '/kept' },
          to: `h2c://127.0.0.1:${h2.port}/kept`,
          preserveHost: true,
        },
        {
          name: 'slow',
          match: { path: '/slow' },
          to: `h2c://127.0.0.1:${h2.port}/slow`,
          timeout: '300ms',
        },
        { name: 'wrong', match: { path: '/wrong' }, to: `h2c://127.0.0.1:${h1.port}/wrong` },
        { name: 'pool', match: { path: '/pool' }, to: 'balancer://h2pool/pool' },
      ],
      balancers: [
        {
          name: 'h2pool',
          members: [
            { url: `h2c://127.0.0.1:${h2.port}` },
            { url: `h2c://127.0.0.1:${other.port}` },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([h2.close(), other.close(), h1.close()]);
  });
  beforeEach(() => {
    h2.seen.length = 0;
    other.seen.length = 0;
    h2.handle((stream, seen) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify(seen));
    });
  });

  it('maps the path, sets :authority to the backend, drops connection headers', async () => {
    const r = await send(proxy.port(), '/api/items?x=1', {
      headers: {
        host: 'app.localhost',
        connection: 'keep-alive, x-private',
        'x-private': 's',
        'x-ok': '1',
      },
    });
    expect(r.status).toBe(200);
    const seen = seenOf(r.body);
    expect(seen.headers[':path']).toBe('/v1/items?x=1');
    expect(seen.headers[':authority']).toBe(`127.0.0.1:${h2.port}`);
    expect(seen.headers[':method']).toBe('GET');
    expect(seen.headers['x-ok']).toBe('1');
    expect(seen.headers['x-private']).toBeUndefined();
    expect(seen.headers.connection).toBeUndefined();
    expect(seen.headers['x-forwarded-host']).toBe('app.localhost');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.via).toMatch(/^1\.1 switchyard-/);
  });

  it('preserveHost sends the client Host as :authority', async () => {
    const r = await send(proxy.port(), '/kept/x', { headers: { host: 'shop.localhost:8080' } });
    expect(seenOf(r.body).headers[':authority']).toBe('shop.localhost:8080');
  });

  it('streams request bodies, chunked and with a length', async () => {
    const fixed = await send(proxy.port(), '/api/post', {
      method: 'POST',
      body: 'a'.repeat(70_000),
    });
    expect(seenOf(fixed.body).body).toHaveLength(70_000);
    const chunked = await rawRequest(
      proxy.port(),
      'POST /api/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    expect(statuses(chunked)).toEqual([200]);
    expect(chunked).toContain('"body":"abcde"');
  });

  it('keeps one session per backend origin for many requests', async () => {
    const before = h2.sessions;
    await Promise.all(Array.from({ length: 20 }, (_, i) => send(proxy.port(), `/api/many/${i}`)));
    expect(h2.seen).toHaveLength(20);
    expect(h2.sessions - before).toBeLessThanOrEqual(1);
  });

  it("honours the backend's MAX_CONCURRENT_STREAMS (2)", async () => {
    h2.maxOpen = 0;
    h2.handle((stream, seen) => {
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end(seen.headers[':path']);
      }, 50);
    });
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send(proxy.port(), `/api/limit/${i}`)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(h2.maxOpen).toBeLessThanOrEqual(2);
  });

  it('forwards trailers to a client that sent TE: trailers, and the body to one that did not', async () => {
    h2.handle((stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }),
      );
      stream.end('payload');
    });
    const withTe = await rawRequest(
      proxy.port(),
      'GET /api/t HTTP/1.1\r\nHost: 127.0.0.1\r\nTE: trailers\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(withTe)).toEqual([200]);
    expect(withTe.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(withTe).toContain('payload');
    expect(withTe.toLowerCase()).toMatch(/0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n$/);
    expect(h2.seen[0]?.headers.te).toBe('trailers');
    const without = await rawRequest(
      proxy.port(),
      'GET /api/t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(without).toContain('payload');
    expect(without.toLowerCase()).not.toContain('grpc-status');
  });

  it('opens a new session after a GOAWAY, without failing the next requests', async () => {
    h2.handle((stream, seen) => {
      stream.respond({ ':status': 200 });
      stream.end(`session ${seen.session}`);
      stream.session?.goaway();
    });
    const first = await send(proxy.port(), '/api/g1');
    await sleep(50);
    const second = await send(proxy.port(), '/api/g2');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).not.toBe(first.body);
  });

  it('sends a request again when the backend refused its stream unprocessed', async () => {
    let refused = 0;
    h2.handle((stream, seen) => {
      if (refused === 0) {
        refused++;
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end(`served ${seen.headers[':path']}`);
    });
    const r = await send(proxy.port(), '/api/refused');
    expect(r.status).toBe(200);
    expect(r.body).toBe('served /v1/refused');
    expect(refused).toBe(1);
  });

  it('cancels the backend stream (RST_STREAM) when the client leaves', async () => {
    let closedCode: number | undefined;
    h2.handle((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('first part');
      stream.on('close', () => (closedCode = stream.rstCode));
    });
    const client = net.connect({ host: '127.0.0.1', port: proxy.port() });
    client.on('error', () => {});
    client.write('GET /api/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => client.once('data', resolve));
    client.resetAndDestroy();
    for (let i = 0; i < 40 && closedCode === undefined; i++) await sleep(25);
    expect(closedCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('answers 504 when the backend is slower than the route timeout', async () => {
    h2.handle(() => {});
    const r = await send(proxy.port(), '/slow/x', { headers: { accept: 'application/json' } });
    expect(r.status).toBe(504);
  });

  it('answers 502 saying so when an h2c:// backend speaks HTTP/1.1', async () => {
    const r = await send(proxy.port(), '/wrong/x', { headers: { accept: 'application/json' } });
    expect(r.status).toBe(502);
    expect(r.body).toContain('did not answer in HTTP/2');
    expect(r.body).toContain('http://');
  });

  it('balances per request across h2c members', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(proxy.port(), `/pool/${i}`)));
    expect(h2.seen.length).toBeGreaterThan(0);
    expect(other.seen.length).toBeGreaterThan(0);
    expect(h2.seen.length + other.seen.length).toBe(10);
  });

  it('refuses a WebSocket upgrade to an HTTP/2 backend with 501', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([501]);
    expect(raw).toContain('HTTP/2');
  });
});

describe('h2:// backends (HTTP/2 over TLS)', () => {
  it('verifies the certificate (local CA trusted), and accepts an unknown one only when told', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-h2-'));
    const ours = await CertificateAuthority.open(dataDir);
    const stranger = await CertificateAuthority.open(
      await mkdtemp(join(tmpdir(), 'switchyard-h2x-')),
    );
    const good = await ours.leaf('localhost');
    const bad = await stranger.leaf('localhost');
    const trusted = await startH2({}, { cert: good.certPem, key: good.keyPem });
    const untrusted = await startH2({}, { cert: bad.certPem, key: bad.keyPem });
    const proxy = await startProxy(
      {
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          { name: 'good', match: { path: '/good' }, to: `h2://localhost:${trusted.port}/` },
          { name: 'strict', match: { path: '/strict' }, to: `h2://localhost:${untrusted.port}/` },
          {
            name: 'lax',
            match: { path: '/lax' },
            to: `h2://localhost:${untrusted.port}/`,
            tlsVerify: false,
          },
        ],
      },
      dataDir,
    );
    try {
      const ok = await send(proxy.port(), '/good/x');
      expect(ok.status).toBe(200);
      expect(seenOf(ok.body).headers[':scheme']).toBe('https');
      expect((await send(proxy.port(), '/strict/x')).status).toBe(502);
      expect((await send(proxy.port(), '/lax/x')).status).toBe(200);
    } finally {
      await proxy.close();
      await trusted.close();
      await untrusted.close();
    }
  });

  it('health-checks h2c members over HTTP/2', async () => {
    const up = await startH2();
    const proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'pool', match: { path: '/' }, to: 'balancer://hc/' }],
      balancers: [
        {
          name: 'hc',
          healthCheck: { path: '/health', interval: '100ms' },
          members: [{ url: `h2c://127.0.0.1:${up.port}` }],
        },
      ],
    });
    try {
      for (let i = 0; i < 40 && !up.seen.some((s) => s.headers[':path'] === '/health'); i++)
        await sleep(25);
      expect(up.seen.some((s) => s.headers[':path'] === '/health')).toBe(true);
      const [balancer] = await proxy.engine.balancers();
      expect(balancer?.members[0]?.stats.health).toBe('healthy');
    } finally {
      await proxy.close();
      await up.close();
    }
  });
});
