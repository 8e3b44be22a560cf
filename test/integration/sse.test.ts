/**
 * Server-Sent Events reach the client event by event — never held back until the response
 * ends — with capture on, to HTTP/1.1 and HTTP/2 clients, from HTTP/1.1 and HTTP/2 backends.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../support/proxy.js';

/** Events are sent GAP_MS apart: an event held back by the proxy shows as a late arrival. */
const received = { count: 0 };
const GAP_MS = 400;

function events(write: (text: string) => void, end: () => void): void {
  let n = 0;
  const next = (): void => {
    n++;
    write(`id: ${n}\nevent: tick\ndata: event ${n}\n\n`);
    if (n === 3) setTimeout(end, GAP_MS);
    else setTimeout(next, GAP_MS);
  };
  next();
}

/** Times (ms after the request) at which each event arrived. */
async function arrivalsOverHttp1(port: number, path: string): Promise<number[]> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } }, (res) => {
        const times: number[] = [];
        res.on('data', (c: Buffer) => {
          for (let i = 0; i < (c.toString().match(/\n\n/g) ?? []).length; i++)
            times.push(Date.now() - start);
        });
        res.on('end', () => resolve(times));
      })
      .on('error', reject);
  });
}

async function arrivalsOverHttp2(port: number, path: string): Promise<number[]> {
  const start = Date.now();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise((resolve, reject) => {
      const times: number[] = [];
      const stream = session.request({ ':path': path, accept: 'text/event-stream' });
      stream.on('data', (c: Buffer) => {
        for (let i = 0; i < (c.toString().match(/\n\n/g) ?? []).length; i++)
          times.push(Date.now() - start);
      });
      stream.on('end', () => resolve(times));
      stream.on('error', reject);
      stream.end();
    });
  } finally {
    session.close();
  }
}

describe('Server-Sent Events, event by event', () => {
  let h1: http.Server;
  let h2: http2.Http2Server;
  let proxy: RunningProxy;

  beforeAll(async () => {
    h1 = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      events(
        (t) => res.write(t),
        () => res.end(),
      );
    });
    h2 = http2.createServer();
    h2.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      events(
        (t) => stream.write(t),
        () => stream.end(),
      );
    });
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        {
          name: 'h1',
          match: { path: '/h1' },
          to: `http://127.0.0.1:${(h1.address() as AddressInfo).port}`,
        },
        {
          name: 'h2',
          match: { path: '/h2' },
          to: `h2c://127.0.0.1:${(h2.address() as AddressInfo).port}`,
        },
      ],
    });
    expect(proxy.engine.recorder.paused).toBe(false);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((r) => h1.close(r));
    await new Promise((r) => h2.close(r));
  });

  for (const [client, arrivals] of [
    ['HTTP/1.1', arrivalsOverHttp1],
    ['HTTP/2', arrivalsOverHttp2],
  ] as const) {
    for (const backend of ['h1', 'h2']) {
      it(`${client} client, ${backend === 'h1' ? 'HTTP/1.1' : 'HTTP/2'} backend: each event arrives before the next is sent`, async () => {
        const times = await arrivals(proxy.port(), `/${backend}/stream`);
        expect(times).toHaveLength(3);
        // Event n is sent at (n-1)·GAP; it must arrive well before the next one is sent.
        times.forEach((t, i) => expect(t).toBeLessThan(i * GAP_MS + GAP_MS / 2));
        received.count += times.length;
      });
    }
  }

  it('recorded the streams in the traffic log', () => {
    const sse = proxy.engine.recorder.list().filter((x) => x.url.endsWith('/stream'));
    expect(sse).toHaveLength(4);
    expect(sse.every((x) => x.status === 200 && x.outcome === 'completed')).toBe(true);
    expect(received.count).toBe(12);
  });
});
