/**
 * An event stream through the proxy: the capture keeps when each chunk arrived, so the
 * inspector lists every event with its time, and the exchange's summary goes out again
 * while the stream is open (the detail view refetches on it), not only at the end.
 */
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '../../src/renderer/src/features/traffic/sse-events.js';
import type { ExchangeSummary } from '../../src/shared/exchange.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SSE capture', () => {
  let backend: Server;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': hello\n\nid: 1\nevent: tick\ndata: one\n\n');
      await sleep(300);
      res.write('id: 2\ndata: two\r\ndata: lines\r\n\r\n');
      await sleep(300);
      res.end('data: last\n\n');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as AddressInfo).port;
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'events', match: { path: '/' }, to: `http://127.0.0.1:${port}` }],
    });
  });

  afterAll(async () => {
    await proxy.close();
    backend.close();
  });

  it('records chunk arrival times and lists the events with them, live', async () => {
    const seen: ExchangeSummary[] = [];
    proxy.engine.recorder.events.on('exchange', (r) => seen.push(r.summary));
    const body = await new Promise<string>((resolve, reject) => {
      get(`${proxy.url()}/stream`, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toContain('data: last');
    const id = seen[0]!.id;
    // Sent again while open (a chunk at least 250 ms after the previous emission).
    expect(seen.filter((s) => s.outcome === 'pending').length).toBeGreaterThan(1);

    const detail = proxy.engine.recorder.get(id)!.detail();
    const arrivals = detail.responseBody.arrivals!;
    expect(arrivals.length).toBeGreaterThanOrEqual(6);
    const bytes = proxy.engine.recorder.get(id)!.body('response');
    const { events, comments } = parseSse(bytes, arrivals);
    expect(comments).toBe(1);
    expect(events.map((e) => [e.id, e.event, e.data])).toEqual([
      ['1', 'tick', 'one'],
      ['2', 'message', 'two\nlines'],
      ['2', 'message', 'last'],
    ]);
    const [a, b, c] = events.map((e) => e.at!);
    expect(b! - a!).toBeGreaterThan(200);
    expect(c! - b!).toBeGreaterThan(200);
  });
});
