/**
 * `switchyard export apache|nginx|caddy` against the real servers:
 * - the configuration of a routing file that uses every feature (TLS listener, hosts and
 *   wildcards, path mapping, headers, balancers with every method and member state,
 *   sticky sessions, health checks, access list) passes each server's own check;
 * - differential: the exported configuration runs in the real server (a child process on
 *   a free 127.0.0.1 port) and answers the same requests as Switchyard does with the same
 *   routing file: status, body, and what the backend saw of path, Host and headers.
 *
 * The servers come from the distribution (.ci/run installs them). A test is skipped, with
 * the reason printed, only when its server is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http2, { type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConfig, type ExportTarget } from '../../src/engine/export/export.js';
import { planExport } from '../../src/engine/export/plan.js';
import type { RoutingConfig, RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { OPENSSL, run, servers } from '../support/peer-servers.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

/** Self-signed stand-ins at the placeholder paths, so servers that load them at check time can. */
async function certificatesFor(config: RoutingConfig, dataDir: string): Promise<void> {
  const plan = planExport(config, { dataDir, source: 'x' });
  for (const site of plan.listeners.flatMap((l) => l.sites)) {
    const c = site.certificate;
    if (!c || existsSync(c.cert)) continue;
    await mkdir(dirname(c.cert), { recursive: true });
    await run(OPENSSL as string, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      c.key,
      '-out',
      c.cert,
      '-days',
      '1',
      '-subj',
      `/CN=${c.name.replace('*', 'wildcard')}`,
    ]);
  }
}

describe('exported configurations pass the servers’ own checks', () => {
  const everything: Omit<RoutingConfigInput, 'version'> = {
    listeners: [
      { name: 'web', port: 18080 },
      { name: 'secure', port: 18443, tls: true },
      { name: 'v6', port: 18081, address: '::1' },
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
            set: { 'X-Forwarded-Proto': 'https', 'X-Percent': '100%' },
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
      { name: 'wild', match: { host: '*.shop.test', path: '/' }, to: 'balancer://shop/' },
      { name: 'busy', match: { path: '/busy/', listeners: ['web'] }, to: 'balancer://busy/b' },
      {
        name: 'traffic',
        match: { path: '/', listeners: ['secure', 'v6'] },
        to: 'balancer://traffic/',
      },
      { name: 'hidden', match: { path: '/app/admin' }, to: 'http://127.0.0.1:3002/' },
      { name: 'grpc', match: { path: '/grpc' }, to: 'h2c://127.0.0.1:50051/' },
      { name: 'h2tls', match: { path: '/h2tls' }, to: 'h2://127.0.0.1:50052/x', tlsVerify: false },
      { name: 'h2pool', match: { path: '/h2pool' }, to: 'balancer://h2pool/' },
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
        ],
      },
      {
        name: 'traffic',
        method: 'bytraffic',
        retry: '5s',
        members: [{ url: 'http://[::1]:9021' }],
      },
      {
        name: 'h2pool',
        members: [{ url: 'h2c://127.0.0.1:50061' }, { url: 'h2c://127.0.0.1:50062' }],
      },
    ],
  };
  let config: RoutingConfig;
  let dataDir: string;

  beforeAll(async () => {
    config = parseConfig(everything);
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-export-data-'));
    if (OPENSSL) await certificatesFor(config, dataDir);
  });

  for (const target of ['apache', 'nginx', 'caddy'] as const) {
    it.skipIf(servers[target].skip || !OPENSSL)(`${target} accepts the export`, async () => {
      const text = exportConfig(target, config, { dataDir, source: 'switchyard.yaml' });
      await expect(servers[target].handle.check(text)).resolves.toBeUndefined();
    });
  }
});

describe.each(['apache', 'nginx', 'caddy'] as const)('%s answers like Switchyard', (target) => {
  const { handle, skip } = servers[target];
  let a: Backend;
  let b1: Backend;
  let b2: Backend;
  let proxy: RunningProxy;
  let server: { stop(): Promise<void> } | undefined;
  let serverPort: number;

  beforeAll(async () => {
    if (skip) return;
    a = await startBackend('a');
    b1 = await startBackend('b1');
    b2 = await startBackend('b2');
    for (const backend of [a, b1, b2]) {
      backend.handle((req: IncomingMessage, res: ServerResponse, body: string) => {
        if (req.url?.startsWith('/app/redirect')) {
          res.writeHead(302, {
            location: `${backend.url}/app/login?from=x`,
            'x-secret': 'hide me',
          });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'x-secret': 'hide me' });
        res.end(
          `${backend === a ? 'a' : backend === b1 ? 'b1' : 'b2'} ${req.method} ${req.url} ${body}`,
        );
      });
    }
    serverPort = await deadPort();
    const routing = (port: number): Omit<RoutingConfigInput, 'version'> => ({
      listeners: [{ name: 'web', port }],
      routes: [
        {
          name: 'app',
          match: { path: '/app' },
          to: `${a.url}/app`,
          headers: {
            request: { set: { 'X-Added': 'yes' }, remove: ['X-Drop'] },
            response: { set: { 'X-Resp': 'set' }, remove: ['X-Secret'] },
          },
        },
        { name: 'api', match: { path: '/api' }, to: `${a.url}/v1/` },
        {
          name: 'shop',
          match: { host: 'shop.test', path: '/' },
          to: 'balancer://cluster/',
          preserveHost: true,
        },
      ],
      balancers: [
        {
          name: 'cluster',
          stickySession: 'JSESSIONID',
          members: [
            { url: b1.url, route: '1' },
            { url: b2.url, route: '2' },
          ],
        },
      ],
    });
    proxy = await startProxy(routing(0));
    const text = exportConfig(target, parseConfig(routing(serverPort)), {
      dataDir: await mkdtemp(join(tmpdir(), 'switchyard-export-data-')),
      source: 'switchyard.yaml',
    });
    server = await handle.start(text, serverPort);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await Promise.all([a, b1, b2].map((x) => x?.close()));
  });

  const requests: [string, string, Record<string, string>?, string?][] = [
    ['GET', '/app'],
    ['GET', '/app/page.html?x=1&y=%2F', { 'x-drop': 'please', 'x-keep': 'kept' }],
    ['POST', '/app/form', { 'content-type': 'text/plain' }, 'name=switchyard'],
    ['GET', '/app/redirect'],
    ['GET', '/application'],
    ['GET', '/api'],
    ['GET', '/api/items?id=2'],
    ['GET', '/nothing/here'],
    ['GET', '/app/x', { host: 'other.test' }],
    ['GET', '/cart', { host: 'shop.test', cookie: 'JSESSIONID=s.1' }],
    ['GET', '/cart', { host: 'shop.test', cookie: 'JSESSIONID=s.2' }],
    ['GET', '/cart;jsessionid=s.2', { host: 'shop.test' }],
    ['GET', '/cart?jsessionid=s.1', { host: 'shop.test' }],
  ];

  async function observe(port: number, [method, path, headers, body]: (typeof requests)[number]) {
    const before = [a, b1, b2].map((x) => x.seen.length);
    const reply = await send(port, path, {
      method,
      headers: headers ?? {},
      ...(body ? { body } : {}),
    });
    const seen = [a, b1, b2].flatMap((x, i) => x.seen.slice(before[i]));
    const fromBackend = seen.length > 0;
    const local = (v: string | string[] | undefined) =>
      typeof v === 'string' ? v.replaceAll(`:${port}`, ':PORT') : v;
    return {
      status: reply.status,
      body: fromBackend ? reply.body : '(the proxy’s own answer)',
      location: local(reply.headers.location),
      xResp: reply.headers['x-resp'],
      xSecret: reply.headers['x-secret'],
      seen: seen.map((s) => ({
        url: s.url,
        host: local(s.headers.host),
        added: s.headers['x-added'],
        drop: s.headers['x-drop'],
        keep: s.headers['x-keep'],
        body: s.body,
      })),
    };
  }

  it.skipIf(skip)('status, body, and what the backend saw of path, Host and headers', async () => {
    let forwarded = 0;
    for (const request of requests) {
      const ours = await observe(proxy.port(), request);
      const theirs = await observe(serverPort, request);
      forwarded += theirs.seen.length;
      expect({ request: request.slice(0, 3), ...theirs }).toEqual({
        request: request.slice(0, 3),
        ...ours,
      });
    }
    // All but the two paths no route serves reached a backend through the server.
    expect(forwarded).toBe(requests.length - 2);
  });
});

describe('encodedSlashes in the Apache export (AllowEncodedSlashes)', () => {
  const routing = (ports: number[], url: string): Omit<RoutingConfigInput, 'version'> => ({
    listeners: ports.map((port, i) => ({ name: `web${i}`, port })),
    routes: [
      { name: 'off', match: { path: '/app', listeners: ['web0'] }, to: `${url}/app` },
      {
        name: 'decode',
        match: { path: '/app', listeners: ['web1'] },
        to: `${url}/app`,
        encodedSlashes: 'decode',
      },
      {
        name: 'passthrough',
        match: { path: '/app', listeners: ['web2'] },
        to: `${url}/app`,
        encodedSlashes: 'passthrough',
      },
    ],
  });
  const exported = (config: Omit<RoutingConfigInput, 'version'>) =>
    exportConfig('apache', parseConfig(config), { dataDir: tmpdir(), source: 'switchyard.yaml' });

  it('writes On for decode and NoDecode for passthrough in the route’s virtual host, nothing for the default', () => {
    const text = exported(routing([18080, 18081, 18082], 'http://127.0.0.1:3000'));
    const vhosts = text.split('<VirtualHost ').slice(1);
    expect(vhosts.map((v) => /AllowEncodedSlashes (\w+)/.exec(v)?.[1])).toEqual([
      undefined,
      'On',
      'NoDecode',
    ]);
  });

  it('says so when the routes of one virtual host disagree, the first route that sets it deciding', () => {
    const text = exported({
      listeners: [{ name: 'web', port: 18080 }],
      routes: [
        { name: 'plain', match: { path: '/plain' }, to: 'http://127.0.0.1:1/' },
        {
          name: 'files',
          match: { path: '/files' },
          to: 'http://127.0.0.1:2/',
          encodedSlashes: 'passthrough',
        },
      ],
    });
    expect(text).toContain(
      '# Apache has one AllowEncodedSlashes per virtual host: route files sets encodedSlashes: passthrough,\n    # so route plain here gets it too.\n',
    );
    expect(text).toContain('AllowEncodedSlashes NoDecode');
    // NoDecode needs the raw path passed on (see the Apache exporter).
    expect(text.split('\n').filter((l) => l.trim().startsWith('ProxyPass '))).toEqual(
      Array(4).fill(expect.stringMatching(/ nocanon$/)),
    );
  });

  it.skipIf(servers.apache.skip)(
    'Apache running the export answers %2F paths as Switchyard does',
    async () => {
      const backend = await startBackend('a');
      const ports = [await deadPort(), await deadPort(), await deadPort()];
      const proxy = await startProxy(routing([0, 0, 0], backend.url));
      let server: { stop(): Promise<void> } | undefined;
      try {
        server = await servers.apache.handle.start(
          exported(routing(ports, backend.url)),
          ports[0] as number,
        );
        const observe = async (port: number, path: string) => {
          const before = backend.seen.length;
          const reply = await send(port, path);
          return { status: reply.status, seen: backend.seen.slice(before).map((s) => s.url) };
        };
        for (const [i, name] of ['web0', 'web1', 'web2'].entries()) {
          for (const path of ['/app/a%2Fb', '/app/a%2fb?q=%2F', '/app/plain']) {
            const theirs = await observe(ports[i] as number, path);
            expect({ name, path, ...(await observe(proxy.port(name), path)) }).toEqual({
              name,
              path,
              ...theirs,
            });
          }
        }
      } finally {
        await server?.stop();
        await proxy.close();
        await backend.close();
      }
    },
  );
});

describe.skipIf(servers.apache.skip)(
  'an h2c:// backend through exported Apache (mod_proxy_http2)',
  () => {
    let backend: Http2Server;
    let backendPort: number;
    let proxy: RunningProxy;
    let server: { stop(): Promise<void> } | undefined;
    let serverPort: number;
    const seen: string[] = [];

    beforeAll(async () => {
      backend = http2.createServer();
      backend.on('stream', (stream, headers) => {
        stream.on('error', () => {});
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const line = `${headers[':method']} ${headers[':path']} ${Buffer.concat(chunks).toString()}`;
          seen.push(line);
          stream.respond({ ':status': 200, 'content-type': 'text/plain' });
          stream.end(`h2 ${line}`);
        });
      });
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
      backendPort = (backend.address() as AddressInfo).port;
      serverPort = await deadPort();
      const routing = (port: number): Omit<RoutingConfigInput, 'version'> => ({
        listeners: [{ name: 'web', port }],
        routes: [{ name: 'h2', match: { path: '/svc' }, to: `h2c://127.0.0.1:${backendPort}/v2` }],
      });
      proxy = await startProxy(routing(0));
      const text = exportConfig('apache', parseConfig(routing(serverPort)), {
        dataDir: await mkdtemp(join(tmpdir(), 'switchyard-export-data-')),
        source: 'switchyard.yaml',
      });
      expect(text).toContain(`"h2c://127.0.0.1:${backendPort}/v2"`);
      expect(text).toContain('LoadModule proxy_http2_module');
      server = await servers.apache.handle.start(text, serverPort);
    }, 30_000);

    afterAll(async () => {
      await server?.stop();
      await proxy?.close();
      await new Promise((resolve) => backend?.close(resolve));
    });

    it('answers the same requests the same way, and the backend sees the same', async () => {
      const requests: [string, string, string?][] = [
        ['GET', '/svc'],
        ['GET', '/svc/items?id=7'],
        ['POST', '/svc/orders', 'order=42'],
      ];
      for (const [method, path, body] of requests) {
        seen.length = 0;
        const ours = await send(proxy.port(), path, { method, ...(body ? { body } : {}) });
        const oursSeen = [...seen];
        seen.length = 0;
        const theirs = await send(serverPort, path, { method, ...(body ? { body } : {}) });
        expect({ path, status: theirs.status, body: theirs.body, seen: [...seen] }).toEqual({
          path,
          status: ours.status,
          body: ours.body,
          seen: oursSeen,
        });
        expect(ours.status).toBe(200);
      }
    });
  },
);

describe('HTTP/2 on listeners in the exports', () => {
  const config = (http2: boolean) =>
    parseConfig({
      listeners: [
        { name: 'web', port: 18080, http2 },
        { name: 'secure', port: 18443, tls: true, http2 },
      ],
      routes: [{ name: 'app', match: { path: '/' }, to: 'http://127.0.0.1:3000' }],
    });
  const options = { dataDir: '/tmp/switchyard-export-h2', source: 'switchyard.yaml' };

  it('offers h2 (TLS) and h2c (clear text) as Switchyard does, and nothing with http2: false', () => {
    const apache = exportConfig('apache', config(true), options);
    expect(apache).toContain('LoadModule http2_module modules/mod_http2.so');
    expect(apache).toContain('Protocols h2c http/1.1');
    expect(apache).toContain('Protocols h2 http/1.1');
    expect(exportConfig('nginx', config(true), options)).toMatch(
      /listen 127\.0\.0\.1:18443 ssl http2/,
    );
    expect(exportConfig('caddy', config(true), options)).toContain('protocols h1 h2 h2c');
    const off = ['apache', 'nginx', 'caddy'].map((t) =>
      exportConfig(t as ExportTarget, config(false), options),
    );
    expect(off.join('\n')).not.toMatch(/Protocols|http2|h2c/);
  });
});
