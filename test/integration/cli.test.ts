/**
 * The built `switchyard` command as a user runs it: a child process, a routing file on
 * disk, live edits of that file, and a graceful stop on SIGTERM.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoutingText } from '../../src/engine/config-file.js';
import { startBackend, type Backend } from '../support/backend.js';

const bin = join(import.meta.dirname, '../../bin/switchyard.js');

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout+stderr match, rejects after 10 s. */
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Every command started, so a failing test cannot leave one running. */
const started = new Set<ChildProcessWithoutNullStreams>();

function run(args: string[], cwd: string): Cli {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, XDG_CONFIG_HOME: cwd },
  });
  started.add(child);
  child.on('exit', () => started.delete(child));
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), notify()));
  child.stderr.on('data', (d: Buffer) => ((err += d.toString()), notify()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        }, 10_000);
        waiters.add(check);
        check();
      }),
  };
}

describe('switchyard command', () => {
  let dir: string;
  let a: Backend;
  let b: Backend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
    a = await startBackend('a');
    b = await startBackend('b');
  });
  afterAll(async () => {
    for (const child of started) child.kill('SIGKILL');
    await a.close();
    await b.close();
  });

  const config = (to: string) =>
    `version: 1\nlisteners: [{ name: web, port: 0 }]\nroutes:\n  - name: app\n    to: ${to}\n`;

  it('says how to start when there is no routing file, and init writes one that loads', async () => {
    const missing = run([], dir);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain('no routing file at switchyard.yaml');
    expect(missing.stderr()).toContain('switchyard init');

    const init = run(['init'], dir);
    expect(await init.exited).toBe(0);
    const written = parseRoutingText(
      await readFile(join(dir, 'switchyard.yaml'), 'utf8'),
      'switchyard.yaml',
    );
    expect(written.ok).toBe(true);
    const again = run(['init'], dir);
    expect(await again.exited).toBe(1);
    expect(again.stderr()).toContain('already exists; use --force');
  });

  it('reports every problem of a broken file with its line, and exits 1', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      'version: 1\nlisteners:\n  - name: web\n    port: http\nroutes:\n  - to: htp://x\n',
    );
    const cli = run(['--config', 'broken.yaml'], dir);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('broken.yaml:4:11 listeners[0].port:');
    expect(cli.stderr()).toContain('broken.yaml:6:5 routes[0].name: missing; expected a string');
    expect(cli.stderr()).toContain(
      'broken.yaml:6:9 routes[0].to: "htp://x" must be an http(s) URL',
    );
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });

  it('serves, applies valid edits live, ignores invalid ones, and stops cleanly on SIGTERM', async () => {
    const file = join(dir, 'live.yaml');
    await writeFile(file, config(a.url));
    const cli = run(['--config', file], dir);
    const [, url] = await cli.waitFor(/listening web (http:\/\/127\.0\.0\.1:\d+)/);
    const backendOf = async () =>
      ((await (await fetch(`${url}/x`)).json()) as { backend: string }).backend;
    expect(await backendOf()).toBe('a');

    await writeFile(file, config(b.url));
    await cli.waitFor(/reloaded .*live\.yaml: 1 listener\(s\), 1 route\(s\)/);
    expect(await backendOf()).toBe('b');

    await writeFile(file, `${config(b.url)}  - bogus: true\n`);
    await cli.waitFor(
      /has problems; still running the previous configuration:\n.*live\.yaml:\d+:\d+ routes\[1\]/,
    );
    expect(await backendOf()).toBe('b');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('prints its version and help', async () => {
    const version = run(['--version'], dir);
    expect(await version.exited).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = run(['--help'], dir);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('--config FILE');
    const bad = run(['--nope'], dir);
    expect(await bad.exited).toBe(2);
  });
});
