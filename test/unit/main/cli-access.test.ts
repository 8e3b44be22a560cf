/**
 * The desktop app answers `switchyard run`: its engine's API on loopback, announced in the
 * data folder with a token only this user can read, and withdrawn when the app quits.
 */
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EngineApi } from '../../../src/engine/engine-api.js';
import { Engine } from '../../../src/engine/engine.js';
import { openCliAccess } from '../../../src/main/cli-access.js';
import { ApiConnection } from '../../../src/server/run/api-connection.js';
import { instancePath, readInstance } from '../../../src/server/run/instance-file.js';

it('announces the API in instance.json (0600) for the CLI and removes it on close', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-cli-access-'));
  const engine = new Engine({ dataDir });
  const api = new EngineApi(engine, { host: 'electron', version: '9.9.9' });
  const close = await openCliAccess(api, {
    dataDir,
    version: '9.9.9',
    configPath: join(dataDir, 'switchyard.yaml'),
    rendererIndex: join(dataDir, 'renderer', 'index.html'),
  });
  try {
    const instance = await readInstance(dataDir);
    expect(instance).toMatchObject({ pid: process.pid, version: '9.9.9' });
    expect(instance!.apiUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api$/);
    if (process.platform !== 'win32')
      expect((await stat(instancePath(dataDir))).mode & 0o777).toBe(0o600);
    const conn = await ApiConnection.open(instance!.apiUrl, instance!.token);
    expect((await conn.call('getStatus')).host).toBe('electron');
    await conn.close();
    await expect(ApiConnection.open(instance!.apiUrl, 'wrong-token')).rejects.toThrow(/HTTP 401/);
  } finally {
    await close();
    api.close();
    await engine.close({ graceMs: 0 });
  }
  expect(await readInstance(dataDir)).toBeUndefined();
});
