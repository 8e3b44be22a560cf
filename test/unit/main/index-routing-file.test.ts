/** With a routing file in the data folder, the app runs it (no demo). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import type { EngineStatus } from '../../../src/shared/api.js';
import type { IpcReply } from '../../../src/shared/ipc.js';
import {
  app,
  BrowserWindow,
  dialog,
  fakeEvent,
  rendererIpc,
  until,
} from '../../support/fake-electron.js';

let dataDir: string;

afterAll(async () => {
  app.emit('before-quit', fakeEvent({}));
  await until(() => app.quit.mock.calls.length > 0);
  await rm(dataDir, { recursive: true, force: true });
});

it('applies switchyard.yaml from the data folder instead of starting the demo', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-main-file-'));
  await writeFile(
    join(dataDir, 'switchyard.yaml'),
    'version: 1\nlisteners: [{ name: mine, port: 0 }]\nroutes: [{ name: r, to: "http://127.0.0.1:9/" }]\n',
  );
  app.pinned['userData'] = dataDir;
  await import('../../../src/main/index.js');
  await until(() => BrowserWindow.windows.length === 1);
  const window = BrowserWindow.windows[0]!;
  const reply = (await rendererIpc(window.webContents).invoke('switchyard:getStatus')) as IpcReply;
  const status = (reply.ok ? reply.result : undefined) as EngineStatus;
  expect(status.listeners.map((l) => l.name)).toEqual(['mine']);
  const balancers = (await rendererIpc(window.webContents).invoke(
    'switchyard:listBalancers',
  )) as IpcReply;
  expect(balancers).toEqual({ ok: true, result: [] });
  expect(dialog.showErrorBox).not.toHaveBeenCalled();
});
