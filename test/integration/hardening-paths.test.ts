/**
 * Paths and hosts that mean one thing to Switchyard and another to a backend (issue 11.6,
 * 11.7): encoded slashes (Apache's AllowEncodedSlashes), raw backslashes, `..;` segments,
 * and Host values that are not a host. Each is checked against a backend that records
 * what reached it, so "refused" also means "no backend saw it".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { echoOf, send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawRequest, statuses } from '../support/raw.js';

describe('paths a backend could read differently (issue 11.6)', () => {
  let app: Backend;
  let raw: Backend;
  let decoded: Backend;
  let secret: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    [app, raw, decoded, secret] = await Promise.all([
      startBackend('app'),
      startBackend('raw'),
      startBackend('decoded'),
      startBackend('secret'),
    ]);
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'app', match: { path: '/app' }, to: `${app.url}/app` },
        {
          name: 'raw',
          match: { path: '/raw' },
          to: `${raw.url}/raw`,
          encodedSlashes: 'passthrough',
        },
        {
          name: 'decoded',
          match: { path: '/decoded' },
          to: `${decoded.url}/decoded`,
          encodedSlashes: 'decode',
        },
        { name: 'secret', match: { path: '/secret' }, to: `${secret.url}/secret` },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([app, raw, decoded, secret].map((b) => b.close()));
  });
  beforeEach(() => {
    for (const b of [app, raw, decoded, secret]) b.seen.length = 0;
  });

  const nobodySaw = (): void => {
    for (const b of [app, raw, decoded, secret]) expect(b.seen).toEqual([]);
  };

  for (const path of [
    '/app/..%2fsecret',
    '/app/%2e%2e%2fsecret',
    '/app/x/..%2f..%2fsecret',
    '/app/a%2Fb',
    '/app/..%5csecret',
  ]) {
    it(`answers 404 to ${path} by default (AllowEncodedSlashes Off)`, async () => {
      const r = await send(proxy.port(), path, { headers: { accept: 'application/json' } });
      expect(r.status).toBe(404);
      expect(r.headers['x-switchyard-error']).toBeDefined();
      expect(r.body).toContain('encodedSlashes');
      nobodySaw();
    });
  }

  it('encodedSlashes: passthrough forwards the path unchanged (NoDecode)', async () => {
    expect(echoOf(await send(proxy.port(), '/raw/a%2Fb/%2e%2e%2fc')).url).toBe(
      '/raw/a%2Fb/%2e%2e%2fc',
    );
  });

  it('encodedSlashes: decode decodes, then normalises and routes again (On)', async () => {
    expect(echoOf(await send(proxy.port(), '/decoded/a%2Fb')).url).toBe('/decoded/a/b');
    decoded.seen.length = 0;
    // Decoded, `..` steps out of /decoded: the request belongs to the route of /secret.
    const out = await send(proxy.port(), '/decoded/..%2fsecret/x');
    expect(out.status).toBe(200);
    expect(echoOf(out)).toMatchObject({ backend: 'secret', url: '/secret/x' });
    expect(decoded.seen).toEqual([]);
    // No route matches the raw path; the decoded one is /decoded's, which decodes.
    expect(echoOf(await send(proxy.port(), '/decoded%2Fz')).url).toBe('/decoded/z');
    // …while /app%2Fz decodes into route app, which does not allow encoded slashes.
    expect((await send(proxy.port(), '/app%2Fz')).status).toBe(404);
  });

  it('refuses a raw backslash in the path with 400; one in the query passes', async () => {
    const reply = await rawRequest(
      proxy.port(),
      'GET /app/..\\secret HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(statuses(reply)).toEqual([400]);
    expect(reply).toContain('backslash');
    nobodySaw();
    const query = await send(proxy.port(), '/app/search?q=a\\b');
    expect(query.status).toBe(200);
    expect(echoOf(query).url).toBe('/app/search?q=a\\b');
  });

  for (const path of ['/app/..;/secret', '/app/.;x/y', '/app/%2e%2e;jsessionid=1/secret']) {
    it(`refuses the servlet path-parameter trick ${path} with 400`, async () => {
      const r = await send(proxy.port(), path);
      expect(r.status).toBe(400);
      nobodySaw();
    });
  }

  it('refuses an encoded NUL in the path with 400', async () => {
    expect((await send(proxy.port(), '/app/file%00.png')).status).toBe(400);
    nobodySaw();
  });

  it('a segment that merely contains ..; text is ordinary', async () => {
    expect(echoOf(await send(proxy.port(), '/app/a..;b')).url).toBe('/app/a..;b');
  });

  describe('Host values (issue 11.7)', () => {
    for (const host of ['127.0.0.1/../x', '127.0.0.1:abc', 'a b', 'x:70000', 'host@evil']) {
      it(`refuses Host '${host}' with 400 and forwards nothing`, async () => {
        const reply = await rawRequest(
          proxy.port(),
          `GET /app/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        expect(statuses(reply)).toEqual([400]);
        expect(reply).toContain('Host header');
        nobodySaw();
      });
    }

    for (const host of [
      'app.localhost',
      'app.localhost:8080',
      '[::1]:9',
      '127.0.0.1',
      'a_b.test:',
    ]) {
      it(`accepts Host '${host}' and forwards it as X-Forwarded-Host`, async () => {
        const r = await send(proxy.port(), '/app/x', { headers: { host } });
        expect(r.status).toBe(200);
        expect(echoOf(r).headers['x-forwarded-host']).toBe(host);
      });
    }
  });
});
