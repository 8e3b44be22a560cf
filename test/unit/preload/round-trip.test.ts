/**
 * The whole desktop path with only `electron` faked: the renderer's IPC client → the
 * preload's bridge → IPC (structured clone, sender frame) → main's handlers → the real
 * EngineApi and Engine, with real traffic through a listener on a free loopback port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { EngineApi } from '../../../src/engine/engine-api.js';
import { Engine } from '../../../src/engine/engine.js';
import { registerIpc } from '../../../src/main/ipc.js';
import { appUrlCheck, senderCheck } from '../../../src/main/security.js';
import { createBridge } from '../../../src/preload/bridge.js';
import { createIpcClient } from '../../../src/renderer/src/api/ipc-client.js';
import type { ProxyClient } from '../../../src/shared/api.js';
import { emptyConfig } from '../../../src/shared/config.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { BrowserWindow, rendererIpc, until } from '../../support/fake-electron.js';
import { send } from '../../support/http.js';

const RENDERER = join(import.meta.dirname, '../../../src/renderer/index.html');

let dataDir: string;
let engine: Engine;
let api: EngineApi;
let backend: Backend;
let window: BrowserWindow;
let client: ProxyClient;
let dispose: () => void;
const problems: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-roundtrip-'));
  backend = await startBackend('echo');
  engine = new Engine({ dataDir });
  await engine.apply(emptyConfig());
  api = new EngineApi(engine, { host: 'electron', version: '9.9.9', batchMs: 10 });
  window = new BrowserWindow({});
  await window.loadFile(RENDERER);
  dispose = registerIpc({
    api,
    events: api.events,
    isTrustedSender: senderCheck(() => window as never, appUrlCheck({ file: RENDERER })),
  });
  client = createIpcClient(createBridge(rendererIpc(window.webContents)), {
    onProblem: (m) => problems.push(m),
  });
});

afterAll(async () => {
  dispose();
  api.close();
  await engine.close({ graceMs: 0 });
  await backend.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('renderer → preload → main → engine', () => {
  it('starts with no listeners, then applies a configuration the engine serves', async () => {
    expect((await client.getStatus()).listeners).toEqual([]);
    const { listeners } = await client.applyConfig({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'echo', to: backend.url }],
    });
    expect(listeners).toHaveLength(1);
    const reply = await send(listeners[0]!.port, '/hello');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ backend: 'echo', url: '/hello' });
  });

  it('streams the exchanges it proxies to a subscribed renderer', async () => {
    const seen = new Map<number, { url: string; status: number }>();
    const off = client.on('exchanges', (batch) => {
      for (const s of batch) seen.set(s.id, s);
    });
    const port = (await client.getStatus()).listeners[0]!.port;
    await Promise.all(['/a', '/b', '/c'].map((p) => send(port, p)));
    const done = () => [...seen.values()].filter((s) => s.status === 200 && s.url.length === 2);
    await until(() => done().length === 3);
    expect(
      done()
        .map((s) => s.url)
        .sort(),
    ).toEqual(['/a', '/b', '/c']);
    off();
    expect(problems).toEqual([]);
  });

  it('turns a refusal into an Error with the engine’s message', async () => {
    await expect(client.exchangeAsCurl(424242)).rejects.toThrow(
      /^exchange 424242 is no longer in the traffic log$/,
    );
    const error = await client.getExchange('7' as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^getExchange: argument 1: /);
  });

  it('drops event payloads outside the contract instead of handing them to the app', async () => {
    const listener = vi.fn();
    const off = client.on('warning', listener);
    await new Promise((r) => setTimeout(r, 20));
    api.events.emit('warning', { nope: true } as never);
    api.events.emit('warning', { message: 'fine' });
    await until(() => listener.mock.calls.length === 1);
    await new Promise((r) => setTimeout(r, 60));
    expect(listener.mock.calls).toEqual([[{ message: 'fine' }]]);
    expect(problems).toEqual(["dropped a 'warning' event outside the API contract"]);
    off();
  });
});
