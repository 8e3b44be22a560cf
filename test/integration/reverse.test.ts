import type { OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { send, type Reply } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const PUBLIC_HOST = 'app.localhost:8080';

describe('ProxyPassReverse (SPEC §1 reverse)', () => {
  let backend: Backend;
  let proxy: RunningProxy;
  let origin: string;
  /** The headers the backend answers the next request with. */
  let answer: OutgoingHttpHeaders = {};

  beforeAll(async () => {
    backend = await startBackend('app');
    origin = backend.url;
    backend.handle((_req, res) => {
      res.writeHead(302, answer);
      res.end();
    });
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'same', match: { path: '/app' }, to: `${origin}/app` },
        { name: 'moved', match: { path: '/public' }, to: `${origin}/internal/` },
        { name: 'root', match: { path: '/mounted' }, to: `${origin}/` },
        { name: 'raw', match: { path: '/raw' }, to: `${origin}/internal/`, reverse: false },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  async function through(path: string, headers: OutgoingHttpHeaders): Promise<Reply> {
    answer = headers;
    const reply = await send(proxy.port(), path, { headers: { host: PUBLIC_HOST } });
    expect(reply.status).toBe(302);
    return reply;
  }

  describe('target path the same as the route prefix (/app → backend /app)', () => {
    it('rewrites absolute Location, Content-Location and URI to the public origin', async () => {
      const r = await through('/app/x', {
        Location: `${origin}/app/next?x=1#top`,
        'Content-Location': `${origin}/app/doc.json`,
        URI: `${origin}/app`,
      });
      expect(r.headers.location).toBe(`http://${PUBLIC_HOST}/app/next?x=1#top`);
      expect(r.headers['content-location']).toBe(`http://${PUBLIC_HOST}/app/doc.json`);
      expect(r.headers.uri).toBe(`http://${PUBLIC_HOST}/app`);
    });

    it('matches the backend origin case-insensitively', async () => {
      const r = await through('/app/x', { Location: `${origin.toUpperCase()}/app/y` });
      expect(r.headers.location).toBe(`http://${PUBLIC_HOST}/app/y`);
    });

    it('leaves relative paths, other origins and paths outside the target alone', async () => {
      for (const location of [
        '/app/next',
        'next',
        'https://example.test/app/next',
        `${origin}/elsewhere`,
        `${origin}/application`,
        `${origin}0/app/next`,
        `//127.0.0.1:${backend.port}/app/next`,
      ]) {
        const r = await through('/app/x', { Location: location });
        expect(r.headers.location, location).toBe(location);
      }
    });

    it('keeps Set-Cookie Path and rewrites a Domain naming the backend host', async () => {
      const r = await through('/app/x', {
        'Set-Cookie': [
          'sid=1; Path=/app; Domain=127.0.0.1; HttpOnly',
          'pref=2; Path=/app/settings; domain=.127.0.0.1',
          'other=3; Path=/; Domain=example.test',
          'dir=4; Path=/app/',
        ],
      });
      expect(r.headers['set-cookie']).toEqual([
        'sid=1; Path=/app; Domain=app.localhost; HttpOnly',
        'pref=2; Path=/app/settings; domain=app.localhost',
        'other=3; Path=/; Domain=example.test',
        'dir=4; Path=/app/',
      ]);
    });
  });

  describe('target path different from the route prefix (/public → backend /internal/)', () => {
    it('maps absolute URLs back under the public prefix', async () => {
      const r = await through('/public/x', {
        Location: `${origin}/internal/next?back=/internal/x`,
        'Content-Location': `${origin}/internal/`,
        URI: `${origin}/internal`,
      });
      expect(r.headers.location).toBe(`http://${PUBLIC_HOST}/public/next?back=/internal/x`);
      expect(r.headers['content-location']).toBe(`http://${PUBLIC_HOST}/public/`);
      expect(r.headers.uri).toBe(`http://${PUBLIC_HOST}/public`);
    });

    it('maps absolute paths under the target path back under the prefix', async () => {
      const r = await through('/public/x', {
        Location: '/internal/login?next=%2Finternal%2Fhome',
        'Content-Location': '/internal/a//b',
        URI: '/internalx/y',
      });
      expect(r.headers.location).toBe('/public/login?next=%2Finternal%2Fhome');
      expect(r.headers['content-location']).toBe('/public/a//b');
      expect(r.headers.uri).toBe('/internalx/y');
    });

    it('rewrites Set-Cookie Path under the target path and leaves others', async () => {
      const r = await through('/public/x', {
        'Set-Cookie': [
          'a=1; Path=/internal; Domain=127.0.0.1',
          'b=2; path=/internal/deep; Secure',
          'c=3; Path=/',
          'd=4; Path=/internalx',
          'e=5',
          'f=6; Path=/internal/',
        ],
      });
      expect(r.headers['set-cookie']).toEqual([
        'a=1; Path=/public; Domain=app.localhost',
        'b=2; path=/public/deep; Secure',
        'c=3; Path=/',
        'd=4; Path=/internalx',
        'e=5',
        'f=6; Path=/public',
      ]);
    });
  });

  describe('target at the backend root (/mounted → backend /)', () => {
    it('puts every backend URL and cookie path under the prefix', async () => {
      const r = await through('/mounted/x', {
        Location: `${origin}/login`,
        'Content-Location': `${origin}`,
        'Set-Cookie': ['s=1; Path=/', 't=2; Path=/cart'],
      });
      expect(r.headers.location).toBe(`http://${PUBLIC_HOST}/mounted/login`);
      expect(r.headers['content-location']).toBe(`http://${PUBLIC_HOST}/mounted/`);
      expect(r.headers['set-cookie']).toEqual(['s=1; Path=/mounted', 't=2; Path=/mounted/cart']);
    });
  });

  it('reverse: false passes every header through unchanged', async () => {
    const headers = {
      Location: `${origin}/internal/next`,
      'Content-Location': '/internal/doc',
      URI: `${origin}/internal`,
      'Set-Cookie': ['a=1; Path=/internal; Domain=127.0.0.1'],
    };
    const r = await through('/raw/x', headers);
    expect(r.headers.location).toBe(headers.Location);
    expect(r.headers['content-location']).toBe(headers['Content-Location']);
    expect(r.headers.uri).toBe(headers.URI);
    expect(r.headers['set-cookie']).toEqual(headers['Set-Cookie']);
  });

  it("uses the client's Host header as the public origin", async () => {
    answer = { Location: `${origin}/app/next` };
    const r = await send(proxy.port(), '/app/x');
    expect(r.headers.location).toBe(`http://127.0.0.1:${proxy.port()}/app/next`);
  });
});
