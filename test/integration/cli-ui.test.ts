/**
 * `switchyard` serving the UI, as a user runs it (the built command in a child process):
 * the `ui` line with the token after the listening lines, the UI and its API reachable
 * with that token only, and the options that change it (--ui-port, --no-ui).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/http.js';
import { openWs, nextMessage } from '../support/ws.js';

const bin = join(import.meta.dirname, '../../bin/switchyard.js');
const builtUi = existsSync(join(import.meta.dirname, '../../out/renderer/index.html'));

interface Cli {
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  stop: () => Promise<number | null>;
  exited: Promise<number | null>;
}

const running: Cli[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
});

function run(args: string[], cwd: string): Cli {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, XDG_CONFIG_HOME: cwd },
  });
  let out = '';
  const waiters = new Set<() => void>();
  const append = (d: Buffer): void => {
    out += d.toString();
    waiters.forEach((w) => w());
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cli: Cli = {
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, 10_000);
        waiters.add(check);
        check();
      }),
  };
  running.push(cli);
  return cli;
}

describe('switchyard serving the UI', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-ui-'));
    file = join(dir, 'switchyard.yaml');
    await writeFile(
      file,
      'version: 1\nlisteners: [{ name: web, port: 0 }]\nroutes:\n  - name: app\n    to: http://127.0.0.1:9\n',
    );
  });

  it('prints the ui URL with a token after the listeners, and serves the UI and API on it', async () => {
    const cli = run(['--config', file, '--ui-port', '0'], dir);
    const [, origin, port, token] = await cli.waitFor(
      /^ui (http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]{43})$/m,
    );
    expect(cli.output().indexOf('listening web')).toBeLessThan(cli.output().indexOf('ui http'));

    const index = await send(Number(port), '/');
    expect(index.status).toBe(builtUi ? 200 : 503);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");

    expect(await openWs(`ws://127.0.0.1:${port}/api`)).toMatchObject({ ok: false, status: 401 });
    const opened = await openWs(`ws://127.0.0.1:${port}/api?token=${token}`, { origin });
    if (!opened.ok) throw new Error(`refused: ${opened.status}`);
    const reply = nextMessage(opened.ws);
    opened.ws.send(JSON.stringify({ id: 1, method: 'getStatus', params: [] }));
    const status = JSON.parse((await reply).data.toString()) as { id: number; result: unknown };
    expect(status).toMatchObject({ id: 1, result: { host: 'headless', configPath: file } });
    opened.ws.close();

    expect(await cli.stop()).toBe(0);
  });

  it('takes the port asked for, fails clearly when it is taken, and serves nothing with --no-ui', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const busy = run(['--config', file, '--ui-port', String(taken)], dir);
      expect(await busy.exited).toBe(1);
      expect(busy.output()).toContain(`UI port ${taken} on 127.0.0.1 is in use`);
      expect(busy.output()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    const bad = run(['--config', file, '--ui-port', 'web'], dir);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain("--ui-port must be a port number 0..65535, not 'web'");

    const headless = run(['--config', file, '--no-ui'], dir);
    await headless.waitFor(/listening web/);
    await new Promise((r) => setTimeout(r, 300));
    expect(headless.output()).not.toContain('ui http');
    expect(await headless.stop()).toBe(0);
  });
});
