/** A broken routing file is reported and left alone: nothing listens, no demo replaces it. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

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

it('shows the problems with file and line, starts no listeners, keeps the file', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-main-bad-'));
  const file = join(dataDir, 'switchyard.yaml');
  const text = 'version: 1\nlisteners:\n  - name: web\n    port: 99999\n';
  await writeFile(file, text);
  app.pinned['userData'] = dataDir;
  await import('../../../src/main/index.js');
  await until(() => BrowserWindow.windows.length === 1);
  expect(dialog.showErrorBox).toHaveBeenCalledWith(
    'Switchyard ignored its routing file',
    expect.stringMatching(
      /switchyard\.yaml:4:\d+ listeners\[0\]\.port: 99999 must be between 0 and 65535/,
    ),
  );
  const window = BrowserWindow.windows[0]!;
  const reply = (await rendererIpc(window.webContents).invoke('switchyard:getStatus')) as IpcReply;
  expect(reply.ok && (reply.result as { listeners: unknown[] }).listeners).toEqual([]);
  expect(await readFile(file, 'utf8')).toBe(text);
});
