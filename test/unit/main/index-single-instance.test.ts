/** A second Switchyard quits at once and leaves the listeners to the first one. */
import { expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { app, BrowserWindow, ipcMain } from '../../support/fake-electron.js';

it('quits without a window, an engine or handlers when another instance runs', async () => {
  app.singleInstance = false;
  await import('../../../src/main/index.js');
  await new Promise((r) => setTimeout(r, 50));
  expect(app.quit).toHaveBeenCalledOnce();
  expect(BrowserWindow.windows).toEqual([]);
  expect(ipcMain.handlers.size).toBe(0);
  expect(app.listenerCount('before-quit')).toBe(0);
});
