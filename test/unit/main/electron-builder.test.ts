/**
 * The installer configuration, checked offline: electron-builder's own loader and JSON
 * Schema validation (what `electron-builder` runs before it packages anything), and the
 * files the config names. Packaging itself needs the Electron download and runs in the
 * release workflow only.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);

interface BuilderConfigModule {
  getConfig(
    projectDir: string,
    configPath: string | null,
    configFromOptions: unknown,
  ): Promise<Record<string, unknown>>;
  validateConfiguration(
    config: unknown,
    debugLogger: { isEnabled: boolean; add(): void },
  ): Promise<void>;
}
const builder = require('app-builder-lib/out/util/config/config') as BuilderConfigModule;

type Target = { target: string; arch: string[] };
let config: Record<string, unknown> & {
  mac: {
    target: Target[];
    entitlements: string;
    entitlementsInherit: string;
    hardenedRuntime: boolean;
    icon: string;
  };
  win: { target: Target[]; icon: string };
  linux: { target: Target[]; category: string; icon: string };
  files: string[];
};

beforeAll(async () => {
  config = parse(await readFile(join(ROOT, 'electron-builder.yml'), 'utf8')) as typeof config;
});

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema validation', async () => {
    const loaded = await builder.getConfig(ROOT, null, null);
    expect(loaded['appId']).toBe('dev.switchyard.app');
    await expect(
      builder.validateConfiguration(loaded, { isEnabled: false, add() {} }),
    ).resolves.toBeUndefined();
  });

  it('would catch a mistake (the validation is real)', async () => {
    const broken = { ...config, mac: { ...config.mac, hardenedRuntim: true } };
    await expect(
      builder.validateConfiguration(broken, { isEnabled: false, add() {} }),
    ).rejects.toThrow(/Invalid configuration object[\s\S]*configuration\.mac/);
  });

  it('builds dmg for x64 and arm64 with the hardened runtime, nsis, AppImage and deb', () => {
    expect(config['productName']).toBe('Switchyard');
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target.map((t) => t.target)).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Development');
  });

  it('names files that exist', () => {
    for (const file of [
      config.mac.entitlements,
      config.mac.entitlementsInherit,
      config.mac.icon,
      config.win.icon,
      config.linux.icon,
      'resources/icon.png',
    ]) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
    }
  });

  it('packs the app entry that package.json names', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('./out/main/index.js');
    expect(config.files).toContain('out/**');
    expect(config.files).toContain('package.json');
  });

  it('grants only the JIT exceptions Electron needs on macOS', async () => {
    const plist = await readFile(join(ROOT, config.mac.entitlements), 'utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(keys).toEqual([
      'com.apple.security.cs.allow-jit',
      'com.apple.security.cs.allow-unsigned-executable-memory',
    ]);
  });
});
