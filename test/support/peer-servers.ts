/**
 * The real Apache httpd, nginx, Caddy and HAProxy for tests that check or run an exported
 * configuration: each found on PATH (the distribution's, which .ci/run installs), checked
 * with its own validator, or run as a child process on a free 127.0.0.1 port until stopped.
 * A server that is not installed is marked `skip`, with the reason printed once.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExportTarget } from '../../src/engine/export/export.js';
import { waitForPort } from './wait-port.js';

export const run = promisify(execFile);

function which(...names: string[]): string | undefined {
  for (const name of names) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const APACHE = which('apache2', 'httpd');
const APACHE_MODULES = [
  '/usr/lib/apache2/modules',
  '/usr/lib64/httpd/modules',
  '/usr/lib/httpd/modules',
  '/usr/local/apache2/modules',
].find((d) => existsSync(d));
const NGINX = which('nginx');
const CADDY = which('caddy');
// Debian puts haproxy in /usr/sbin, which is not on every user's PATH.
const HAPROXY =
  which('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined);
export const OPENSSL = which('openssl');
const missing = (name: string, path: string | undefined) => {
  if (path === undefined)
    console.warn(
      `apache-export: ${name} is not installed; its tests are skipped (apt-get install ${name})`,
    );
  return path === undefined;
};
const noApache =
  missing('apache2', APACHE) ||
  (APACHE_MODULES === undefined && !missing('apache2 modules', undefined));
const noNginx = missing('nginx', NGINX);
const noCaddy = missing('caddy', CADDY);
const noHaproxy = missing('haproxy', HAPROXY);

export interface ServerHandle {
  /** Check the configuration with the server's own validator. */
  check(text: string): Promise<void>;
  /** Run it until stop(). */
  start(text: string, port: number): Promise<{ stop(): Promise<void> }>;
}

async function workDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `switchyard-${name}-`));
  // Apache and nginx drop privileges to an unprivileged user, which must reach the files.
  await chmod(dir, 0o755);
  return dir;
}

async function startChild(
  command: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop(): Promise<void> }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(
      port,
      () => (child.exitCode === null ? undefined : `server exited (${child.exitCode})`),
      () => log,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const apache: ServerHandle = {
  async check(text) {
    await run(APACHE as string, ['-t', '-f', await this.wrapper(text)]);
  },
  async start(text, port) {
    return startChild(APACHE as string, ['-f', await this.wrapper(text), '-DFOREGROUND'], port);
  },
  // The exported file, included by a minimal main file that puts the server's own state
  // (pid, logs, runtime files) in a temporary folder and finds the modules.
  async wrapper(this: void, text: string): Promise<string> {
    const dir = await workDir('apache');
    await symlink(APACHE_MODULES as string, join(dir, 'modules'));
    await writeFile(join(dir, 'exported.conf'), text);
    const main = [
      `ServerRoot ${dir}`,
      `DefaultRuntimeDir ${dir}`,
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/error.log`,
      'ServerName localhost',
      ...(process.getuid?.() === 0 ? ['User nobody', `Group ${groupOfNobody()}`] : []),
      `Include ${dir}/exported.conf`,
    ];
    await writeFile(join(dir, 'httpd.conf'), `${main.join('\n')}\n`);
    return join(dir, 'httpd.conf');
  },
} as ServerHandle & { wrapper(text: string): Promise<string> };

function groupOfNobody(): string {
  try {
    return execFileSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).trim();
  } catch {
    return 'nogroup';
  }
}

async function nginxFiles(text: string): Promise<{ dir: string; args: string[] }> {
  const dir = await workDir('nginx');
  await mkdir(join(dir, 'logs'));
  await writeFile(join(dir, 'nginx.conf'), text);
  const globals = `pid ${dir}/nginx.pid; error_log ${dir}/error.log;`;
  return { dir, args: ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', globals] };
}

const nginx: ServerHandle = {
  async check(text) {
    const { args } = await nginxFiles(text);
    await run(NGINX as string, ['-t', ...args]);
  },
  async start(text, port) {
    const { args } = await nginxFiles(text);
    const last = args.length - 1;
    args[last] = `daemon off; ${args[last] ?? ''}`;
    return startChild(NGINX as string, args, port);
  },
};

async function caddyFiles(text: string): Promise<{ file: string; env: NodeJS.ProcessEnv }> {
  const dir = await workDir('caddy');
  await writeFile(join(dir, 'Caddyfile'), text);
  // Caddy keeps state under HOME/XDG folders: a temporary one per run.
  return {
    file: join(dir, 'Caddyfile'),
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  };
}

const caddy: ServerHandle = {
  async check(text) {
    const { file, env } = await caddyFiles(text);
    await run(CADDY as string, ['validate', '--config', file, '--adapter', 'caddyfile'], { env });
  },
  async start(text, port) {
    // The admin endpoint (localhost:2019 by default) is not needed to serve; turning it
    // off keeps two test runs from competing for it.
    const { file, env } = await caddyFiles(
      text.replace('\tauto_https off', '\tauto_https off\n\tadmin off'),
    );
    return startChild(
      CADDY as string,
      ['run', '--config', file, '--adapter', 'caddyfile'],
      port,
      env,
    );
  },
};

async function haproxyFile(text: string): Promise<string> {
  const dir = await workDir('haproxy');
  await writeFile(join(dir, 'haproxy.cfg'), text);
  return join(dir, 'haproxy.cfg');
}

const haproxy: ServerHandle = {
  async check(text) {
    // HAProxy's warnings often mean a rule will not run where it is written: fail on them.
    const { stderr } = await run(HAPROXY as string, ['-c', '-f', await haproxyFile(text)]);
    if (stderr.includes('[WARNING]')) throw new Error(stderr);
  },
  async start(text, port) {
    // -db: in the foreground, not as a daemon, so the child process is the server.
    return startChild(HAPROXY as string, ['-f', await haproxyFile(text), '-db'], port);
  },
};

/** Export targets that are servers this machine can run (Kubernetes is not one). */
export type PeerServer = Exclude<ExportTarget, 'kubernetes'>;

export const servers: Record<PeerServer, { handle: ServerHandle; skip: boolean }> = {
  apache: { handle: apache, skip: noApache },
  nginx: { handle: nginx, skip: noNginx },
  caddy: { handle: caddy, skip: noCaddy },
  haproxy: { handle: haproxy, skip: noHaproxy },
};
