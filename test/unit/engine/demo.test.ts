/**
 * The first-launch demo through a real Engine: its configuration is valid and runs, the
 * two echo backends take turns behind the balancer and say what they saw, a browser gets
 * a page, health checks pass, the renderer recognises it, and keeping it as the routing
 * file (saveConfig with a path from the host) writes a file that loads back.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRoutingFile } from '../../../src/engine/config-file.js';
import { DEMO_BALANCER, startDemo, type Demo } from '../../../src/engine/demo.js';
import { EngineApi } from '../../../src/engine/engine-api.js';
import { Engine } from '../../../src/engine/engine.js';
import {
  DEMO_BALANCER as RENDERER_DEMO_BALANCER,
  isDemo,
} from '../../../src/renderer/src/features/routes/demo-mode.js';
import { send } from '../../support/http.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function running(): Promise<{ demo: Demo; engine: Engine; port: number; dataDir: string }> {
  const demo = await startDemo({ port: 0 });
  cleanups.push(() => demo.close());
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-demo-'));
  const engine = new Engine({ dataDir });
  cleanups.push(() => engine.close({ graceMs: 0 }));
  const [listener] = await engine.apply(demo.config);
  if (!listener) throw new Error('the demo has no listener');
  return { demo, engine, port: listener.port, dataDir };
}

describe('startDemo', () => {
  it('returns a configuration with one listener, one route and a balancer of two', async () => {
    const demo = await startDemo({ port: 0 });
    cleanups.push(() => demo.close());
    expect(demo.config.listeners).toEqual([
      { name: 'demo', port: 0, address: '127.0.0.1', tls: false, http2: true },
    ]);
    expect(demo.config.routes.map((r) => r.to)).toEqual([`balancer://${DEMO_BALANCER}/`]);
    expect(demo.config.balancers[0]?.members.map((m) => m.url)).toEqual(demo.backends);
    expect(demo.backends).toHaveLength(2);
    for (const url of demo.backends) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The renderer's detection keys on the same balancer name.
    expect(RENDERER_DEMO_BALANCER).toBe(DEMO_BALANCER);
  });

  it('balances requests between the two echo backends, which echo what they saw', async () => {
    const { port } = await running();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await send(port, `/hello?n=${i}`, { headers: { 'x-try': String(i) } });
      expect(reply.status).toBe(200);
      const echo = JSON.parse(reply.body) as {
        backend: string;
        method: string;
        path: string;
        headers: Record<string, string>;
      };
      expect(echo.method).toBe('GET');
      expect(echo.path).toBe(`/hello?n=${i}`);
      expect(echo.headers['x-try']).toBe(String(i));
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      seen.push(echo.backend);
    }
    expect(new Set(seen)).toEqual(new Set(['echo-1', 'echo-2']));
  });

  it('serves a small page to a browser at /', async () => {
    const { port } = await running();
    const reply = await send(port, '/', { headers: { accept: 'text/html,*/*' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/text\/html/);
    expect(reply.body).toMatch(/Answered by <span class="name">echo-[12]<\/span>/);
  });

  it('passes its own health checks', async () => {
    const demo = await startDemo({ port: 0 });
    cleanups.push(() => demo.close());
    for (const url of demo.backends) {
      const reply = await send(Number(new URL(url).port), '/health');
      expect(JSON.parse(reply.body)).toMatchObject({ ok: true });
    }
    expect(demo.config.balancers[0]?.healthCheck?.path).toBe('/health');
  });

  it('prefers a fixed port so a kept routing file keeps its URL', async () => {
    const demo = await startDemo();
    cleanups.push(() => demo.close());
    // 8080 when it was free, else 0 (any free port): never a port that was seen taken.
    expect([0, 8080]).toContain(demo.config.listeners[0]?.port);
  });

  it('is recognised as the demo by the UI, and kept with saveConfig', async () => {
    const { demo, engine } = await running();
    const demoApi = new EngineApi(engine, { host: 'headless', version: 'test' });
    cleanups.push(async () => demoApi.close());
    const status = await demoApi.getStatus();
    expect(isDemo(status, demo.config)).toBe(true);
    await expect(demoApi.saveConfig()).rejects.toThrow(/no routing file/);

    // What the host does for "Make it my routing file": an API with a path to save to.
    const file = join(await mkdtemp(join(tmpdir(), 'switchyard-demo-file-')), 'switchyard.yaml');
    const api = new EngineApi(engine, { host: 'headless', version: 'test', configPath: file });
    cleanups.push(async () => api.close());
    expect(await api.saveConfig()).toEqual({ path: file });
    const loaded = await loadRoutingFile(file);
    expect(loaded.ok && loaded.config).toEqual(demo.config);
    expect(await readFile(file, 'utf8')).toMatch(/balancer:\/\/demo\//);
  });

  it('stops its backends on close', async () => {
    const demo = await startDemo({ port: 0 });
    await demo.close();
    const port = Number(new URL(demo.backends[0] ?? '').port);
    await expect(send(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
