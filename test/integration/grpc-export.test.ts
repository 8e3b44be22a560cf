/**
 * A real gRPC call through the exported configurations: the same routing file (a gRPC
 * route to an h2c:// backend) is exported for Apache, nginx and Caddy, each runs it, and a
 * @grpc/grpc-js client gets the same answers from each as from Switchyard: a reply, a
 * stream of replies, and an error status with its message.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConfig } from '../../src/engine/export/export.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort } from '../support/backend.js';
import { servers, type PeerServer } from '../support/peer-servers.js';
import { rawBytes } from '../support/grpc.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

const SERVICE = {
  unary: { path: '/shop.Orders/Get', requestStream: false, responseStream: false, ...rawBytes },
  list: { path: '/shop.Orders/List', requestStream: false, responseStream: true, ...rawBytes },
} satisfies grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Orders');
type OrdersClient = InstanceType<typeof Client> & {
  unary: (...args: unknown[]) => unknown;
  list: (...args: unknown[]) => unknown;
};

interface Outcome {
  reply?: string;
  code?: number;
  details?: string;
  items?: string[];
}

async function calls(port: number): Promise<Outcome[]> {
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as OrdersClient;
  const unary = (id: string) =>
    new Promise<Outcome>((resolve) =>
      client.unary(
        Buffer.from(id),
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (e: grpc.ServiceError | null, r: Buffer) =>
          resolve(e ? { code: e.code, details: e.details } : { reply: r.toString() }),
      ),
    );
  const list = () =>
    new Promise<Outcome>((resolve) => {
      const items: string[] = [];
      const call = client.list(Buffer.from('3'), new grpc.Metadata(), {
        deadline: Date.now() + 5_000,
      }) as grpc.ClientReadableStream<Buffer>;
      call.on('data', (b: Buffer) => items.push(b.toString()));
      call.on('end', () => resolve({ items }));
      call.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
    });
  try {
    return [await unary('42'), await unary('missing'), await list()];
  } finally {
    client.close();
  }
}

describe('gRPC through exported configurations, as through Switchyard', () => {
  let backend: grpc.Server;
  let backendPort: number;
  let proxy: RunningProxy;
  let expected: Outcome[];
  const routing = (port: number): Omit<RoutingConfigInput, 'version'> => ({
    listeners: [{ name: 'grpc', port }],
    routes: [
      {
        name: 'orders',
        match: { path: '/shop.Orders' },
        to: `h2c://127.0.0.1:${backendPort}/shop.Orders`,
      },
    ],
  });

  beforeAll(async () => {
    backend = new grpc.Server();
    backend.addService(SERVICE, {
      unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const id = call.request.toString();
        if (id === 'missing') cb({ code: grpc.status.NOT_FOUND, details: `no order ${id}` });
        else cb(null, Buffer.from(`order ${id}`));
      },
      list: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        for (let i = 0; i < Number(call.request.toString()); i++)
          call.write(Buffer.from(`item ${i}`));
        call.end();
      },
    });
    backendPort = await new Promise<number>((resolve, reject) =>
      backend.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    proxy = await startProxy(routing(0));
    expected = await calls(proxy.port());
  });
  afterAll(async () => {
    await proxy?.close();
    backend?.forceShutdown();
  });

  it('Switchyard itself answers as the backend does', () => {
    expect(expected).toEqual([
      { reply: 'order 42' },
      { code: grpc.status.NOT_FOUND, details: 'no order missing' },
      { items: ['item 0', 'item 1', 'item 2'] },
    ]);
  });

  for (const target of ['apache', 'nginx', 'caddy'] as PeerServer[]) {
    it.skipIf(servers[target].skip)(
      `${target} running the export answers the same calls the same way`,
      async () => {
        const port = await deadPort();
        const text = exportConfig(target, parseConfig(routing(port)), {
          dataDir: await mkdtemp(join(tmpdir(), 'switchyard-grpc-export-')),
          source: 'switchyard.yaml',
        });
        const server = await servers[target].handle.start(text, port);
        try {
          expect(await calls(port)).toEqual(expected);
        } finally {
          await server.stop();
        }
      },
      30_000,
    );
  }
});
