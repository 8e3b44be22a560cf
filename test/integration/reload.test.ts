import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startBackend, type Backend } from '../support/backend.js';
import { Engine } from '../../src/engine/engine.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function backend(name: string): Promise<Backend> {
  const b = await startBackend(name);
  cleanups.push(() => b.close());
  return b;
}

async function proxy(config: Parameters<typeof startProxy>[0]): Promise<RunningProxy> {
  const p = await startProxy(config);
  cleanups.push(() => p.close());
  return p;
}

function get(
  agent: http.Agent,
  port: number,
  path: string,
): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, localPort: req.socket?.localPort ?? 0 }),
      );
    });
    req.on('error', reject);
  });
}

const route = (to: string, path = '/') => ({ name: 'r', match: { path }, to });

describe('live reload', () => {
  it('keeps an unchanged listener and its keep-alive connection while routes change', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const p = await proxy({ listeners: [{ name: 'web', port: 0 }], routes: [route(a.url)] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    const first = await get(agent, p.port(), '/x');
    expect(JSON.parse(first.body).backend).toBe('a');
    await p.apply({ listeners: [{ name: 'web', port: 0 }], routes: [route(b.url)] });
    const second = await get(agent, p.port(), '/x');
    expect(JSON.parse(second.body).backend).toBe('b');
    expect(second.localPort).toBe(first.localPort);
  });

  it('lets an in-flight request finish on the configuration it started with', async () => {
    const slow = await backend('slow');
    slow.handle((_req, res) => setTimeout(() => res.end('old route'), 300));
    const fresh = await backend('fresh');
    const p = await proxy({ listeners: [{ name: 'web', port: 0 }], routes: [route(slow.url)] });
    const inflight = fetch(`${p.url()}/x`).then(async (r) => [r.status, await r.text()]);
    await new Promise((r) => setTimeout(r, 100));
    await p.apply({ listeners: [{ name: 'web', port: 0 }], routes: [route(fresh.url)] });
    expect(await inflight).toEqual([200, 'old route']);
    const after = await fetch(`${p.url()}/x`);
    expect(((await after.json()) as { backend: string }).backend).toBe('fresh');
  });

  it('finishes in-flight requests on a removed listener, then stops accepting there', async () => {
    const slow = await backend('slow');
    slow.handle((_req, res) => setTimeout(() => res.end('done'), 300));
    const p = await proxy({
      listeners: [
        { name: 'web', port: 0 },
        { name: 'old', port: 0 },
      ],
      routes: [route(slow.url)],
    });
    const oldPort = p.port('old');
    const inflight = fetch(`http://127.0.0.1:${oldPort}/x`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    await p.apply({ listeners: [{ name: 'web', port: 0 }], routes: [route(slow.url)] });
    expect(p.engine.listeners().map((l) => l.name)).toEqual(['web']);
    expect(await inflight).toBe('done');
    await expect(
      new Promise((resolve, reject) => {
        const s = net.connect(oldPort, '127.0.0.1', () => resolve('connected'));
        s.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('keeps an open WebSocket working across a reload', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${String(m)}`)));
    const wsPort = (wss.address() as net.AddressInfo).port;
    const other = await backend('other');
    const p = await proxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [route(`http://127.0.0.1:${wsPort}`)],
    });
    const client = new WebSocket(`ws://127.0.0.1:${p.port()}/socket`);
    cleanups.push(async () => client.terminate());
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const next = () =>
      new Promise<string>((resolve) => client.once('message', (m) => resolve(String(m))));
    client.send('one');
    expect(await next()).toBe('echo one');
    await p.apply({ listeners: [{ name: 'web', port: 0 }], routes: [route(other.url)] });
    client.send('two');
    expect(await next()).toBe('echo two');
  });

  it('keeps the running configuration when a new listener cannot bind', async () => {
    const a = await backend('a');
    const p = await proxy({ listeners: [{ name: 'web', port: 0 }], routes: [route(a.url)] });
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const takenPort = (taken.address() as net.AddressInfo).port;
    const next = parseConfig({
      listeners: [
        { name: 'web', port: 0 },
        { name: 'busy', port: takenPort },
      ],
      routes: [route('http://127.0.0.1:1')],
    });
    await expect(p.engine.apply(next)).rejects.toThrow(
      `listener 'busy' cannot listen: 127.0.0.1:${takenPort} is already in use by another program`,
    );
    const res = await fetch(`${p.url()}/x`);
    expect(((await res.json()) as { backend: string }).backend).toBe('a');
    expect(p.engine.listeners().map((l) => l.name)).toEqual(['web']);
  });

  it('refuses a configuration the engine cannot run, and keeps the old one', async () => {
    const a = await backend('a');
    const dataDir = join(await mkdtemp(join(tmpdir(), 'switchyard-reload-')), 'not-a-folder');
    await writeFile(dataDir, 'a file where the data folder should be');
    const engine = new Engine({ dataDir });
    cleanups.push(() => engine.close({ graceMs: 100 }));
    await engine.apply(
      parseConfig({ listeners: [{ name: 'web', port: 0 }], routes: [route(a.url)] }),
    );
    const tls = parseConfig({
      listeners: [{ name: 'web', port: 0, tls: true }],
      routes: [route(a.url)],
    });
    await expect(engine.apply(tls)).rejects.toThrow(/local certificate authority cannot be used/);
    const url = engine.listeners()[0]!.url;
    expect(url).toMatch(/^http:/);
    expect((await fetch(`${url}/x`)).status).toBe(200);
  });
});
