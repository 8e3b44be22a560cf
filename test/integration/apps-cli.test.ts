/**
 * `switchyard run`, `up`, `alias`, `apps` and `hosts` as a user types them (issue 16): the
 * built command in child processes, real commands under it, a Switchyard started in the
 * background when none runs, routing by name over HTTPS with the local CA.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiConnection } from '../../src/server/run/api-connection.js';
import { readInstance } from '../../src/server/run/instance-file.js';
import { startBackend } from '../support/backend.js';
import { until } from '../support/until.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/switchyard.js');
const SERVER = join(ROOT, 'test/fixtures/apps/port-server.js');

interface Cli {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

const started: ChildProcess[] = [];
const dataDirs: string[] = [];

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => text, exit };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const dir of dataDirs.splice(0)) {
    const instance = await readInstance(dir);
    if (instance && alive(instance.pid)) process.kill(instance.pid, 'SIGTERM');
    if (instance) await until('switchyard stopped', () => !alive(instance.pid), 15_000);
  }
});

async function workspace(apps = ''): Promise<{ dir: string; data: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-run-'));
  const data = join(dir, 'data');
  dataDirs.push(data);
  const config = join(dir, 'switchyard.yaml');
  await writeFile(
    config,
    `version: 1\nlisteners:\n  - { name: https, port: 0, tls: true }\n  - { name: http, port: 0 }\n${apps}`,
  );
  return { dir, data, config };
}

async function api(data: string): Promise<ApiConnection> {
  const instance = await until('instance.json', () => readInstance(data));
  return ApiConnection.open(instance.apiUrl, instance.token);
}

async function getHttps(
  conn: ApiConnection,
  host: string,
  path = '/',
): Promise<{ status: number; body: string }> {
  const status = await conn.call('getStatus');
  const port = status.listeners.find((l) => l.tls)!.port;
  const ca = await conn.call('exportCaPem');
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, servername: host, headers: { host }, ca, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('switchyard run', () => {
  it('starts Switchyard in the background, serves the command by name, forwards signals and the exit code', async () => {
    const { dir, data, config } = await workspace();
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: '@acme/storefront' }));
    const run = cli(['run', '--config', config, '--data-dir', data, '--', 'node', SERVER], {
      cwd: dir,
      env: { APP_LABEL: 'store', EXIT_ON_TERM: '7' },
    });
    await until('registered', () => run.out().includes('storefront →'));
    expect(run.out()).toContain('started Switchyard in the background');
    const conn = await api(data);
    try {
      const reply = await getHttps(conn, 'storefront.localhost', '/page');
      expect(reply.status).toBe(200);
      const echo = JSON.parse(reply.body) as {
        name: string;
        env: Record<string, string>;
        host: string;
      };
      expect(echo.name).toBe('store');
      expect(echo.host).toBe('storefront.localhost');
      expect(echo.env.SWITCHYARD_URL).toMatch(/^https:\/\/storefront\.localhost:\d+$/);
      expect(echo.env.NODE_EXTRA_CA_CERTS).toBe(join(data, 'ca', 'ca.pem'));
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(7);
      expect(run.out()).toContain('got SIGTERM');
      // The route went with it.
      await until('route gone', async () =>
        (await conn.call('listApps')).length === 0 ? true : undefined,
      );
      expect((await getHttps(conn, 'storefront.localhost')).status).toBe(404);
    } finally {
      await conn.close();
    }
  });

  it('two runs of one name at once start one Switchyard and make a balancer of both', async () => {
    const { data, config } = await workspace();
    const args = ['run', 'pair', '--config', config, '--data-dir', data, '--', 'node', SERVER];
    const a = cli(args, { env: { APP_LABEL: 'blue' } });
    const b = cli(args, { env: { APP_LABEL: 'green' } });
    await until('both registered', () => a.out().includes('pair →') && b.out().includes('pair →'));
    expect(
      [a.out(), b.out()].filter((t) => t.includes('started Switchyard in the background')),
    ).toHaveLength(1);
    const conn = await api(data);
    try {
      const [app] = await conn.call('listApps');
      expect(app?.instances.map((i) => i.source)).toEqual(['run', 'run']);
      const names = new Set<string>();
      for (let i = 0; i < 4; i++)
        names.add(JSON.parse((await getHttps(conn, 'pair.localhost')).body).name as string);
      expect([...names].sort()).toEqual(['blue', 'green']);
      // Blue/green: turn one member off in the balancer, and only the other answers.
      const blue = app!.instances.find((x) => x.pid !== undefined)!;
      await conn.call('setMember', 'pair.localhost', blue.member!, { state: 'disabled' });
      const after = new Set<string>();
      for (let i = 0; i < 4; i++)
        after.add(JSON.parse((await getHttps(conn, 'pair.localhost')).body).name as string);
      expect(after.size).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it('adds --port for a tool that ignores PORT, found on PATH', async () => {
    const { dir, data, config } = await workspace();
    const bin = join(dir, 'bin');
    await mkdir(bin);
    // A `vite` that, like Vite, ignores PORT and listens where --port says.
    await writeFile(join(bin, 'vite'), `#!/bin/sh\nunset PORT\nexec node ${SERVER} "$@"\n`);
    await chmod(join(bin, 'vite'), 0o755);
    const run = cli(['run', 'ui', '--config', config, '--data-dir', data, '--', 'vite'], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, APP_LABEL: 'vite' },
    });
    await until('registered', () => run.out().includes('ui →'));
    const conn = await api(data);
    try {
      const echo = JSON.parse((await getHttps(conn, 'ui.localhost')).body) as {
        argv: string[];
        port: number;
      };
      expect(echo.argv).toEqual([
        '--port',
        String(echo.port),
        '--strictPort',
        '--host',
        '127.0.0.1',
      ]);
    } finally {
      await conn.close();
    }
  });

  it('says clearly what is wrong: a bad name, a missing command, a command that exits first', async () => {
    const { data, config } = await workspace();
    const bad = cli([
      'run',
      'My App',
      '--config',
      config,
      '--data-dir',
      data,
      '--',
      'node',
      SERVER,
    ]);
    expect(await bad.exit).toBe(2);
    expect(bad.out()).toContain("'My App' is not a valid app name");
    const missing = cli([
      'run',
      'ghost',
      '--config',
      config,
      '--data-dir',
      data,
      '--',
      'no-such-command-xyz',
    ]);
    expect(await missing.exit).toBe(127);
    expect(missing.out()).toContain('command not found: no-such-command-xyz');
    const early = cli([
      'run',
      'early',
      '--config',
      config,
      '--data-dir',
      data,
      '--',
      'node',
      '-e',
      'process.exit(4)',
    ]);
    expect(await early.exit).toBe(4);
    expect(early.out()).toMatch(/exited with code 4 before it listened on port \d+/);
    const conn = await api(data);
    try {
      expect(await conn.call('listApps')).toEqual([]);
    } finally {
      await conn.close();
    }
  });
  it('when Switchyard restarts, the running command is registered again', async () => {
    const { data, config } = await workspace();
    const first = cli(['--config', config, '--data-dir', data, '--ui-port', '0']);
    await until('serving', () => first.out().includes('ui http'));
    const run = cli([
      'run',
      'survivor',
      '--config',
      config,
      '--data-dir',
      data,
      '--',
      'node',
      SERVER,
    ]);
    await until('registered', () => run.out().includes('survivor →'));
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    await until('noticed', () =>
      run.out().includes('Switchyard stopped; survivor.localhost is gone'),
    );
    const second = cli(['--config', config, '--data-dir', data, '--ui-port', '0']);
    await until('registered again', () => run.out().includes('registered again'), 15_000);
    const conn = await api(data);
    try {
      const reply = await getHttps(conn, 'survivor.localhost');
      expect(reply.status).toBe(200);
      expect(run.child.exitCode).toBeNull();
    } finally {
      await conn.close();
      second.child.kill('SIGTERM');
      await second.exit;
    }
  });

  it('in a git worktree other than the main one, the branch is a prefix of the name', async () => {
    const { dir, data, config } = await workspace();
    const repo = join(dir, 'inventory');
    await mkdir(repo);
    const git = (cwd: string, ...args: string[]) =>
      new Promise<void>((resolve, reject) =>
        execFile('git', args, { cwd }, (error) => (error ? reject(error) : resolve())),
      );
    await git(repo, 'init', '-q', '-b', 'main');
    await git(
      repo,
      '-c',
      'user.email=t@example.com',
      '-c',
      'user.name=t',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'x',
    );
    await git(repo, 'worktree', 'add', '-q', '-b', 'feature/Cart_v2', join(dir, 'cart'));
    const run = cli(['run', '--config', config, '--data-dir', data, '--', 'node', SERVER], {
      cwd: join(dir, 'cart'),
    });
    await until('registered', () => run.out().includes('→'));
    expect(run.out()).toMatch(
      /feature-cart-v2\.inventory → https:\/\/feature-cart-v2\.inventory\.localhost:\d+/,
    );
  });
});

describe('switchyard up, alias, apps and hosts', () => {
  it('up starts every app; killing Switchyard outright stops its apps too', async () => {
    const { data, config } = await workspace(
      `apps:\n  - name: lazy\n    command: node ${SERVER}\n    autostart: false\n`,
    );
    const up = cli(['up', '--config', config, '--data-dir', data, '--ui-port', '0']);
    await until('app up', () =>
      /app lazy up https:\/\/lazy\.localhost:\d+ → port \d+ \(pid (\d+)\)/.exec(up.out()),
    );
    const pid = Number(/\(pid (\d+)\)/.exec(up.out())![1]);
    expect(alive(pid)).toBe(true);
    const list = cli(['apps', '--data-dir', data]);
    expect(await list.exit).toBe(0);
    expect(list.out()).toMatch(/lazy\s+up\s+https:\/\/lazy\.localhost:\d+/);
    up.child.kill('SIGKILL');
    await up.exit;
    await until('app stopped with it', () => !alive(pid), 10_000);
  });

  it('alias names a port something else serves, and --remove takes it back', async () => {
    const backend = await startBackend('compose');
    try {
      const { data, config } = await workspace('# my apps\napps: []\n');
      const serve = cli(['--config', config, '--data-dir', data, '--ui-port', '0']);
      await until('serving', () => serve.out().includes('ui http'));
      const alias = cli(['alias', 'grafana', String(backend.port), '--data-dir', data]);
      expect(await alias.exit).toBe(0);
      expect(alias.out()).toContain(`grafana.localhost → 127.0.0.1:${backend.port}`);
      const text = await readFile(config, 'utf8');
      expect(text).toContain('# my apps');
      expect(text).toContain(`port: ${backend.port}`);
      const conn = await api(data);
      try {
        const reply = await until('alias routed', async () => {
          const r = await getHttps(conn, 'grafana.localhost', '/d/1');
          return r.status === 200 ? r : undefined;
        });
        expect(JSON.parse(reply.body).backend).toBe('compose');
        const hostsFile = join(data, 'hosts');
        await writeFile(hostsFile, '127.0.0.1 localhost\n');
        const hosts = cli(['hosts', 'sync', '--file', hostsFile, '--data-dir', data]);
        expect(await hosts.exit).toBe(0);
        expect(await readFile(hostsFile, 'utf8')).toContain('127.0.0.1 grafana.localhost');
        const remove = cli(['alias', '--remove', 'grafana', '--data-dir', data]);
        expect(await remove.exit).toBe(0);
        await until('alias gone', async () =>
          (await conn.call('listApps')).length === 0 ? true : undefined,
        );
        const bad = cli(['alias', 'x', '99999', '--data-dir', data]);
        expect(await bad.exit).toBe(2);
        expect(bad.out()).toContain('PORT must be a port number');
      } finally {
        await conn.close();
      }
    } finally {
      await backend.close();
    }
  });
});
