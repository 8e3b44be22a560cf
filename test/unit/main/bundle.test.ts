/**
 * The main process bundle, built with the project's electron.vite.config.ts: everything it
 * loads at run time is Electron, a Node built-in, or a runtime dependency in package.json
 * (which electron-builder packs), never a devDependency that a packaged app would lack.
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleApp, runtimeImports } from '../../support/app-bundle.js';

let files: Map<string, string>;
let dependencies: string[];

beforeAll(async () => {
  files = await bundleApp('main');
  const pkg = JSON.parse(
    await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as {
    dependencies: Record<string, string>;
  };
  dependencies = Object.keys(pkg.dependencies);
}, 60_000);

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

describe('the built main process', () => {
  it('is out/main/index.js, the package.json entry', () => {
    expect(files.has('index.js')).toBe(true);
  });

  it('loads only electron, Node built-ins and runtime dependencies', () => {
    const imports = [...files.values()].flatMap(runtimeImports);
    const outside = imports.filter((name) => {
      if (name === 'electron' || name.startsWith('node:') || name.startsWith('.')) return false;
      if (builtinModules.includes(name)) return false;
      return !dependencies.includes(packageOf(name));
    });
    expect(outside).toEqual([]);
    expect(imports).toContain('@vscode/sudo-prompt');
  });

  it('pins every runtime dependency to an exact version', async () => {
    const pkg = JSON.parse(
      await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
