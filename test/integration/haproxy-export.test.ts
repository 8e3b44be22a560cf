/**
 * `switchyard export haproxy` against the real HAProxy:
 * - exports of routing files that use every feature pass `haproxy -c`;
 * - differential: the exported configuration runs in HAProxy (a child process on a free
 *   127.0.0.1 port) in front of the same real backends as Switchyard with the same routing
 *   file, and both answer the same requests the same way.
 *
 * HAProxy comes from the distribution (.ci/run installs it); the tests that need it are
 * skipped, with the reason printed, only when it is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportHaproxy } from '../../src/engine/export/haproxy.js';
import { planExport, type ExportOptions } from '../../src/engine/export/plan.js';
import type { RoutingConfig, RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { OPENSSL, run, servers } from '../support/peer-servers.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

const exportConfig = (_: 'haproxy', config: RoutingConfig, options: ExportOptions) =>
  exportHaproxy(planExport(config, options));

const { handle, skip } = servers.haproxy;

async function selfSigned(cert: string, key: string, name: string): Promise<void> {
  await mkdir(dirname(cert), { recursive: true });
  await run(OPENSSL as string, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
}

/**
 * Stand-ins for what Switchyard's CA would have issued, at the paths the export names,
 * with the key linked as the export's header comment tells the user to.
 */
async function certificatesFor(config: RoutingConfig, dataDir: string): Promise<void> {
  const plan = planExport(config, { dataDir, source: 'x' });
  for (const site of plan.listeners.flatMap((l) => l.sites)) {
    const c = site.certificate;
    if (!c || existsSync(c.cert)) continue;
    await selfSigned(c.cert, c.key, c.name.replace('*', 'wildcard'));
    await symlink(c.key, `${c.cert}.key`);
  }
  const ca = join(dataDir, 'ca', 'ca.pem');
  if (!existsSync(ca)) await selfSigned(ca, join(dataDir, 'ca', 'ca-key.pem'), 'Switchyard CA');
}

/** A routing file that uses every feature the HAProxy export maps. */
export const everything: Omit<RoutingConfigInput, 'version'> = {
  listeners: [
    { name: 'web', port: 18080 },
    { name: 'secure', port: 18443, tls: true },
    { name: 'v6', port: 18081, address: '::1', http2: false },
  ],
  access: { allow: ['127.0.0.0/8', '::1', '10.0.0.0/8'] },
  routes: [
    {
      name: 'app',
      match: { host: 'app.localhost', path: '/app' },
      to: 'http://127.0.0.1:3000/app',
      preserveHost: true,
      timeout: '1500ms',
      headers: {
        request: {
          set: { 'X-Forwarded-Proto': 'https', 'X-Percent': '100% "quoted" $HOME' },
          remove: ['X-Debug'],
        },
        response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['Server'] },
      },
    },
    {
      name: 'api',
      match: { path: '/api' },
      to: 'https://127.0.0.1:3001/v1/',
      reverse: false,
      websocket: false,
      encodedSlashes: 'passthrough',
    },
    {
      name: 'named-tls',
      match: { path: '/named' },
      to: 'https://localhost:3004/',
      query: 'drop',
    },
    { name: 'wild', match: { host: '*.shop.test', path: '/' }, to: 'balancer://shop/' },
    { name: 'busy', match: { path: '/busy/', listeners: ['web'] }, to: 'balancer://busy/b' },
    {
      name: 'old',
      match: { path: '/old' },
      redirect: { to: '/new/', status: 301 },
    },
    {
      name: 'files',
      match: { path: '/files', pathRegex: '^/files/([a-z]+)/(\\d+)$', ignoreCase: true },
      to: 'http://127.0.0.1:3003/store/$1?id=$2&host={{request.host}}',
      query: 'drop',
      encodedSlashes: 'decode',
    },
    {
      name: 'gone',
      match: { path: '/gone' },
      respond: { status: 410, body: "It's gone: {{request.path}} 100%\n" },
    },
    {
      name: 'blocked',
      match: {
        path: '/',
        when: [
          { on: 'header:x-block', equals: 'yes' },
          {
            anyOf: [
              { on: 'scheme', equals: 'http' },
              { on: 'header:user-agent', matches: '^curl/(\\d+)', ignoreCase: true },
            ],
          },
        ],
      },
      respond: { status: 403, body: 'blocked for {{when.1}}', contentType: 'text/html' },
    },
    {
      name: 'mobile',
      match: {
        host: 'm.localhost',
        path: '/',
        when: [{ on: 'header:x-device', matches: '^$', not: true }],
      },
      redirect: { to: 'https://mobile.test/{{request.header.x-device}}', status: 308 },
    },
    { name: 'manager', match: { path: '/balancer-manager' }, respond: { page: 'balancers' } },
    {
      name: 'traffic',
      match: { path: '/', listeners: ['secure', 'v6'] },
      to: 'balancer://traffic/',
    },
    { name: 'hidden', match: { path: '/app/admin' }, to: 'http://127.0.0.1:3002/' },
    { name: 'grpc', match: { path: '/grpc' }, to: 'h2c://127.0.0.1:50051/' },
    { name: 'h2tls', match: { path: '/h2tls' }, to: 'h2://127.0.0.1:50052/x', tlsVerify: false },
    { name: 'h2pool', match: { path: '/h2pool' }, to: 'balancer://h2pool/' },
    { name: 'shop-direct', match: { path: '/shop' }, to: 'balancer://shop/', preserveHost: true },
  ],
  balancers: [
    {
      name: 'shop',
      stickySession: 'JSESSIONID',
      failover: false,
      maxAttempts: 2,
      healthCheck: { path: '/health', interval: '10s', expect: '200' },
      members: [
        { url: 'http://127.0.0.1:9001', route: '1', loadFactor: 3 },
        { url: 'http://127.0.0.1:9002', route: '2', state: 'draining' },
        { url: 'http://127.0.0.1:9003', route: '3', state: 'standby' },
        { url: 'http://127.0.0.1:9004', route: '4', state: 'disabled' },
      ],
    },
    {
      name: 'busy',
      method: 'bybusyness',
      healthCheck: { method: 'HEAD', path: '/up', expect: '200-299' },
      members: [
        { url: 'http://127.0.0.1:9011' },
        { url: 'http://127.0.0.1:9012', state: 'standby' },
        { url: 'http://127.0.0.1:9013', state: 'standby' },
      ],
    },
    {
      name: 'traffic',
      method: 'bytraffic',
      retry: '5s',
      members: [{ url: 'http://[::1]:9021' }, { url: 'https://localhost:9022' }],
    },
    {
      name: 'h2pool',
      members: [{ url: 'h2c://127.0.0.1:50061' }, { url: 'h2://127.0.0.1:50062' }],
    },
  ],
};

describe.skipIf(skip || !OPENSSL)('haproxy -c accepts the exports', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-haproxy-data-'));
  });

  const files: Record<string, Omit<RoutingConfigInput, 'version'>> = {
    'every feature': everything,
    'no routes': { listeners: [{ name: 'web', port: 18080 }] },
    'everyone allowed, one catch-all': {
      listeners: [{ name: 'web', port: 18080 }],
      access: { allow: ['0.0.0.0/0', '::/0'] },
      routes: [{ name: 'all', to: 'http://127.0.0.1:3000' }],
    },
    'nobody allowed': {
      listeners: [{ name: 'web', port: 18080 }],
      access: { allow: [] },
      routes: [{ name: 'all', to: 'http://127.0.0.1:3000' }],
    },
  };

  for (const [name, file] of Object.entries(files)) {
    it(`${name}`, async () => {
      const config = parseConfig(file);
      await certificatesFor(config, dataDir);
      const text = exportConfig('haproxy', config, { dataDir, source: 'switchyard.yaml' });
      await expect(handle.check(text)).resolves.toBeUndefined();
    });
  }
});

describe.skipIf(skip)('HAProxy running the export answers like Switchyard', () => {
  let a: Backend;
  let b1: Backend;
  let b2: Backend;
  let dead: number;
  let proxy: RunningProxy;
  let server: { stop(): Promise<void> } | undefined;
  let serverPort: number;
  const names = new Map<Backend, string>();

  const routing = (port: number): Omit<RoutingConfigInput, 'version'> => ({
    listeners: [{ name: 'web', port }],
    routes: [
      {
        name: 'app',
        match: { path: '/app' },
        to: `${a.url}/app`,
        headers: {
          request: { set: { 'X-Added': 'yes 100%' }, remove: ['X-Drop'] },
          response: { set: { 'X-Resp': 'set' }, remove: ['X-Secret'] },
        },
      },
      { name: 'api', match: { path: '/api' }, to: `${a.url}/v1/` },
      { name: 'bare', match: { path: '/bare/' }, to: `${a.url}/`, query: 'drop' },
      {
        name: 'shop',
        match: { host: 'shop.test', path: '/' },
        to: 'balancer://cluster/',
        preserveHost: true,
      },
      { name: 'weighted', match: { path: '/weighted' }, to: 'balancer://weighted/' },
      { name: 'failover', match: { path: '/failover' }, to: 'balancer://failover/' },
      { name: 'old', match: { path: '/old' }, redirect: { to: '/new/', status: 301 } },
      {
        name: 'elsewhere',
        match: { path: '/go', pathRegex: '^/go/([a-z]+)$' },
        redirect: { to: 'https://example.test/$1?from=go', status: 307 },
      },
      {
        name: 'gone',
        match: { path: '/gone' },
        respond: { status: 410, body: "Gone: {{request.path}} (it's 100% gone)\n" },
      },
      {
        name: 'files',
        match: { path: '/files', pathRegex: '^/files/([a-z]+)/(\\d+)$', ignoreCase: true },
        to: `${a.url}/store/$1?id=$2`,
      },
      {
        name: 'beta',
        match: {
          path: '/',
          when: [
            {
              anyOf: [
                { on: 'header:x-beta', equals: 'on' },
                { on: 'header:cookie', matches: 'beta=1' },
              ],
            },
          ],
        },
        to: `${b2.url}/beta`,
      },
      { name: 'home', match: { host: '*.home.test', path: '/' }, to: `${b1.url}/home/` },
      { name: 'lan', match: { path: '/lan' }, to: a.url, access: { allow: ['10.0.0.0/8'] } },
    ],
    balancers: [
      {
        name: 'cluster',
        stickySession: 'JSESSIONID',
        stickyCookie: { path: '/' },
        members: [
          { url: b1.url, route: '1' },
          { url: b2.url, route: '2' },
        ],
      },
      {
        name: 'weighted',
        members: [
          { url: b1.url, loadFactor: 3 },
          { url: b2.url, loadFactor: 1 },
          { url: a.url, state: 'disabled' },
        ],
      },
      {
        name: 'failover',
        members: [{ url: `http://127.0.0.1:${dead}` }, { url: b2.url }],
      },
    ],
  });

  beforeAll(async () => {
    a = await startBackend('a');
    b1 = await startBackend('b1');
    b2 = await startBackend('b2');
    names.set(a, 'a').set(b1, 'b1').set(b2, 'b2');
    dead = await deadPort();
    for (const backend of [a, b1, b2]) {
      backend.handle((req, res, body) => {
        if (req.url?.startsWith('/app/redirect')) {
          res.writeHead(302, { location: `${backend.url}/app/login?from=x`, 'x-secret': 'no' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'x-secret': 'hide me' });
        res.end(`${names.get(backend) ?? '?'} ${req.method} ${req.url} ${body}`);
      });
    }
    serverPort = await deadPort();
    proxy = await startProxy(routing(0));
    const text = exportConfig('haproxy', parseConfig(routing(serverPort)), {
      dataDir: await mkdtemp(join(tmpdir(), 'switchyard-haproxy-data-')),
      source: 'switchyard.yaml',
    });
    server = await handle.start(text, serverPort);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await Promise.all([a, b1, b2].map((x) => x?.close()));
  });

  type Request = [string, string, Record<string, string>?, string?];

  async function observe(port: number, [method, path, headers, body]: Request) {
    const before = [a, b1, b2].map((x) => x.seen.length);
    const reply = await send(port, path, {
      method,
      headers: headers ?? {},
      ...(body ? { body } : {}),
    });
    const seen = [a, b1, b2].flatMap((x, i) =>
      x.seen.slice(before[i]).map((s) => ({ backend: names.get(x), ...s })),
    );
    const local = (v: string | string[] | undefined) =>
      typeof v === 'string' ? v.replaceAll(`:${port}`, ':PORT') : v;
    const xff = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
    return {
      status: reply.status,
      // Bodies from a backend and from respond routes (text/plain here) must match; error
      // pages and redirects are each server's own HTML (HAProxy's redirects have none).
      body:
        seen.length > 0 || reply.headers['content-type']?.startsWith('text/plain')
          ? reply.body
          : '(the proxy’s own page)',
      location: local(reply.headers.location),
      xResp: reply.headers['x-resp'],
      xSecret: reply.headers['x-secret'],
      setCookie: reply.headers['set-cookie'],
      seen: seen.map((s) => ({
        backend: s.backend,
        url: s.url,
        host: local(s.headers.host),
        added: s.headers['x-added'],
        drop: s.headers['x-drop'],
        keep: s.headers['x-keep'],
        forwardedFor: xff(s.headers['x-forwarded-for']),
        forwardedHost: local(s.headers['x-forwarded-host']),
        forwardedProto: s.headers['x-forwarded-proto'],
        body: s.body,
      })),
    };
  }

  const compare = async (requests: Request[]) => {
    let forwarded = 0;
    for (const request of requests) {
      const ours = await observe(proxy.port(), request);
      const theirs = await observe(serverPort, request);
      forwarded += theirs.seen.length;
      expect({ request, ...theirs }).toEqual({ request, ...ours });
    }
    return forwarded;
  };

  it('routes by host and path, maps paths and applies header operations', async () => {
    const forwarded = await compare([
      ['GET', '/app'],
      ['GET', '/app/page.html?x=1&y=%2F', { 'x-drop': 'please', 'x-keep': 'kept' }],
      ['POST', '/app/form', { 'content-type': 'text/plain' }, 'name=switchyard'],
      ['GET', '/app/redirect'],
      ['GET', '/app/../api/escaped'],
      ['GET', '/application'],
      ['GET', '/api'],
      ['GET', '/api/items?id=2', { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https' }],
      ['GET', '/bare/x?dropped=1'],
      ['GET', '/nothing/here'],
      ['GET', '/lan/x'],
      ['GET', '/app/a%2Fb'],
      ['GET', '/x', { host: 'www.home.test:8080' }],
      ['GET', '/x', { host: 'home.test' }],
    ]);
    // All but the paths no route serves, or that it refuses (an encoded slash, a client
    // outside route lan's access list), reached a backend.
    expect(forwarded).toBe(9);
  });

  it('answers redirect and respond routes itself, and fills in pattern routes', async () => {
    const forwarded = await compare([
      ['GET', '/old'],
      ['GET', '/old/page?q=1'],
      ['GET', '/go/docs?x=2'],
      ['GET', '/go/Docs'],
      ['GET', '/gone/for/good'],
      ['GET', '/files/Photos/42?size=big'],
      ['GET', '/files/photos/x'],
      ['GET', '/anything', { 'x-beta': 'on' }],
      ['GET', '/anything', { cookie: 'a=b; beta=1' }],
      ['GET', '/anything', { 'x-beta': 'off' }],
    ]);
    expect(forwarded).toBe(3);
  });

  it('balances by weight, keeps sticky sessions and fails over', async () => {
    await compare([
      ['GET', '/cart', { host: 'shop.test', cookie: 'JSESSIONID=s.1' }],
      ['GET', '/cart', { host: 'shop.test', cookie: 'JSESSIONID=s.2' }],
      ['GET', '/cart;jsessionid=s.2', { host: 'shop.test' }],
      ['GET', '/cart?jsessionid=s.1', { host: 'shop.test', cookie: 'JSESSIONID=s.2' }],
      ['GET', '/cart', { host: 'shop.test', cookie: 'JSESSIONID=s.9' }],
      ['GET', '/failover/a'],
      ['GET', '/failover/b'],
      ['GET', '/failover/c'],
    ]);
    // Weighted round robin: the same share over whole cycles (the order within one may differ).
    const count = async (port: number) => {
      const hits: Record<string, number> = {};
      for (let i = 0; i < 8; i++) {
        const body = (await send(port, '/weighted/w')).body;
        const name = body.split(' ')[0] ?? '';
        hits[name] = (hits[name] ?? 0) + 1;
      }
      return hits;
    };
    const ours = await count(proxy.port());
    expect(ours).toEqual({ b1: 6, b2: 2 });
    expect(await count(serverPort)).toEqual(ours);
  });
});
