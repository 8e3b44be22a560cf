/**
 * Apps from the routing file (issue 16): real commands started with PORT, served at
 * https://NAME.localhost through a TLS listener with a leaf from the local CA, restarted
 * by their policy, stopped with their whole process group.
 */
import https from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { AppStatus } from '../../src/shared/apps.js';
import { routingConfigSchema, type RoutingConfigInput } from '../../src/shared/config.js';
import { startBackend } from '../support/backend.js';
import { send } from '../support/http.js';
import { until } from '../support/until.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/apps');
const SERVER = `node ${join(FIXTURES, 'port-server.js')}`;

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close({ graceMs: 500 });
  engine = undefined;
});

async function start(
  apps: RoutingConfigInput['apps'],
  extra: Partial<RoutingConfigInput> = {},
): Promise<Engine> {
  engine = new Engine({
    dataDir: await mkdtemp(join(tmpdir(), 'switchyard-apps-')),
    configDir: FIXTURES,
    appBackoffMs: 50,
  });
  await engine.apply(
    routingConfigSchema.parse({
      version: 1,
      listeners: [
        { name: 'https', port: 0, tls: true },
        { name: 'http', port: 0 },
      ],
      apps,
      ...extra,
    }),
  );
  return engine;
}

function listenerPort(e: Engine, name: string): number {
  const l = e.listeners().find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l.port;
}

function app(e: Engine, name: string): AppStatus | undefined {
  return e.apps.status().find((a) => a.name === name);
}

function appIn(e: Engine, name: string, state: AppStatus['state']): AppStatus | undefined {
  const a = app(e, name);
  return a?.state === state ? a : undefined;
}

/** GET https://HOST:PORT/path through the TLS listener, checking the local CA's leaf. */
async function getHttps(
  e: Engine,
  host: string,
  path = '/',
): Promise<{ status: number; body: string }> {
  const ca = (await e.certificateAuthority()).certPem;
  const port = listenerPort(e, 'https');
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: host,
        headers: { host: `${host}:${port}` },
        ca,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('apps from the routing file', () => {
  it('starts the command with PORT and serves it at https://NAME.localhost with a trusted leaf', async () => {
    const e = await start([{ name: 'shop', command: SERVER, env: { APP_LABEL: 'shop' } }]);
    const up = await until('shop up', () => appIn(e, 'shop', 'up'));
    const instance = up.instances[0]!;
    expect(instance.pid).toBeGreaterThan(0);
    expect(up.urls[0]).toBe(`https://shop.localhost:${listenerPort(e, 'https')}`);
    const reply = await getHttps(e, 'shop.localhost', '/hello');
    expect(reply.status).toBe(200);
    const echo = JSON.parse(reply.body) as {
      name: string;
      port: number;
      host: string;
      env: Record<string, string>;
    };
    expect(echo.name).toBe('shop');
    expect(echo.port).toBe(instance.port);
    // A simple command replaces the shell: the pid shown is the app's own.
    expect((echo as unknown as { pid: number }).pid).toBe(instance.pid);
    // The app sees the name it is served at, and where that is.
    expect(echo.host).toBe(`shop.localhost:${listenerPort(e, 'https')}`);
    expect(echo.env.SWITCHYARD_URL).toBe(up.urls[0]);
    expect(echo.env.NODE_EXTRA_CA_CERTS).toMatch(/ca\.pem$/);
    // Plain HTTP too, on the other listener.
    const plain = await send(listenerPort(e, 'http'), '/x', {
      headers: { host: 'shop.localhost' },
    });
    expect(JSON.parse(plain.body).path).toBe('/x');
    // Its output is in the log, colours and stderr included.
    const log = await until('log line', () => {
      const lines = e.apps.log('shop');
      return lines.some((l) => l.text.includes('GET /hello')) ? lines : undefined;
    });
    expect(log.find((l) => l.text.includes('GET /hello'))?.text).toContain('\u001b[32m');
    expect(log.some((l) => l.stream === 'err' && l.text.includes('a line on stderr'))).toBe(true);
  });

  it('gives each app the URLs of the others, and an app stops with its process group', async () => {
    const e = await start([
      { name: 'api', command: SERVER, env: { APP_LABEL: 'api' } },
      { name: 'web', command: `sh -c '${SERVER}; true'`, env: { APP_LABEL: 'web' } },
    ]);
    await until('both up', () => appIn(e, 'api', 'up') && appIn(e, 'web', 'up'));
    const web = JSON.parse((await getHttps(e, 'web.localhost')).body) as {
      pid: number;
      env: Record<string, string>;
    };
    const api = JSON.parse((await getHttps(e, 'api.localhost')).body) as {
      env: Record<string, string>;
    };
    expect(web.env.SWITCHYARD_URL_API).toBe(app(e, 'api')!.urls[0]);
    expect(api.env.SWITCHYARD_URL_WEB).toBe(app(e, 'web')!.urls[0]);
    // The node server runs under `sh -c`: stopping the app stops it too (its group).
    await e.apps.control('web', 'stop');
    expect(app(e, 'web')!.state).toBe('stopped');
    await until('grandchild gone', () => !pidAlive(web.pid));
    const reply = await getHttps(e, 'web.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain("the app 'web' is stopped");
  });

  it('restarts a failing command with backoff, then gives up and says so', async () => {
    const e = await start([{ name: 'flaky', command: 'node -e "process.exit(3)"' }]);
    const crashed = await until('crashed', () => appIn(e, 'flaky', 'crashed'), 15_000);
    expect(crashed.instances[0]!.restarts).toBe(4);
    expect(crashed.instances[0]!.exitCode).toBe(3);
    expect(crashed.instances[0]!.detail).toContain('5 failed starts in a row');
    const notes = e.apps.log('flaky', { streams: ['system'] }).map((l) => l.text);
    expect(notes.some((t) => t.includes('restarting in 50 ms'))).toBe(true);
    expect(notes.some((t) => t.includes('restarting in 100 ms'))).toBe(true);
    const reply = await send(listenerPort(e, 'http'), '/', {
      headers: { host: 'flaky.localhost' },
    });
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('crashed');
  });

  it('says when the command is not found, and when it never opens its port', async () => {
    const e = await start([
      { name: 'missing', command: 'no-such-command-switchyard', restart: 'never' },
      {
        name: 'silent',
        command: 'node -e "setInterval(() => {}, 1000)"',
        restart: 'never',
        portTimeout: '1s',
      },
    ]);
    const missing = await until('missing exited', () => appIn(e, 'missing', 'exited'));
    expect(missing.instances[0]!.detail).toContain('command not found');
    const silent = await until('silent exited', () => appIn(e, 'silent', 'exited'), 10_000);
    expect(silent.instances[0]!.detail).toMatch(/did not open port \d+ within 1s/);
  });

  it('an alias routes a name to a port something else serves; the file wins a host it routes itself', async () => {
    const backend = await startBackend('compose');
    try {
      const e = await start(
        [
          { name: 'db-admin', port: backend.port },
          { name: 'taken', port: backend.port },
        ],
        {
          routes: [
            {
              name: 'own',
              match: { host: 'taken.localhost' },
              respond: { status: 200, body: 'file route' },
            },
          ],
        },
      );
      expect(app(e, 'db-admin')!.state).toBe('alias');
      const reply = await getHttps(e, 'db-admin.localhost', '/x');
      expect(JSON.parse(reply.body).backend).toBe('compose');
      const taken = await send(listenerPort(e, 'http'), '/', {
        headers: { host: 'taken.localhost' },
      });
      expect(taken.body).toBe('file route');
    } finally {
      await backend.close();
    }
  });

  it('a failing health path makes the app unhealthy and keeps requests away from it', async () => {
    const e = await start([
      { name: 'sick', command: SERVER, health: '/healthz', env: { UNHEALTHY: '1' } },
    ]);
    const sick = await until('unhealthy', () => appIn(e, 'sick', 'unhealthy'), 15_000);
    expect(sick.instances[0]!.detail).toMatch(/^health check \/healthz: /);
    const reply = await send(listenerPort(e, 'http'), '/', { headers: { host: 'sick.localhost' } });
    expect(reply.status).toBe(503);
  });

  it('refuses to start on a fixed port another program holds, or in a folder that does not exist', async () => {
    const other = await startBackend('squatter');
    try {
      const e = await start([
        { name: 'fixed', command: SERVER, port: other.port },
        { name: 'lost', command: SERVER, cwd: 'no/such/folder' },
      ]);
      const fixed = await until('fixed crashed', () => appIn(e, 'fixed', 'crashed'));
      expect(fixed.instances[0]!.detail).toBe(
        `port ${other.port} is already in use by another program; stop it, or remove port from the app to get a free one`,
      );
      expect(fixed.instances[0]!.pid).toBeUndefined();
      const lost = await until('lost crashed', () => appIn(e, 'lost', 'crashed'));
      expect(lost.instances[0]!.detail).toBe(
        `the working directory ${join(FIXTURES, 'no/such/folder')} does not exist (cwd in the routing file)`,
      );
      // Neither is routed to the program that holds the port.
      const reply = await send(listenerPort(e, 'http'), '/', {
        headers: { host: 'fixed.localhost' },
      });
      expect(reply.status).toBe(503);
    } finally {
      await other.close();
    }
  });

  it('a stopped app keeps its grace period to clean up, under a shell too', async () => {
    const slow = `node ${join(FIXTURES, 'slow-stop.js')}`;
    const e = await start([
      { name: 'plain', command: slow },
      { name: 'shelled', command: `echo starting && ${slow}` },
    ]);
    await until('both up', () => appIn(e, 'plain', 'up') && appIn(e, 'shelled', 'up'));
    await e.apps.control(undefined, 'stop');
    for (const name of ['plain', 'shelled']) {
      const out = e.apps.log(name, { streams: ['out'] }).map((l) => l.text);
      expect(out, name).toEqual(expect.arrayContaining(['term', 'cleaned up']));
      expect(app(e, name)!.state).toBe('stopped');
    }
  });
});
