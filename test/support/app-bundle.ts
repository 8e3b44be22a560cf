/**
 * Builds one part of the desktop app (main or preload) in memory with the project's own
 * electron.vite.config.ts, as `electron-vite build` does, and returns the emitted code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadConfigFromFile,
  MainConfigFactory,
  PreloadConfigFactory,
  type MainViteConfig,
  type PreloadViteConfig,
} from 'electron-vite';
import { build, type InlineConfig, type Rollup } from 'vite';

const ROOT = new URL('../..', import.meta.url).pathname;

export async function bundleApp(part: 'main' | 'preload'): Promise<Map<string, string>> {
  const { config } = await loadConfigFromFile(
    { command: 'build', mode: 'production' },
    'electron.vite.config.ts',
    ROOT,
    'silent',
  );
  // Nothing is written (write: false); a scratch outDir keeps the real out/ out of reach.
  const outDir = await mkdtemp(join(tmpdir(), `switchyard-${part}-bundle-`));
  const options = { outDir, root: ROOT };
  const resolved =
    part === 'main'
      ? await new MainConfigFactory(
          config.main as MainViteConfig,
          { logLevel: 'silent' },
          options,
        ).build()
      : await new PreloadConfigFactory(
          config.preload as PreloadViteConfig,
          { logLevel: 'silent' },
          options,
        ).build();
  const result = await build({
    ...(resolved as InlineConfig),
    configFile: false,
    logLevel: 'silent',
    build: { ...(resolved as InlineConfig).build, write: false },
  }).finally(() => rm(outDir, { recursive: true, force: true }));
  const outputs = [result].flat() as Rollup.RollupOutput[];
  const files = new Map<string, string>();
  for (const output of outputs) {
    for (const chunk of output.output)
      if (chunk.type === 'chunk') files.set(chunk.fileName, chunk.code);
  }
  return files;
}

/** Module names the code loads at run time: require('x'), import … from 'x', import('x'). */
export function runtimeImports(code: string): string[] {
  const names = new Set<string>();
  for (const re of [
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s[^'"]*?from\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ]) {
    for (const match of code.matchAll(re)) names.add(match[1]!);
  }
  return [...names].sort();
}
