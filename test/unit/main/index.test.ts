/**
 * The main process as Electron runs it (src/main/index.ts with a fake `electron`): first
 * run with no routing file starts the demo behind a real Engine, one locked-down window,
 * the IPC bridge, tray and menu; quitting drains the engine.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const sudo = vi.hoisted(() => ({ exec: vi.fn() }));
vi.mock('@vscode/sudo-prompt', () => sudo);
vi.mock('electron', () => import('../../support/fake-electron.js'));

import { HEADER_CSP } from '../../../src/main/csp.js';
import { defaultDataDir } from '../../../src/server/data-dir.js';
import { API_METHODS, type EngineStatus } from '../../../src/shared/api.js';
import type { EventMessage, IpcReply } from '../../../src/shared/ipc.js';
import {
  app,
  BrowserWindow,
  Menu,
  dialog,
  Tray,
  fakeEvent,
  findMenuItem,
  ipcMain,
  rendererIpc,
  session,
  shell,
  until,
} from '../../support/fake-electron.js';
import { send } from '../../support/http.js';

const ROOT = join(import.meta.dirname, '../../..');
let dataDir: string;
let window: BrowserWindow;
/** Holds 127.0.0.1:8080 (when free) so the demo's choice of port is deterministic here. */
const port8080 = http.createServer();

async function call(method: string, ...args: unknown[]): Promise<unknown> {
  const reply = (await rendererIpc(window.webContents).invoke(
    `switchyard:${method}`,
    ...args,
  )) as IpcReply;
  if (!reply.ok) throw new Error(reply.error);
  return reply.result;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    port8080.once('error', () => resolve()); // taken anyway
    port8080.listen(8080, '127.0.0.1', () => resolve());
  });
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-main-'));
  app.pinned['userData'] = dataDir;
  delete process.env['ELECTRON_RENDERER_URL'];
  await import('../../../src/main/index.js');
  await until(() => BrowserWindow.windows.length === 1);
  window = BrowserWindow.windows[0]!;
});

afterAll(async () => {
  port8080.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('start', () => {
  it('takes the single-instance lock and sandboxes every renderer', () => {
    expect(app.requestSingleInstanceLock).toHaveBeenCalledOnce();
    expect(app.enableSandbox).toHaveBeenCalledOnce();
  });

  it('shares its data folder with the headless command', () => {
    expect(app.paths['userData']).toBe(defaultDataDir());
  });

  it('opens one window with the secure preferences, the preload and the built page', () => {
    expect(window.options['webPreferences']).toMatchObject({
      preload: join(ROOT, 'src/preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(window.loaded).toEqual({ file: join(ROOT, 'src/renderer/index.html') });
    window.emit('ready-to-show');
    expect(window.visible).toBe(true);
  });

  it('asks before closing a window whose page holds unsaved route changes', () => {
    const leave = { preventDefault: vi.fn() };
    dialog.showMessageBoxSync.mockReturnValueOnce(1);
    window.webContents.emit('will-prevent-unload', leave);
    expect(leave.preventDefault).not.toHaveBeenCalled();
    dialog.showMessageBoxSync.mockReturnValueOnce(0);
    window.webContents.emit('will-prevent-unload', leave);
    expect(leave.preventDefault).toHaveBeenCalledTimes(1);
  });

  it('denies permissions and sets the CSP header in the session', () => {
    const granted = vi.fn();
    session.defaultSession.permissionRequestHandler!({}, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
    const headers = vi.fn();
    session.defaultSession.headersListener!({ url: window.webContents.mainFrame.url }, headers);
    expect(headers).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Security-Policy': [HEADER_CSP] },
    });
  });

  it('locks down navigation and new windows of every web contents', () => {
    expect(window.webContents.tryNavigate('https://example.com/')).toBe(false);
    expect(shell.openExternal).toHaveBeenLastCalledWith('https://example.com/');
    expect(window.webContents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({
      action: 'deny',
    });
    expect(shell.openExternal).toHaveBeenCalledOnce();
  });

  it('serves every API method over IPC to the window, and only to it', async () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      API_METHODS.map((m) => `switchyard:${m}`).sort(),
    );
    const status = (await call('getStatus')) as EngineStatus;
    expect(status).toMatchObject({ host: 'electron', version: '0.0.0-test' });
    const stranger = new BrowserWindow({});
    await stranger.loadURL('https://example.com/');
    const refused = (await rendererIpc(stranger.webContents).invoke(
      'switchyard:getStatus',
    )) as IpcReply;
    expect(refused.ok).toBe(false);
    stranger.destroy();
  });

  it('installs the menu with the routing file commands', () => {
    const open = findMenuItem(Menu.applicationMenu!.template, 'open-routing-file');
    expect(open?.['label']).toBe('Open Routing File');
  });
});

describe('first run: the demo', () => {
  it('runs a listener on a free port, balancing over two built-in echo backends', async () => {
    const status = (await call('getStatus')) as EngineStatus;
    expect(status.listeners).toEqual([
      expect.objectContaining({ name: 'demo', address: '127.0.0.1' }),
    ]);
    const port = status.listeners[0]!.port;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(8080); // held by this test, so the demo took a free port
    const backends = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const reply = await send(port, `/hello/${i}`);
      expect(reply.status).toBe(200);
      backends.add(String(reply.headers['x-echo-backend']));
      expect(JSON.parse(reply.body)).toMatchObject({ path: `/hello/${i}`, method: 'GET' });
    }
    expect([...backends].sort()).toEqual(['echo-1', 'echo-2']);
    const [balancer] = (await call('listBalancers')) as { name: string; members: unknown[] }[];
    expect(balancer).toMatchObject({ name: 'demo', method: 'byrequests' });
    expect(balancer!.members).toHaveLength(2);
  });

  it('shows the demo in the tray, and capture can be paused from there', async () => {
    const tray = Tray.instances[0]!;
    await until(() => tray.tooltip.includes('demo http://127.0.0.1:'));
    (findMenuItem(tray.menu!.template, 'capture')!['click'] as () => void)();
    await until(() => tray.tooltip.includes('capture paused'));
    expect(((await call('getStatus')) as EngineStatus).capture.paused).toBe(true);
    await call('setCapturePaused', false);
    await until(() => !tray.tooltip.includes('capture paused'));
  });

  it('streams the demo traffic to the window once it subscribes', async () => {
    const status = (await call('getStatus')) as EngineStatus;
    rendererIpc(window.webContents).send('switchyard:subscribe', 'exchanges');
    await send(status.listeners[0]!.port, '/streamed');
    await until(() =>
      window.webContents.sent.some(
        (m) =>
          m.channel === 'switchyard:event' &&
          JSON.stringify((m.args[0] as EventMessage).payload).includes('/streamed'),
      ),
    );
  });
});

describe('keeping the demo', () => {
  it('reports no routing file while the demo runs, and writes one when asked', async () => {
    const file = join(dataDir, 'switchyard.yaml');
    expect((await call('getStatus')) as EngineStatus).not.toHaveProperty('configPath');
    expect(existsSync(file)).toBe(false);
    expect(await call('saveConfig')).toEqual({ path: file });
    expect(await readFile(file, 'utf8')).toMatch(/balancer:\/\/demo\//);
    expect(((await call('getStatus')) as EngineStatus).configPath).toBe(file);
  });
});

describe('lifecycle', () => {
  it('focuses the existing window for a second instance', () => {
    window.minimized = true;
    const focused = window.focused;
    app.emit('second-instance');
    expect(window.minimized).toBe(false);
    expect(window.focused).toBe(focused + 1);
    expect(BrowserWindow.windows.filter((w) => !w.isDestroyed())).toHaveLength(1);
  });

  it('holds the first quit until the engine and the demo have stopped', async () => {
    const port = ((await call('getStatus')) as EngineStatus).listeners[0]!.port;
    const event = fakeEvent({});
    app.emit('before-quit', event);
    expect(event.defaultPrevented).toBe(true);
    await until(() => app.quit.mock.calls.length > 0);
    await expect(send(port, '/after-quit')).rejects.toThrow(/ECONNREFUSED/);
    expect(ipcMain.handlers.size).toBe(0);
    expect(Tray.instances[0]!.isDestroyed()).toBe(true);
    // The repeated quit goes through.
    const again = fakeEvent({});
    app.emit('before-quit', again);
    expect(again.defaultPrevented).toBe(false);
    expect(sudo.exec).not.toHaveBeenCalled();
    window.destroy();
  });
});
