/**
 * The IPC bridge with the real EngineApi behind it (an Engine with one listener on a free
 * loopback port); only `electron` is faked. Calls arrive as Electron delivers them:
 * structured-cloned, with the sender's webContents and frame.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { EngineApi } from '../../../src/engine/engine-api.js';
import { Engine } from '../../../src/engine/engine.js';
import { registerIpc } from '../../../src/main/ipc.js';
import { appUrlCheck, senderCheck } from '../../../src/main/security.js';
import {
  API,
  API_METHODS,
  engineStatusSchema,
  type ApiMethod,
  type ProxyApi,
} from '../../../src/shared/api.js';
import { routingConfigSchema } from '../../../src/shared/config.js';
import type { EventMessage, IpcReply } from '../../../src/shared/ipc.js';
import { startBackend, type Backend } from '../../support/backend.js';
import {
  BrowserWindow,
  FakeWebContents,
  ipcEvent,
  ipcMain,
  rendererIpc,
  until,
  type FakeWebFrameMain,
} from '../../support/fake-electron.js';
import { send } from '../../support/http.js';

const RENDERER = join(import.meta.dirname, '../../../src/renderer/index.html');

let dataDir: string;
let engine: Engine;
let api: EngineApi;
let backend: Backend;
let window: BrowserWindow;
let dispose: () => void;
const log = vi.fn();

/** A call as our page's main frame makes it. */
function invoke(method: ApiMethod, ...args: unknown[]): Promise<IpcReply> {
  return rendererIpc(window.webContents).invoke(
    `switchyard:${method}`,
    ...args,
  ) as Promise<IpcReply>;
}

async function ok(method: ApiMethod, ...args: unknown[]): Promise<unknown> {
  const reply = await invoke(method, ...args);
  if (!reply.ok) throw new Error(`${method} failed: ${reply.error}`);
  return reply.result;
}

/** Replaces the bridge under test (the previous one is disposed first). */
function rebind(options: Partial<Parameters<typeof registerIpc>[0]> = {}): void {
  dispose();
  dispose = registerIpc({
    api,
    events: api.events,
    isTrustedSender: senderCheck(() => window as never, appUrlCheck({ file: RENDERER })),
    log,
    ...options,
  });
}

function listenerPort(): number {
  return engine.listeners()[0]!.port;
}

function events(contents: FakeWebContents): EventMessage[] {
  return contents.sent
    .filter((m) => m.channel === 'switchyard:event')
    .map((m) => m.args[0] as EventMessage);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-ipc-'));
  backend = await startBackend('one');
  engine = new Engine({ dataDir });
  await engine.apply(
    routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'all', to: backend.url }],
      balancers: [{ name: 'pool', members: [{ url: backend.url }] }],
    }),
  );
  api = new EngineApi(engine, {
    host: 'electron',
    version: '1.2.3',
    batchMs: 10,
    trustStores: async () => [],
  });
  window = new BrowserWindow({});
  await window.loadFile(RENDERER);
  dispose = () => {};
  rebind();
});

afterAll(async () => {
  dispose();
  api.close();
  await engine.close({ graceMs: 0 });
  await backend.close();
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(() => log.mockClear());

describe('handlers', () => {
  it('registers exactly one handler per API method, named switchyard:<method>', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      API_METHODS.map((m) => `switchyard:${m}`).sort(),
    );
  });

  it('passes results through, checked against the contract', async () => {
    const status = engineStatusSchema.parse(await ok('getStatus'));
    expect(status).toMatchObject({ host: 'electron', version: '1.2.3', unsaved: false });
    expect(status.listeners).toEqual([
      expect.objectContaining({ name: 'web', port: listenerPort() }),
    ]);

    const validation = await ok(
      'validateConfig',
      'version: 1\nlisteners: [{ name: a, port: 0 }]\n',
    );
    expect(validation).toMatchObject({ ok: true, problems: [] });

    const balancers = (await ok('listBalancers')) as { name: string; members: unknown[] }[];
    expect(balancers.map((b) => b.name)).toEqual(['pool']);
    expect(API.listBalancers.result.safeParse(balancers).success).toBe(true);

    expect(await ok('exchangeAsCurl', await firstExchangeId())).toMatch(/^curl /);
    expect(await ok('setCapturePaused', false)).toBeUndefined();
  });

  it('applies configuration through the bridge (the engine really rebinds)', async () => {
    const before = listenerPort();
    const result = (await ok('applyConfig', {
      version: 1,
      listeners: [
        { name: 'web', port: 0 },
        { name: 'extra', port: 0 },
      ],
      routes: [{ name: 'all', to: backend.url }],
      balancers: [{ name: 'pool', members: [{ url: backend.url }] }],
    })) as { listeners: { name: string; port: number }[] };
    expect(result.listeners.map((l) => l.name)).toEqual(['web', 'extra']);
    expect(listenerPort()).toBe(before); // unchanged listener keeps its socket
    const extra = result.listeners[1]!.port;
    expect((await send(extra, '/x')).status).toBe(200);
  });
});

async function firstExchangeId(): Promise<number> {
  await send(listenerPort(), '/for-an-id');
  const list = (await ok('listExchanges')) as { id: number }[];
  return list.at(-1)!.id;
}

describe('sender check', () => {
  async function refused(reply: Promise<IpcReply>): Promise<void> {
    expect(await reply).toEqual({
      ok: false,
      error: expect.stringContaining('refused: the caller is not the Switchyard window'),
    });
  }

  it('refuses another window, even one showing the same file', async () => {
    const other = new BrowserWindow({});
    await other.loadFile(RENDERER);
    await refused(
      rendererIpc(other.webContents).invoke('switchyard:getStatus') as Promise<IpcReply>,
    );
    expect(log).toHaveBeenCalledWith(expect.stringContaining('refused getStatus'));
  });

  it('refuses a subframe of our window, even at the app URL', async () => {
    const frame = window.webContents.addFrame(window.webContents.mainFrame.url);
    await refused(
      rendererIpc(window.webContents, () => frame).invoke(
        'switchyard:getStatus',
      ) as Promise<IpcReply>,
    );
  });

  it('refuses our main frame once it shows anything but the app page', async () => {
    const saved = window.webContents.mainFrame;
    for (const url of [
      'https://example.com/',
      'file:///etc/passwd',
      'about:blank',
      'devtools://x',
    ]) {
      window.webContents.mainFrame = Object.assign(Object.create(saved) as FakeWebFrameMain, {
        url,
      });
      await refused(invoke('getStatus'));
    }
    window.webContents.mainFrame = saved;
    // The app URL with a route in the fragment is still the app.
    const routed = Object.assign(Object.create(saved) as FakeWebFrameMain, {
      url: `${saved.url}#/traffic`,
    });
    window.webContents.mainFrame = routed;
    expect((await invoke('getStatus')).ok).toBe(true);
    window.webContents.mainFrame = saved;
  });

  it('refuses a frame that is gone (senderFrame null) and a frame of another process', async () => {
    const handler = ipcMain.handlers.get('switchyard:getStatus')!;
    await refused(handler(ipcEvent(window.webContents, null)) as Promise<IpcReply>);
    const impostor = { ...window.webContents.mainFrame, processId: 9999 };
    await refused(handler(ipcEvent(window.webContents, impostor as never)) as Promise<IpcReply>);
  });

  it('does not run the method when the sender is refused', async () => {
    const spy = vi.spyOn(api, 'clearExchanges');
    const other = new FakeWebContents();
    await refused(rendererIpc(other).invoke('switchyard:clearExchanges') as Promise<IpcReply>);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('parameter validation', () => {
  it.each([
    ['getExchange', ['1'], /^getExchange: argument 1: /],
    ['getExchange', [1.5], /^getExchange: argument 1: /],
    ['getExchange', [], /^getExchange: arguments: /],
    ['getExchange', [1, 2], /^getExchange: /],
    ['validateConfig', [42], /^validateConfig: argument 1: /],
    ['setCapturePaused', ['yes'], /^setCapturePaused: argument 1: /],
    ['getExchangeBody', [1, 'both'], /^getExchangeBody: argument 2: /],
    [
      'setMember',
      ['pool', backend?.url ?? 'x', { state: 'enabled', admin: true }],
      /^setMember: argument 3/,
    ],
    ['listExchanges', [{ text: 'x', evil: true }], /^listExchanges: argument 1/],
    ['exportConfig', ['iis'], /^exportConfig: argument 1: /],
    ['applyConfig', ['version: 1'], /^applyConfig: argument 1: /],
  ] as [ApiMethod, unknown[], RegExp][])(
    '%s(%j) is refused before the engine sees it',
    async (method, args, message) => {
      const spy = vi.spyOn(api, method as keyof ProxyApi);
      const reply = await invoke(method, ...args);
      expect(reply.ok).toBe(false);
      expect(!reply.ok && reply.error).toMatch(message);
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    },
  );

  it('accepts an omitted optional argument', async () => {
    expect((await invoke('listExchanges')).ok).toBe(true);
    expect((await invoke('exportHar')).ok).toBe(true);
  });
});

describe('errors', () => {
  it('answers { ok: false, error } with the message only: no stack, no error object', async () => {
    const reply = await invoke('exchangeAsCurl', 987654);
    expect(reply).toEqual({ ok: false, error: 'exchange 987654 is no longer in the traffic log' });
    const invalid = await invoke('applyConfig', {
      version: 1,
      listeners: [{ name: 'x', port: 99999 }],
    });
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.error).toMatch(/listeners\[0\]\.port/);
    expect(!invalid.ok && invalid.error).not.toMatch(/\n\s+at /);
    expect(Object.keys(invalid)).toEqual(['ok', 'error']);
  });

  it('refuses a result outside the contract instead of passing it on', async () => {
    const contents = new FakeWebContents();
    const bad = {
      ...api,
      getStatus: async () => ({ version: 1, secret: 'x' }),
    } as unknown as ProxyApi;
    rebind({ api: bad, isTrustedSender: () => true });
    try {
      const reply = (await rendererIpc(contents).invoke('switchyard:getStatus')) as IpcReply;
      expect(reply).toEqual({
        ok: false,
        error: 'getStatus: the engine answered with data the app does not expect',
      });
      expect(log).toHaveBeenCalledWith(
        expect.stringContaining('getStatus returned data outside the API contract'),
      );
    } finally {
      rebind();
    }
  });

  it('strips fields the contract does not list from results', async () => {
    const contents = new FakeWebContents();
    const leaky = {
      ...api,
      getStatus: async () => ({ ...(await api.getStatus()), internal: { token: 'x' } }),
    } as unknown as ProxyApi;
    rebind({ api: leaky, isTrustedSender: () => true });
    try {
      const reply = (await rendererIpc(contents).invoke('switchyard:getStatus')) as IpcReply;
      expect(reply.ok && reply.result).not.toHaveProperty('internal');
    } finally {
      rebind();
    }
  });
});

describe('events', () => {
  const ipc = () => rendererIpc(window.webContents);

  it('forwards exchanges only after a subscription, batched', async () => {
    window.webContents.sent.length = 0;
    await send(listenerPort(), '/before-subscribing');
    await new Promise((r) => setTimeout(r, 80));
    expect(events(window.webContents)).toEqual([]);

    ipc().send('switchyard:subscribe', 'exchanges');
    await Promise.all([1, 2, 3, 4, 5].map((i) => send(listenerPort(), `/burst/${i}`)));
    await until(
      () =>
        events(window.webContents)
          .flatMap((e) =>
            e.event === 'exchanges' ? (e.payload as { url: string; outcome: string }[]) : [],
          )
          .filter((s) => s.url.startsWith('/burst/') && s.outcome !== 'pending').length >= 5,
    );
    const messages = events(window.webContents);
    expect(messages.every((m) => m.event === 'exchanges')).toBe(true);
    expect(API_METHODS).not.toContain('exchanges');
    // 5 exchanges, each with a start and an end summary, arrive in far fewer messages.
    expect(messages.length).toBeLessThan(10);
    expect(messages.every((m) => API.listExchanges.result.safeParse(m.payload).success)).toBe(true);
  });

  it('keeps at least ~50 ms between flushes to a page', async () => {
    window.webContents.sent.length = 0;
    ipc().send('switchyard:subscribe', 'warning');
    const started = Date.now();
    while (Date.now() - started < 400) {
      api.events.emit('warning', { message: 'w' });
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 80));
    // One flush sends its messages within a millisecond or two: group them, then measure
    // from flush to flush.
    const flushes: number[] = [];
    for (const { at } of window.webContents.sent) {
      if (flushes.length === 0 || at - flushes.at(-1)! > 10) flushes.push(at);
    }
    expect(flushes.length).toBeGreaterThan(2);
    for (let i = 1; i < flushes.length; i++) {
      expect(flushes[i]! - flushes[i - 1]!).toBeGreaterThanOrEqual(45);
    }
    ipc().send('switchyard:unsubscribe', 'warning');
  });

  it('refuses unknown event names and foreign senders', async () => {
    for (const name of ['bogus', '__proto__', 'constructor', 42, null, { event: 'exchanges' }]) {
      ipc().send('switchyard:subscribe', name);
    }
    expect(log).toHaveBeenCalledTimes(6);
    const other = new FakeWebContents();
    rendererIpc(other).send('switchyard:subscribe', 'warning');
    api.events.emit('warning', { message: 'for nobody' });
    await new Promise((r) => setTimeout(r, 80));
    expect(other.sent).toEqual([]);
  });

  it('polls balancer statistics only while subscribed', async () => {
    expect(api.events.listenerCount('balancers')).toBe(0);
    ipc().send('switchyard:subscribe', 'balancers');
    expect(api.events.listenerCount('balancers')).toBe(1);
    window.webContents.sent.length = 0;
    await until(() => events(window.webContents).some((e) => e.event === 'balancers'), 3_000);
    ipc().send('switchyard:unsubscribe', 'balancers');
    expect(api.events.listenerCount('balancers')).toBe(0);
  });

  it('forgets a page’s subscriptions when it navigates, and stops sending when it is destroyed', async () => {
    const page = new BrowserWindow({});
    await page.loadFile(RENDERER);
    rebind({ isTrustedSender: senderCheck(() => page as never, appUrlCheck({ file: RENDERER })) });
    const before = api.events.listenerCount('config');
    rendererIpc(page.webContents).send('switchyard:subscribe', 'config');
    expect(api.events.listenerCount('config')).toBe(before + 1);
    page.webContents.commit(page.webContents.mainFrame.url); // a reload
    expect(api.events.listenerCount('config')).toBe(before);

    rendererIpc(page.webContents).send('switchyard:subscribe', 'config');
    api.events.emit('config', { reason: 'queued while the page dies' });
    page.destroy();
    await new Promise((r) => setTimeout(r, 80));
    expect(api.events.listenerCount('config')).toBe(before);
    expect(events(page.webContents).filter((e) => e.event === 'config')).toEqual([]);
    rebind();
  });

  it('removes every handler and listener on dispose', () => {
    rendererIpc(window.webContents).send('switchyard:subscribe', 'health');
    expect(api.events.listenerCount('health')).toBe(1);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    expect(ipcMain.listenerCount('switchyard:subscribe')).toBe(0);
    expect(api.events.listenerCount('health')).toBe(0);
    dispose = () => {};
  });
});
