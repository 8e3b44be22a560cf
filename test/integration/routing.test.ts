import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { echoOf, send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const NAMES = ['exact', 'wild', 'app', 'api', 'first', 'second', 'admin', 'inner'] as const;
type Name = (typeof NAMES)[number];

describe('routing (SPEC §1 routes, §2 path mapping)', () => {
  const b = {} as Record<Name, Backend>;
  let proxy: RunningProxy;

  beforeAll(async () => {
    for (const n of NAMES) b[n] = await startBackend(n);
    proxy = await startProxy({
      listeners: [
        { name: 'web', port: 0 },
        { name: 'inner', port: 0 },
      ],
      routes: [
        { name: 'inner-only', match: { path: '/', listeners: ['inner'] }, to: b.inner.url },
        { name: 'exact-host', match: { host: 'app.localhost' }, to: b.exact.url },
        { name: 'wildcard', match: { host: '*.shop.test', path: '/' }, to: b.wild.url },
        { name: 'app', match: { path: '/app' }, to: `${b.app.url}/app` },
        { name: 'api', match: { path: '/api' }, to: `${b.api.url}/v1/` },
        { name: 'first', match: { path: '/dup' }, to: b.first.url },
        { name: 'first-again', match: { path: '/dup/more' }, to: b.second.url },
        { name: 'second', match: { path: '/dup' }, to: b.second.url },
        { name: 'admin', match: { path: '/admin' }, to: `${b.admin.url}/admin` },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    for (const n of NAMES) await b[n].close();
  });
  beforeEach(() => {
    for (const n of NAMES) b[n].seen.length = 0;
  });

  const on = (path: string, host?: string, listener = 'web') =>
    send(proxy.port(listener), path, host === undefined ? {} : { headers: { host } });

  /** Which backend answered, or the status when the proxy answered itself. */
  const who = async (path: string, host?: string, listener?: string) => {
    const r = await on(path, host, listener);
    return r.status === 200 ? echoOf(r).backend : r.status;
  };

  describe('host', () => {
    it('matches an exact host, ignoring case, port and a trailing dot', async () => {
      expect(await who('/x', 'app.localhost')).toBe('exact');
      expect(await who('/x', 'APP.LocalHost:8080')).toBe('exact');
      expect(await who('/x', 'app.localhost.')).toBe('exact');
    });

    it('does not treat an exact host as a suffix or prefix', async () => {
      expect(await who('/x', 'x.app.localhost')).toBe(404);
      expect(await who('/x', 'app.localhost.evil')).toBe(404);
      expect(b.exact.seen).toHaveLength(0);
    });

    it('matches *.shop.test for any depth of subdomain', async () => {
      expect(await who('/', 'a.shop.test')).toBe('wild');
      expect(await who('/cart', 'deep.er.shop.test:9000')).toBe('wild');
    });

    it('does not match the bare domain or a look-alike with *.shop.test', async () => {
      expect(await who('/', 'shop.test')).toBe(404);
      expect(await who('/', 'evilshop.test')).toBe(404);
      expect(await who('/', 'shop.test.evil')).toBe(404);
      expect(b.wild.seen).toHaveLength(0);
    });
  });

  describe('path prefix on segment boundaries', () => {
    it('/app matches /app, /app/ and /app/x and maps them as ProxyPass', async () => {
      for (const path of ['/app', '/app/', '/app/x/y.html']) {
        const r = await on(path);
        expect(r.status).toBe(200);
        expect(echoOf(r)).toMatchObject({ backend: 'app', url: path });
      }
    });

    it('/app does not match /application, /app.html or /ap', async () => {
      for (const path of ['/application', '/app.html', '/apps/x', '/ap']) {
        expect(await who(path)).toBe(404);
      }
      expect(b.app.seen).toHaveLength(0);
    });

    it('maps a prefix onto a different target path', async () => {
      expect(echoOf(await on('/api')).url).toBe('/v1/');
      expect(echoOf(await on('/api/users/7')).url).toBe('/v1/users/7');
      expect(await who('/apiv2')).toBe(404);
    });
  });

  describe('listeners filter', () => {
    it('a route restricted to one listener only serves that listener', async () => {
      expect(await who('/app/x', undefined, 'inner')).toBe('inner');
      expect(await who('/nothing-here', undefined, 'inner')).toBe('inner');
      expect(await who('/app/x', undefined, 'web')).toBe('app');
      expect(await who('/nothing-here', undefined, 'web')).toBe(404);
      expect(b.inner.seen.map((s) => s.url)).toEqual(['/app/x', '/nothing-here']);
    });
  });

  describe('order', () => {
    it('the first matching route wins, even over a later, more specific one', async () => {
      expect(await who('/dup')).toBe('first');
      expect(await who('/dup/more/x')).toBe('first');
      expect(b.second.seen).toHaveLength(0);
      expect(b.first.seen).toHaveLength(2);
    });

    it('host routes listed first win over path routes', async () => {
      expect(await who('/app/x', 'app.localhost')).toBe('exact');
      expect(b.app.seen).toHaveLength(0);
    });
  });

  describe('dot segments are normalised before matching', () => {
    it('/app/../admin is routed as /admin, never to the /app backend', async () => {
      const r = await on('/app/../admin/panel');
      expect(echoOf(r)).toMatchObject({ backend: 'admin', url: '/admin/panel' });
      expect(b.app.seen).toHaveLength(0);
    });

    it('percent-encoded dots (%2e%2e, .%2E, %2E.) count as dot segments', async () => {
      for (const dots of ['%2e%2e', '%2E%2E', '.%2e', '%2E.']) {
        const r = await on(`/app/${dots}/admin`);
        expect(echoOf(r)).toMatchObject({ backend: 'admin', url: '/admin' });
      }
      expect(b.app.seen).toHaveLength(0);
    });

    it('a path that climbs out of every route is 404 and reaches no backend', async () => {
      expect(await who('/app/../secret')).toBe(404);
      expect(await who('/app/%2e%2e/%2e%2e/%2e%2e/etc/passwd')).toBe(404);
      expect(await who('/app/x/../../secret')).toBe(404);
      for (const n of NAMES) expect(b[n].seen).toHaveLength(0);
    });

    it('dot segments inside a route resolve within it; the backend never sees them', async () => {
      expect(echoOf(await on('/app/./x/../y')).url).toBe('/app/y');
      expect(echoOf(await on('/app/x/%2e')).url).toBe('/app/x/');
      expect(echoOf(await on('/api/a/../b')).url).toBe('/v1/b');
    });

    it('dots that are not whole segments are ordinary characters', async () => {
      expect(echoOf(await on('/app/..x/a...b/.hidden')).url).toBe('/app/..x/a...b/.hidden');
    });
  });

  describe('passed through unchanged', () => {
    it('keeps // in the path', async () => {
      expect(echoOf(await on('/app//x///y')).url).toBe('/app//x///y');
    });

    it('keeps percent-encodings as sent (encoded slashes: hardening-paths.test.ts)', async () => {
      expect(echoOf(await on('/app/a%3Bb/%41%20c%25')).url).toBe('/app/a%3Bb/%41%20c%25');
      expect(echoOf(await on('/api/a%20..%7eb')).url).toBe('/v1/a%20..%7eb');
    });

    it('%2F does not count as a segment boundary for matching', async () => {
      expect(await who('/app%2Fx')).toBe(404);
      expect(await who('/admin%2F..%2Fapp')).toBe(404);
    });

    it('keeps the query string byte for byte, dots and all', async () => {
      const query = '?a=1&b=%2F&c=../x&d&e=%2e%2e&a=2';
      expect(echoOf(await on(`/app/page${query}`)).url).toBe(`/app/page${query}`);
      expect(echoOf(await on(`/api?q=1`)).url).toBe('/v1/?q=1');
      expect(echoOf(await on(`/app/../admin?to=/app`)).url).toBe('/admin?to=/app');
    });
  });
});
