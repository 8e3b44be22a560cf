/**
 * The HAProxy export's text, feature by feature. That HAProxy accepts and runs it is
 * test/integration/haproxy-export.test.ts's job; here each mapping is pinned down.
 */
import { describe, expect, it } from 'vitest';
import { exportHaproxy } from '../../../../src/engine/export/haproxy.js';
import { dq, groupOf, templateFormat } from '../../../../src/engine/export/haproxy-text.js';
import { planExport } from '../../../../src/engine/export/plan.js';
import type { RoutingConfigInput } from '../../../../src/shared/config.js';
import { parseConfig } from '../../../support/proxy.js';

const options = { dataDir: '/data', source: 'switchyard.yaml' };

function exported(config: Omit<RoutingConfigInput, 'version'>): string {
  // (Straight to the exporter: export.ts also loads the other exporters.)
  return exportHaproxy(planExport(parseConfig(config), options));
}

/** Lines of the output (indentation dropped) that start with `prefix`. */
function lines(text: string, prefix: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(prefix));
}

/** The body of one section (`backend NAME`, `frontend NAME`), indentation dropped. */
function section(text: string, header: string): string[] {
  const all = text.split('\n');
  const start = all.indexOf(header);
  expect(start, `${header} in the output`).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const l of all.slice(start + 1)) {
    if (l !== '' && !l.startsWith(' ')) break;
    if (l !== '') body.push(l.trim());
  }
  return body;
}

const web = [{ name: 'web', port: 8080 }];
const to = 'http://127.0.0.1:3000';

describe('listeners and access', () => {
  it('binds each listener, TLS with one certificate per host and ALPN, h1 only when http2 is off', () => {
    const text = exported({
      listeners: [
        { name: 'web', port: 8080 },
        { name: 'plain', port: 8081, http2: false },
        { name: 'secure', port: 8443, tls: true },
        { name: 'old', port: 8444, tls: true, http2: false },
        { name: 'v6', port: 8082, address: '::1' },
      ],
      routes: [{ name: 'app', match: { host: 'app.localhost' }, to }],
    });
    expect(lines(text, 'bind ')).toEqual([
      'bind 127.0.0.1:8080',
      'bind 127.0.0.1:8081 proto h1',
      'bind 127.0.0.1:8443 ssl crt "/data/ca/leaves/localhost.pem" crt "/data/ca/leaves/app.localhost.pem" alpn h2,http/1.1',
      'bind 127.0.0.1:8444 ssl crt "/data/ca/leaves/localhost.pem" crt "/data/ca/leaves/app.localhost.pem" alpn http/1.1',
      'bind [::1]:8082',
    ]);
    // The CA keeps keys in NAME-key.pem; HAProxy looks for NAME.pem.key.
    expect(text).toContain(
      '#   ln -sf /data/ca/leaves/app.localhost-key.pem /data/ca/leaves/app.localhost.pem.key',
    );
    expect(text).toContain('ssl-load-extra-files key');
  });

  it('denies clients outside access.allow with 403, nobody when empty, no rule for everyone', () => {
    const routes = [{ name: 'all', to }];
    expect(
      lines(exported({ listeners: web, routes }), 'http-request deny deny_status 403'),
    ).toEqual(['http-request deny deny_status 403 if !{ src 127.0.0.0/8 ::1 }']);
    const empty = exported({ listeners: web, routes, access: { allow: [] } });
    expect(lines(empty, 'http-request deny deny_status 403')).toEqual([
      'http-request deny deny_status 403 if !{ always_false }',
    ]);
    const open = exported({ listeners: web, routes, access: { allow: ['0.0.0.0/0', '::/0'] } });
    expect(lines(open, 'http-request deny deny_status 403')).toEqual([]);
  });

  it('gives a route with its own access list that list, and the file’s to the rest', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'lan', match: { path: '/lan' }, to, access: { allow: ['10.0.0.0/8'] } },
        { name: 'all', to },
      ],
    });
    expect(lines(text, 'http-request deny deny_status 403')).toEqual([
      'http-request deny deny_status 403 if route_lan !{ src 10.0.0.0/8 }',
      'http-request deny deny_status 403 if !route_lan !{ src 127.0.0.0/8 ::1 }',
    ]);
  });
});

describe('routes', () => {
  it('are tried in routing-file order, each naming itself when it matches first', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'app', match: { host: 'app.localhost', path: '/app' }, to },
        { name: 'shop', match: { host: '*.shop.test', path: '/cart/' }, to },
        { name: 'files', match: { path: '/f', pathRegex: '^/f/(\\w+)$', ignoreCase: true }, to },
        { name: 'rest', to },
      ],
    });
    expect(lines(text, 'http-request set-var(txn.sy_route)')).toEqual([
      "http-request set-var(txn.sy_route) str(app) if !{ var(txn.sy_route) -m found } { var(txn.sy_host) -m str app.localhost } { path -m reg '^/app(?:/|$)' }",
      'http-request set-var(txn.sy_route) str(shop) if !{ var(txn.sy_route) -m found } { var(txn.sy_host) -m end .shop.test } { path -m beg "/cart/" }',
      "http-request set-var(txn.sy_route) str(files) if !{ var(txn.sy_route) -m found } { path -m reg '^/f(?:/|$)' } { path -i -m reg '^/f/(\\w+)$' }",
      'http-request set-var(txn.sy_route) str(rest) if !{ var(txn.sy_route) -m found }',
    ]);
    expect(lines(text, 'use_backend')).toEqual([
      'use_backend route_app if route_app',
      'use_backend route_shop if route_shop',
      'use_backend route_files if route_files',
      'use_backend route_rest if route_rest',
    ]);
    expect(text).toContain('http-request deny deny_status 404 if !{ var(txn.sy_route) -m found }');
  });

  it('leaves out a route an earlier one always takes, and says so', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'all', to },
        { name: 'never', match: { path: '/x' }, to },
      ],
    });
    expect(text).toContain('# route never: never reached, route all comes first and covers it');
    expect(text).not.toContain('str(never)');
    expect(text).not.toContain('backend route_never');
  });

  it('tests when conditions: AND inline, anyOf through a variable, absent headers as empty', () => {
    const text = exported({
      listeners: web,
      routes: [
        {
          name: 'beta',
          match: {
            when: [
              { on: 'header:x-block', equals: 'yes', ignoreCase: true },
              { on: 'scheme', equals: 'https', not: true },
              { on: 'header:x-id', matches: '^$', not: true },
              {
                anyOf: [
                  { on: 'host', matches: '^beta\\.' },
                  { on: 'path', equals: '/beta' },
                  { on: 'header:x-beta', equals: '' },
                ],
              },
            ],
          },
          to,
        },
      ],
    });
    expect(lines(text, 'http-request set-var(txn.sy_r0_when3)')).toEqual([
      "http-request set-var(txn.sy_r0_when3) bool(1) if { var(txn.sy_host) -m reg '^beta\\.' }",
      'http-request set-var(txn.sy_r0_when3) bool(1) if { path -m str "/beta" }',
      'http-request set-var(txn.sy_r0_when3) bool(1) if { req.fhdr(x-beta) -m str "" }',
      'http-request set-var(txn.sy_r0_when3) bool(1) if !{ req.fhdr(x-beta) -m found }',
    ]);
    expect(lines(text, 'http-request set-var(txn.sy_route)')).toEqual([
      'http-request set-var(txn.sy_route) str(beta) if !{ var(txn.sy_route) -m found } { req.fhdr(x-block) -i -m str "yes" } !{ ssl_fc } !{ req.fhdr(x-id) -m reg \'^$\' } { req.fhdr(x-id) -m found } { var(txn.sy_r0_when3) -m bool }',
    ]);
  });

  it('maps paths as ProxyPass does, and drops the query when asked', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'same', match: { path: '/app' }, to: `${to}/app` },
        { name: 'api', match: { path: '/api' }, to: `${to}/v1/` },
        { name: 'deep', match: { path: '/d/' }, to: `${to}/x/y` },
        { name: 'root', match: { path: '/' }, to: `${to}/base`, query: 'drop' },
      ],
    });
    expect(lines(text, 'http-request replace-path')).toEqual([
      'http-request replace-path \'^/api/?(.*)$\' "/v1/\\\\1" if route_api',
      'http-request replace-path \'^/d(.*)$\' "/x/y\\\\1" if route_deep',
      'http-request replace-path \'^(.*)$\' "/base\\\\1" if route_root',
    ]);
    expect(lines(text, 'http-request set-pathq')).toEqual([
      'http-request set-pathq %[path] if route_root',
    ]);
  });

  it('fills in pattern targets from captured groups, the client query after the target’s', () => {
    const text = exported({
      listeners: web,
      routes: [
        {
          name: 'files',
          match: { pathRegex: '^/files/([a-z]+)/(\\d+)$' },
          to: `${to}/store/$1?id=$2&h={{request.header.X-Tenant}}`,
        },
      ],
    });
    expect(lines(text, 'http-request set-var(txn.sy_g')).toEqual([
      `http-request set-var(txn.sy_g1) "path,regsub('^.*?(?:^/files/([a-z]+)/(\\\\d+)\\$).*\\$','\\\\1')" if route_files`,
      `http-request set-var(txn.sy_g2) "path,regsub('^.*?(?:^/files/([a-z]+)/(\\\\d+)\\$).*\\$','\\\\2')" if route_files`,
    ]);
    expect(lines(text, 'http-request set-pathq')).toEqual([
      'http-request set-pathq "/store/%[var(txn.sy_g1)]?id=%[var(txn.sy_g2)]&h=%[req.fhdr(x-tenant)]&%[query]" if route_files { query -m len gt 0 }',
      'http-request set-pathq "/store/%[var(txn.sy_g1)]?id=%[var(txn.sy_g2)]&h=%[req.fhdr(x-tenant)]" if route_files !{ query -m len gt 0 }',
    ]);
  });

  it('sets forwarding headers, then the route’s own, escaped for HAProxy’s parser', () => {
    const text = exported({
      listeners: web,
      routes: [
        {
          name: 'app',
          to,
          headers: {
            request: { set: { 'X-Odd': '100% "q" $HOME \\ ok' }, remove: ['X-Debug'] },
            response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['Server'] },
          },
        },
      ],
    });
    const rules = section(text, 'frontend listener_web').filter((l) =>
      /^http-request \S+-header/.test(l),
    );
    expect(rules).toEqual([
      'http-request add-header X-Forwarded-For %[src]',
      'http-request set-header X-Forwarded-Host %[req.hdr(host)]',
      'http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]',
      'http-request set-header X-Forwarded-Server %[hostname]',
      'http-request del-header X-Debug if route_app',
      'http-request set-header X-Odd "100%% \\"q\\" \\$HOME \\\\ ok" if route_app',
      'http-request add-header Via "%[req.ver] haproxy"',
    ]);
    expect(lines(text, 'http-response del-header')).toEqual([
      'http-response del-header Server if route_app',
    ]);
    expect(lines(text, 'http-response set-header')).toEqual([
      'http-response set-header X-Frame-Options "DENY" if route_app',
    ]);
  });

  it('rewrites Host to the backend’s unless preserveHost, and sets the route’s timeout', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'a', match: { path: '/a' }, to: 'http://127.0.0.1:3000', timeout: '1500ms' },
        { name: 'b', match: { path: '/b' }, to: 'http://127.0.0.1:3001', preserveHost: true },
      ],
    });
    expect(section(text, 'backend route_a')).toEqual([
      'http-request set-header Host "127.0.0.1:3000"',
      'timeout server 1500ms',
      'server 127.0.0.1:3000 127.0.0.1:3000',
    ]);
    expect(section(text, 'backend route_b')).not.toContainEqual(expect.stringContaining('Host'));
  });

  it('rewrites the backend’s Location into the public URL (ProxyPassReverse)', () => {
    const text = exported({
      listeners: web,
      routes: [{ name: 'api', match: { path: '/api' }, to: `${to}/v1` }],
    });
    expect(lines(text, 'http-response replace-header Location')).toEqual([
      `http-response replace-header Location '^(?i:http://127\\.0\\.0\\.1:3000)/v1(/[^?#]*)([?#].*)?$' "%[ssl_fc,iif(https,http)]://%[var(txn.sy_authority)]/api\\\\1\\\\2" if route_api`,
      `http-response replace-header Location '^(?i:http://127\\.0\\.0\\.1:3000)/v1([?#].*)?$' "%[ssl_fc,iif(https,http)]://%[var(txn.sy_authority)]/api\\\\1" if route_api`,
      `http-response replace-header Location '^/v1(/[^?#]*)([?#].*)?$' "/api\\\\1\\\\2" if route_api`,
      `http-response replace-header Location '^/v1([?#].*)?$' "/api\\\\1" if route_api`,
    ]);
  });

  it('answers redirect and respond routes itself', () => {
    const text = exported({
      listeners: web,
      routes: [
        {
          name: 'old',
          match: { path: '/old' },
          redirect: { to: '/new/', status: 301 },
          query: 'drop',
        },
        {
          name: 'go',
          match: { pathRegex: '^/go/(\\w+)$' },
          redirect: { to: 'https://docs.test/$1?from=go', status: 308 },
        },
        {
          name: 'gone',
          match: { path: '/gone' },
          respond: { status: 410, body: "It's 100% gone\n" },
        },
        {
          name: 'who',
          match: { path: '/who' },
          respond: { status: 200, body: 'at {{request.path}}' },
        },
        { name: 'none', match: { path: '/none' }, respond: { status: 204, body: '' } },
      ],
    });
    expect(lines(text, 'http-request redirect')).toEqual([
      `http-request redirect location "%[ssl_fc,iif(https,http)]://%[req.hdr(host)]/new/%[path,regsub('^/old/?','')]" code 301 if route_old`,
      'http-request redirect location "https://docs.test/%[var(txn.sy_g1)]?from=go&%[query]" code 308 if route_go { query -m len gt 0 }',
      'http-request redirect location "https://docs.test/%[var(txn.sy_g1)]?from=go" code 308 if route_go !{ query -m len gt 0 }',
    ]);
    expect(lines(text, 'http-request return')).toEqual([
      'http-request return status 410 content-type "text/plain; charset=utf-8" string "It\'s 100% gone\\n" if route_gone',
      'http-request return status 200 content-type "text/plain; charset=utf-8" lf-string "at %[path]" if route_who',
      'http-request return status 204 if route_none',
    ]);
  });

  it('serves the balancers page as HAProxy’s read-only statistics page', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'manager', match: { path: '/balancer-manager' }, respond: { page: 'balancers' } },
        { name: 'shop', to: 'balancer://shop/' },
      ],
      balancers: [{ name: 'shop', members: [{ url: to }] }],
    });
    expect(lines(text, 'use_backend balancers_page_manager')).toEqual([
      'use_backend balancers_page_manager if route_manager',
    ]);
    expect(section(text, 'backend balancers_page_manager')).toEqual([
      'stats enable',
      'stats uri /balancer-manager',
      'stats show-legends',
      'stats scope balancer_shop',
    ]);
  });

  it('refuses encoded slashes unless the route decodes or passes them', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'dec', match: { path: '/d' }, to, encodedSlashes: 'decode' },
        { name: 'raw', match: { path: '/r' }, to, encodedSlashes: 'passthrough' },
        { name: 'off', to },
      ],
    });
    expect(text).toContain(
      'http-request deny deny_status 404 if sy_encoded_slash !{ var(txn.sy_route) -m str dec raw }',
    );
    expect(lines(text, 'http-request set-path ')).toEqual([
      `http-request set-path "%[path,regsub('(?i)\\\\x25(?:2f|5c)','/',g)]" if sy_encoded_slash { var(txn.sy_route) -m str dec }`,
    ]);
  });

  it('answers WebSocket upgrades with 501 on routes with websocket: false', () => {
    const text = exported({ listeners: web, routes: [{ name: 'app', to, websocket: false }] });
    expect(lines(text, 'http-request return status 501')).toHaveLength(1);
    expect(lines(text, 'http-request return status 501')[0]).toMatch(
      /if route_app \{ req\.hdr\(upgrade\) -m found \}$/,
    );
  });
});

describe('backends', () => {
  it('speak TLS with or without verification, and HTTP/2 to h2 and h2c backends', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'ip', match: { path: '/ip' }, to: 'https://127.0.0.1:3001/' },
        { name: 'named', match: { path: '/n' }, to: 'https://api.example.com/' },
        { name: 'lax', match: { path: '/l' }, to: 'https://localhost:3002/', tlsVerify: false },
        { name: 'grpc', match: { path: '/g' }, to: 'h2c://127.0.0.1:50051/' },
        { name: 'h2', match: { path: '/h' }, to: 'h2://localhost:50052/' },
      ],
    });
    expect(lines(text, 'server ')).toEqual([
      'server 127.0.0.1:3001 127.0.0.1:3001 ssl verify required ca-file "/data/ca/ca.pem"',
      'server api.example.com api.example.com:443 ssl verify required ca-file @system-ca sni str(api.example.com) verifyhost api.example.com',
      'server localhost:3002 localhost:3002 ssl verify none',
      'server 127.0.0.1:50051 127.0.0.1:50051 proto h2',
      'server localhost:50052 localhost:50052 ssl verify required ca-file "/data/ca/ca.pem" sni str(localhost) verifyhost localhost alpn h2 proto h2',
    ]);
  });

  it('balance by method, weight by loadFactor, and map member states', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'r', match: { path: '/r' }, to: 'balancer://rr/' },
        { name: 'b', match: { path: '/b' }, to: 'balancer://busy/' },
        { name: 't', match: { path: '/t' }, to: 'balancer://traffic/' },
      ],
      balancers: [
        {
          name: 'rr',
          members: [
            { url: 'http://127.0.0.1:9001', loadFactor: 3 },
            { url: 'http://127.0.0.1:9002', state: 'draining' },
            { url: 'http://127.0.0.1:9003', state: 'standby' },
            { url: 'http://127.0.0.1:9004', state: 'disabled' },
          ],
        },
        { name: 'busy', method: 'bybusyness', members: [{ url: 'http://127.0.0.1:9011' }] },
        { name: 'traffic', method: 'bytraffic', members: [{ url: 'http://127.0.0.1:9021' }] },
      ],
    });
    const rr = section(text, 'backend balancer_rr');
    expect(rr).toContain('balance roundrobin');
    expect(rr).toContain('http-send-name-header Host');
    expect(rr.filter((l) => l.startsWith('server '))).toEqual([
      'server 127.0.0.1:9001 127.0.0.1:9001 weight 3 check inter 60000ms rise 1 fall 1 observe layer4 error-limit 1 on-error mark-down',
      'server 127.0.0.1:9002 127.0.0.1:9002 weight 0 check inter 60000ms rise 1 fall 1 observe layer4 error-limit 1 on-error mark-down',
      'server 127.0.0.1:9003 127.0.0.1:9003 weight 1 backup check inter 60000ms rise 1 fall 1 observe layer4 error-limit 1 on-error mark-down',
      'server 127.0.0.1:9004 127.0.0.1:9004 weight 1 disabled check inter 60000ms rise 1 fall 1 observe layer4 error-limit 1 on-error mark-down',
    ]);
    // maxAttempts defaults to one attempt per member: three retries after the first.
    expect(rr).toContain('retries 3');
    expect(rr).toContain('option redispatch 1');
    expect(section(text, 'backend balancer_busy')).toContain('balance leastconn');
    expect(section(text, 'backend balancer_traffic')).toContain('balance roundrobin');
    expect(text).toContain('# bytraffic (balance by bytes transferred) has no HAProxy equivalent');
  });

  it('check health with option httpchk, the expected statuses, interval, rise and fall', () => {
    const text = exported({
      listeners: web,
      routes: [{ name: 'r', to: 'balancer://b/' }],
      balancers: [
        {
          name: 'b',
          maxAttempts: 2,
          failover: false,
          healthCheck: {
            method: 'HEAD',
            path: '/up',
            interval: '10s',
            passes: 2,
            fails: 3,
            expect: '200-209',
          },
          members: [{ url: 'http://127.0.0.1:9001' }],
        },
      ],
    });
    const b = section(text, 'backend balancer_b');
    expect(b).toEqual(
      expect.arrayContaining([
        'option httpchk HEAD /up',
        "http-check expect rstatus '^(?:20[0-9])$'",
        'timeout check 2000ms',
        'retries 1',
        'no option redispatch',
        'server 127.0.0.1:9001 127.0.0.1:9001 weight 1 check inter 10000ms rise 2 fall 3',
      ]),
    );
  });

  it('keep sticky sessions on the .route suffix from the URL, then the cookie', () => {
    const text = exported({
      listeners: web,
      routes: [{ name: 'r', to: 'balancer://b/' }],
      balancers: [
        {
          name: 'b',
          stickySession: 'JSESSIONID',
          failover: false,
          members: [
            { url: 'http://127.0.0.1:9001', route: 'one' },
            { url: 'http://127.0.0.1:9002', route: 'two' },
          ],
        },
      ],
    });
    const b = section(text, 'backend balancer_b');
    expect(b.filter((l) => l.startsWith('use-server'))).toEqual([
      "use-server 127.0.0.1:9001 if { path -m reg -i ';JSESSIONID=[^;/?.]*\\.one(?:[;/]|$)' }",
      "use-server 127.0.0.1:9002 if { path -m reg -i ';JSESSIONID=[^;/?.]*\\.two(?:[;/]|$)' }",
      "use-server 127.0.0.1:9001 if { query -m reg -i '(?:^|&)JSESSIONID=[^&.]*\\.one(?:&|$)' }",
      "use-server 127.0.0.1:9002 if { query -m reg -i '(?:^|&)JSESSIONID=[^&.]*\\.two(?:&|$)' }",
      `use-server 127.0.0.1:9001 if { req.cook(JSESSIONID) -m reg '^"?[^.]*\\.one"?$' }`,
      `use-server 127.0.0.1:9002 if { req.cook(JSESSIONID) -m reg '^"?[^.]*\\.two"?$' }`,
    ]);
    // failover: false — a session stuck to a member that is down gets 503, not another member.
    expect(b).toContain(
      `http-request return status 503 if { req.cook(JSESSIONID) -m reg '^"?[^.]*\\.one"?$' } !{ srv_is_up(balancer_b/127.0.0.1:9001) }`,
    );
    expect(text).toContain('HAProxy\'s own "cookie JSESSIONID prefix" would rewrite');
  });

  it('give routes that preserve Host their own twin of a shared balancer', () => {
    const text = exported({
      listeners: web,
      routes: [
        { name: 'a', match: { path: '/a' }, to: 'balancer://b/' },
        { name: 'p', match: { path: '/p' }, to: 'balancer://b/', preserveHost: true },
      ],
      balancers: [{ name: 'b', members: [{ url: 'http://127.0.0.1:9001' }] }],
    });
    expect(lines(text, 'use_backend')).toEqual([
      'use_backend balancer_b if route_a',
      'use_backend balancer_b_preserve_host if route_p',
    ]);
    expect(section(text, 'backend balancer_b')).toContain('http-send-name-header Host');
    expect(section(text, 'backend balancer_b_preserve_host')).not.toContain(
      'http-send-name-header Host',
    );
  });
});

describe('quoting and placeholders', () => {
  it('escapes what HAProxy’s double quotes interpret', () => {
    expect(dq('a "b" \\ $HOME\nnext')).toBe('"a \\"b\\" \\\\ \\$HOME\\nnext"');
  });

  it('captures a group with a regex anchored on both ends, so regsub leaves only the group', () => {
    const expression = groupOf('path', '/(\\w+)/x', true, 1);
    expect(expression).toBe("path,regsub('(?i)^.*?(?:/(\\w+)/x).*$','\\1')");
    // The same regex in JavaScript: the substitution is group 1 of the leftmost match.
    const source = /regsub\('(.*)','/.exec(expression)?.[1] ?? '';
    const js = new RegExp(source.replace('(?i)', ''), 'i');
    expect('/pre/Docs/x/more'.replace(js, '$1')).toBe('Docs');
  });

  it('turns every placeholder into a log-format sample, literal % doubled', () => {
    const format = templateFormat(
      '100% $1 {{when.2}} {{request.host}} {{request.authority}} {{request.path}} {{request.query}} {{request.scheme}} {{request.header.X-A}}',
      { group: (n) => `<g${n}>`, when: (n) => `<w${n}>` },
    );
    expect(format).toBe(
      '100%% <g1> <w2> %[var(txn.sy_host)] %[req.hdr(host)] %[path] %[query] %[ssl_fc,iif(https,http)] %[req.fhdr(x-a)]',
    );
  });
});
