/**
 * The route forms beyond prefix → URL, through a real listener to real backends:
 * pattern routes with groups in the target, conditions on headers, host and scheme,
 * redirects and fixed answers. (Apache's spelling of them — RewriteRule, RedirectMatch,
 * ProxyPass ! — is tested against real httpd in apache-rewrite.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { echoOf, send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { openWs, startWsBackend, type WsBackend } from '../support/ws.js';

describe('route forms: patterns, conditions, redirects, fixed answers', () => {
  let api: Backend;
  let ws: WsBackend;
  let web: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    api = await startBackend('api');
    ws = await startWsBackend();
    web = await startBackend('web');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        {
          name: 'to-https',
          match: { host: 'secure.localhost', when: [{ on: 'scheme', equals: 'http' }] },
          redirect: { to: 'https://{{request.host}}{{request.path}}', status: 301 },
        },
        {
          name: 'socket',
          match: {
            pathRegex: '^/(.*)$',
            when: [{ on: 'header:Upgrade', matches: '^websocket$', ignoreCase: true }],
          },
          to: `${ws.url}/sock/$1`,
        },
        {
          name: 'api',
          match: { pathRegex: '^/api/v([0-9]+)/(.*)$', ignoreCase: true },
          to: `${api.url}/version-$1/$2`,
        },
        {
          name: 'tenant',
          match: {
            pathRegex: '^/t/([a-z]+)$',
            when: [
              {
                anyOf: [
                  { on: 'header:X-Tenant', matches: '^(gold|silver)$' },
                  { on: 'host', equals: 'vip.localhost' },
                ],
              },
            ],
          },
          to: `${api.url}/tenant/$1?plan={{when.1}}`,
          query: 'drop',
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
        { name: 'rest', match: { path: '/' }, to: web.url },
      ],
      balancers: [],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await api.close();
    await ws.close();
    await web.close();
  });

  const port = () => proxy.port('web');

  it('builds the backend URL from the pattern’s groups, keeping the client’s query', async () => {
    const r = await send(port(), '/API/v2/orders/7?expand=1');
    expect(r.status).toBe(200);
    expect(echoOf(r)).toMatchObject({ backend: 'api', url: '/version-2/orders/7?expand=1' });
  });

  it('passes paths the pattern does not match on to later routes', async () => {
    const r = await send(port(), '/api/vX/orders');
    expect(echoOf(r)).toMatchObject({ backend: 'web', url: '/api/vX/orders' });
  });

  it('tests conditions: anyOf over a header and the host, with the condition’s groups', async () => {
    const gold = await send(port(), '/t/acme?debug=1', { headers: { 'x-tenant': 'gold' } });
    expect(echoOf(gold)).toMatchObject({ backend: 'api', url: '/tenant/acme?plan=gold' });
    const vip = await send(port(), '/t/acme', { headers: { host: 'vip.localhost' } });
    expect(echoOf(vip)).toMatchObject({ backend: 'api', url: '/tenant/acme?plan=' });
    const none = await send(port(), '/t/acme', { headers: { 'x-tenant': 'bronze' } });
    expect(echoOf(none).backend).toBe('web');
  });

  it('sends WebSocket upgrades by header condition to their own backend', async () => {
    const peer = ws.nextPeer();
    const opened = await openWs(`ws://127.0.0.1:${port()}/live/feed`);
    expect(opened.ok).toBe(true);
    expect((await peer).url).toBe('/sock/live/feed');
    if (opened.ok) opened.ws.close();
    const plain = await send(port(), '/live/feed');
    expect(echoOf(plain).backend).toBe('web');
  });

  it('redirects on a condition, with placeholders in the host (certbot’s http → https)', async () => {
    const r = await send(port(), '/account?x=1', { headers: { host: 'secure.localhost:8080' } });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://secure.localhost/account?x=1');
  });

  it('redirects a prefix with the rest of the path appended (Apache Redirect)', async () => {
    const r = await send(port(), '/old/a/b?q=2');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('http://new.localhost/fresh/a/b?q=2');
    expect(web.seen.some((s) => s.url.startsWith('/old'))).toBe(false);
  });

  it('redirects a pattern to a path on the same origin (RedirectMatch)', async () => {
    const r = await send(port(), '/legacy/cart.php', { headers: { host: 'shop.localhost:9000' } });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('http://shop.localhost:9000/modern/cart');
  });

  it('answers excluded paths itself (ProxyPass !), never the backend', async () => {
    const before = web.seen.length;
    const r = await send(port(), '/static/app.css');
    expect(r.status).toBe(404);
    expect(r.body).toContain("route 'excluded'");
    const health = await send(port(), '/healthz', { headers: { host: 'a.localhost' } });
    expect(health).toMatchObject({ status: 200, body: 'ok a.localhost\n' });
    expect(web.seen.length).toBe(before);
  });

  it('shows the balancers view in place of balancer-manager', async () => {
    const r = await send(port(), '/balancer-manager');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('No balancers are configured');
  });
});

describe('route access lists (Apache <Proxy URL-prefix>)', () => {
  let open: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    open = await startBackend('open');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      // The file lets nobody in; one route lets this machine in, another only a LAN.
      access: { allow: [] },
      routes: [
        {
          name: 'lan-only',
          match: { path: '/lan' },
          to: open.url,
          access: { allow: ['10.0.0.0/8'] },
        },
        {
          name: 'local',
          match: { path: '/local' },
          to: open.url,
          access: { allow: ['127.0.0.0/8', '::1'] },
        },
        { name: 'rest', match: { path: '/' }, to: open.url },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await open.close();
  });

  it('lets a route’s own list replace the file’s, both ways', async () => {
    const local = await send(proxy.port('web'), '/local/x');
    expect(echoOf(local)).toMatchObject({ backend: 'open', url: '/x' });
    const lan = await send(proxy.port('web'), '/lan/x', {
      headers: { accept: 'application/json' },
    });
    expect(lan.status).toBe(403);
    expect(lan.body).toContain("access list of route 'lan-only'");
    const rest = await send(proxy.port('web'), '/other');
    expect(rest.status).toBe(403);
    expect(rest.body).toContain('access list of the file');
    expect(open.seen.map((s) => s.url)).toEqual(['/x']);
  });
});
