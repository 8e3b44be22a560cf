/**
 * The route forms (path patterns, conditions, redirects, fixed answers, query keep/drop)
 * through `switchyard export apache|nginx|caddy` and the real servers: the export of a
 * routing file with every form passes each server's own check, then runs in the server
 * and answers the same requests as Switchyard with the same routing file — status,
 * Location, which backend received the request at which path and Host, and the body and
 * content type of fixed answers. The balancers page is compared by status and media type
 * only: its content differs by design (Apache's balancer-manager, a static page elsewhere).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConfig } from '../../src/engine/export/export.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { servers, type PeerServer } from '../support/peer-servers.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

const TARGETS: PeerServer[] = ['apache', 'nginx', 'caddy'];

/** Every route form, in an order where first-match-wins matters. */
function routing(
  port: number,
  a: string,
  b: string,
  web: string,
): Omit<RoutingConfigInput, 'version'> {
  return {
    listeners: [{ name: 'web', port }],
    routes: [
      {
        name: 'to-https',
        match: { host: 'secure.localhost', when: [{ on: 'scheme', equals: 'http' }] },
        redirect: { to: 'https://{{request.host}}{{request.path}}', status: 301 },
      },
      // A plain prefix route before a pattern route that covers its paths too.
      { name: 'pinned', match: { path: '/api/v1/pinned' }, to: `${b}/pinned` },
      {
        name: 'api',
        match: { pathRegex: '^/api/v([0-9]+)/(.*)$', ignoreCase: true },
        to: `${a}/version-$1/$2`,
      },
      {
        name: 'tenant',
        match: {
          pathRegex: '^/t/([a-z]+)$',
          when: [{ on: 'header:X-Plan', matches: '^(gold|silver)$' }],
        },
        to: `${a}/tenant/$1?plan={{when.1}}`,
        query: 'drop',
      },
      {
        // {{when.N}} from whichever test of the anyOf held (Caddy cannot say which).
        name: 'tier',
        match: {
          pathRegex: '^/tier/([a-z]+)$',
          when: [
            {
              anyOf: [
                { on: 'header:X-Tier', matches: '^(gold|silver)$', ignoreCase: true },
                { on: 'host', equals: 'vip.localhost' },
              ],
            },
          ],
        },
        to: `${a}/tier/$1?level={{when.1}}`,
      },
      { name: 'files', match: { pathRegex: '^/files/(.*)$' }, to: `${b}/f/$1`, query: 'drop' },
      {
        name: 'beta',
        match: {
          path: '/beta',
          when: [{ on: 'header:X-Env', equals: 'PROD', ignoreCase: true, not: true }],
        },
        to: `${b}/preview`,
      },
      {
        name: 'vip',
        match: {
          path: '/vip',
          when: [
            {
              anyOf: [
                { on: 'header:X-Tier', matches: '^(gold|platinum)$' },
                { on: 'host', equals: 'vip.localhost' },
              ],
            },
          ],
        },
        to: `${b}/lounge/`,
      },
      { name: 'old', match: { path: '/old' }, redirect: { to: 'http://new.localhost/fresh/' } },
      {
        name: 'legacy',
        match: { pathRegex: '^/legacy/(.+)\\.php$' },
        redirect: { to: '/modern/$1', status: 308 },
      },
      { name: 'excluded', match: { path: '/static' }, respond: { status: 404 } },
      {
        name: 'health',
        match: { path: '/healthz' },
        respond: { status: 200, body: 'ok {{request.host}}\n' },
      },
      { name: 'manager', match: { path: '/balancer-manager' }, respond: { page: 'balancers' } },
      { name: 'pool', match: { path: '/pool' }, to: 'balancer://pool/' },
      { name: 'rest', match: { path: '/' }, to: web },
    ],
    balancers: [{ name: 'pool', members: [{ url: a }, { url: b }] }],
  };
}

type Request = [path: string, headers?: Record<string, string>, only?: PeerServer[]];

/** One request per form and per way a form can decline (the route after it then answers). */
const REQUESTS: Request[] = [
  ['/API/v2/orders/7?expand=1'],
  ['/api/v1/pinned/x'],
  ['/api/vX/orders'],
  ['/t/acme?debug=1', { 'x-plan': 'gold' }],
  ['/t/acme', { 'x-plan': 'bronze' }],
  ['/tier/x?y=1', { host: 'vip.localhost' }],
  ['/tier/x', { 'x-tier': 'Silver' }, ['apache', 'nginx']],
  ['/files/a/b?secret=1'],
  ['/beta/x?y=1'],
  ['/beta/x', { 'x-env': 'prod' }],
  ['/vip', { 'x-tier': 'gold' }],
  ['/vip/a', { host: 'vip.localhost' }],
  ['/vip'],
  ['/account?x=1', { host: 'secure.localhost:8080' }],
  ['/old/a/b?q=2'],
  ['/old'],
  ['/oldest'],
  ['/legacy/cart.php', { host: 'shop.localhost:9000' }],
  ['/static/app.css'],
  ['/healthz', { host: 'a.localhost' }],
  ['/balancer-manager'],
  ['/elsewhere/page'],
];

describe('route forms: the exports pass the servers’ own checks', () => {
  for (const target of TARGETS) {
    it.skipIf(servers[target].skip)(`${target} accepts the export`, async () => {
      const config = parseConfig(
        routing(18080, 'http://127.0.0.1:3001', 'http://127.0.0.1:3002', 'http://127.0.0.1:3003'),
      );
      const text = exportConfig(target, config, { dataDir: tmpdir(), source: 'switchyard.yaml' });
      await expect(servers[target].handle.check(text)).resolves.toBeUndefined();
    });
  }
});

describe.each(TARGETS)('route forms: %s answers like Switchyard', (target) => {
  const { handle, skip } = servers[target];
  let a: Backend;
  let b: Backend;
  let web: Backend;
  let proxy: RunningProxy;
  let server: { stop(): Promise<void> } | undefined;
  let serverPort: number;

  beforeAll(async () => {
    if (skip) return;
    [a, b, web] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('web')]);
    serverPort = await deadPort();
    proxy = await startProxy(routing(0, a.url, b.url, web.url));
    const text = exportConfig(target, parseConfig(routing(serverPort, a.url, b.url, web.url)), {
      dataDir: await mkdtemp(join(tmpdir(), 'switchyard-export-data-')),
      source: 'switchyard.yaml',
    });
    server = await handle.start(text, serverPort);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await Promise.all([a, b, web].map((x) => x?.close()));
  });

  async function observe(port: number, [path, headers]: Request) {
    const backends = [a, b, web];
    const before = backends.map((x) => x.seen.length);
    const reply = await send(port, path, { headers: headers ?? {} });
    const seen = backends.flatMap((x, i) =>
      x.seen.slice(before[i]).map((s) => ({
        backend: ['a', 'b', 'web'][i],
        url: s.url,
        host: s.headers.host,
      })),
    );
    const local = (v: string | string[] | undefined) =>
      typeof v === 'string' ? v.replaceAll(`:${port}`, ':PORT') : v;
    const answered = seen.length === 0 && reply.status < 300;
    const page = path === '/balancer-manager';
    return {
      status: reply.status,
      location: local(reply.headers.location),
      seen,
      // A fixed answer's body without its final newline (Apache's ErrorDocument has none),
      // and its content type; the balancers page by media type only.
      ...(seen.length === 0 && (answered || reply.status >= 400) && !page
        ? { body: reply.body.trimEnd(), type: reply.headers['content-type'] }
        : {}),
      ...(page ? { type: reply.headers['content-type']?.split(';')[0] } : {}),
    };
  }

  it.skipIf(skip)('status, Location, and which backend got which path', async () => {
    let proxied = 0;
    let redirected = 0;
    for (const request of REQUESTS) {
      if (request[2] && !request[2].includes(target)) continue;
      const ours = await observe(proxy.port(), request);
      const theirs = await observe(serverPort, request);
      proxied += ours.seen.length;
      if (ours.location) redirected++;
      expect({ request, ...theirs }).toEqual({ request, ...ours });
    }
    // The comparison means something only if the forms did their work in Switchyard.
    expect({ proxied, redirected }).toEqual({
      proxied: target === 'caddy' ? 14 : 15,
      redirected: 4,
    });
  });
});
