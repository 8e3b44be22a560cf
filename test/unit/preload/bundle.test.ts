/**
 * A sandboxed preload can `require` only `electron` and a few built-ins (events, timers,
 * url), so everything else must be bundled in, and it should stay small: built with the
 * project's electron.vite.config.ts, the preload is one CommonJS file that requires
 * `electron` alone and carries no zod or schemas.
 */
import { builtinModules } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleApp, runtimeImports } from '../../support/app-bundle.js';

let files: Map<string, string>;

beforeAll(async () => {
  files = await bundleApp('preload');
}, 60_000);

describe('the built preload', () => {
  it('is a single CommonJS file, index.cjs (the path main gives the window)', () => {
    expect([...files.keys()]).toEqual(['index.cjs']);
    const code = files.get('index.cjs')!;
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('requires electron and nothing else', () => {
    expect(runtimeImports(files.get('index.cjs')!)).toEqual(['electron']);
  });

  it('carries no zod and no schemas, only the names', () => {
    const code = files.get('index.cjs')!;
    expect(code).not.toMatch(/zod|safeParse|ZodError/);
    expect(code.length).toBeLessThan(20_000);
    expect(builtinModules).toContain('events'); // what a sandboxed preload could still load
  });
});
