/**
 * Differential tests of shapes real Apache vhosts have that the import used to drop (issue
 * "Real Apache configurations run unchanged"): the ROUTEID sticky recipe from
 * mod_proxy_balancer's documentation, `<Proxy URL-prefix>` access sections, and a `"` left
 * unclosed. One file, run by the real httpd and by Switchyard; the same requests must
 * reach the same backend and carry the same cookies back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { noApache, runApache, runSwitchyard } from '../support/httpd.js';

interface Request {
  path: string;
  cookie?: string;
}

interface Case {
  name: string;
  /** The Apache file for port P; backends a and b at A and B. */
  conf: (P: number, b: Record<'A' | 'B', string>) => string;
  modules?: string[];
  requests: Request[];
  /** Observations that must be among httpd's, so a case cannot pass by both doing nothing. */
  expect?: unknown[];
}

const cases: Case[] = [
  {
    name: 'the ROUTEID recipe: httpd and Switchyard set the route cookie, then stick to it',
    conf: (P, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '  Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED',
        '  <Proxy "balancer://mycluster">',
        `    BalancerMember "${b.A}" route=1`,
        `    BalancerMember "${b.B}" route=2`,
        '    ProxySet stickysession=ROUTEID',
        '  </Proxy>',
        '  ProxyPass "/test" "balancer://mycluster"',
        '  ProxyPassReverse "/test" "balancer://mycluster"',
        '</VirtualHost>',
      ].join('\n'),
    // One request only is left to the balancing method: httpd keeps its round-robin state
    // per child process, so a second pick depends on which process took the connection.
    requests: [
      { path: '/test/first', cookie: 'other=x; ROUTEID=.9' },
      { path: '/test/a', cookie: 'ROUTEID=.2' },
      { path: '/test/b', cookie: 'ROUTEID=.2' },
      { path: '/test/c', cookie: 'ROUTEID=.1' },
    ],
    expect: [
      expect.objectContaining({ seen: ['b /a'], setCookie: [] }),
      expect.objectContaining({ seen: ['a /c'], setCookie: [] }),
      expect.objectContaining({ setCookie: [expect.stringMatching(/^ROUTEID=\.[12]; path=\/$/)] }),
    ],
  },
  {
    name: 'a quote left open: httpd reads to the end of the line, and so does the import',
    conf: (P, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '  RequestHeader set X-Note "left open here',
        `  ProxyPass / "${b.A}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [{ path: '/page' }],
    expect: [expect.objectContaining({ seen: ['a /page x-note=left open here'] })],
  },
  {
    name: '<Proxy *> denies everyone, a narrower <Proxy URL/*> lets its backend through (2.2 forms)',
    modules: ['access_compat'],
    conf: (P, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '  <Proxy *>',
        '    Order deny,allow',
        '    Deny from all',
        '  </Proxy>',
        `  <Proxy ${b.A}/*>`,
        '    Allow from all',
        '  </Proxy>',
        `  ProxyPass /open ${b.A}/open`,
        `  ProxyPass /closed ${b.B}/closed`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [{ path: '/open/page' }, { path: '/closed/page' }],
    expect: [
      expect.objectContaining({ status: 200, seen: ['a /open/page'] }),
      expect.objectContaining({ status: 403, seen: [] }),
    ],
  },
  {
    name: '<Proxy *> grants this machine, a narrower <Proxy URL*> denies its backend (2.4 Require)',
    conf: (P, b) =>
      [
        `Listen 127.0.0.1:${P}`,
        `<VirtualHost *:${P}>`,
        '  <Proxy *>',
        '    Require local',
        '  </Proxy>',
        `  <Proxy ${b.B}/admin*>`,
        '    Require all denied',
        '  </Proxy>',
        `  ProxyPass /admin ${b.B}/admin`,
        `  ProxyPass / ${b.A}/`,
        '</VirtualHost>',
      ].join('\n'),
    requests: [{ path: '/admin/users' }, { path: '/home' }],
    expect: [
      expect.objectContaining({ status: 403, seen: [] }),
      expect.objectContaining({ status: 200, seen: ['a /home'] }),
    ],
  },
];

describe.skipIf(noApache)(
  'real-world Apache shapes answer the same in httpd and Switchyard',
  () => {
    let backends: Backend[] = [];
    beforeAll(async () => {
      backends = await Promise.all(['a', 'b'].map((n) => startBackend(n)));
    });
    afterAll(async () => {
      await Promise.all(backends.map((b) => b.close()));
    });

    async function observe(port: number, { path, cookie }: Request) {
      const before = backends.map((b) => b.seen.length);
      const reply = await send(port, path, { headers: cookie ? { cookie } : {} });
      const seen = backends.flatMap((b, i) =>
        b.seen.slice(before[i]).map((s) => {
          const note = s.headers['x-note'];
          return `${['a', 'b'][i]} ${s.url}${note === undefined ? '' : ` x-note=${String(note)}`}`;
        }),
      );
      return {
        request: `${path} ${cookie ?? '-'}`,
        status: reply.status,
        seen,
        setCookie: reply.headers['set-cookie'] ?? [],
      };
    }

    for (const c of cases) {
      it(c.name, async () => {
        const [a, b] = backends as [Backend, Backend];
        const urls = { A: a.url, B: b.url };
        const theirs = await deadPort();
        const ours = await deadPort();
        const stopOurs = await runSwitchyard(c.conf(ours, urls));
        let stopApache: (() => Promise<void>) | undefined;
        try {
          stopApache = await runApache(c.conf(theirs, urls), [theirs], c.modules);
          for (const request of c.requests) {
            const apache = await observe(theirs, request);
            const switchyard = await observe(ours, request);
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
