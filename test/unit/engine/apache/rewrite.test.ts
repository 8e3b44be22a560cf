/**
 * mod_rewrite's proxy subset in the Apache import: what each RewriteCond and RewriteRule
 * becomes, checked by running the imported routes through the engine's router (which
 * route a request takes, with which back-references filled in), the warnings at their
 * lines, and that every generated shape loads back from the YAML the import prints.
 */
import { describe, expect, it } from 'vitest';
import { importToYaml } from '../../../../src/engine/apache/to-yaml.js';
import { parseRoutingText } from '../../../../src/engine/config-file.js';
import { redirectLocation } from '../../../../src/engine/local-answers.js';
import { combineQuery, fillTemplate } from '../../../../src/engine/route-forms.js';
import { Router } from '../../../../src/engine/router.js';
import type { RoutingConfig } from '../../../../src/shared/config.js';
import { imported, lines, warnings } from '../../../support/apache-import.js';

const vhost = (...body: string[]) =>
  lines('Listen 127.0.0.1:8080', '<VirtualHost 127.0.0.1:8080>', ...body, '</VirtualHost>');

interface Ask {
  host?: string;
  headers?: Record<string, string>;
  secure?: boolean;
}

/** What the router does with a request: `route → backend URL`, a redirect, or an answer. */
function resolve(config: RoutingConfig, url: string, ask: Ask = {}): string {
  const q = url.indexOf('?');
  const authority = ask.host ?? 'app.test';
  const facts = {
    listener: config.listeners[0]?.name ?? '',
    hostname: authority.replace(/:\d+$/, ''),
    authority,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q),
    secure: ask.secure ?? false,
    headers: { host: authority, ...ask.headers },
  };
  const found = new Router(config).match(facts);
  if (!found) return 'no route';
  const { route, captures } = found;
  const { action } = route;
  if (action.kind === 'redirect')
    return `${action.status} ${redirectLocation(route, action.to, captures, facts)}`;
  if (action.kind === 'respond') return `answer ${action.respond.page ?? action.respond.status}`;
  if (action.template !== undefined) {
    const filled = fillTemplate(action.template, captures, facts);
    return `${action.target.origin}${combineQuery(filled, facts.query, route.keepQuery)}`;
  }
  // A pattern route's target is written in full; a prefix route maps the rest of the path.
  if (route.pattern)
    return `${action.target.origin}${action.target.path}${route.keepQuery ? facts.query : ''}`;
  const rest = facts.path.slice(route.prefix === '/' ? 0 : route.prefix.length);
  const base = action.target.path.replace(/\/$/, '');
  return `${action.target.origin}${base}${rest}${route.keepQuery ? facts.query : ''}`;
}

describe('RewriteCond', () => {
  const ws = vhost(
    'RewriteEngine On',
    'RewriteCond %{HTTP:Upgrade} websocket [NC]',
    'RewriteCond %{HTTP:Connection} upgrade [NC]',
    'RewriteRule /(.*) ws://127.0.0.1:9001/$1 [P,L]',
    'ProxyPass / http://127.0.0.1:9002/',
  );

  it('tests request headers, ignoring case with [NC], all of them ([AND])', () => {
    const { config } = imported(ws);
    const upgrade = { upgrade: 'WebSocket', connection: 'keep-alive, Upgrade' };
    expect(resolve(config, '/socket.io/?EIO=4', { headers: upgrade })).toBe(
      'http://127.0.0.1:9001/socket.io/?EIO=4',
    );
    expect(resolve(config, '/socket.io/', { headers: { upgrade: 'websocket' } })).toBe(
      'http://127.0.0.1:9002/socket.io/',
    );
    expect(config.routes[0]).toMatchObject({ websocket: true, to: 'http://127.0.0.1:9001/$1' });
  });

  it('joins [OR] lines into anyOf, and fills %N from the last condition that matched', () => {
    const { config } = imported(
      vhost(
        'RewriteEngine On',
        'RewriteCond %{HTTP:X-Tenant} ^(gold|silver)$ [OR]',
        'RewriteCond %{HTTP_HOST} ^(vip)\\.test',
        'RewriteCond %{REQUEST_URI} !^/t/admin',
        'RewriteRule ^/t/([a-z]+)$ http://127.0.0.1:9001/tenant/$1?plan=%1 [P]',
      ),
    );
    expect(config.routes[0]?.match.when).toHaveLength(2);
    expect(resolve(config, '/t/acme?x=1', { headers: { 'x-tenant': 'gold' } })).toBe(
      'http://127.0.0.1:9001/tenant/acme?plan=gold',
    );
    expect(resolve(config, '/t/acme', { host: 'vip.test:8080' })).toBe(
      'http://127.0.0.1:9001/tenant/acme?plan=vip',
    );
    expect(resolve(config, '/t/acme', { headers: { 'x-tenant': 'bronze' } })).toBe('no route');
    expect(resolve(config, '/t/admin', { headers: { 'x-tenant': 'gold' } })).toBe('no route');
  });

  it('reads =text, ! and %{SERVER_NAME} (certbot’s HTTP → HTTPS redirect)', () => {
    const { config } = imported(
      vhost(
        'ServerName www.shop.test',
        'RewriteEngine on',
        'RewriteCond %{SERVER_NAME} =www.shop.test [OR]',
        'RewriteCond %{SERVER_NAME} =shop.test',
        'RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]',
      ),
    );
    expect(resolve(config, '/cart?id=2', { host: 'shop.test:8080' })).toBe(
      '301 https://shop.test/cart?id=2',
    );
    expect(resolve(config, '/cart', { host: 'other.test' })).toBe('no route');
  });

  it('reads %{HTTPS} as the scheme the client used', () => {
    const { config } = imported(
      vhost(
        'RewriteEngine On',
        'RewriteCond %{HTTPS} !=on',
        'RewriteRule ^/(.*) https://%{HTTP_HOST}/$1 [R=301,L]',
      ),
    );
    expect(config.routes[0]?.match.when).toMatchObject([{ on: 'scheme', equals: 'http' }]);
    expect(resolve(config, '/a?b=1', { host: 'x.test:81' })).toBe('301 https://x.test:81/a?b=1');
    expect(resolve(config, '/a', { secure: true })).toBe('no route');
  });

  it('takes !-f and !-d as "no file here", which always holds, and -f as never', () => {
    const v = imported(
      vhost(
        'RewriteEngine On',
        'RewriteCond %{REQUEST_FILENAME} !-f',
        'RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-d',
        'RewriteRule ^/(.*)$ http://127.0.0.1:9001/index.php?q=$1 [P,QSA]',
        'RewriteCond %{REQUEST_FILENAME} -f',
        'RewriteRule ^/(.*)$ http://127.0.0.1:9002/$1 [P]',
      ),
    );
    expect(v.config.routes).toHaveLength(1);
    expect(v.config.routes[0]?.match.when).toBeUndefined();
    expect(resolve(v.config, '/a/b?x=1')).toBe('http://127.0.0.1:9001/index.php?q=a/b&x=1');
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^8: RewriteRule .*-f never holds here: Switchyard serves no files/),
    );
  });

  it('leaves out rules on variables a route cannot see, at the rule’s line', () => {
    const v = imported(
      vhost(
        'RewriteEngine On',
        'RewriteCond %{QUERY_STRING} ^id=(\\d+)$',
        'RewriteRule ^/item$ http://127.0.0.1:9001/items/%1? [P]',
        'RewriteCond %{HTTP:X-A} ^(?=x)',
        'RewriteRule ^/a http://127.0.0.1:9001/ [P]',
      ),
    );
    expect(v.config.routes).toHaveLength(0);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5: RewriteRule .*%\{QUERY_STRING\}: a route cannot test/),
        expect.stringMatching(/^7: RewriteRule .*is not a regular expression Switchyard can run/),
      ]),
    );
  });
});

describe('RewriteRule', () => {
  it('fills $N and keeps the query unless the substitution has one (QSA appends, QSD drops)', () => {
    const { config } = imported(
      vhost(
        'RewriteEngine On',
        'RewriteRule ^/api/v([0-9]+)/(.*)$ http://127.0.0.1:9001/version-$1/$2 [P]',
        'RewriteRule ^/q/(.*) http://127.0.0.1:9001/q?id=$1 [P]',
        'RewriteRule ^/qsa/(.*) http://127.0.0.1:9001/q?id=$1 [P,QSA]',
        'RewriteRule ^/qsd/(.*) http://127.0.0.1:9001/d/$1 [P,QSD]',
      ),
    );
    expect(resolve(config, '/api/v2/orders/7?expand=1')).toBe(
      'http://127.0.0.1:9001/version-2/orders/7?expand=1',
    );
    expect(resolve(config, '/q/7?z=1')).toBe('http://127.0.0.1:9001/q?id=7');
    expect(resolve(config, '/qsa/7?z=1')).toBe('http://127.0.0.1:9001/q?id=7&z=1');
    expect(resolve(config, '/qsd/7?z=1')).toBe('http://127.0.0.1:9001/d/7');
    expect(config.routes.map((r) => r.match.path)).toEqual(['/api', '/q', '/qsa', '/qsd']);
  });

  it('ignores case with [NC], and matches every path a negated pattern does not', () => {
    const { config } = imported(
      vhost(
        'RewriteEngine On',
        'RewriteRule ^/Media/(.*) http://127.0.0.1:9001/m/$1 [P,NC]',
        'RewriteRule !^/(static|media)/ http://127.0.0.1:9002/app [P]',
      ),
    );
    expect(resolve(config, '/MEDIA/x.png')).toBe('http://127.0.0.1:9001/m/x.png');
    expect(resolve(config, '/static/a.css')).toBe('no route');
    expect(resolve(config, '/page?x')).toBe('http://127.0.0.1:9002/app?x');
  });

  it('proxies origin + %{REQUEST_URI} with the path unchanged, the pattern as a condition', () => {
    const { config } = imported(
      vhost(
        'RewriteEngine On',
        'RewriteRule ^/(api|graphql)/ http://127.0.0.1:9001%{REQUEST_URI} [P]',
      ),
    );
    expect(resolve(config, '/graphql/q?x=1')).toBe('http://127.0.0.1:9001/graphql/q?x=1');
    expect(resolve(config, '/other')).toBe('no route');
  });

  it('redirects with R (302), R=301/permanent, and an absolute URL without flags', () => {
    const v = imported(
      vhost(
        'ServerName app.test',
        'RewriteEngine On',
        'RewriteRule ^/loc/(.*) /api/$1 [R]',
        'RewriteRule ^/r307/(.*) http://x.test/$1?a=b [R=307,L]',
        'RewriteRule ^/go/(.*) http://elsewhere.test/$1',
      ),
    );
    expect(resolve(v.config, '/loc/a?b', { host: 'app.test' })).toBe('302 http://app.test/api/a?b');
    expect(resolve(v.config, '/r307/a?b')).toBe('307 http://x.test/a?a=b');
    expect(resolve(v.config, '/go/a?b')).toBe('302 http://elsewhere.test/a?b');
    expect(warnings(v)).toContainEqual(expect.stringMatching(/^5: RewriteRule .*without L/));
  });

  it('answers F with 403 and G with 410', () => {
    const { config } = imported(
      vhost('RewriteEngine On', 'RewriteRule ^/\\.git - [F]', 'RewriteRule ^/old-api/ - [G,L]'),
    );
    expect(resolve(config, '/.git/config')).toBe('answer 403');
    expect(resolve(config, '/old-api/x')).toBe('answer 410');
  });

  it('warns at the line for what has no route: -, local paths, open proxies, chains, maps', () => {
    const v = imported(
      vhost(
        'ServerName app.test',
        'RewriteEngine On',
        'RewriteRule ^/x - [E=foo:1]',
        'RewriteRule ^/old$ /new',
        'RewriteRule ^/(.*) http://%{HTTP_HOST}/$1 [P]',
        'RewriteRule ^/a http://127.0.0.1:9001/ [P,C]',
        'RewriteRule ^/m/(.*) http://127.0.0.1:9001/${map:$1} [P]',
        'RewriteRule ^/self/(.*) http://app.test/$1',
      ),
    );
    expect(v.config.routes).toHaveLength(0);
    expect(warnings(v)).toEqual([
      expect.stringMatching(/^2: ServerName/),
      expect.stringMatching(/^5: RewriteRule \^\/x -: no substitution/),
      expect.stringMatching(/^6: RewriteRule .*rewrites to a local path \(\/new\)/),
      expect.stringMatching(/^7: RewriteRule .*no open proxy/),
      expect.stringMatching(/^8: RewriteRule .*flag C changes which rules run/),
      expect.stringMatching(/^9: RewriteRule .*RewriteMap lookups/),
      expect.stringMatching(/^10: RewriteRule .*names this server/),
    ]);
  });

  it('needs RewriteEngine On in the same virtual host; Inherit brings the main server’s', () => {
    const off = imported(vhost('RewriteRule ^/a http://127.0.0.1:9001/ [P]'));
    expect(off.config.routes).toHaveLength(0);
    expect(warnings(off)).toContainEqual(
      expect.stringMatching(/^3: RewriteRule without RewriteEngine On/),
    );
    const inherit = imported(
      lines(
        'RewriteEngine On',
        'RewriteRule ^/main http://127.0.0.1:9001/m [P]',
        'Listen 127.0.0.1:8080',
        '<VirtualHost 127.0.0.1:8080>',
        'RewriteEngine On',
        'RewriteOptions Inherit',
        'RewriteRule ^/own http://127.0.0.1:9002/o [P]',
        '</VirtualHost>',
      ),
    );
    expect(inherit.config.routes.map((r) => r.to)).toEqual([
      'http://127.0.0.1:9002/o',
      'http://127.0.0.1:9001/m',
    ]);
  });

  it('comes before every ProxyPass of its virtual host, as mod_rewrite runs first', () => {
    const { config } = imported(
      vhost(
        'ProxyPass / http://127.0.0.1:9002/',
        'RewriteEngine On',
        'RewriteRule ^/api/(.*) http://127.0.0.1:9001/$1 [P]',
      ),
    );
    expect(resolve(config, '/api/x')).toBe('http://127.0.0.1:9001/x');
    expect(resolve(config, '/y')).toBe('http://127.0.0.1:9002/y');
  });

  it('warns at rewrite lines in <Location> and <Directory> (per-directory context)', () => {
    const v = imported(
      vhost(
        '<Location /app>',
        'RewriteEngine On',
        'RewriteRule ^x$ http://127.0.0.1:9001/ [P]',
        '</Location>',
        '<Directory /var/www>',
        'RewriteRule ^index\\.html$ - [L]',
        '</Directory>',
        'ProxyPass / http://127.0.0.1:9002/',
      ),
    );
    const list = warnings(v);
    for (const line of [4, 5, 8])
      expect(list).toContainEqual(
        expect.stringMatching(new RegExp(`^${line}: Rewrite.* per-directory`)),
      );
  });
});

describe('every new shape loads back from the YAML the import prints', () => {
  it('rewrite, pattern, condition, redirect, exclusion and page routes', () => {
    const text = lines(
      'Listen 127.0.0.1:8080',
      '<VirtualHost 127.0.0.1:8080>',
      'ServerName app.test',
      '<Proxy balancer://c>',
      'BalancerMember http://127.0.0.1:9003',
      '</Proxy>',
      'RewriteEngine On',
      'RewriteCond %{SERVER_NAME} =secure.test',
      'RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [END,NE,R=permanent]',
      'RewriteCond %{HTTP:Upgrade} websocket [NC]',
      'RewriteCond %{HTTP:Connection} upgrade [NC]',
      'RewriteRule /(.*) ws://127.0.0.1:9001/$1 [P,L]',
      'RewriteCond %{HTTP:X-A} ^(a)$ [OR]',
      'RewriteCond %{HTTP_HOST} ^b',
      'RewriteRule ^/t/(.*) balancer://c/t/$1?v=%1 [P,QSA,NC]',
      'RewriteRule !^/keep http://127.0.0.1:9001%{REQUEST_URI} [P]',
      'RewriteRule ^/f - [F]',
      'RewriteCond %{HTTPS} off',
      'RewriteRule ^/s(.*) https://%{HTTP_HOST}/s$1 [R=308,L]',
      'ProxyPass /balancer-manager !',
      'ProxyPass /static !',
      'ProxyPassMatch ^/img/(.*)\\.png$ http://127.0.0.1:9002/png/$1 timeout=5',
      'ProxyPassMatch \\.gif$ http://127.0.0.1:9002',
      'ProxyPassMatch ^/private !',
      '<LocationMatch "^/lm/(.*)">',
      'ProxyPass http://127.0.0.1:9002/lm/$1',
      'RequestHeader set X-From lm',
      '</LocationMatch>',
      'ProxyPass / http://127.0.0.1:9002/',
      'Redirect /old http://new.test/fresh',
      'Redirect 301 /perm /p2/',
      'RedirectMatch 308 ^/rq/(.*)$ /m?x=$1',
      'Redirect gone /gone',
      '<Location /balancer-manager>',
      'SetHandler balancer-manager',
      '</Location>',
      '</VirtualHost>',
    );
    const v = imported(text);
    const yaml = importToYaml(v, 'httpd.conf');
    const back = parseRoutingText(yaml, 'switchyard.yaml');
    if (!back.ok) throw new Error(JSON.stringify(back.problems));
    expect(back.config).toEqual(v.config);
    const kinds = v.config.routes.map((r) =>
      r.redirect ? 'redirect' : r.respond ? 'respond' : r.match.pathRegex ? 'pattern' : 'prefix',
    );
    expect(new Set(kinds)).toEqual(new Set(['redirect', 'respond', 'pattern', 'prefix']));
    expect(yaml).toContain('# httpd.conf:12 RewriteRule /(.*) ws://127.0.0.1:9001/$1 [P,L]');
  });
});
