/**
 * Listen sockets and the virtual hosts they serve, as httpd maps them (issue 11): one
 * listener per Listen socket; `<VirtualHost *:P>` and `<VirtualHost IP:P>` are served on
 * the sockets that open port P, name-based when several share one; a Listen without a
 * virtual host serves the main server. Whatever the shape, the import gives a routing file
 * the schema accepts, or findings with their lines — never two listeners on one address.
 */
import { describe, expect, it } from 'vitest';
import { importApacheText, type ApacheImport } from '../../../../src/engine/apache/to-routing.js';
import { importToYaml } from '../../../../src/engine/apache/to-yaml.js';
import { parseRoutingText } from '../../../../src/engine/config-file.js';
import { imported, lines, warnings } from '../../../support/apache-import.js';

const site = (address: string, to: string, ...more: string[]) => [
  `<VirtualHost ${address}>`,
  ...more,
  `  ProxyPass / ${to}`,
  '</VirtualHost>',
];

/** [listener name, address, port] of each listener. */
function sockets(v: ApacheImport): [string, string, number][] {
  return v.config.listeners.map((l) => [l.name, l.address, l.port]);
}

/** [host, listeners, to] of each route. */
function routes(v: ApacheImport): [string | undefined, string[] | undefined, string][] {
  return v.config.routes.map((r) => [r.match.host, r.match.listeners, r.to ?? '']);
}

describe('Apache import: Listen and <VirtualHost> addresses share sockets as in httpd', () => {
  it('serves <VirtualHost *:P> on `Listen 127.0.0.1:P` — one listener, not two on one address', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        ...site('*:8080', 'http://127.0.0.1:3000/', '  ServerName yourdomain.com'),
      ),
    );
    expect(sockets(v)).toEqual([['http-8080', '127.0.0.1', 8080]]);
    expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:3000/']]);
    expect(warnings(v)).not.toContainEqual(expect.stringMatching(/no Listen for port/));
  });

  it('serves <VirtualHost 127.0.0.1:P> on `Listen P`, whose connections arrive at 127.0.0.1 here', () => {
    const v = imported(
      lines(
        'Listen 8080',
        'ProxyPass /main http://127.0.0.1:1/main',
        ...site('127.0.0.1:8080', 'http://127.0.0.1:3000/'),
      ),
    );
    expect(sockets(v)).toEqual([['http-8080', '127.0.0.1', 8080]]);
    // The virtual host's routes, after the main server's that it inherits — not the main
    // server's alone, as before.
    expect(routes(v).map((r) => r[2])).toEqual([
      'http://127.0.0.1:1/main',
      'http://127.0.0.1:3000/',
    ]);
  });

  it('serves an IPv6 Listen: `Listen [::1]:P` with <VirtualHost *:P> and with <VirtualHost [::1]:P>', () => {
    for (const address of ['*:8080', '[::1]:8080', '[0:0::1]:8080']) {
      const v = imported(lines('Listen [::1]:8080', ...site(address, 'http://127.0.0.1:3000/')));
      expect(sockets(v)).toEqual([['http-8080', '::1', 8080]]);
      expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:3000/']]);
    }
  });

  it('serves a <VirtualHost *:P> on every Listen address for P', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'Listen [::1]:8080',
        ...site('*:8080', 'http://127.0.0.1:3000/'),
      ),
    );
    expect(sockets(v)).toEqual([
      ['http-127.0.0.1-8080', '127.0.0.1', 8080],
      ['http---1-8080', '::1', 8080],
    ]);
    expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:3000/']]);
  });

  it('keeps each virtual host’s routes on the listeners of its port; a Listen without one serves the main server', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        'Listen 127.0.0.1:8081',
        'Listen 127.0.0.1:9090',
        'ProxyPass /main http://127.0.0.1:9/main',
        ...site('*:8080', 'http://127.0.0.1:1/'),
        ...site('*:8081', 'http://127.0.0.1:2/'),
      ),
    );
    // Each virtual host inherits the main server's ProxyPass, so each listener has its copy.
    expect(routes(v)).toEqual([
      [undefined, ['http-8080'], 'http://127.0.0.1:9/main'],
      [undefined, ['http-8080'], 'http://127.0.0.1:1/'],
      [undefined, ['http-8081'], 'http://127.0.0.1:9/main'],
      [undefined, ['http-8081'], 'http://127.0.0.1:2/'],
      [undefined, ['http-9090'], 'http://127.0.0.1:9/main'],
    ]);
  });

  it('makes name-based virtual hosts of several <VirtualHost *:P> on one Listen socket', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        ...site('*:8080', 'http://127.0.0.1:1/', '  ServerName default.test'),
        ...site('*:8080', 'http://127.0.0.1:2/', '  ServerName app.test'),
      ),
    );
    expect(sockets(v)).toHaveLength(1);
    expect(routes(v)).toEqual([
      ['app.test', undefined, 'http://127.0.0.1:2/'],
      [undefined, undefined, 'http://127.0.0.1:1/'],
    ]);
  });

  it('reads `Listen P https` as a TLS listener for <VirtualHost *:P>', () => {
    const v = imported(
      lines('Listen 127.0.0.1:8443 https', ...site('*:8443', 'http://127.0.0.1:3000/')),
    );
    expect(v.config.listeners).toEqual([
      { name: 'https-8443', port: 8443, address: '127.0.0.1', tls: true, http2: false },
    ]);
  });

  it('opens a port that virtual hosts name and no Listen opens once, whatever addresses they give', () => {
    const v = imported(
      lines(
        ...site('127.0.0.1:8080', 'http://127.0.0.1:1/'),
        ...site('*:8080', 'http://127.0.0.1:2/', '  ServerName b.test'),
        ...site('[::1]:8080', 'http://127.0.0.1:3/'),
      ),
    );
    expect(sockets(v)).toEqual([
      ['http-127.0.0.1-8080', '127.0.0.1', 8080],
      ['http---1-8080', '::1', 8080],
    ]);
    expect(routes(v)).toEqual([
      [undefined, ['http-127.0.0.1-8080'], 'http://127.0.0.1:1/'],
      [undefined, ['http---1-8080'], 'http://127.0.0.1:3/'],
    ]);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^1: no Listen for port 8080 in this file \(Debian keeps/),
        expect.stringMatching(
          /^4: <VirtualHost \*:8080> is never chosen here, so its routes are left out: .*127\.0\.0\.1:8080 to line 1, \[::1\]:8080 to line 8/,
        ),
      ]),
    );
    expect(warnings(v).filter((w) => w.includes('no Listen'))).toHaveLength(1);
  });
});

describe('Apache import: Listen lines Apache itself refuses or cannot open', () => {
  it('reports a second Listen for the same address and port, as httpd does, and ignores it', () => {
    const v = imported(
      lines(
        'Listen 8080',
        'Listen 8080 https',
        'Listen 127.0.0.1:9090',
        'Listen 127.0.0.1:9090',
        ...site('*:8080', 'http://127.0.0.1:1/'),
      ),
    );
    expect(sockets(v)).toEqual([
      ['http-8080', '127.0.0.1', 8080],
      ['http-9090', '127.0.0.1', 9090],
    ]);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^2: Listen 8080 https: line 1 already opens \*:8080, and Apache refuses a second Listen .*Cannot define multiple Listeners on the same IP:port.*; ignored$/,
        ),
        expect.stringMatching(/^4: Listen 127\.0\.0\.1:9090: line 3 already opens/),
      ]),
    );
  });

  it('joins `Listen P` and `Listen 127.0.0.1:P` into one listener, saying Apache would not start', () => {
    const v = imported(
      lines('Listen 8080', 'Listen 127.0.0.1:8080', ...site('*:8080', 'http://127.0.0.1:1/')),
    );
    expect(sockets(v)).toEqual([['http-8080', '127.0.0.1', 8080]]);
    expect(warnings(v)).toContainEqual(
      '2: Listen 127.0.0.1:8080 and Listen 8080 (line 1): Listen 8080 takes every address on port 8080, so Apache cannot open both and does not start ("Address already in use"). Here both are 127.0.0.1:8080: one listener serves them',
    );
  });

  it('keeps `Listen P` and `Listen 10.0.0.5:P` apart here, with the same finding', () => {
    const v = imported(
      lines(
        'Listen 10.0.0.5:8080',
        'Listen 0.0.0.0:8080',
        ...site('*:8080', 'http://127.0.0.1:1/'),
      ),
    );
    expect(sockets(v)).toEqual([
      ['http-10.0.0.5-8080', '10.0.0.5', 8080],
      ['http-127.0.0.1-8080', '127.0.0.1', 8080],
    ]);
    expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:1/']]);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(
        /^2: Listen 0\.0\.0\.0:8080 and Listen 10\.0\.0\.5:8080 \(line 1\): Listen 0\.0\.0\.0:8080 takes every address .*Switchyard opens both, as 10\.0\.0\.5:8080 and 127\.0\.0\.1:8080$/,
      ),
    );
  });

  it('accepts 0.0.0.0 beside [::] on one port, which httpd opens as a pair', () => {
    const v = imported(
      lines('Listen 0.0.0.0:8080', 'Listen [::]:8080', ...site('*:8080', 'http://127.0.0.1:1/')),
    );
    expect(sockets(v).map((s) => s[1])).toEqual(['127.0.0.1', '::1']);
    expect(warnings(v)).not.toContainEqual(expect.stringMatching(/cannot open both/));
  });

  it('reports a <VirtualHost> address without a valid port, which httpd refuses, at its line', () => {
    const v = imported(
      lines(
        'Listen 127.0.0.1:8080',
        ...site('*:http', 'http://127.0.0.1:1/'),
        ...site('*:8080 *:99999', 'http://127.0.0.1:2/'),
      ),
    );
    expect(sockets(v)).toEqual([['http-8080', '127.0.0.1', 8080]]);
    expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:2/']]);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^2: <VirtualHost \*:http> and the 1 directive in it .*: \*:http: not an address:port \(Apache refuses it\); ignored$/,
        ),
        '5: <VirtualHost> *:99999: not an address:port (Apache refuses it); ignored',
      ]),
    );
  });

  it('leaves out a virtual host no connection can reach, saying why at its line', () => {
    const v = imported(
      lines(
        'Listen 8080',
        ...site('10.0.0.7:8080', 'http://127.0.0.1:1/'),
        ...site('127.0.0.1:8080', 'http://127.0.0.1:2/'),
        ...site('*:8080', 'http://127.0.0.1:3/', '  ServerName any.test'),
      ),
    );
    expect(routes(v)).toEqual([[undefined, undefined, 'http://127.0.0.1:2/']]);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        '2: <VirtualHost 10.0.0.7:8080> is never chosen here, so its routes are left out: it answers connections to 10.0.0.7 only, and Switchyard listens on 127.0.0.1:8080 (line 1); <VirtualHost *:8080> would serve it there',
        expect.stringMatching(
          /^8: <VirtualHost \*:8080> is never chosen here, .*arrives at one that does \(127\.0\.0\.1:8080 to line 5\)/,
        ),
      ]),
    );
  });
});

describe('Apache import: name-based virtual hosts pick as httpd does', () => {
  it('gives a name to the first virtual host that has it, a later wildcard included', () => {
    const v = imported(
      lines(
        'Listen 8080',
        ...site('*:8080', 'http://127.0.0.1:1/', '  ServerName a.shop.test'),
        ...site(
          '*:8080',
          'http://127.0.0.1:2/',
          '  ServerName shop.test',
          '  ServerAlias *.shop.test a.shop.test',
        ),
        ...site('*:8080', 'http://127.0.0.1:3/', '  ServerName b.shop.test'),
      ),
    );
    expect(routes(v)).toEqual([
      ['shop.test', undefined, 'http://127.0.0.1:2/'],
      // Apache tries a.shop.test's own virtual host first, though it is the default one.
      ['a.shop.test', undefined, 'http://127.0.0.1:1/'],
      ['*.shop.test', undefined, 'http://127.0.0.1:2/'],
      [undefined, undefined, 'http://127.0.0.1:1/'],
    ]);
    expect(warnings(v)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^6: host name 'a\.shop\.test': the virtual host of line 2 comes first and has this name too/,
        ),
        expect.stringMatching(
          /^11: host name 'b\.shop\.test': the virtual host of line 6 comes first and takes it with '\*\.shop\.test'/,
        ),
      ]),
    );
  });
});

describe('Apache import: every Listen and VirtualHost shape gives a file the schema accepts', () => {
  const shapes: Record<string, string[]> = {
    'guide: Listen IP:P + *:P': ['Listen 127.0.0.1:8080', '<VirtualHost *:8080>'],
    'Listen P + IP:P': ['Listen 8080', '<VirtualHost 127.0.0.1:8080>'],
    'Listen [::1]:P + *:P': ['Listen [::1]:8080', '<VirtualHost *:8080>'],
    'Listen [::]:P + [::1]:P': ['Listen [::]:8080', '<VirtualHost [::1]:8080>'],
    'Listen P https + *:P': ['Listen 8443 https', '<VirtualHost *:8443>'],
    'two equal Listen lines': ['Listen 8080', 'Listen 8080', '<VirtualHost *:8080>'],
    'Listen P + Listen 127.0.0.1:P': [
      'Listen 8080',
      'Listen 127.0.0.1:8080',
      '<VirtualHost *:8080>',
    ],
    'Listen [::]:P + Listen [::1]:P': [
      'Listen [::]:8080',
      'Listen [::1]:8080',
      '<VirtualHost *:8080>',
    ],
    'Listen localhost:P + Listen 127.0.0.1:P': [
      'Listen localhost:8080',
      'Listen 127.0.0.1:8080',
      '<VirtualHost *:8080>',
    ],
    '*:P on two Listen addresses': [
      'Listen 127.0.0.1:8080',
      'Listen [::1]:8080',
      '<VirtualHost *:8080>',
    ],
    'vhosts IP:P and *:P, no Listen': ['<VirtualHost 127.0.0.1:8080>', '<VirtualHost *:8080>'],
    'vhosts *:P and IP:P, no Listen': ['<VirtualHost *:8080>', '<VirtualHost 127.0.0.1:8080>'],
    'vhosts 0.0.0.0:P and *:P, no Listen': ['<VirtualHost 0.0.0.0:8080>', '<VirtualHost *:8080>'],
    'vhost *:P *:Q on Listen P': ['Listen 8080', '<VirtualHost *:8080 *:9090>'],
    'vhost without port': ['Listen 8080', 'Listen 9090', '<VirtualHost *>'],
    'vhost _default_:P': ['Listen 127.0.0.1:8080', '<VirtualHost _default_:8080>'],
    'vhost on a host name': ['Listen 127.0.0.1:8080', '<VirtualHost www.example.com:8080>'],
    'vhost port out of range, no Listen': ['<VirtualHost *:8080>', '<VirtualHost *:99999>'],
    'vhost port not a number': ['Listen 8080', '<VirtualHost *:8080 *:abc>'],
  };
  for (const [name, [first, ...rest]] of Object.entries(shapes)) {
    it(name, () => {
      const vhost = rest.at(-1)?.startsWith('<') ? rest : [];
      const listens = [first as string, ...rest.filter((l) => !l.startsWith('<'))].filter((l) =>
        l.startsWith('Listen'),
      );
      const hosts = [first as string, ...vhost].filter((l) => l.startsWith('<'));
      const text = lines(
        ...listens,
        ...hosts.flatMap((h, i) => [
          h,
          `  ServerName h${i}.test`,
          `  ProxyPass / http://127.0.0.1:${3000 + i}/`,
          '</VirtualHost>',
        ]),
      );
      const r = importApacheText(text, 'httpd.conf');
      expect(r.ok ? [] : r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([]);
      if (!r.ok) return;
      const binds = r.value.config.listeners.map((l) => `${l.address}:${l.port}`);
      expect(new Set(binds).size).toBe(binds.length);
      // The YAML import loads back, as `switchyard --config` would read it.
      const back = parseRoutingText(importToYaml(r.value, 'httpd.conf'), 'switchyard.yaml');
      expect(back.ok).toBe(true);
    });
  }
});

describe('Apache import: a Debian-style split configuration', () => {
  // ports.conf and the sites as Debian ships and a2ensite links them, in the order
  // apache2.conf includes them. The import does not follow Include (it says so), so this
  // is the text the included files add up to.
  const portsConf = [
    '# If you just change the port or add more ports here, you will likely also',
    '# have to change the VirtualHost statement in',
    '# /etc/apache2/sites-enabled/000-default.conf',
    '',
    'Listen 8080',
    '',
    '<IfModule ssl_module>',
    '\tListen 8443',
    '</IfModule>',
    '',
    '<IfModule mod_gnutls.c>',
    '\tListen 8443',
    '</IfModule>',
  ];
  const defaultSite = [
    '<VirtualHost *:8080>',
    '\tServerAdmin webmaster@localhost',
    '\tDocumentRoot /var/www/html',
    '</VirtualHost>',
  ];
  const proxySite = [
    '<VirtualHost *:8080>',
    '\tServerName app.test',
    '\tProxyPreserveHost On',
    '\tProxyPass /api http://127.0.0.1:3001/api',
    '\tProxyPassReverse /api http://127.0.0.1:3001/api',
    '\tProxyPass / http://127.0.0.1:3000/',
    '</VirtualHost>',
  ];

  // Debian's `Listen 80`, and the loopback-only edit of it a laptop setup makes.
  for (const listen of ['Listen 8080', 'Listen 127.0.0.1:8080']) {
    it(`serves every site on the ports.conf sockets (${listen}), by name, the first site as the default`, () => {
      const ports = portsConf.map((l) => (l === 'Listen 8080' ? listen : l));
      const v = imported(lines(...ports, ...defaultSite, ...proxySite));
      expect(sockets(v)).toEqual([
        ['http-8080', '127.0.0.1', 8080],
        ['http-8443', '127.0.0.1', 8443],
      ]);
      expect(v.config.routes.map((r) => [r.match.host, r.match.path, r.match.listeners])).toEqual([
        ['app.test', '/api', ['http-8080']],
        ['app.test', '/', ['http-8080']],
      ]);
      expect(warnings(v)).not.toContainEqual(expect.stringMatching(/no Listen|is never chosen/));
    });
  }

  it('runs a site file on its own, listening where its VirtualHost says', () => {
    const v = imported(lines(...proxySite));
    expect(sockets(v)).toEqual([['http-8080', '127.0.0.1', 8080]]);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^1: no Listen for port 8080 in this file \(Debian keeps Listen/),
    );
  });

  it('says that apache2.conf’s Include lines are not followed', () => {
    const r = importApacheText(
      lines('Include ports.conf', 'IncludeOptional sites-enabled/*.conf', ...defaultSite),
      'apache2.conf',
    );
    expect(r.ok && r.value.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual(
      expect.arrayContaining([
        '1: Include: included files are not read; import each file on its own; ignored',
        '2: IncludeOptional: included files are not read; import each file on its own; ignored',
      ]),
    );
  });
});

describe('Apache import: Protocols (mod_http2) decides a listener’s http2', () => {
  const listenerOf = (text: string) => imported(text).config.listeners[0];

  it('is HTTP/1.1 only without Protocols, as httpd is', () => {
    expect(listenerOf(lines('Listen 8080', 'ProxyPass / http://127.0.0.1:3000/'))?.http2).toBe(
      false,
    );
  });

  it('offers h2c on a plain socket and h2 on a TLS one, from the main server or the vhost', () => {
    expect(
      listenerOf(lines('Protocols h2c http/1.1', 'Listen 8080', 'ProxyPass / http://127.0.0.1:1/'))
        ?.http2,
    ).toBe(true);
    // h2 is TLS only: on a plain socket it offers nothing.
    expect(
      listenerOf(lines('Protocols h2 http/1.1', 'Listen 8080', 'ProxyPass / http://127.0.0.1:1/'))
        ?.http2,
    ).toBe(false);
    const tls = lines(
      'Listen 8443 https',
      '<VirtualHost *:8443>',
      '  SSLEngine on',
      '  Protocols h2 http/1.1',
      '  ProxyPass / http://127.0.0.1:1/',
      '</VirtualHost>',
    );
    expect(listenerOf(tls)).toMatchObject({ tls: true, http2: true });
  });

  it('follows the first virtual host of a socket, and says so when another differs', () => {
    const v = imported(
      lines(
        'Listen 8080',
        '<VirtualHost *:8080>',
        '  ServerName a.test',
        '  ProxyPass / http://127.0.0.1:1/',
        '</VirtualHost>',
        '<VirtualHost *:8080>',
        '  ServerName b.test',
        '  Protocols h2c http/1.1',
        '  ProxyPass / http://127.0.0.1:2/',
        '</VirtualHost>',
      ),
    );
    expect(v.config.listeners[0]?.http2).toBe(false);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^8: Protocols: this virtual host offers HTTP\/2 where the first/),
    );
  });
});
