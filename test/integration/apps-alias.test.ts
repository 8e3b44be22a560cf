/**
 * An alias made in the app (setAppAlias) lands in the routing file, comments kept, when the
 * file has no other unsaved change; and an app with a command is never turned into one.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { loadRoutingFile } from '../../src/engine/config-file.js';
import { Engine } from '../../src/engine/engine.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it('saves the alias into the routing file and refuses to alias an app with a command', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-alias-'));
  const file = join(dir, 'switchyard.yaml');
  await writeFile(
    file,
    '# my services\nversion: 1\napps:\n  - name: api # the API\n    command: node -e "0"\n    autostart: false\n',
  );
  const loaded = await loadRoutingFile(file);
  if (!loaded.ok) throw new Error('fixture');
  const engine = new Engine({ dataDir: join(dir, 'data'), configDir: dir });
  await engine.apply(loaded.config);
  const api = new EngineApi(engine, { host: 'headless', version: 't', configPath: file });
  cleanup = async () => {
    api.close();
    await engine.close({ graceMs: 0 });
  };
  await api.setAppAlias('db', 5432);
  const text = await readFile(file, 'utf8');
  expect(text).toContain('# my services');
  expect(text).toContain('# the API');
  expect(text).toMatch(/- name: db\n\s+port: 5432/);
  expect((await api.getStatus()).unsaved).toBe(false);
  await expect(api.setAppAlias('api', 3000)).rejects.toThrow(
    "'api' is an app with a command; choose another name for the alias",
  );
  await api.setAppAlias('db', null);
  expect(await readFile(file, 'utf8')).not.toContain('name: db');
});
