/**
 * getDecodedBody: the inspector's view of a compressed body — decoded, with what was undone
 * and the sizes before and after — from real backends that compress.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { Engine } from '../../src/engine/engine.js';
import { routingConfigSchema } from '../../src/shared/config.js';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { until } from '../support/until.js';

const JSON_BODY = JSON.stringify({
  orders: Array.from({ length: 200 }, (_, i) => ({ id: `order-${i}` })),
});
let backend: Backend;
let engine: Engine;
let api: EngineApi;
let port: number;

beforeAll(async () => {
  backend = await startBackend('zip');
  backend.handle((req, res) => {
    const encoding = req.url?.includes('br')
      ? 'br'
      : req.url?.includes('odd')
        ? 'compress'
        : 'gzip';
    const body =
      encoding === 'br'
        ? brotliCompressSync(JSON_BODY)
        : encoding === 'gzip'
          ? gzipSync(JSON_BODY)
          : Buffer.from('not really compressed');
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
    res.end(body);
  });
  engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-decoded-')) });
  await engine.apply(
    routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'zip', match: { path: '/' }, to: backend.url }],
    }),
  );
  api = new EngineApi(engine, { host: 'headless', version: 't' });
  port = engine.listeners()[0]!.port;
});

afterAll(async () => {
  api.close();
  await engine.close({ graceMs: 0 });
  await backend.close();
});

async function exchangeFor(path: string): Promise<number> {
  await send(port, path);
  const summary = await until('recorded', () =>
    engine.recorder.list().find((s) => s.url === path && s.outcome === 'completed'),
  );
  return summary.id;
}

it.each(['gzip', 'br'])('decodes a %s body and says how much it grew', async (encoding) => {
  const id = await exchangeFor(`/${encoding}`);
  const body = await api.getDecodedBody(id, 'response');
  expect(body).not.toBeNull();
  expect(body!.encodings).toEqual([encoding]);
  expect(Buffer.from(body!.base64, 'base64').toString()).toBe(JSON_BODY);
  expect(body!.decodedSize).toBe(JSON_BODY.length);
  expect(body!.size).toBeLessThan(body!.decodedSize);
  expect(body!.note).toBeUndefined();
});

it('gives the body as sent, and why, when it cannot decode it', async () => {
  const id = await exchangeFor('/odd');
  const body = await api.getDecodedBody(id, 'response');
  expect(body).toMatchObject({ encodings: [], note: 'content-encoding compress is not decoded' });
  expect(Buffer.from(body!.base64, 'base64').toString()).toBe('not really compressed');
  expect(await api.getDecodedBody(999_999, 'response')).toBeNull();
});
