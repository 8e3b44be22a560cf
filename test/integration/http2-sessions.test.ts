/**
 * The HTTP/2 session to each h2c:// member, as the balancer view shows it (issue "HTTP/2
 * and gRPC end to end"): streams in flight while calls are held open, back to 0 with the
 * session still connected, the backend's MAX_CONCURRENT_STREAMS, and GOAWAYs counted
 * across the sessions they end. Read through the API the UI uses (EngineApi.listBalancers).
 */
import http2, { type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

interface HeldBackend {
  port: number;
  server: Http2Server;
  /** Streams waiting for `release()`. */
  held: ServerHttp2Stream[];
  release(): void;
  sessions: Set<http2.ServerHttp2Session>;
  close(): Promise<void>;
}

/** An h2c server that holds every stream whose path starts with /hold until released. */
async function startHolding(): Promise<HeldBackend> {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 100 } });
  const backend: HeldBackend = {
    port: 0,
    server,
    held: [],
    sessions: new Set(),
    release: () => {
      for (const stream of backend.held.splice(0)) {
        if (stream.closed) continue;
        stream.respond({ ':status': 200 });
        stream.end('released');
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of backend.sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('session', (session) => {
    backend.sessions.add(session);
    session.on('close', () => backend.sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    if (String(headers[':path']).includes('/hold')) {
      backend.held.push(stream);
      return;
    }
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

describe('HTTP/2 sessions in the balancer status', () => {
  let backend: HeldBackend;
  let proxy: RunningProxy;
  let api: EngineApi;
  let url: string;

  beforeAll(async () => {
    backend = await startHolding();
    url = `h2c://127.0.0.1:${backend.port}`;
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'grpc', match: { path: '/' }, to: 'balancer://h2/' }],
      balancers: [{ name: 'h2', members: [{ url }] }],
    });
    api = new EngineApi(proxy.engine, { host: 'headless', version: '0.0.0-test' });
  });
  afterAll(async () => {
    api.close();
    backend.release();
    await proxy.close();
    await backend.close();
  });

  const session = async () => (await api.listBalancers())[0]!.members[0]!.http2;

  it('says there is no session before the first request', async () => {
    expect(await session()).toEqual({
      state: 'none',
      streams: 0,
      maxConcurrentStreams: null,
      goaways: 0,
    });
  });

  it('counts streams in flight while calls are held open, then 0 with the session still connected', async () => {
    const before = Date.now();
    const calls = Array.from({ length: 3 }, (_, i) => send(proxy.port(), `/hold/${i}`));
    await expect.poll(() => backend.held.length).toBe(3);
    const during = await session();
    expect(during).toMatchObject({
      state: 'connected',
      streams: 3,
      maxConcurrentStreams: 100,
      goaways: 0,
    });
    expect(during?.connectedAt).toBeGreaterThanOrEqual(before);
    expect((await api.listBalancers())[0]!.members[0]!.stats.busy).toBe(3);

    backend.release();
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    await expect.poll(async () => (await session())?.streams).toBe(0);
    expect(await session()).toMatchObject({
      state: 'connected',
      connectedAt: during?.connectedAt,
    });
    expect(backend.sessions.size).toBe(1);
  });

  it('shows a GOAWAY: the session closed, counted, and a new one connected by the next request', async () => {
    const [server] = backend.sessions;
    server!.goaway(http2.constants.NGHTTP2_NO_ERROR);
    await expect.poll(async () => (await session())?.state).toBe('closed');
    const closed = await session();
    expect(closed).toMatchObject({ goaways: 1, lastGoaway: { code: 0 } });

    expect((await send(proxy.port(), '/after')).status).toBe(200);
    expect(await session()).toMatchObject({
      state: 'connected',
      streams: 0,
      goaways: 1,
      lastGoaway: closed?.lastGoaway,
    });
  });

  it('leaves HTTP/1.1 members without a session line', async () => {
    await proxy.apply({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'grpc', match: { path: '/' }, to: 'balancer://h2/' }],
      balancers: [{ name: 'h2', members: [{ url }, { url: 'http://127.0.0.1:9' }] }],
    });
    const [h2, h1] = (await api.listBalancers())[0]!.members;
    expect(h2?.http2?.state).toBe('connected');
    expect(h1).not.toHaveProperty('http2');
  });
});
