import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

describe('proxying a route to one backend', () => {
  let backend: Backend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startBackend('app');
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'app', match: { path: '/app' }, to: `${backend.url}/app` }],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it('maps the path as ProxyPass does and keeps the query', async () => {
    const res = await fetch(`${proxy.url()}/app/page.html?x=1&y=2`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/app/page.html?x=1&y=2');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-proto']).toBe('http');
    expect(body.headers.host).toBe(`127.0.0.1:${backend.port}`);
    expect(body.headers.via).toMatch(/^1\.1 switchyard-[0-9a-f]{6}$/);
  });

  it('answers 404 naming what did not match', async () => {
    const res = await fetch(`${proxy.url()}/application`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { detail: string } };
    expect(body.error.detail).toContain("path '/application'");
  });
});
