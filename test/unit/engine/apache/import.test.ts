/**
 * The Apache import, directive by directive: what each maps to in the routing file, and
 * the warning (with its line) for everything that does not map exactly.
 */
import { describe, expect, it } from 'vitest';
import { importApacheText, type ApacheImport } from '../../../../src/engine/apache/to-routing.js';
import { importToYaml } from '../../../../src/engine/apache/to-yaml.js';
import { parseRoutingText } from '../../../../src/engine/config-file.js';

function imported(text: string): ApacheImport {
  const r = importApacheText(text, 'httpd.conf');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.message}`).join('\n'));
  return r.value;
}

function problems(text: string): string[] {
  const r = importApacheText(text, 'httpd.conf');
  if (r.ok) throw new Error('expected the import to fail');
  return r.problems.map((p) => `${p.line ?? '-'}: ${p.message}`);
}

/** Warnings as `line: message`, for matching with stringContaining. */
function warnings(value: ApacheImport): string[] {
  return value.warnings.map((w) => `${w.line ?? '-'}: ${w.message}`);
}

const vhost = (body: string, addr = '127.0.0.1:8080') =>
  `Listen ${addr}\n<VirtualHost ${addr}>\n${body}\n</VirtualHost>\n`;

describe('Apache import: listeners and virtual hosts', () => {
  it('binds the address a VirtualHost names and keeps its port', () => {
    const v = imported(vhost('ProxyPass / http://127.0.0.1:3000/'));
    expect(v.config.listeners).toEqual([
      { name: 'http-8080', port: 8080, address: '127.0.0.1', tls: false, http2: false },
    ]);
  });

  it('maps *:80 to loopback with a warning that says how to serve the network', () => {
    const v = imported('<VirtualHost *:80>\nProxyPass / http://127.0.0.1:3000/\n</VirtualHost>\n');
    expect(v.config.listeners[0]).toMatchObject({ port: 80, address: '127.0.0.1' });
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^1: no Listen for port 80 in this file/),
        expect.stringMatching(
          /^1: every address port 80: Switchyard binds 127.0.0.1 instead.*0\.0\.0\.0/,
        ),
        expect.stringMatching(/^1: port 80 is below 1024/),
      ]),
    );
  });

  it('routes by ServerName and ServerAlias, the first virtual host taking any other Host', () => {
    const v = imported(
      [
        'Listen 8080',
        '<VirtualHost *:8080>',
        '  ServerName default.test',
        '  ProxyPass / http://127.0.0.1:3001/',
        '</VirtualHost>',
        '<VirtualHost *:8080>',
        '  ServerName shop.test',
        '  ServerAlias www.shop.test *.shop.test',
        '  ProxyPass / http://127.0.0.1:3002/',
        '</VirtualHost>',
      ].join('\n'),
    );
    expect(v.config.routes.map((r) => [r.name, r.match.host, r.to])).toEqual([
      ['shop.test', 'shop.test', 'http://127.0.0.1:3002/'],
      ['www.shop.test', 'www.shop.test', 'http://127.0.0.1:3002/'],
      ['any.shop.test', '*.shop.test', 'http://127.0.0.1:3002/'],
      ['root', undefined, 'http://127.0.0.1:3001/'],
    ]);
  });

  it('lets the only virtual host on an address take every Host, as Apache does', () => {
    const v = imported(vhost('ServerName app.test\nProxyPass / http://127.0.0.1:3000/'));
    expect(v.config.routes[0]?.match.host).toBeUndefined();
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^2: ServerName app.test: this is the only virtual host/),
    );
  });

  it('gives routes of several listeners their listener names', () => {
    const v = imported(
      'Listen 127.0.0.1:8080\nListen 127.0.0.1:9090\n<VirtualHost 127.0.0.1:8080>\nProxyPass / http://127.0.0.1:1/\n</VirtualHost>\n<VirtualHost 127.0.0.1:9090>\nProxyPass / http://127.0.0.1:2/\n</VirtualHost>\n',
    );
    expect(v.config.routes.map((r) => [r.to, r.match.listeners])).toEqual([
      ['http://127.0.0.1:1/', ['http-8080']],
      ['http://127.0.0.1:2/', ['http-9090']],
    ]);
  });

  it('makes a listener TLS when its virtual host has SSLEngine on, certificates from the local CA', () => {
    const v = imported(
      vhost(
        'SSLEngine on\nSSLCertificateFile /etc/ssl/x.pem\nProxyPass / http://127.0.0.1:3000/',
        '127.0.0.1:8443',
      ),
    );
    expect(v.config.listeners[0]).toMatchObject({ name: 'https-8443', tls: true });
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^4: SSLCertificateFile: certificates come from Switchyard/),
    );
  });

  it('refuses a file with nothing to listen on', () => {
    expect(problems('ProxyPass / http://127.0.0.1:3000/\n')).toEqual([
      expect.stringMatching(/^-: the file has no Listen and no <VirtualHost>/),
    ]);
  });
});

describe('Apache import: ProxyPass and friends', () => {
  it('keeps ProxyPass order, maps ProxyPreserveHost, ProxyPassReverse and ProxyTimeout', () => {
    const v = imported(
      vhost(
        [
          'ProxyRequests Off',
          'ProxyPreserveHost On',
          'ProxyTimeout 12',
          'ProxyPass /app http://127.0.0.1:3000/app',
          'ProxyPassReverse /app http://127.0.0.1:3000/app',
          'ProxyPass / http://127.0.0.1:4000/',
        ].join('\n'),
      ),
    );
    expect(v.config.routes).toEqual([
      expect.objectContaining({
        name: 'app',
        match: { path: '/app' },
        to: 'http://127.0.0.1:3000/app',
        preserveHost: true,
        reverse: true,
        timeout: '12s',
        websocket: false,
      }),
      expect.objectContaining({ name: 'root', reverse: false, timeout: '12s' }),
    ]);
  });

  it('uses Timeout when there is no ProxyTimeout, and Apache’s 60 s default otherwise', () => {
    expect(
      imported(vhost('Timeout 300\nProxyPass / http://127.0.0.1:1/')).config.routes[0]?.timeout,
    ).toBe('300s');
    expect(imported(vhost('ProxyPass / http://127.0.0.1:1/')).config.routes[0]?.timeout).toBe(
      '60s',
    );
  });

  it('reads worker parameters: timeout=, upgrade=websocket; reports the rest', () => {
    const v = imported(
      vhost('ProxyPass /ws http://127.0.0.1:1/ws timeout=5 upgrade=websocket keepalive=On'),
    );
    expect(v.config.routes[0]).toMatchObject({ timeout: '5s', websocket: true });
    expect(warnings(v)).toContainEqual(
      '3: ProxyPass parameter keepalive=On is not supported; ignored',
    );
  });

  it('maps ws:// backends to http:// routes that tunnel WebSockets', () => {
    const v = imported(vhost('ProxyPass /socket ws://127.0.0.1:3000/socket'));
    expect(v.config.routes[0]).toMatchObject({
      to: 'http://127.0.0.1:3000/socket',
      websocket: true,
    });
  });

  it('refuses ProxyRequests On: Switchyard is never a forward proxy', () => {
    expect(problems(vhost('ProxyRequests On\nProxyPass / http://127.0.0.1:1/'))).toEqual([
      expect.stringMatching(
        /^3: ProxyRequests On makes Apache a forward \(open\) proxy.*ProxyRequests Off$/,
      ),
    ]);
  });

  it('answers a ! exclusion itself (404), before the ProxyPass it excludes from', () => {
    const v = imported(vhost('ProxyPass /static !\nProxyPass / http://127.0.0.1:1/'));
    expect(v.config.routes.map((r) => [r.match.path, r.respond?.status ?? r.to])).toEqual([
      ['/static', 404],
      ['/', 'http://127.0.0.1:1/'],
    ]);
    expect(warnings(v).some((w) => w.startsWith('3:'))).toBe(false);
  });

  it('says so when a ProxyPass can never match because a broader one comes first', () => {
    const v = imported(
      vhost('ProxyPass / http://127.0.0.1:1/\nProxyPass /app http://127.0.0.1:2/app'),
    );
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^4: ProxyPass \/app is never used: \/ \(line 3\) is consulted first/),
    );
  });

  it('reads ProxyPass in <Location>, the last matching Location first, before server-level ones', () => {
    const v = imported(
      vhost(
        [
          'ProxyPass /api http://127.0.0.1:1/server',
          '<Location /api>',
          '  ProxyPass http://127.0.0.1:2/location',
          '  ProxyPassReverse http://127.0.0.1:2/location',
          '</Location>',
          '<Location /api/v2>',
          '  ProxyPass http://127.0.0.1:3/v2',
          '</Location>',
        ].join('\n'),
      ),
    );
    expect(v.config.routes.map((r) => [r.match.path, r.to, r.reverse])).toEqual([
      ['/api/v2', 'http://127.0.0.1:3/v2', false],
      ['/api', 'http://127.0.0.1:2/location', true],
      ['/api', 'http://127.0.0.1:1/server', false],
    ]);
  });

  it('maps ProxyPassReverseCookiePath and -Domain onto reverse: true, and says how', () => {
    const v = imported(
      vhost(
        [
          'ProxyPass /app http://127.0.0.1:3000/',
          'ProxyPassReverseCookiePath / /app',
          'ProxyPassReverseCookieDomain 127.0.0.1 app.test',
        ].join('\n'),
      ),
    );
    expect(v.config.routes[0]?.reverse).toBe(true);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^4: ProxyPassReverseCookiePath: .*Location headers are rewritten too/,
        ),
        expect.stringMatching(
          /^5: ProxyPassReverseCookieDomain 127.0.0.1 app.test: the cookie domain becomes the host/,
        ),
      ]),
    );
  });

  it('reports ProxyPassReverse lines that no route forwards to', () => {
    const v = imported(
      vhost('ProxyPass / http://127.0.0.1:1/\nProxyPassReverse / http://elsewhere:9/'),
    );
    expect(warnings(v)).toContainEqual(
      '4: ProxyPassReverse / http://elsewhere:9/: no route forwards to http://elsewhere:9/, so there is nothing to rewrite; ignored',
    );
  });

  it('leaves out unsupported backends with a warning', () => {
    const v = imported(
      vhost('ProxyPass /php fcgi://127.0.0.1:9000/\nProxyPass / http://127.0.0.1:1/'),
    );
    expect(v.config.routes.map((r) => r.name)).toEqual(['root']);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^3: ProxyPass \/php fcgi:.*fcgi backends are not supported/),
    );
  });
});

describe('Apache import: headers', () => {
  it('maps RequestHeader and Header set/unset; append becomes set with a warning', () => {
    const v = imported(
      vhost(
        [
          'RequestHeader set X-Forwarded-Proto "https"',
          'RequestHeader unset X-Debug',
          'Header always set X-Frame-Options DENY',
          'Header unset Server',
          'RequestHeader append X-Trace "switchyard"',
          'ProxyPass / http://127.0.0.1:1/',
        ].join('\n'),
      ),
    );
    expect(v.config.routes[0]?.headers).toEqual({
      request: {
        set: { 'X-Forwarded-Proto': 'https', 'X-Trace': 'switchyard' },
        remove: ['X-Debug'],
      },
      response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['Server'] },
    });
    expect(warnings(v)).toContainEqual(
      '7: RequestHeader append X-Trace: append adds to any existing value; Switchyard sets the header, replacing it',
    );
  });

  it('reports conditions, edit actions and %-specifiers', () => {
    const v = imported(
      vhost(
        [
          'Header set X-A 1 env=DEBUG',
          'Header edit Location ^http: https:',
          'RequestHeader set X-Start "%t"',
          'ProxyPass / http://127.0.0.1:1/',
        ].join('\n'),
      ),
    );
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3: Header set X-A: the condition 'env=DEBUG' is not supported/),
        expect.stringMatching(/^4: Header edit is not supported/),
        expect.stringMatching(
          /^5: RequestHeader set X-Start: Switchyard sends the value as written/,
        ),
      ]),
    );
  });

  it('applies <Location> headers to that part of a route only, by splitting the route', () => {
    const v = imported(
      vhost(
        [
          'ProxyPass / http://127.0.0.1:1/base/',
          '<Location /api>',
          '  RequestHeader set X-Api yes',
          '  ProxyPreserveHost On',
          '</Location>',
        ].join('\n'),
      ),
    );
    expect(
      v.config.routes.map((r) => [r.match.path, r.to, r.preserveHost, r.headers.request.set]),
    ).toEqual([
      ['/api', 'http://127.0.0.1:1/base/api', true, { 'X-Api': 'yes' }],
      ['/', 'http://127.0.0.1:1/base/', false, {}],
    ]);
  });
});

describe('Apache import: access', () => {
  it('maps <Proxy *> Require all granted to everyone, with a warning', () => {
    const v = imported(
      vhost('<Proxy *>\n  Require all granted\n</Proxy>\nProxyPass / http://127.0.0.1:1/'),
    );
    expect(v.config.access.allow).toEqual(['0.0.0.0/0', '::/0']);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^4: Require all granted lets every client .* use the proxy/),
    );
  });

  it('maps Require ip (full, partial, netmask, IPv6) and Require local', () => {
    const v = imported(
      vhost(
        '<Proxy *>\n  Require ip 10.1 192.168.0.0/255.255.0.0 fd00::/8\n  Require local\n</Proxy>\nProxyPass / http://127.0.0.1:1/',
      ),
    );
    expect(v.config.access.allow).toEqual([
      '10.1.0.0/16',
      '192.168.0.0/16',
      'fd00::/8',
      '127.0.0.0/8',
      '::1',
    ]);
  });

  it('maps the Apache 2.2 Order/Deny/Allow form', () => {
    const v = imported(
      vhost(
        '<Proxy *>\n  Order deny,allow\n  Deny from all\n  Allow from 127.0.0.1\n</Proxy>\nProxyPass / http://127.0.0.1:1/',
      ),
    );
    expect(v.config.access.allow).toEqual(['127.0.0.1']);
  });

  it('keeps the loopback default without a <Proxy *> section', () => {
    expect(imported(vhost('ProxyPass / http://127.0.0.1:1/')).config.access.allow).toEqual([
      '127.0.0.0/8',
      '::1',
    ]);
  });

  it('reports Require in a <Location>, which cannot be per path here', () => {
    const v = imported(
      vhost(
        '<Location /admin>\n  Require ip 10.0.0.0/8\n</Location>\nProxyPass / http://127.0.0.1:1/',
      ),
    );
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(
        /^4: Require ip 10.0.0.0\/8 in <Location \/admin>: the routing file has one access list/,
      ),
    );
  });
});

describe('Apache import: balancers', () => {
  const cluster = (members: string, set = '') =>
    vhost(
      `<Proxy balancer://cluster>\n${members}\n${set}\n</Proxy>\nProxyPass / balancer://cluster/`,
    );

  it('maps members with route, loadfactor, status flags, retry and timeout', () => {
    const v = imported(
      cluster(
        [
          'BalancerMember http://127.0.0.1:9001 route=1 loadfactor=10 retry=30 timeout=20',
          'BalancerMember http://127.0.0.1:9002 route=2 status=+H retry=30',
          'BalancerMember http://127.0.0.1:9003 route=3 status=+D',
          'BalancerMember http://127.0.0.1:9004 route=4 status=+S',
          'BalancerMember http://127.0.0.1:9005 route=5 status=+N',
          'BalancerMember http://127.0.0.1:9006 route=6 status=+E',
        ].join('\n'),
      ),
    );
    const b = v.config.balancers[0];
    expect(b?.members.map((m) => [m.route, m.loadFactor, m.state])).toEqual([
      ['1', 10, 'enabled'],
      ['2', 1, 'standby'],
      ['3', 1, 'disabled'],
      ['4', 1, 'disabled'],
      ['5', 1, 'draining'],
      ['6', 1, 'enabled'],
    ]);
    expect(b?.retry).toBe('60s'); // members 3-6 keep Apache's default 60 s; the longest wins
    expect(v.config.routes[0]?.timeout).toBe('20s');
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^9: status \+E \(in error\)/),
        expect.stringMatching(/^3: members of balancer cluster have different retry= values/),
      ]),
    );
  });

  it('maps ProxySet lbmethod, stickysession, nofailover and maxattempts', () => {
    const v = imported(
      cluster(
        'BalancerMember http://127.0.0.1:9001 route=a\nBalancerMember http://127.0.0.1:9002 route=b',
        'ProxySet lbmethod=bybusyness stickysession=JSESSIONID|jsessionid nofailover=On maxattempts=2',
      ),
    );
    expect(v.config.balancers[0]).toMatchObject({
      method: 'bybusyness',
      stickySession: 'JSESSIONID',
      failover: false,
      maxAttempts: 3,
    });
  });

  it('warns for lbmethod=heartbeat and falls back to byrequests', () => {
    const v = imported(
      cluster('BalancerMember http://127.0.0.1:9001', 'ProxySet lbmethod=heartbeat'),
    );
    expect(v.config.balancers[0]?.method).toBe('byrequests');
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^5: lbmethod=heartbeat needs mod_heartmonitor/),
    );
  });

  it('reads balancer parameters on the ProxyPass line and BalancerMember/ProxySet outside <Proxy>', () => {
    const v = imported(
      vhost(
        [
          'BalancerMember balancer://pool http://127.0.0.1:9001',
          'BalancerMember balancer://pool http://127.0.0.1:9002',
          'ProxySet balancer://pool lbmethod=bytraffic',
          'ProxyPass / balancer://pool/ nofailover=On',
        ].join('\n'),
      ),
    );
    expect(v.config.balancers[0]).toMatchObject({
      name: 'pool',
      method: 'bytraffic',
      failover: false,
    });
    expect(v.config.balancers[0]?.members).toHaveLength(2);
  });

  it('maps mod_proxy_hcheck member parameters to the balancer health check', () => {
    const v = imported(
      cluster(
        'BalancerMember http://127.0.0.1:9001 hcmethod=GET hcuri=/health hcinterval=10 hcpasses=2 hcfails=3\nBalancerMember http://127.0.0.1:9002 hcmethod=GET hcuri=/health hcinterval=10 hcpasses=2 hcfails=3',
      ),
    );
    expect(v.config.balancers[0]?.healthCheck).toMatchObject({
      method: 'GET',
      path: '/health',
      interval: '10s',
      passes: 2,
      fails: 3,
    });
  });

  it('fails with the line when a ProxyPass names an undefined balancer', () => {
    expect(problems(vhost('ProxyPass / balancer://nowhere/'))).toEqual([
      expect.stringMatching(
        /^3: ProxyPass \/ balancer:\/\/nowhere\/: no <Proxy balancer:\/\/nowhere> with BalancerMember lines/,
      ),
    ]);
  });

  it('maps SetHandler balancer-manager to a note about the Balancers view, not a failure', () => {
    const v = imported(
      cluster('BalancerMember http://127.0.0.1:9001') +
        '<Location /balancer-manager>\nSetHandler balancer-manager\nRequire ip 10.0.0.0/8\n</Location>\n',
    );
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(
        /^10: SetHandler balancer-manager: Switchyard's balancer manager is the app's Balancers view/,
      ),
    );
    expect(warnings(v).some((w) => w.startsWith('11:'))).toBe(false);
  });
});

describe('Apache import: modules, conditionals and what is not supported', () => {
  it('follows IfModule for modules Switchyard has or the file loads, and says what it skipped', () => {
    const v = imported(
      [
        'LoadModule foo_module modules/mod_foo.so',
        'Listen 127.0.0.1:8080',
        '<IfModule mod_proxy.c>',
        '  <VirtualHost 127.0.0.1:8080>',
        '    ProxyPass / http://127.0.0.1:1/',
        '  </VirtualHost>',
        '</IfModule>',
        '<IfModule foo_module>',
        '  ProxyTimeout 5',
        '</IfModule>',
        '<IfModule mpm_prefork_module>',
        '  MaxRequestWorkers 10',
        '</IfModule>',
        '<IfModule !mod_proxy.c>',
        '</IfModule>',
      ].join('\n'),
    );
    expect(v.config.routes).toHaveLength(1);
    expect(warnings(v)).toContainEqual(
      '11: <IfModule mpm_prefork_module> and the 1 directive in it (MaxRequestWorkers; lines 12-12): skipped, as Apache would: module mpm_prefork_module is not loaded',
    );
  });

  it('lists every unsupported directive and section with its line', () => {
    const v = imported(
      vhost(
        [
          'DocumentRoot /var/www/html',
          'RewriteEngine On',
          'ProxyPassMatch ^/(.*\\.php)$ fcgi://127.0.0.1:9000/var/www/$1',
          'FrobnicateAll yes',
          '<Directory /var/www>',
          '  Options Indexes',
          '</Directory>',
          'ProxyPass / http://127.0.0.1:1/',
        ].join('\n'),
      ),
    );
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        '3: DocumentRoot: Switchyard serves no files of its own; ignored',
        '5: ProxyPassMatch ^/(.*\\.php)$ fcgi://127.0.0.1:9000/var/www/$1: fcgi backends are not supported (Switchyard forwards HTTP/1.1, HTTP/2 and WebSocket); route left out',
        '6: FrobnicateAll: not supported by the Apache import; ignored',
        expect.stringMatching(
          /^7: <Directory \/var\/www> and the 1 directive in it \(Options; lines 8-8\)/,
        ),
      ]),
    );
  });

  it('reports values the routing file refuses at the Apache line they came from', () => {
    expect(
      problems(
        vhost(
          '<Proxy balancer://c>\nBalancerMember http://127.0.0.1:1 loadfactor=5\nBalancerMember http://127.0.0.1:1\n</Proxy>\nProxyPass / balancer://c/',
        ),
      ),
    ).toEqual(['5: balancers[0].members[1].url: http://127.0.0.1:1 is already members[0]']);
  });

  it('reports structure errors with their lines and imports nothing', () => {
    expect(problems('<VirtualHost *:80>\nProxyPass / http://127.0.0.1:1/\n')).toEqual([
      '1: <VirtualHost> is never closed (add </VirtualHost>)',
    ]);
  });

  it('reports a header name HTTP does not allow, and leaves that line out', () => {
    expect(
      warnings(imported(vhost('RequestHeader set "Bad Name" x\nProxyPass / http://127.0.0.1:1/'))),
    ).toEqual(["3: RequestHeader set: 'Bad Name' is not a valid header name; ignored"]);
  });
});

describe('Apache import: the routing YAML', () => {
  it('prints YAML that loads back to the same configuration, with comments naming the source lines', () => {
    const text = vhost(
      '<Proxy balancer://c>\nBalancerMember http://127.0.0.1:9001 route=1\n</Proxy>\nProxyPass /app http://127.0.0.1:3000/app\nProxyPass / balancer://c/\nFoo bar',
    );
    const v = imported(text);
    const yaml = importToYaml(v, 'httpd.conf');
    expect(yaml).toContain(
      '# httpd.conf:6 ProxyPass /app http://127.0.0.1:3000/app\n  # timeout: 60s',
    );
    expect(yaml).toContain(
      '      # httpd.conf:4 BalancerMember http://127.0.0.1:9001 route=1\n      - url:',
    );
    expect(yaml).toContain('#   httpd.conf:8:1 Foo: not supported by the Apache import; ignored');
    const back = parseRoutingText(yaml, 'switchyard.yaml');
    expect(back.ok && back.config).toEqual(v.config);
  });
});
