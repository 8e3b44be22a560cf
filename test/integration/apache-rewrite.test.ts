/**
 * Differential test of the Apache import's rewrite, redirect and exclusion forms: each
 * realistic virtual host below runs in the real httpd (with mod_rewrite, mod_alias and
 * mod_proxy_wstunnel) and in Switchyard (through `importApacheText`), each on its own free
 * port, and the same requests must get the same status and Location, and reach the same
 * backend with the same path and query. WebSocket handshakes must reach the same backend
 * path through both. httpd's DocumentRoot is an empty-of-content temporary folder, so what
 * it would serve from files is a 404, as Switchyard answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { noApache, runApache, runSwitchyard } from '../support/httpd.js';
import { openWs, startWsBackend, within, type WsBackend } from '../support/ws.js';

const MODULES = ['rewrite', 'alias', 'proxy_wstunnel'];

type Urls = Record<'A' | 'B' | 'W', string>;
type Request = [path: string, host?: string, headers?: Record<string, string>];

interface Case {
  name: string;
  /** The site file for port P; backends a and b at A and B, a WebSocket backend at W. */
  conf: (port: number, b: Urls) => string[];
  requests: Request[];
  /** Paths to open a WebSocket on, through both servers. */
  sockets?: Request[];
}

const vhost = (port: number, ...body: string[]) => [
  `Listen 127.0.0.1:${port}`,
  `<VirtualHost *:${port}>`,
  ...body.map((l) => `    ${l}`),
  '</VirtualHost>',
];

const cases: Case[] = [
  {
    name: 'certbot’s HTTP → HTTPS redirect (RewriteCond %{SERVER_NAME} =…, R=permanent)',
    conf: (P, b) =>
      vhost(
        P,
        'ServerName shop.test',
        'ServerAlias www.shop.test',
        'ProxyPass / ' + b.A + '/',
        'RewriteEngine on',
        'RewriteCond %{SERVER_NAME} =www.shop.test [OR]',
        'RewriteCond %{SERVER_NAME} =shop.test',
        'RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]',
      ),
    requests: [
      ['/cart?item=7', 'shop.test'],
      ['/', 'www.shop.test'],
      ['/a/b', 'SHOP.test:8080'],
      ['/cart?item=7', 'other.test'],
    ],
  },
  {
    name: 'a WebSocket app (Home Assistant, socket.io): upgrades by header to ws://, the rest over http',
    conf: (P, b) =>
      vhost(
        P,
        'ServerName ha.test',
        'ProxyPreserveHost On',
        'ProxyRequests Off',
        'RewriteEngine on',
        'RewriteCond %{HTTP:Upgrade} websocket [NC]',
        'RewriteCond %{HTTP:Connection} upgrade [NC]',
        `RewriteRule /(.*) ${b.W.replace('http:', 'ws:')}/$1 [P,L]`,
        `ProxyPass / ${b.A}/`,
        `ProxyPassReverse / ${b.A}/`,
      ),
    requests: [
      ['/socket.io/?EIO=4&transport=polling', 'ha.test'],
      ['/api/states', 'ha.test', { upgrade: 'websocket' }],
      ['/lovelace'],
    ],
    sockets: [['/socket.io/?EIO=4&transport=websocket'], ['/api/websocket', 'ha.test']],
  },
  {
    name: 'an API proxied by pattern: $N, %N, NC, QSA, QSD, a query of its own',
    conf: (P, b) =>
      vhost(
        P,
        'RewriteEngine On',
        `RewriteRule ^/api/v([0-9]+)/(.*)$ ${b.B}/version-$1/$2 [P]`,
        `RewriteRule ^/search/(.*) ${b.B}/q?term=$1 [P,QSA]`,
        `RewriteRule ^/find/(.*) ${b.B}/q?term=$1 [P]`,
        `RewriteRule ^/legacy/(.*) ${b.B}/l/$1 [P,QSD,NC]`,
        'RewriteCond %{HTTP:X-Tenant} ^(gold|silver)$',
        `RewriteRule ^/t/([a-z]+)$ ${b.B}/tenant/$1?plan=%1 [P]`,
        'RewriteCond %{REQUEST_URI} !^/static/',
        `RewriteRule ^/(.*)\\.json$ ${b.B}/json/$1 [P]`,
        `ProxyPass / ${b.A}/`,
      ),
    requests: [
      ['/api/v2/orders/7?expand=1'],
      ['/api/vX/orders'],
      ['/search/shoes?page=2'],
      ['/find/shoes?page=2'],
      ['/LEGACY/a/b?drop=me'],
      ['/t/acme?debug=1', undefined, { 'x-tenant': 'gold' }],
      ['/t/acme', undefined, { 'x-tenant': 'bronze' }],
      ['/data/x.json?v=1'],
      ['/static/x.json'],
    ],
  },
  {
    name: 'a redirect-only virtual host: Redirect, RedirectPermanent, RedirectTemp, gone',
    conf: (P) =>
      vhost(
        P,
        'ServerName old.test',
        'Redirect /docs http://docs.test/v2',
        'Redirect 301 /perm /p2/',
        'RedirectTemp /tmp/ http://new.test/t/',
        'Redirect gone /retired',
        'Redirect 303 /q http://new.test/search?a=1',
        'RedirectPermanent / https://new.test/',
      ),
    requests: [
      ['/docs/a/b?x=1'],
      ['/docs'],
      ['/perm/x?y=1'],
      ['/perm'],
      ['/tmp/a?q'],
      ['/retired/x'],
      ['/q/z?b=2'],
      ['/any/thing?z=3'],
      ['/'],
    ],
  },
  {
    name: 'RedirectMatch, with a ProxyPass that mod_proxy consults first',
    conf: (P, b) =>
      vhost(
        P,
        'RedirectMatch ^/rm/(.*)$ http://new.test/m/$1',
        'RedirectMatch 308 ^/rq/(.*)$ /m?x=$1',
        'RedirectMatch 301 \\.php$ /index',
        `ProxyPass /app ${b.A}/app`,
      ),
    requests: [
      ['/rm/zz?q=1'],
      ['/rq/zz?q=1'],
      // No Host: each server gets its own 127.0.0.1:port, as browsers send it. (With a
      // Host without a port, mod_alias adds its listening port; Switchyard uses Host as sent.)
      ['/old/page.php?x=1'],
      ['/app/page.php'],
      ['/nothing'],
    ],
  },
  {
    name: 'ProxyPass ! for static paths (also in <Location>), with a redirect inside one',
    conf: (P, b) =>
      vhost(
        P,
        'ProxyPass /static !',
        'ProxyPass /healthz !',
        '<Location /assets>',
        '    ProxyPass !',
        '</Location>',
        `ProxyPass / ${b.A}/`,
        'Redirect /static/old http://cdn.test/old',
      ),
    requests: [
      ['/static/app.css'],
      ['/static/old/logo.png?v=2'],
      ['/assets/x.js'],
      ['/healthz'],
      ['/staticx'],
      ['/page?x=1'],
    ],
  },
  {
    name: 'ProxyPassMatch: groups, no group (the path appended), an excluded pattern',
    conf: (P, b) =>
      vhost(
        P,
        `ProxyPassMatch ^/img/(.*)\\.png$ ${b.B}/png/$1`,
        `ProxyPassMatch \\.gif$ ${b.B}/gif`,
        'ProxyPassMatch ^/private/ !',
        `ProxyPass / ${b.A}/`,
      ),
    requests: [['/img/a/b.png?q=1'], ['/x/y.gif?q=2'], ['/private/x'], ['/img/a.jpg']],
  },
  {
    name: '<LocationMatch> with ProxyPass, before server-level ProxyPass',
    conf: (P, b) =>
      vhost(
        P,
        '<LocationMatch "^/lm/([a-z]+)/(.*)$">',
        `    ProxyPass ${b.B}/$1-$2`,
        '</LocationMatch>',
        `ProxyPass / ${b.A}/`,
      ),
    requests: [['/lm/abc/x/y?q=1'], ['/lm/ABC/x'], ['/z']],
  },
  {
    name: 'balancer-manager: the page where ProxyPass ! leaves it, proxied where ProxyPass / takes it',
    conf: (P, b) => [
      `Listen 127.0.0.1:${P}`,
      `<VirtualHost *:${P}>`,
      '    ServerName manager.test',
      '    <Proxy balancer://c>',
      `        BalancerMember ${b.A}`,
      '    </Proxy>',
      '    ProxyPass /balancer-manager !',
      '    ProxyPass / balancer://c/',
      '    <Location /balancer-manager>',
      '        SetHandler balancer-manager',
      '    </Location>',
      '</VirtualHost>',
      `<VirtualHost *:${P}>`,
      '    ServerName guide.test',
      `    ProxyPass / ${b.B}/`,
      '    <Location /balancer-manager>',
      '        SetHandler balancer-manager',
      '    </Location>',
      '</VirtualHost>',
    ],
    requests: [
      ['/balancer-manager', 'manager.test'],
      ['/x', 'manager.test'],
      ['/balancer-manager', 'guide.test'],
    ],
  },
];

describe.skipIf(noApache)(
  'rewrite, redirect and exclusion forms answer the same in httpd and Switchyard',
  () => {
    let a: Backend;
    let b: Backend;
    let ws: WsBackend;
    beforeAll(async () => {
      [a, b, ws] = await Promise.all([startBackend('a'), startBackend('b'), startWsBackend()]);
    });
    afterAll(async () => {
      await Promise.all([a.close(), b.close(), ws.close()]);
    });

    async function observe(port: number, [path, host, headers]: Request) {
      const before = [a.seen.length, b.seen.length];
      const reply = await send(port, path, { headers: { ...(host ? { host } : {}), ...headers } });
      const seen = [a, b].flatMap((x, i) =>
        x.seen.slice(before[i]).map((s) => `${'ab'[i]} ${s.url}`),
      );
      // A Location on the server's own address names its port, which differs between the two.
      const location = reply.headers.location?.replace(`:${port}`, ':PORT');
      const type =
        reply.status === 200 && seen.length === 0
          ? reply.headers['content-type']?.split(';')[0]
          : undefined;
      return { request: `${host ?? '-'} ${path}`, status: reply.status, location, seen, type };
    }

    async function handshake(port: number, [path, host]: Request) {
      const peer = within(ws.nextPeer(), 5_000, `WebSocket to ${path}`);
      const opened = await openWs(
        `ws://127.0.0.1:${port}${path}`,
        host ? { headers: { host } } : {},
      );
      if (!opened.ok) return { path, status: opened.status };
      const url = (await peer).url;
      opened.ws.close();
      return { path, status: 101, url };
    }

    for (const c of cases) {
      it(c.name, async () => {
        const urls = { A: a.url, B: b.url, W: ws.url };
        const theirs = await deadPort();
        const ours = await deadPort();
        // Switchyard first: an import that fails leaves no httpd behind.
        const stopOurs = await runSwitchyard(`${c.conf(ours, urls).join('\n')}\n`);
        let stopApache: (() => Promise<void>) | undefined;
        try {
          stopApache = await runApache(`${c.conf(theirs, urls).join('\n')}\n`, [theirs], MODULES);
          for (const request of c.requests) {
            const apache = await observe(theirs, request);
            const switchyard = await observe(ours, request);
            expect(switchyard).toEqual(apache);
          }
          for (const request of c.sockets ?? []) {
            const apache = await handshake(theirs, request);
            const switchyard = await handshake(ours, request);
            expect(apache.status).toBe(101);
            expect(switchyard).toEqual(apache);
          }
        } finally {
          await stopOurs();
          await stopApache?.();
        }
      });
    }
  },
);
