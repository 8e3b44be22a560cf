/**
 * The ROUTEID recipe of mod_proxy_balancer's documentation → a balancer's stickyCookie,
 * and the cases that are near it but not it.
 */
import { describe, expect, it } from 'vitest';
import { imported, lines, warnings } from '../../../support/apache-import.js';

const balancer = (sticky: string) => [
  '<Proxy balancer://app>',
  '  BalancerMember http://127.0.0.1:9001 route=1',
  '  BalancerMember http://127.0.0.1:9002 route=2',
  `  ProxySet stickysession=${sticky}`,
  '</Proxy>',
  'ProxyPass /app balancer://app/',
];

describe('Apache import: the ROUTEID sticky-session recipe', () => {
  it('makes the balancer set its route cookie, with the recipe’s path', () => {
    const v = imported(
      lines(
        'Listen 8080',
        'Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/app" env=BALANCER_ROUTE_CHANGED',
        ...balancer('ROUTEID'),
      ),
    );
    expect(v.config.balancers[0]).toMatchObject({
      stickySession: 'ROUTEID',
      stickyCookie: { path: '/app' },
    });
    expect(v.config.routes[0]?.headers.response.set).toEqual({});
    expect(warnings(v).filter((w) => w.startsWith('2:'))).toEqual([]);
  });

  it('reads `Header always add` and a path-less cookie as path=/', () => {
    const v = imported(
      lines(
        'Listen 8080',
        ...balancer('ROUTEID'),
        'Header always set Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e" env=BALANCER_ROUTE_CHANGED',
      ),
    );
    expect(v.config.balancers[0]?.stickyCookie).toEqual({ path: '/' });
  });

  it('warns when no balancer reads the cookie, and sets none', () => {
    const v = imported(
      lines(
        'Listen 8080',
        'Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED',
        ...balancer('JSESSIONID'),
      ),
    );
    expect(v.config.balancers[0]?.stickyCookie).toBeUndefined();
    expect(warnings(v)).toContain(
      '2: Header sets the route cookie ROUTEID, but no balancer has stickysession=ROUTEID; ignored',
    );
  });

  it('leaves other conditional Set-Cookie lines to the usual warning', () => {
    const v = imported(
      lines(
        'Listen 8080',
        'Header add Set-Cookie "ROUTEID=%{BALANCER_WORKER_ROUTE}e" env=BALANCER_ROUTE_CHANGED',
        ...balancer('ROUTEID'),
      ),
    );
    expect(v.config.balancers[0]?.stickyCookie).toBeUndefined();
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(/^2: Header add Set-Cookie: the condition/),
    );
  });
});
