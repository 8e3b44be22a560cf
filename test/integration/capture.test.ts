/**
 * The traffic log recording real exchanges: what is kept (route, member, why, timings,
 * headers, bodies up to the cap, WebSocket frames), how outcomes are told apart, the ring
 * bounds, pausing, and exports of recorded exchanges (HAR validated, cURL executed).
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureLimits } from '../../src/engine/capture/recorder.js';
import { toCurl } from '../../src/engine/capture/curl.js';
import { toHar } from '../../src/engine/capture/har.js';
import { Engine } from '../../src/engine/engine.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import type { ExchangeSummary } from '../../src/shared/exchange.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { harSchema } from '../support/har-schema.js';
import { parseConfig } from '../support/proxy.js';
import { nextMessage, openWs, startWsBackend } from '../support/ws.js';

const run = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function backend(name = 'app'): Promise<Backend> {
  const b = await startBackend(name);
  cleanups.push(() => b.close());
  return b;
}

async function engine(
  config: Omit<RoutingConfigInput, 'version'>,
  capture: Partial<CaptureLimits> = {},
) {
  const e = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-capture-')), capture });
  cleanups.push(() => e.close({ graceMs: 100 }));
  await e.apply(parseConfig(config));
  const ended: ExchangeSummary[] = [];
  e.events.on('exchange', (s) => ended.push(s));
  return { engine: e, url: e.listeners()[0]!.url, ended };
}

const oneRoute = (to: string) => ({
  listeners: [{ name: 'web', port: 0 }],
  routes: [{ name: 'app', match: { path: '/' }, to }],
});

describe('exchange recorder', () => {
  it('records route, member, status, timings, headers and bodies up to the cap', async () => {
    const b = await backend();
    b.handle((_req, res) => {
      res.writeHead(201, { 'content-type': 'text/plain', 'x-extra': 'yes' });
      res.end('r'.repeat(3000));
    });
    const { engine: e, url, ended } = await engine(oneRoute(b.url), { bodyCapBytes: 1024 });
    const res = await fetch(`${url}/orders?x=1`, {
      method: 'POST',
      body: 'q'.repeat(2000),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(201);
    await res.text();
    await expect.poll(() => ended.length).toBe(1);
    const summary = ended[0]!;
    expect(summary).toMatchObject({
      method: 'POST',
      url: '/orders?x=1',
      listener: 'web',
      client: '127.0.0.1',
      route: 'app',
      member: b.url,
      status: 201,
      outcome: 'completed',
      attempts: 1,
      requestBytes: 2000,
      responseBytes: 3000,
    });
    const { upstreamConnected, firstByte, done } = summary.timings;
    expect(upstreamConnected).toBeGreaterThanOrEqual(0);
    expect(firstByte).toBeGreaterThanOrEqual(upstreamConnected!);
    expect(done).toBeGreaterThanOrEqual(firstByte!);
    const rec = e.recorder.get(summary.id)!;
    const detail = rec.detail();
    expect(detail.requestHeaders).toContainEqual(['content-type', 'text/plain']);
    expect(detail.responseHeaders).toContainEqual(['x-extra', 'yes']);
    expect(detail.requestBody).toEqual({
      size: 2000,
      captured: 1024,
      truncated: true,
      contentType: 'text/plain',
    });
    expect(detail.responseBody).toMatchObject({ size: 3000, captured: 1024, truncated: true });
    expect(rec.body('response').toString()).toBe('r'.repeat(1024));
  });

  it('tells completed, errored and aborted exchanges apart', async () => {
    const b = await backend();
    b.handle((req, res) => {
      if (req.url === '/slow') {
        // Trickles until the client gives up; writing to a gone client is how a proxy
        // that honours half-closed connections learns it left.
        res.writeHead(200);
        const timer = setInterval(() => res.write('partial'), 20);
        res.on('close', () => clearInterval(timer));
        setTimeout(() => res.destroy(), 5_000).unref();
        return;
      }
      res.end('ok');
    });
    const dead = await deadPort();
    const { url, ended } = await engine({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'dead', match: { path: '/dead' }, to: `http://127.0.0.1:${dead}` },
        { name: 'app', match: { path: '/' }, to: b.url },
      ],
    });
    expect((await fetch(`${url}/ok`)).status).toBe(200);
    expect((await fetch(`${url}/dead`)).status).toBe(502);
    await new Promise<void>((resolve) => {
      const req = http.get(`${url}/slow`, (res) => res.once('data', () => req.destroy()));
      req.on('close', resolve);
      req.on('error', () => resolve());
    });
    await expect.poll(() => ended.length).toBe(3);
    const byUrl = Object.fromEntries(ended.map((s) => [s.url, s]));
    expect(byUrl['/ok']).toMatchObject({ outcome: 'completed', status: 200 });
    expect(byUrl['/dead']).toMatchObject({ outcome: 'errored', status: 502, route: 'dead' });
    expect(byUrl['/dead']?.error).toContain('Backend refused the connection');
    expect(byUrl['/slow']).toMatchObject({ outcome: 'aborted', status: 200 });
  });

  it('evicts the oldest exchanges by count and by bytes', async () => {
    const b = await backend();
    const byCount = await engine(oneRoute(b.url), { maxEntries: 3 });
    for (let i = 0; i < 5; i++) await (await fetch(`${byCount.url}/n${i}`)).text();
    expect(byCount.engine.recorder.list().map((s) => s.url)).toEqual(['/n2', '/n3', '/n4']);

    b.handle((_req, res) => res.end('x'.repeat(10_000)));
    const byBytes = await engine(oneRoute(b.url), { maxBytes: 25_000 });
    for (let i = 0; i < 5; i++) await (await fetch(`${byBytes.url}/b${i}`)).text();
    const kept = byBytes.engine.recorder.list().map((s) => s.url);
    expect(kept).toEqual(['/b3', '/b4']);
    expect(byBytes.engine.recorder.stats().bytes).toBeLessThanOrEqual(25_000);
  });

  it('records nothing while paused', async () => {
    const b = await backend();
    const { engine: e, url } = await engine(oneRoute(b.url));
    e.recorder.setPaused(true);
    await (await fetch(`${url}/quiet`)).text();
    e.recorder.setPaused(false);
    await (await fetch(`${url}/loud`)).text();
    expect(e.recorder.list().map((s) => s.url)).toEqual(['/loud']);
  });

  it('counts and samples WebSocket frames both ways', async () => {
    const wsb = await startWsBackend();
    cleanups.push(() => wsb.close());
    const { engine: e, url, ended } = await engine(oneRoute(wsb.url));
    const opened = await openWs(`${url.replace('http', 'ws')}/chat`);
    if (!opened.ok) throw new Error(`handshake ${opened.status}`);
    for (const text of ['hello', 'world']) {
      opened.ws.send(text);
      await nextMessage(opened.ws);
    }
    opened.ws.close();
    await opened.closed;
    await expect.poll(() => ended.length).toBe(1);
    const detail = e.recorder.get(ended[0]!.id)!.detail();
    expect(detail.status).toBe(101);
    expect(detail.websocket).toMatchObject({
      open: false,
      framesUp: 3,
      framesDown: 3,
      bytesUp: 10, // two 5-byte texts and an empty close frame each way
      bytesDown: 10,
    });
    const texts = detail.frames!.filter((f) => f.opcode === 1);
    expect(texts.map((f) => [f.direction, Buffer.from(f.preview, 'base64').toString()])).toEqual([
      ['up', 'hello'],
      ['down', 'hello'],
      ['up', 'world'],
      ['down', 'world'],
    ]);
  });

  it('exports recorded exchanges as valid HAR 1.2 and as a cURL command that replays for real', async () => {
    const b = await backend();
    const { engine: e, url, ended } = await engine(oneRoute(b.url));
    await (
      await fetch(`${url}/api/items?sort=asc`, {
        method: 'PUT',
        body: '{"name":"it\'s"}',
        headers: { 'content-type': 'application/json', 'x-trace': 'a b' },
      })
    ).text();
    await expect.poll(() => ended.length).toBe(1);
    const rec = e.recorder.get(ended[0]!.id)!;
    const har = toHar(
      [
        {
          detail: rec.detail(),
          requestBody: rec.body('request'),
          responseBody: rec.body('response'),
        },
      ],
      { name: 'Switchyard', version: 'test' },
    );
    const parsed = harSchema.safeParse(JSON.parse(JSON.stringify(har)));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(har.log.entries[0]?._route).toBe('app');

    const command = toCurl(rec.detail(), rec.body('request'), { baseUrl: url });
    b.seen.length = 0;
    await run('bash', ['-c', `${command} -s -o /dev/null`]);
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]).toMatchObject({
      method: 'PUT',
      url: '/api/items?sort=asc',
      body: '{"name":"it\'s"}',
    });
    expect(b.seen[0]?.headers['x-trace']).toBe('a b');
  });
});
