/**
 * The app as a user runs it headless, for end-to-end tests in Chromium: the built
 * `switchyard` command in a child process with a routing file, serving the built renderer
 * on a free port, and the `listening …` and `ui …` lines it prints.
 *
 * The renderer build (`electron-vite build`, a few seconds) runs only when
 * out/renderer/index.html is missing or older than the renderer or shared sources, so
 * repeated test runs stay fast; the same rule applies to the command (tsc).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/switchyard.js');

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function staleAgainst(output: string, sources: string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((s) => newestMtime(join(ROOT, s)) > built);
}

const LOCK = join(ROOT, 'out/.e2e-build.lock');

/**
 * One build at a time across test files (vitest runs them in parallel processes): a
 * second builder would empty out/renderer under a server that is already serving it.
 * mkdir is atomic; a lock older than two minutes is from a crashed run.
 */
async function withBuildLock(build: () => Promise<void>): Promise<void> {
  await mkdir(join(ROOT, 'out'), { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 120_000) await rm(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await build();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** Build what the command serves, if the sources changed since the last build. */
export function ensureBuilt(): Promise<void> {
  return withBuildLock(buildIfStale);
}

async function buildIfStale(): Promise<void> {
  if (
    staleAgainst(join(ROOT, 'out/cli/server/cli.js'), ['src/server', 'src/engine', 'src/shared'])
  ) {
    await run('npx', ['tsc', '-p', 'tsconfig.cli.json'], { cwd: ROOT });
  }
  if (staleAgainst(join(ROOT, 'out/renderer/index.html'), ['src/renderer', 'src/shared'])) {
    await run('npx', ['electron-vite', 'build'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  }
}

export interface HeadlessApp {
  /** The printed UI URL, with its `#token=…`. */
  ui: string;
  /** Listener name → URL, from the `listening NAME URL` lines. */
  listeners: Map<string, string>;
  /** The UI URL opening one view (`?view=traffic`), token kept. */
  viewUrl(view: string): string;
  output(): string;
  stop(): Promise<void>;
}

export async function startHeadless(config: object): Promise<HeadlessApp> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-e2e-'));
  const file = join(dir, 'switchyard.yaml');
  // JSON is YAML: no serializer needed for a test's config object.
  await writeFile(file, JSON.stringify({ version: 1, ...config }, null, 2));
  const child = spawn(
    process.execPath,
    [BIN, '--config', file, '--data-dir', join(dir, 'data'), '--ui-port', '0', '--no-watch'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`switchyard did not print its ui line in 15 s:\n${out}`)),
      15_000,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const ui = /^ui (\S+)$/m.exec(out)?.[1];
      if (ui) {
        clearTimeout(timer);
        resolve(ui);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`switchyard exited before serving the UI:\n${out}`));
    });
  });
  const ui = await ready;
  const listeners = new Map(
    [...out.matchAll(/^listening (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
  );
  return {
    ui,
    listeners,
    viewUrl(view) {
      const url = new URL(ui);
      url.searchParams.set('view', view);
      return url.toString();
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots taken during the e2e run in both colour schemes. `npm run screenshots`
 * writes them to docs/screenshots/ (the README shows those); a plain test run writes them
 * to a temporary folder, so `npm test` never changes tracked files.
 */
export const SCREENSHOTS =
  process.env['SWITCHYARD_SCREENSHOTS'] === 'docs'
    ? join(ROOT, 'docs/screenshots')
    : join(tmpdir(), 'switchyard-screenshots');

export async function screenshotBothSchemes(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // naive-ui re-themes on the media query change with 0.3 s colour transitions.
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
