/**
 * mod_alias redirects and ProxyPass exclusions in the Apache import: the routes they become,
 * where they are placed among the ProxyPass routes, and the warnings at their lines.
 * (apache-rewrite.test.ts checks the same shapes against real httpd.)
 */
import { describe, expect, it } from 'vitest';
import { imported, lines, warnings } from '../../../support/apache-import.js';

const vhost = (...body: string[]) =>
  lines('Listen 127.0.0.1:8080', '<VirtualHost 127.0.0.1:8080>', ...body, '</VirtualHost>');

describe('Redirect, RedirectPermanent, RedirectTemp, RedirectMatch', () => {
  it('maps statuses and keeps the client’s query unless the URL has its own', () => {
    const { config } = imported(
      vhost(
        'Redirect /a http://x.test/a',
        'Redirect permanent /b http://x.test/b',
        'RedirectPermanent /c http://x.test/c',
        'RedirectTemp /d http://x.test/d',
        'Redirect seeother /e http://x.test/e',
        'Redirect 307 /f http://x.test/f?g=1',
        'RedirectMatch 308 ^/h/(.*)$ /new/$1',
      ),
    );
    expect(config.routes.map((r) => [r.match.path, r.redirect?.status, r.query ?? 'keep'])).toEqual(
      [
        ['/a', 302, 'keep'],
        ['/b', 301, 'keep'],
        ['/c', 301, 'keep'],
        ['/d', 302, 'keep'],
        ['/e', 303, 'keep'],
        ['/f', 307, 'drop'],
        ['/h', 308, 'keep'],
      ],
    );
    expect(config.routes[6]?.match.pathRegex).toBe('^/h/(.*)$');
  });

  it('writes a URL ending in / after a path without one as a pattern, keeping Apache’s //', () => {
    const { config } = imported(vhost('Redirect 301 /perm /p2/'));
    expect(config.routes[0]).toMatchObject({
      match: { path: '/perm', pathRegex: '^/perm(/.*)?$' },
      redirect: { to: '/p2/$1', status: 301 },
    });
  });

  it('answers gone and other statuses outside 3xx itself', () => {
    const { config } = imported(vhost('Redirect gone /old', 'Redirect 403 /secret'));
    expect(config.routes.map((r) => r.respond?.status)).toEqual([410, 403]);
  });

  it('places redirects after every ProxyPass, and says which ProxyPass hides one', () => {
    const v = imported(vhost('Redirect /old http://x.test/', 'ProxyPass / http://127.0.0.1:1/'));
    expect(v.config.routes.map((r) => (r.redirect ? 'redirect' : r.to))).toEqual([
      'http://127.0.0.1:1/',
      'redirect',
    ]);
    expect(warnings(v)).toContainEqual(
      expect.stringMatching(
        /^3: Redirect \/old http:\/\/x.test\/ is never used: ProxyPass \/ \(line 4\)/,
      ),
    );
  });

  it('reports lines httpd refuses or a route cannot say', () => {
    const v = imported(
      vhost(
        'Redirect 301 /a',
        'Redirect 410 /b http://x.test/',
        'Redirect 300 /c http://x.test/',
        'Redirect /d relative/path',
        'RedirectMatch ^/(?!api) /x',
        '<Location /e>',
        'Redirect http://x.test/',
        '</Location>',
      ),
    );
    expect(v.config.routes).toHaveLength(0);
    expect(warnings(v)).toEqual([
      '3: Redirect: status 301 needs a URL; ignored',
      '4: Redirect: status 410 takes no URL (Apache refuses it); ignored',
      '5: Redirect: status 300: redirects here are 301, 302, 303, 307 or 308; ignored',
      "6: Redirect: 'relative/path' is not an http(s) URL or a path starting with /; ignored",
      expect.stringMatching(/^7: RedirectMatch: '\^\/\(\?!api\)' is not a regular expression/),
      expect.stringMatching(/^9: Redirect inside <Location \/e>: redirects are imported from/),
    ]);
  });
});

describe('ProxyPass exclusions and the balancer-manager page', () => {
  it('answers an excluded path with 404, before the ProxyPass it excludes from', () => {
    const { config } = imported(
      vhost(
        'ProxyPass /static !',
        '<Location /assets>',
        'ProxyPass !',
        '</Location>',
        'ProxyPass / http://127.0.0.1:1/',
      ),
    );
    expect(config.routes.map((r) => [r.match.path, r.respond?.status ?? r.to])).toEqual([
      ['/assets', 404],
      ['/static', 404],
      ['/', 'http://127.0.0.1:1/'],
    ]);
  });

  it('serves the balancers page where an exclusion leaves balancer-manager to its handler', () => {
    const { config } = imported(
      vhost(
        'ProxyPass /balancer-manager !',
        'ProxyPass / http://127.0.0.1:1/',
        '<Location /balancer-manager>',
        'SetHandler balancer-manager',
        '</Location>',
      ),
    );
    expect(config.routes[0]).toMatchObject({
      match: { path: '/balancer-manager' },
      respond: { page: 'balancers' },
    });
  });

  it('puts redirects inside an excluded path before its 404, limited to that path', () => {
    const { config } = imported(
      vhost(
        'ProxyPass /static !',
        'ProxyPass / http://127.0.0.1:1/',
        'Redirect /static/old http://cdn.test/old',
        'Redirect / http://elsewhere.test/',
      ),
    );
    expect(
      config.routes
        .slice(0, 3)
        .map((r) => [r.match.path, r.match.pathRegex, r.redirect?.to ?? r.respond?.status]),
    ).toEqual([
      ['/static/old', undefined, 'http://cdn.test/old'],
      ['/static', '^/(.*)$', 'http://elsewhere.test/$1'],
      ['/static', undefined, 404],
    ]);
  });

  it('turns ProxyPassMatch … ! into a 404 for the pattern', () => {
    const { config } = imported(
      vhost('ProxyPassMatch ^/private/ !', 'ProxyPass / http://127.0.0.1:1/'),
    );
    expect(config.routes[0]).toMatchObject({
      match: { path: '/private', pathRegex: '^/private/' },
      respond: { status: 404 },
    });
  });
});
