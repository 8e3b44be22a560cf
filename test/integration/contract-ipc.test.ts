/**
 * The same contract through the desktop path with only `electron` faked: the renderer's
 * IPC client → the preload's bridge → IPC (structured clone, sender check) → main's
 * handlers, which validate arguments and results, → the EngineApi.
 */
import { join } from 'node:path';
import { vi } from 'vitest';

vi.mock('electron', () => import('../support/fake-electron.js'));

import { registerIpc } from '../../src/main/ipc.js';
import { appUrlCheck, senderCheck } from '../../src/main/security.js';
import { createBridge } from '../../src/preload/bridge.js';
import { createIpcClient } from '../../src/renderer/src/api/ipc-client.js';
import { proxyApiContract } from '../contract/proxy-api.contract.js';
import { BrowserWindow, rendererIpc } from '../support/fake-electron.js';

const RENDERER = join(import.meta.dirname, '../../src/renderer/index.html');

proxyApiContract('IPC bridge', async (api) => {
  const window = new BrowserWindow({});
  await window.loadFile(RENDERER);
  const problems: string[] = [];
  const dispose = registerIpc({
    api,
    events: api.events,
    isTrustedSender: senderCheck(() => window as never, appUrlCheck({ file: RENDERER })),
    eventIntervalMs: 10,
  });
  const client = createIpcClient(createBridge(rendererIpc(window.webContents)), {
    onProblem: (m) => problems.push(m),
  });
  return {
    client,
    close: async () => {
      dispose();
      if (problems.length > 0) throw new Error(`IPC client problems: ${problems.join('; ')}`);
    },
  };
});
