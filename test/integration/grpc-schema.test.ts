/**
 * gRPC message schemas for the inspector, end to end with real @grpc/grpc-js servers and
 * clients through the proxy: from a .proto file the routing file names (relative to it),
 * from the backend's server reflection when no file describes the call, none when the
 * backend offers neither; and a broken .proto reported at load with its file and line.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { Engine } from '../../src/engine/engine.js';
import { API } from '../../src/shared/api.js';
import type { ExchangeSummary } from '../../src/shared/exchange.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import { decodeMessage, splitGrpcMessages } from '../../src/shared/protobuf-wire.js';
import { ORDERS_PROTO, shopClient, startShopServer } from '../support/grpc-shop.js';
import { parseConfig } from '../support/proxy.js';

interface Setup {
  engine: Engine;
  api: EngineApi;
  client: ReturnType<typeof shopClient>;
}

async function setup(
  backendPort: number,
  extra: Partial<RoutingConfigInput>,
  configDir: string,
): Promise<Setup> {
  const engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'sy-grpc-')), configDir });
  const api = new EngineApi(engine, { host: 'headless', version: 'test' });
  await api.applyConfig(
    parseConfig({
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        {
          name: 'shop',
          match: { path: '/shop.v1.Orders' },
          to: `h2c://127.0.0.1:${backendPort}/shop.v1.Orders`,
        },
      ],
      ...extra,
    }),
  );
  const port = engine.listeners()[0]!.port;
  return { engine, api, client: shopClient(`127.0.0.1:${port}`) };
}

async function exchangeOf(api: EngineApi, method: string): Promise<ExchangeSummary> {
  for (let i = 0; i < 50; i++) {
    const found = (await api.listExchanges()).find(
      (s) => s.grpc?.method === method && s.outcome !== 'pending',
    );
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no finished ${method} call in the log`);
}

async function close(s: Setup): Promise<void> {
  s.client.close();
  s.api.close();
  await s.engine.close({ graceMs: 0 });
}

describe('gRPC schemas for the inspector', () => {
  let dir: string;
  let plain: Awaited<ReturnType<typeof startShopServer>>;
  let reflecting: Awaited<ReturnType<typeof startShopServer>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-protos-'));
    await copyFile(ORDERS_PROTO, join(dir, 'orders.proto'));
    plain = await startShopServer({ reflection: false });
    reflecting = await startShopServer({ reflection: true });
  });

  afterAll(async () => {
    await plain.close();
    await reflecting.close();
  });

  it('names a unary and a streaming call from the .proto the routing file lists', async () => {
    const s = await setup(plain.port, { grpc: { protos: ['orders.proto'] } }, dir);
    try {
      expect((await s.client.get('A-1')).items).toHaveLength(2);
      expect(await s.client.watch('B')).toHaveLength(3);
      const get = await s.api.grpcSchema((await exchangeOf(s.api, 'Get')).id);
      // What the bridges validate the answer with, before it reaches the UI.
      expect(API.grpcSchema.result.safeParse(get).success).toBe(true);
      expect(get).toMatchObject({
        source: 'proto',
        origin: join(dir, 'orders.proto'),
        request: 'shop.v1.OrderRequest',
        response: 'shop.v1.Order',
      });
      expect(get.types['shop.v1.Order']!.fields.map((f) => [f.number, f.name, f.type])).toEqual([
        [1, 'id', 'string'],
        [2, 'status', 'enum'],
        [3, 'items', 'message'],
        [4, 'placed', 'message'],
      ]);
      expect(get.types['shop.v1.Item']!.fields[1]).toMatchObject({
        name: 'quantity',
        type: 'sint32',
      });
      expect(get.types['shop.v1.OrderRequest']!.fields[1]).toMatchObject({
        name: 'labels',
        repeated: true,
        message: 'shop.v1.OrderRequest.labelsEntry',
      });

      // The captured response decodes with it into the values the client received.
      const watch = await exchangeOf(s.api, 'Watch');
      const schema = await s.api.grpcSchema(watch.id);
      expect(schema).toMatchObject({ source: 'proto', response: 'shop.v1.Order' });
      const body = Buffer.from((await s.api.getExchangeBody(watch.id, 'response'))!, 'base64');
      const frames = splitGrpcMessages(body);
      expect(frames).toHaveLength(3);
      const third = decodeMessage(frames[2]!.bytes, {
        schema: schema.types[schema.response!],
        types: schema.types,
      });
      expect(third.fields.map((f) => f.name)).toEqual([
        'id',
        'status',
        'items',
        'items',
        'items',
        'placed',
      ]);
      expect(third.fields[0]!.value).toEqual({ kind: 'string', text: 'B-3' });
      expect(third.fields[1]!.value).toMatchObject({ text: 'STATUS_PAID (2)' });
      const item = third.fields[4]!.value;
      expect(item.kind === 'message' && item.fields[1]!.value).toMatchObject({ text: '-3' });
    } finally {
      await close(s);
    }
  });

  it('asks the backend by server reflection when no .proto describes the call', async () => {
    const s = await setup(reflecting.port, {}, dir);
    try {
      await s.client.get('R-1');
      await s.client.watch('R');
      const get = await s.api.grpcSchema((await exchangeOf(s.api, 'Get')).id);
      expect(API.grpcSchema.result.safeParse(get).success).toBe(true);
      expect(get).toMatchObject({
        source: 'reflection',
        origin: `http://127.0.0.1:${reflecting.port}`,
        request: 'shop.v1.OrderRequest',
        response: 'shop.v1.Order',
      });
      expect(get.types['google.protobuf.Timestamp']!.fields.map((f) => f.name)).toEqual([
        'seconds',
        'nanos',
      ]);
      const watch = await s.api.grpcSchema((await exchangeOf(s.api, 'Watch')).id);
      expect(watch).toMatchObject({ source: 'reflection', response: 'shop.v1.Order' });
      expect(watch.types['shop.v1.Item']!.fields.map((f) => [f.name, f.type])).toEqual([
        ['sku', 'string'],
        ['quantity', 'sint32'],
      ]);
    } finally {
      await close(s);
    }
  });

  it('says there is no schema when the backend offers no reflection', async () => {
    const s = await setup(plain.port, {}, dir);
    try {
      await s.client.get('N-1');
      const none = await s.api.grpcSchema((await exchangeOf(s.api, 'Get')).id);
      expect(none.source).toBe('none');
      expect(none.note).toMatch(/reflection/);
      expect(none.types).toEqual({});
    } finally {
      await close(s);
    }
  });

  it('names calls from .proto files opened in the app, imports resolved among them', async () => {
    const s = await setup(plain.port, {}, dir);
    try {
      await s.client.get('O-1');
      const id = (await exchangeOf(s.api, 'Get')).id;
      expect((await s.api.grpcSchema(id)).source).toBe('none');
      const orders = await readFile(ORDERS_PROTO, 'utf8');
      // The shop's messages split over two files, the service importing the types.
      const types = orders.replace(/service Orders \{[^}]*\}/, '');
      const service =
        'syntax = "proto3";\npackage shop.v1;\nimport "protos/types.proto";\n' +
        orders.slice(orders.indexOf('service Orders'));
      const opened = await s.api.openProtos([
        { name: 'service.proto', text: service },
        { name: 'types.proto', text: types },
        { name: 'broken.proto', text: 'syntax = "proto3";\nmessage {\n' },
      ]);
      expect(opened.loaded).toEqual(['service.proto', 'types.proto']);
      expect(opened.problems).toHaveLength(1);
      expect(opened.problems[0]).toMatch(/^broken\.proto:2: illegal/);
      expect(await s.api.grpcSchema(id)).toMatchObject({
        source: 'proto',
        origin: 'service.proto (opened in the app)',
        request: 'shop.v1.OrderRequest',
        response: 'shop.v1.Order',
      });
    } finally {
      await close(s);
    }
  });

  it('says why when the backend cannot be reached, quickly', async () => {
    const s = await setup(9, {}, dir);
    try {
      await expect(s.client.get('D-1')).rejects.toThrow();
      const started = Date.now();
      const none = await s.api.grpcSchema((await exchangeOf(s.api, 'Get')).id);
      expect(none).toMatchObject({ source: 'none', types: {} });
      expect(none.note).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await close(s);
    }
  });

  it('reports a broken .proto at load with its file and line, and keeps running', async () => {
    const broken = join(dir, 'broken.proto');
    await writeFile(broken, 'syntax = "proto3";\npackage x;\nmessage M {\n  string a = 1\n}\n');
    await writeFile(
      join(dir, 'unknown.proto'),
      'syntax = "proto3";\nmessage N { Missing m = 1; }\n',
    );
    const engine = new Engine({
      dataDir: await mkdtemp(join(tmpdir(), 'sy-grpc-')),
      configDir: dir,
    });
    const api = new EngineApi(engine, { host: 'headless', version: 'test' });
    try {
      const { warnings } = await api.applyConfig(
        parseConfig({
          listeners: [{ name: 'web', port: 0 }],
          grpc: { protos: ['broken.proto', 'unknown.proto', 'nowhere.proto', 'orders.proto'] },
        }),
      );
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(new RegExp(`^grpc.protos: ${broken}:5: illegal token '}'`));
      expect(warnings[1]).toMatch(/unknown\.proto: no such Type or Enum 'Missing'/);
      expect(warnings[2]).toMatch(/nowhere\.proto: file not found/);
      expect(engine.listeners()).toHaveLength(1);
    } finally {
      api.close();
      await engine.close({ graceMs: 0 });
    }
  });

  it('refuses a schema for an exchange the log does not hold', async () => {
    const s = await setup(plain.port, {}, dir);
    try {
      await expect(s.api.grpcSchema(424242)).rejects.toThrow(/no longer in the traffic log/);
    } finally {
      await close(s);
    }
  });
});
