import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';
import {
  nextMessage,
  openWs,
  startWsBackend,
  within,
  type Opened,
  type WsBackend,
} from '../support/ws.js';

function opened(o: Opened) {
  if (!o.ok) throw new Error(`handshake answered ${o.status}: ${o.body}`);
  return o;
}

describe('WebSocket tunnelling (SPEC §1 websocket)', () => {
  let backend: WsBackend;
  let plain: Backend;
  let proxy: RunningProxy;
  let refusedPort: number;
  const wsUrl = (path: string) => `ws://127.0.0.1:${proxy.port()}${path}`;

  beforeAll(async () => {
    backend = await startWsBackend();
    plain = await startBackend('plain');
    plain.handle((_req, res) => {
      res.setHeader('Connection', 'X-Secret');
      res.setHeader('X-Secret', 's');
      res.setHeader('Keep-Alive', 'timeout=1, max=7');
      res.setHeader('Proxy-Authenticate', 'Basic realm="b"');
      res.setHeader('Location', `${plain.url}/app/login`);
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('not here');
    });
    refusedPort = await deadPort();
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'off', match: { path: '/off' }, to: backend.url, websocket: false },
        { name: 'gone', match: { path: '/gone' }, to: `http://127.0.0.1:${refusedPort}` },
        { name: 'ws', match: { path: '/ws' }, to: `${backend.url}/sock` },
        { name: 'plain', match: { path: '/plain' }, to: `${plain.url}/app` },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    await plain.close();
  });
  beforeEach(() => {
    backend.peers.length = 0;
  });

  it('echoes text and binary messages through the proxy, in order', async () => {
    const { ws } = opened(await openWs(wsUrl('/ws/echo')));
    for (const text of ['hello', 'é ü 😀', 'x'.repeat(200_000)]) {
      const reply = nextMessage(ws);
      ws.send(text);
      const { data, binary } = await within(reply, 5_000, 'echo');
      expect(binary).toBe(false);
      expect(data.toString('utf8')).toBe(text);
    }
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0]);
    const reply = nextMessage(ws);
    ws.send(bytes);
    const { data, binary } = await within(reply, 5_000, 'binary echo');
    expect(binary).toBe(true);
    expect(Buffer.compare(data, bytes)).toBe(0);
    ws.close();
  });

  it('sends the backend the mapped path, query and forwarding headers', async () => {
    const { ws } = opened(
      await openWs(wsUrl('/ws/chat?room=1&x=%2F'), {
        headers: {
          'X-Forwarded-For': '203.0.113.9',
          'X-Forwarded-Proto': 'https',
          'Proxy-Authorization': 'Basic c2VjcmV0',
          Host: 'chat.localhost:8080',
        },
      }),
    );
    const peer = backend.peers[0];
    expect(peer?.url).toBe('/sock/chat?room=1&x=%2F');
    expect(peer?.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-host': 'chat.localhost:8080',
      'x-forwarded-proto': 'http',
      host: `127.0.0.1:${backend.port}`,
      upgrade: 'websocket',
    });
    expect(peer?.headers.connection).toMatch(/upgrade/i);
    expect(peer?.headers.via).toMatch(/^1\.1 switchyard-[0-9a-f]{6}$/);
    expect(peer?.headers['proxy-authorization']).toBeUndefined();
    ws.close();
  });

  it('refuses the upgrade on a route with websocket: false and reaches no backend', async () => {
    const before = backend.connections;
    const o = await openWs(wsUrl('/off'), { headers: { accept: 'application/json' } });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.status).toBe(501);
    expect(o.headers['x-switchyard-error']).toBe('501');
    expect(JSON.parse(o.body)).toMatchObject({ error: { route: 'off' } });
    expect(backend.connections).toBe(before);
  });

  it('answers 502 to the handshake when the backend refuses the connection', async () => {
    const o = await openWs(wsUrl('/gone'), { headers: { accept: 'application/json' } });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.status).toBe(502);
    expect(o.headers['x-switchyard-error']).toBe('502');
    expect(JSON.parse(o.body)).toMatchObject({
      error: { route: 'gone', backend: `http://127.0.0.1:${refusedPort}/` },
    });
  });

  it('relays a backend refusing the handshake over HTTP by the usual header rules', async () => {
    const raw = await rawRequest(
      proxy.port(),
      'GET /plain/x HTTP/1.1\r\nHost: app.localhost\r\nConnection: Upgrade\r\n' +
        'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(statuses(raw)).toEqual([426]);
    expect(plain.seen.at(-1)?.url).toBe('/app/x');
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head).not.toMatch(/x-secret|max=7|proxy-authenticate/i);
    expect(head).toMatch(/\r\nconnection: close(\r\n|$)/i);
    expect(head).toMatch(/\r\nlocation: http:\/\/app\.localhost\/plain\/login(\r\n|$)/i);
    expect(raw).toContain('not here');
  });

  it('closes the backend side when the client resets its TCP socket mid-tunnel', async () => {
    const peerOpened = backend.nextPeer();
    const client = opened(await openWs(wsUrl('/ws/reset-client')));
    const peer = await within(peerOpened, 5_000, 'backend connection');
    const reply = nextMessage(client.ws);
    client.ws.send('before');
    expect((await within(reply, 5_000, 'echo')).data.toString()).toBe('before');
    client.socket.resetAndDestroy();
    expect(await within(peer.closed, 5_000, 'backend side closed')).toBe(1006);
    await within(client.closed, 5_000, 'client side closed');
    await expectProxyAlive();
  });

  it('closes the client side when the backend resets its TCP socket mid-tunnel', async () => {
    const peerOpened = backend.nextPeer();
    const client = opened(await openWs(wsUrl('/ws/reset-backend')));
    const peer = await within(peerOpened, 5_000, 'backend connection');
    const reply = nextMessage(client.ws);
    client.ws.send('before');
    await within(reply, 5_000, 'echo');
    peer.socket.resetAndDestroy();
    expect(await within(client.closed, 5_000, 'client side closed')).toBe(1006);
    await expectProxyAlive();
  });

  it('closes the backend side when the client closes cleanly', async () => {
    const peerOpened = backend.nextPeer();
    const client = opened(await openWs(wsUrl('/ws/bye')));
    const peer = await within(peerOpened, 5_000, 'backend connection');
    client.ws.close(4000, 'bye');
    expect(await within(peer.closed, 5_000, 'backend side closed')).toBe(4000);
    expect(await within(client.closed, 5_000, 'client side closed')).toBe(4000);
  });

  /** The process survived and the proxy still tunnels and serves plain requests. */
  async function expectProxyAlive() {
    const { ws } = opened(await openWs(wsUrl('/ws/again')));
    const reply = nextMessage(ws);
    ws.send('still here');
    expect((await within(reply, 5_000, 'echo after reset')).data.toString()).toBe('still here');
    ws.close();
    expect((await send(proxy.port(), '/ws/plain')).status).toBe(426);
  }
});
