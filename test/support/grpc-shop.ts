/**
 * A real gRPC server with typed messages (test/fixtures/grpc/orders.proto, loaded with
 * @grpc/proto-loader), optionally offering server reflection (@grpc/reflection), and a
 * client for it: what the gRPC inspector tests and the e2e check call through the proxy.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

export const ORDERS_PROTO = fileURLToPath(
  new URL('../fixtures/grpc/orders.proto', import.meta.url),
);

const definition = protoLoader.loadSync(ORDERS_PROTO, { keepCase: true, defaults: true });
const shop = (
  grpc.loadPackageDefinition(definition) as unknown as {
    shop: { v1: { Orders: grpc.ServiceClientConstructor } };
  }
).shop.v1;

export interface OrderMessage {
  id: string;
  status: string;
  items: { sku: string; quantity: number }[];
}

function order(id: string, n: number): OrderMessage & { placed: { seconds: number } } {
  return {
    id,
    status: 'STATUS_PAID',
    items: Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, quantity: -(i + 1) })),
    placed: { seconds: 1_700_000_000 },
  };
}

export async function startShopServer(options: {
  reflection: boolean;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(shop.Orders.service, {
    Get: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, order(call.request.id, 2)),
    Watch: (call: grpc.ServerWritableStream<{ id: string }, unknown>) => {
      for (let i = 1; i <= 3; i++) call.write(order(`${call.request.id}-${i}`, i));
      call.end();
    },
  });
  if (options.reflection) new ReflectionService(definition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export function shopClient(address: string) {
  const client = new shop.Orders(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    Get(req: object, cb: (e: Error | null, res: OrderMessage) => void): void;
    Watch(req: object): grpc.ClientReadableStream<OrderMessage>;
  };
  return {
    get: (id: string) =>
      new Promise<OrderMessage>((resolve, reject) =>
        client.Get({ id, labels: { channel: 'web' } }, (e, res) => (e ? reject(e) : resolve(res))),
      ),
    watch: (id: string) =>
      new Promise<OrderMessage[]>((resolve, reject) => {
        const out: OrderMessage[] = [];
        const stream = client.Watch({ id });
        stream.on('data', (m: OrderMessage) => out.push(m));
        stream.on('error', reject);
        stream.on('end', () => resolve(out));
      }),
    close: () => client.close(),
  };
}
