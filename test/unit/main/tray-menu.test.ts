import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { appMenuTemplate, installAppMenu } from '../../../src/main/menu.js';
import { appPaths, unpacked } from '../../../src/main/paths.js';
import {
  openRoutingFile,
  readStartConfig,
  revealRoutingFile,
} from '../../../src/main/routing-file.js';
import { AppTray, trayMenuTemplate, trayTooltip } from '../../../src/main/tray.js';
import type { EngineStatus, ProxyApi } from '../../../src/shared/api.js';
import { Menu, Tray, dialog, findMenuItem, shell, until } from '../../support/fake-electron.js';

const status = (paused: boolean, listeners = 1): EngineStatus => ({
  version: '1',
  host: 'electron',
  unsaved: false,
  listeners: Array.from({ length: listeners }, (_, i) => ({
    name: `l${i}`,
    address: '127.0.0.1',
    port: 8080 + i,
    tls: false,
    url: `http://127.0.0.1:${8080 + i}`,
  })),
  capture: { paused, entries: 3, bytes: 10 },
});

type Item = Record<string, unknown> & { click?: () => void };

describe('tray', () => {
  it('says what runs and whether traffic is captured', () => {
    expect(trayTooltip(status(false))).toBe(
      'Switchyard: l0 http://127.0.0.1:8080; capturing (3 exchanges)',
    );
    expect(trayTooltip(status(true, 0))).toBe('Switchyard: no listeners; capture paused');
    expect(trayTooltip(undefined)).toBe('Switchyard');
  });

  it('offers open, pause or resume capture, and quit', () => {
    const actions = { openWindow: vi.fn(), quit: vi.fn(), setCapturePaused: vi.fn() };
    const running = trayMenuTemplate(status(false), actions) as Item[];
    expect(running.filter((i) => i['label']).map((i) => i['label'])).toEqual([
      'Open Switchyard',
      'Pause Capture',
      'Quit Switchyard',
    ]);
    (findMenuItem(running, 'capture') as Item).click!();
    expect(actions.setCapturePaused).toHaveBeenCalledWith(true);
    const paused = trayMenuTemplate(status(true), actions) as Item[];
    expect(findMenuItem(paused, 'capture')!['label']).toBe('Resume Capture');
    (findMenuItem(paused, 'capture') as Item).click!();
    expect(actions.setCapturePaused).toHaveBeenLastCalledWith(false);
    (findMenuItem(paused, 'open') as Item).click!();
    (findMenuItem(paused, 'quit') as Item).click!();
    expect(actions.openWindow).toHaveBeenCalledOnce();
    expect(actions.quit).toHaveBeenCalledOnce();
  });

  it('pauses capture through the API and shows the new state', async () => {
    let paused = false;
    const api = {
      getStatus: async () => status(paused),
      setCapturePaused: async (p: boolean) => {
        paused = p;
      },
    } as unknown as ProxyApi;
    const icon = appPaths(join(import.meta.dirname, '../../../src/main')).trayIcon;
    const tray = new AppTray(icon, api, { openWindow: vi.fn(), quit: vi.fn() });
    const fake = Tray.instances.at(-1)!;
    expect(fake.image.isEmpty()).toBe(false); // resources/icon.png is there
    await until(() => fake.tooltip.includes('capturing'));
    (findMenuItem(fake.menu!.template, 'capture') as Item).click!();
    await until(() => fake.tooltip.includes('capture paused'));
    expect(findMenuItem(fake.menu!.template, 'capture')!['label']).toBe('Resume Capture');
    tray.destroy();
    expect(fake.isDestroyed()).toBe(true);
  });
});

describe('app menu', () => {
  it('has the routing file commands and the standard menus', () => {
    const actions = { openRoutingFile: vi.fn(), revealRoutingFile: vi.fn() };
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const template = appMenuTemplate(actions, platform) as Item[];
      const roles = template.map((i) => i['role'] ?? i['label']);
      expect(roles).toEqual([
        ...(platform === 'darwin' ? ['appMenu'] : []),
        'File',
        'editMenu',
        'viewMenu',
        'windowMenu',
      ]);
      (findMenuItem(template, 'open-routing-file') as Item).click!();
      (findMenuItem(template, 'reveal-routing-file') as Item).click!();
    }
    expect(actions.openRoutingFile).toHaveBeenCalledTimes(3);
    expect(actions.revealRoutingFile).toHaveBeenCalledTimes(3);
  });

  it('is installed as the application menu', () => {
    installAppMenu({ openRoutingFile: vi.fn(), revealRoutingFile: vi.fn() });
    expect(findMenuItem(Menu.applicationMenu!.template, 'open-routing-file')).toBeDefined();
  });
});

describe('routing file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-routing-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads missing, valid and invalid files apart', async () => {
    const file = join(dir, 'switchyard.yaml');
    expect(await readStartConfig(file)).toEqual({ kind: 'missing' });
    await writeFile(file, 'version: 1\nlisteners: [{ name: web, port: 0 }]\n');
    expect(await readStartConfig(file)).toMatchObject({
      kind: 'file',
      config: { listeners: [{ name: 'web' }] },
    });
    await writeFile(file, 'version: 1\nlisteners: [{ name: web, port: 99999 }]\n');
    expect(await readStartConfig(file)).toEqual({
      kind: 'invalid',
      message: expect.stringMatching(/switchyard\.yaml:2:\d+ listeners\[0\]\.port/),
    });
  });

  it('opens and reveals an existing file with the shell', async () => {
    const file = join(dir, 'switchyard.yaml');
    await openRoutingFile(file, { shell, dialog });
    expect(shell.openPath).toHaveBeenLastCalledWith(file);
    await revealRoutingFile(file, { shell });
    expect(shell.showItemInFolder).toHaveBeenLastCalledWith(file);
  });

  it('offers a starter file when there is none, and writes it only when asked', async () => {
    const file = join(dir, 'sub', 'switchyard.yaml');
    shell.openPath.mockClear();
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    await openRoutingFile(file, { shell, dialog });
    expect(shell.openPath).not.toHaveBeenCalled();
    expect(await readStartConfig(file)).toEqual({ kind: 'missing' });

    dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false });
    await openRoutingFile(file, { shell, dialog });
    expect(await readFile(file, 'utf8')).toMatch(/^# Switchyard routing file/);
    expect(shell.openPath).toHaveBeenLastCalledWith(file);
  });

  it('says so when the shell cannot open the file', async () => {
    const file = join(dir, 'switchyard.yaml');
    shell.openPath.mockResolvedValueOnce('no application is associated');
    await openRoutingFile(file, { shell, dialog });
    expect(dialog.showErrorBox).toHaveBeenLastCalledWith(
      'Could not open the routing file',
      `${file}: no application is associated`,
    );
  });
});

describe('paths', () => {
  it('finds preload, renderer and tray icon beside out/main', () => {
    expect(appPaths('/app/out/main')).toEqual({
      preload: '/app/out/preload/index.cjs',
      renderer: '/app/out/renderer/index.html',
      trayIcon: '/app/resources/icon.png',
    });
  });

  it('reads resources from the unpacked folder inside a packaged app', () => {
    expect(
      unpacked('/Applications/Switchyard.app/Contents/Resources/app.asar/resources/icon.png'),
    ).toBe('/Applications/Switchyard.app/Contents/Resources/app.asar.unpacked/resources/icon.png');
    expect(appPaths('/opt/Switchyard/resources/app.asar/out/main').trayIcon).toBe(
      '/opt/Switchyard/resources/app.asar.unpacked/resources/icon.png',
    );
  });
});
