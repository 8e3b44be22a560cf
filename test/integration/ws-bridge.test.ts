/**
 * The headless UI server and its WebSocket bridge with real sockets: who may connect
 * (token, Origin, Host), the static files and their headers, the bridge's answers to good
 * and malformed messages, event subscriptions, coalescing for a client that does not
 * read, and the renderer's WebSocket client (calls, validated events, reconnection).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { WebSocket as NodeWebSocket } from 'ws';
import { EngineApi } from '../../src/engine/engine-api.js';
import { startUiServer, type UiServer } from '../../src/server/http.js';
import type { WsBridgeOptions } from '../../src/server/ws-bridge.js';
import type { ExchangeSummary } from '../../src/shared/exchange.js';
import { createWsClient } from '../../src/renderer/src/api/ws-client.js';
import { startBackend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';
import { nextMessage, openWs, within } from '../support/ws.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const SECRET = 'secret-outside-the-ui-root';
const INDEX = '<!doctype html><title>Switchyard</title><div id="app"></div>';

/** A built-renderer stand-in with files beside it that must never be served. */
async function uiRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ui-test-'));
  const root = join(dir, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log("app")');
  await writeFile(join(root, 'assets', 'index-abc123.css'), 'body { margin: 0 }');
  await writeFile(join(root, '.env'), SECRET);
  await writeFile(join(dir, 'package.json'), `{ "name": "${SECRET}" }`);
  await writeFile(join(dir, 'secret.txt'), SECRET);
  return root;
}

interface Setup {
  api: EngineApi;
  server: UiServer;
  proxyUrl: string;
  contractErrors: string[];
}

async function setup(bridge: WsBridgeOptions = {}): Promise<Setup> {
  const backend = await startBackend('app');
  cleanups.push(() => backend.close());
  const proxy = await startProxy({
    listeners: [{ name: 'web', port: 0 }],
    routes: [{ name: 'app', match: { path: '/' }, to: backend.url }],
    balancers: [{ name: 'pool', members: [{ url: backend.url }] }],
  });
  cleanups.push(() => proxy.close());
  const api = new EngineApi(proxy.engine, { host: 'headless', version: 'test', batchMs: 20 });
  cleanups.push(() => api.close());
  const contractErrors: string[] = [];
  const server = await startUiServer({
    api,
    root: await uiRoot(),
    port: 0,
    bridge: { onContractError: (m) => contractErrors.push(m), ...bridge },
  });
  cleanups.push(() => server.close());
  return { api, server, proxyUrl: proxy.url(), contractErrors };
}

function upgrade(
  port: number,
  { path, host, origin }: { path: string; host?: string; origin?: string },
): Promise<string> {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host ?? `127.0.0.1:${port}`}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...(origin === undefined ? [] : [`Origin: ${origin}`]),
  ];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`, { idleMs: 300 });
}

async function connect(server: UiServer): Promise<WebSocket> {
  const opened = await openWs(`${server.apiUrl}?token=${server.token}`);
  if (!opened.ok) throw new Error(`upgrade refused: ${opened.status} ${opened.body}`);
  cleanups.push(() => opened.ws.terminate());
  return opened.ws;
}

type Message = {
  id?: number | null;
  result?: unknown;
  error?: string;
  event?: string;
  payload?: unknown;
};

/** Every message a socket receives, parsed. */
function collect(ws: WebSocket): Message[] {
  const seen: Message[] = [];
  ws.on('message', (data: Buffer) => seen.push(JSON.parse(data.toString()) as Message));
  return seen;
}

async function ask(ws: WebSocket, message: string | object): Promise<Message> {
  const reply = nextMessage(ws);
  ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  return JSON.parse((await within(reply, 5_000, 'reply')).data.toString()) as Message;
}

function summary(id: number, status: number, url = '/'): ExchangeSummary {
  return {
    id,
    startedAt: Date.now(),
    listener: 'web',
    client: '127.0.0.1',
    method: 'GET',
    url,
    host: 'app.localhost',
    secure: false,
    attempts: 1,
    status,
    outcome: 'completed',
    timings: { upstreamConnected: 1, firstByte: 2, done: 3 },
    requestBytes: 0,
    responseBytes: 100,
  };
}

describe('UI server: who may reach the API', () => {
  it('refuses the upgrade without the token, with a wrong one, from a foreign Origin or Host', async () => {
    const { server } = await setup();
    const { port, token } = server;
    const own = `127.0.0.1:${port}`;
    const wrongToken = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const cases: [string, { path: string; host?: string; origin?: string }, number][] = [
      ['no token', { path: '/api' }, 401],
      ['empty token', { path: '/api?token=' }, 401],
      ['wrong token', { path: `/api?token=${wrongToken}` }, 401],
      ['token with a suffix', { path: `/api?token=${token}x` }, 401],
      ['foreign Origin', { path: `/api?token=${token}`, origin: 'http://evil.example' }, 403],
      [
        'Origin of another port',
        { path: `/api?token=${token}`, origin: 'http://127.0.0.1:1' },
        403,
      ],
      ['opaque Origin', { path: `/api?token=${token}`, origin: 'null' }, 403],
      ['https Origin', { path: `/api?token=${token}`, origin: `https://${own}` }, 403],
      ['rebound Host', { path: `/api?token=${token}`, host: `evil.example:${port}` }, 403],
      ['Host without port', { path: `/api?token=${token}`, host: '127.0.0.1' }, 403],
      ['Host of another port', { path: `/api?token=${token}`, host: '127.0.0.1:1' }, 403],
      [
        'Host with a suffix',
        { path: `/api?token=${token}`, host: `localhost.evil.example:${port}` },
        403,
      ],
      ['another path', { path: `/socket?token=${token}` }, 404],
    ];
    for (const [name, request, status] of cases) {
      const answer = await upgrade(port, request);
      expect(statuses(answer), name).toEqual([status]);
      expect(answer, name).not.toContain(token);
    }
    expect(server.bridge.clients).toBe(0);

    // The UI's own origins, by either name, with the token.
    for (const name of ['127.0.0.1', 'localhost']) {
      const answer = await upgrade(port, {
        path: `/api?token=${token}`,
        host: `${name}:${port}`,
        origin: `http://${name}:${port}`,
      });
      expect(statuses(answer)).toEqual([101]);
    }
    expect(
      statuses(await upgrade(port, { path: `/api?token=${token}`, host: `[::1]:${port}` })),
    ).toEqual([101]);
  });

  it('refuses the same through a WebSocket client, and serves one with the token', async () => {
    const { server } = await setup();
    const url = `${server.apiUrl}?token=${server.token}`;
    expect(await openWs(server.apiUrl)).toMatchObject({ ok: false, status: 401 });
    expect(await openWs(`${server.apiUrl}?token=nope`)).toMatchObject({ ok: false, status: 401 });
    const foreign = await openWs(url, { origin: 'http://evil.example' });
    expect(foreign).toMatchObject({ ok: false, status: 403 });
    if (!foreign.ok) expect(foreign.body).toContain('may not use the Switchyard API');
    expect(await openWs(url, { headers: { host: 'evil.example' } })).toMatchObject({
      ok: false,
      status: 403,
    });

    const ws = await connect(server);
    const reply = await ask(ws, { id: 1, method: 'getStatus', params: [] });
    expect(reply).toMatchObject({ id: 1, result: { host: 'headless', version: 'test' } });
    expect(server.bridge.clients).toBe(1);
  });
});

describe('UI server: static files', () => {
  it('serves the index and assets with their content types, CSP and nosniff', async () => {
    const { server } = await setup();
    const port = server.port;
    const index = await send(port, '/', { headers: { host: `127.0.0.1:${port}` } });
    expect(index.status).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const csp = index.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(index.headers['cache-control']).toBe('no-cache');

    const js = await send(port, '/assets/index-abc123.js', {
      headers: { host: `localhost:${port}` },
    });
    expect(js).toMatchObject({ status: 200, body: 'console.log("app")' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    const css = await send(port, '/assets/index-abc123.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');

    const head = await send(port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(INDEX.length));
    expect(head.body).toBe('');

    // App routes get the index; a folder is never listed; a missing asset is a 404.
    expect((await send(port, '/traffic')).body).toBe(INDEX);
    expect((await send(port, '/assets/')).body).toBe(INDEX);
    expect((await send(port, '/assets/missing.js')).status).toBe(404);
    const post = await send(port, '/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const api = await send(port, '/api');
    expect(api.status).toBe(426);
  });

  it('never leaves the root: dot segments, encoded ones, backslashes, hidden files', async () => {
    const { server } = await setup();
    const paths = [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/package.json',
      '/%2E%2E/secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/..%255csecret.txt',
      '/.env',
      '/%2eenv',
      '/assets/%00.js',
      '/%c0%ae%c0%ae/secret.txt',
      '/C:%5cWindows%5cwin.ini',
    ];
    for (const path of paths) {
      const reply = await send(server.port, path);
      expect([400, 404], path).toContain(reply.status);
      expect(reply.body, path).not.toContain(SECRET);
      expect(reply.headers['x-content-type-options'], path).toBe('nosniff');
    }
    const raw = await rawRequest(
      server.port,
      `GET /../secret.txt HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(statuses(raw)).toEqual([400]);
    expect(raw).not.toContain(SECRET);
  });

  it('refuses requests for another Host (DNS rebinding), files included', async () => {
    const { server } = await setup();
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1:1']) {
      const reply = await send(server.port, '/', { headers: { host } });
      expect(reply.status, host).toBe(403);
      expect(reply.body).not.toContain('Switchyard</title>');
    }
  });

  it('answers / with how to build the UI when it is not built, and the API still works', async () => {
    const { api } = await setup();
    const server = await startUiServer({
      api,
      root: join(tmpdir(), 'switchyard-no-such-dir'),
      port: 0,
    });
    cleanups.push(() => server.close());
    const reply = await send(server.port, '/');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('npm run build:app');
    const ws = await connect(server);
    expect(await ask(ws, { id: 7, method: 'getStatus' })).toMatchObject({ id: 7 });
  });
});

describe('WebSocket bridge', () => {
  it('answers malformed messages with an error and keeps the connection', async () => {
    const { server } = await setup();
    const ws = await connect(server);
    expect(await ask(ws, 'not json')).toEqual({
      id: null,
      error: 'a message must be JSON: { id, method, params }',
    });
    expect(await ask(ws, {})).toMatchObject({ id: null, error: expect.stringContaining('id') });
    expect(await ask(ws, { id: 'x', method: 'getStatus' })).toMatchObject({ id: null });
    expect(await ask(ws, { id: 1, method: 'dropTables', params: [] })).toEqual({
      id: 1,
      error: "unknown method 'dropTables'",
    });
    expect(await ask(ws, { id: 2, method: 'toString', params: [] })).toEqual({
      id: 2,
      error: "unknown method 'toString'",
    });
    const badParam = await ask(ws, { id: 3, method: 'getExchange', params: ['x'] });
    expect(badParam).toMatchObject({
      id: 3,
      error: expect.stringMatching(/^getExchange: params\[0\]: /),
    });
    expect(await ask(ws, { id: 4, method: 'getStatus', params: [1] })).toMatchObject({
      id: 4,
      error: expect.stringContaining('getStatus: params'),
    });
    expect(await ask(ws, { id: 5, method: 'getStatus', params: 'x' })).toMatchObject({ id: 5 });
    expect(await ask(ws, { subscribe: ['exchanges', 'everything'] })).toMatchObject({
      id: null,
      error: expect.stringContaining("unknown event 'everything'"),
    });
    expect(await ask(ws, { subscribe: 'exchanges' })).toMatchObject({ id: null });
    const binary = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(JSON.parse((await binary).data.toString())).toMatchObject({ id: null });

    // An engine error is the engine's message for the user, without a stack.
    const missing = await ask(ws, { id: 6, method: 'exchangeAsCurl', params: [999] });
    expect(missing).toEqual({ id: 6, error: 'exchange 999 is no longer in the traffic log' });
    const noBalancer = await ask(ws, {
      id: 8,
      method: 'setMember',
      params: ['nope', 'http://127.0.0.1:1', { state: 'disabled' }],
    });
    expect(noBalancer.error).toBeTruthy();
    expect(noBalancer.error).not.toMatch(/\n\s+at /);

    // Still the same connection, still answering; `params` may be left out.
    const status = await ask(ws, { id: 9, method: 'getStatus' });
    expect(status).toMatchObject({ id: 9, result: { host: 'headless' } });
    expect(ws.readyState).toBe(ws.OPEN);
    const cleared = await ask(ws, { id: 10, method: 'clearExchanges', params: [] });
    expect(cleared).toEqual({ id: 10 });
  });

  it('reports a result outside the contract as an internal error on the server', async () => {
    const { api, server, contractErrors } = await setup();
    vi.spyOn(api, 'getStatus').mockResolvedValue({ surprise: true } as never);
    const ws = await connect(server);
    expect(await ask(ws, { id: 1, method: 'getStatus', params: [] })).toEqual({
      id: 1,
      error: 'internal error: getStatus returned an invalid result',
    });
    expect(contractErrors).toHaveLength(1);
    expect(contractErrors[0]).toContain('getStatus returned data outside the API contract');
  });

  it('sends events only to subscribers, and listens to the engine only while someone does', async () => {
    const { api, server, proxyUrl } = await setup();
    const a = await connect(server);
    const b = await connect(server);
    const seenA = collect(a);
    const seenB = collect(b);
    a.send(JSON.stringify({ subscribe: ['exchanges'] }));
    await ask(a, { id: 1, method: 'getStatus' }); // handled in order: subscribed by now
    await (await fetch(`${proxyUrl}/hello`)).text();
    await expect
      .poll(() =>
        seenA.some((m) => m.event === 'exchanges' && JSON.stringify(m.payload).includes('/hello')),
      )
      .toBe(true);
    expect(seenB).toEqual([]);

    // Balancer statistics are polled by the EngineApi only while the bridge listens.
    expect(api.events.listenerCount('balancers')).toBe(0);
    a.send(JSON.stringify({ subscribe: ['exchanges', 'balancers'] }));
    b.send(JSON.stringify({ subscribe: ['balancers'] }));
    await ask(a, { id: 2, method: 'getStatus' });
    await ask(b, { id: 3, method: 'getStatus' });
    expect(api.events.listenerCount('balancers')).toBe(1);
    await expect
      .poll(() => seenB.find((m) => m.event === 'balancers')?.payload, { timeout: 3_000 })
      .toMatchObject([{ name: 'pool' }]);
    a.send(JSON.stringify({ subscribe: [] }));
    await ask(a, { id: 4, method: 'getStatus' });
    expect(api.events.listenerCount('balancers')).toBe(1);
    expect(api.events.listenerCount('exchanges')).toBe(0);
    b.close();
    await expect.poll(() => api.events.listenerCount('balancers')).toBe(0);
  });

  it('coalesces exchanges for a client that does not read, then sends the latest state', async () => {
    const { api, server } = await setup({ highWaterMark: 64 * 1024 });
    const opened = await openWs(`${server.apiUrl}?token=${server.token}`);
    if (!opened.ok) throw new Error('refused');
    cleanups.push(() => opened.ws.terminate());
    const { ws, socket } = opened;
    const seen = collect(ws);
    ws.send(JSON.stringify({ subscribe: ['exchanges'] }));
    await ask(ws, { id: 1, method: 'getStatus' });
    seen.length = 0;

    // The client stops reading. 60 rounds of 500 summaries over 1,500 exchanges, ~2 KiB
    // each: ~60 MiB if every batch were queued.
    socket.pause();
    const ids = 1_500;
    const rounds = 60;
    const url = `/${'x'.repeat(2_000)}`;
    let maxBuffered = 0;
    let maxPending = 0;
    for (let round = 1; round <= rounds; round++) {
      const batch: ExchangeSummary[] = [];
      for (let i = 0; i < 500; i++) {
        const id = ((round * 500 + i) % ids) + 1;
        batch.push(summary(id, 100 + round, url));
      }
      api.events.emit('exchanges', batch);
      await nextTurn();
      const stats = server.bridge.stats();
      maxBuffered = Math.max(maxBuffered, stats.bufferedBytes);
      maxPending = Math.max(maxPending, stats.pendingExchanges);
    }
    const during = server.bridge.stats();
    expect(during.congested).toBe(1);
    // Bounded by the high-water mark plus one backlog message, far below the 60 MiB.
    expect(maxBuffered).toBeLessThan(8 * 1024 * 1024);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(ids);
    expect(during.droppedExchanges).toBe(0);

    // Reading again: every exchange arrives in its latest state, states never go back.
    socket.resume();
    const latest = new Map<number, number>();
    let regressions = 0;
    const lastRound = 100 + rounds;
    await expect
      .poll(
        () => {
          for (const m of seen.splice(0)) {
            if (m.event !== 'exchanges') continue;
            for (const s of m.payload as ExchangeSummary[]) {
              if ((latest.get(s.id) ?? 0) > s.status) regressions++;
              latest.set(s.id, s.status);
            }
          }
          return [...latest.values()].filter((status) => status === lastRound).length;
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(500);
    // The last round touched 500 of the ids; those must end at its state.
    const lastIds = Array.from({ length: 500 }, (_, i) => ((rounds * 500 + i) % ids) + 1);
    for (const id of lastIds) expect(latest.get(id)).toBe(lastRound);
    expect(regressions).toBe(0);
    await expect
      .poll(() => server.bridge.stats())
      .toMatchObject({ congested: 0, pendingExchanges: 0 });
  });

  it('drops the oldest pending summaries beyond the cap for a client that stays behind', async () => {
    const { api, server } = await setup({ highWaterMark: 16 * 1024, maxPendingExchanges: 1_000 });
    const opened = await openWs(`${server.apiUrl}?token=${server.token}`);
    if (!opened.ok) throw new Error('refused');
    cleanups.push(() => opened.ws.terminate());
    const { ws, socket } = opened;
    const seen = collect(ws);
    ws.send(JSON.stringify({ subscribe: ['exchanges', 'warning'] }));
    await ask(ws, { id: 1, method: 'getStatus' });
    socket.pause();
    const url = `/${'y'.repeat(2_000)}`;
    let id = 0;
    for (let round = 0; round < 60; round++) {
      api.events.emit(
        'exchanges',
        Array.from({ length: 500 }, () => summary(++id, 200, url)),
      );
      await nextTurn();
      expect(server.bridge.stats().pendingExchanges).toBeLessThanOrEqual(1_000);
    }
    api.events.emit('warning', { message: 'still here' });
    const stats = server.bridge.stats();
    expect(stats.droppedExchanges).toBeGreaterThan(0);
    socket.resume();
    // The newest exchange and the warning arrive; the backlog was the newest 1,000.
    await expect
      .poll(
        () =>
          seen.some(
            (m) =>
              m.event === 'exchanges' && (m.payload as ExchangeSummary[]).some((s) => s.id === id),
          ) && seen.some((m) => m.event === 'warning'),
        { timeout: 15_000 },
      )
      .toBe(true);
  });
});

describe('WebSocket client', () => {
  it('calls methods, validates results, and leaves omitted optional parameters out', async () => {
    const { server } = await setup();
    const client = createWsClient(server.apiUrl, server.token, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    expect(client.state).toBe('connecting');
    await client.opened();
    expect(client.state).toBe('open');
    expect(await client.getStatus()).toMatchObject({ host: 'headless', version: 'test' });
    expect(await client.listExchanges()).toEqual([]);
    expect(await client.listExchanges(undefined)).toEqual([]);
    expect(await client.listExchanges({ methods: ['GET'] })).toEqual([]);
    expect(await client.getExchange(999)).toBeNull();
    await expect(client.exchangeAsCurl(999)).rejects.toThrow(
      'exchange 999 is no longer in the traffic log',
    );
    expect(await client.clearExchanges()).toBeUndefined();
  });

  it('delivers subscribed events, drops payloads outside the contract, unsubscribes', async () => {
    const { api, server, proxyUrl } = await setup();
    const problems: string[] = [];
    const client = createWsClient(server.apiUrl, server.token, {
      WebSocket: NodeWebSocket,
      onProblem: (m) => problems.push(m),
    });
    cleanups.push(() => client.close());
    const batches: ExchangeSummary[][] = [];
    const warnings: string[] = [];
    const off = client.on('exchanges', (batch) => batches.push(batch));
    client.on('warning', (w) => warnings.push(w.message));
    await client.getStatus();
    await (await fetch(`${proxyUrl}/through-the-bridge`)).text();
    await expect
      .poll(() => batches.flat().some((s) => s.url === '/through-the-bridge' && s.status === 200))
      .toBe(true);

    api.events.emit('warning', { text: 'wrong shape' } as never);
    api.events.emit('warning', { message: 'right shape' });
    await expect.poll(() => warnings).toEqual(['right shape']);
    expect(problems).toEqual(["dropped a 'warning' event outside the API contract"]);

    off();
    off(); // twice is harmless
    await client.getStatus();
    expect(api.events.listenerCount('exchanges')).toBe(0);
    expect(api.events.listenerCount('warning')).toBeGreaterThan(0);
  });

  it('reconnects to a restarted server, subscribes again and sends waiting requests', async () => {
    const { api, server: first, proxyUrl } = await setup();
    const client = createWsClient(first.apiUrl, first.token, {
      WebSocket: NodeWebSocket,
      minRetryMs: 20,
      maxRetryMs: 100,
    });
    cleanups.push(() => client.close());
    const states: string[] = [];
    client.onState((s) => states.push(s));
    const urls: string[] = [];
    client.on('exchanges', (batch) => urls.push(...batch.map((s) => s.url)));
    await client.opened();

    // A request in flight when the connection drops is rejected, not sent twice.
    let release: () => void = () => {};
    vi.spyOn(api, 'getConfig').mockImplementation(
      () => new Promise((resolve) => (release = () => resolve({ config: {}, text: '' }))),
    );
    const inFlight = client.getConfig();
    await expect.poll(() => api.getConfig).toHaveBeenCalled();
    await first.close();
    await expect(inFlight).rejects.toThrow('the connection to switchyard was lost');
    release();
    await expect.poll(() => states).toContain('connecting');

    // Asked while disconnected: sent once the server is back.
    const waiting = client.getStatus();
    const second = await startUiServer({
      api,
      root: first.root,
      port: first.port,
      token: first.token,
    });
    cleanups.push(() => second.close());
    expect(await within(waiting, 5_000, 'request after reconnecting')).toMatchObject({
      host: 'headless',
    });
    expect(client.state).toBe('open');
    await (await fetch(`${proxyUrl}/after-restart`)).text();
    await expect.poll(() => urls).toContain('/after-restart');
  });

  it('rejects waiting requests on close and does not reconnect', async () => {
    const { server } = await setup();
    const client = createWsClient(server.apiUrl, 'wrong-token', {
      WebSocket: NodeWebSocket,
      minRetryMs: 20,
      maxRetryMs: 50,
      onProblem: () => undefined,
    });
    const waiting = client.getStatus();
    await new Promise((r) => setTimeout(r, 150)); // a few refused attempts
    expect(client.state).toBe('connecting');
    client.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(client.getStatus()).rejects.toThrow('closed');
    expect(client.state).toBe('closed');
    expect(server.bridge.clients).toBe(0);
  });
});
