/**
 * Differential test of the Apache import: one Apache configuration, run by the real httpd
 * and by Switchyard (through `importApacheText`), each on its own free ports; the same
 * requests must reach the same backend with the same path, or get the same status when no
 * backend is reached. The configurations are the shapes of issue 11: Listen sockets shared
 * by `<VirtualHost *:P>` and `<VirtualHost IP:P>`, name-based virtual hosts on one socket,
 * a Listen that only the main server serves, and AllowEncodedSlashes.
 *
 * httpd comes from the distribution; the tests are skipped, with the reason printed, when
 * it is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { noApache, runApache, runSwitchyard } from '../support/httpd.js';

type Ports = Record<'P' | 'Q', number>;
type Request = [port: 'P' | 'Q', path: string, host?: string];

interface Case {
  name: string;
  /** The Apache file for these ports; backends a, b, c at A, B, C. */
  conf: (ports: Ports, b: Record<'A' | 'B' | 'C', string>) => string;
  requests: Request[];
}

const cases: Case[] = [
  {
    name: 'the guide’s basic proxy as given, with `Listen 127.0.0.1:P` for its `<VirtualHost *:P>`',
    conf: ({ P }, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '    ServerName yourdomain.com',
        '    ProxyRequests Off',
        '    ProxyPreserveHost On',
        '',
        '    <Proxy *>',
        '        Require all granted',
        '    </Proxy>',
        '',
        `    ProxyPass /app ${b.A}/app`,
        `    ProxyPassReverse /app ${b.A}/app`,
        '',
        `    ProxyPass / ${b.B}/`,
        `    ProxyPassReverse / ${b.B}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/app/page.html?x=1', 'yourdomain.com'],
      ['P', '/app', 'other.test'],
      ['P', '/application'],
      ['P', '/index.html', 'yourdomain.com'],
    ],
  },
  {
    name: 'name-based virtual hosts on one socket, the first the default',
    conf: ({ P }, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '  ServerName a.shop.test',
        `  ProxyPass / ${b.A}/default/`,
        '</VirtualHost>',
        `<VirtualHost *:${P}>`,
        '  ServerName app.test',
        '  ServerAlias *.shop.test a.shop.test',
        `  ProxyPass /api ${b.B}/api`,
        `  ProxyPass / ${b.B}/`,
        '</VirtualHost>',
        `<VirtualHost *:${P}>`,
        '  ServerName b.shop.test',
        `  ProxyPass / ${b.C}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/x', 'unknown.test'],
      ['P', '/x', 'app.test'],
      ['P', '/api/v', 'APP.test'],
      ['P', '/x', 'a.shop.test'],
      ['P', '/x', 'b.shop.test'],
      ['P', '/x', 'c.shop.test'],
    ],
  },
  {
    name: '`Listen P` with <VirtualHost 127.0.0.1:P> before <VirtualHost *:P>',
    conf: ({ P }, b) =>
      [
        `Listen ${P}`,
        `<VirtualHost *:${P}>`,
        '  ServerName star.test',
        `  ProxyPass / ${b.A}/star/`,
        '</VirtualHost>',
        `<VirtualHost 127.0.0.1:${P}>`,
        `  ProxyPass / ${b.B}/ip/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/x'],
      ['P', '/x', 'star.test'],
    ],
  },
  {
    name: 'a virtual host per Listen port, and a Listen only the main server serves',
    conf: ({ P, Q }, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `Listen 127.0.0.1:${Q}`,
        `ProxyPass /main ${b.C}/main`,
        `<VirtualHost *:${P}>`,
        `  ProxyPass / ${b.A}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/main/x'],
      ['P', '/other'],
      ['Q', '/main/x'],
      ['Q', '/other'],
    ],
  },
  {
    name: 'a Debian-style split: ports.conf’s Listen, then the default site and a proxy site',
    conf: ({ P }, b) =>
      [
        `Listen ${P}`,
        `<VirtualHost *:${P}>`,
        '\tServerAdmin webmaster@localhost',
        '</VirtualHost>',
        `<VirtualHost *:${P}>`,
        '\tServerName app.test',
        '\tProxyPreserveHost On',
        `\tProxyPass /api ${b.B}/api`,
        `\tProxyPass / ${b.A}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/api/items', 'app.test'],
      ['P', '/x', 'app.test:8080'],
      ['P', '/x', 'unknown.test'],
      ['P', '/api/items'],
    ],
  },
  ...(['Off', 'On', 'NoDecode'] as const).map((mode): Case => ({
    name: `AllowEncodedSlashes ${mode}`,
    conf: ({ P }, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        `  AllowEncodedSlashes ${mode}`,
        `  ProxyPass /app ${b.A}/app`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [
      ['P', '/app/a%2Fb'],
      ['P', '/app/a%2fb?q=%2F'],
      ['P', '/app/plain'],
      // With On, httpd decodes before it matches ProxyPass (/app/b); Switchyard routes the
      // decoded path when the raw one matches no route.
      ['P', '/app%2Fb'],
    ],
  })),
];

describe.skipIf(noApache)('an Apache file answers the same in httpd and in Switchyard', () => {
  let backends: Backend[] = [];
  beforeAll(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  async function observe(ports: Ports, [port, path, host]: Request) {
    const before = backends.map((b) => b.seen.length);
    const reply = await send(ports[port], path, { headers: host ? { host } : {} });
    const seen = backends.flatMap((b, i) =>
      b.seen.slice(before[i]).map((s) => `${['a', 'b', 'c'][i]} ${s.url}`),
    );
    return { request: `${port} ${host ?? '-'} ${path}`, status: reply.status, seen };
  }

  for (const c of cases) {
    it(c.name, async () => {
      const [a, b, cc] = backends as [Backend, Backend, Backend];
      const urls = { A: a.url, B: b.url, C: cc.url };
      const theirs: Ports = { P: await deadPort(), Q: await deadPort() };
      const ours: Ports = { P: await deadPort(), Q: await deadPort() };
      const httpdText = c.conf(theirs, urls);
      const usedPorts = (['P', 'Q'] as const).filter(
        (k) => httpdText.includes(`:${theirs[k]}`) || httpdText.includes(`Listen ${theirs[k]}`),
      );
      // Switchyard first: an import that fails leaves no httpd behind.
      const stopOurs = await runSwitchyard(c.conf(ours, urls));
      let stopApache: (() => Promise<void>) | undefined;
      try {
        stopApache = await runApache(
          httpdText,
          usedPorts.map((k) => theirs[k]),
        );
        const got: { apache: unknown; switchyard: unknown }[] = [];
        for (const request of c.requests) {
          got.push({
            apache: await observe(theirs, request),
            switchyard: await observe(ours, request),
          });
        }
        for (const g of got) expect(g.switchyard).toEqual(g.apache);
      } finally {
        await stopOurs();
        await stopApache?.();
      }
    });
  }
});
