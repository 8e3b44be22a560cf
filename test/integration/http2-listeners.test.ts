/**
 * HTTP/2 on Switchyard's own listeners, with real clients: curl with prior knowledge (h2c)
 * and over TLS (ALPN h2), HTTP/1.1 on the same ports, and gRPC calls of all four kinds with
 * @grpc/grpc-js on both ends (client → plain listener → h2c:// backend).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import type { Recording } from '../../src/engine/capture/recorder.js';
import { startBackend, type Backend } from '../support/backend.js';
import { rawBytes } from '../support/grpc.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const run = promisify(execFile);

/** curl, printing the body then the HTTP version it used on the last line. */
async function curl(args: string[]): Promise<{ body: string; version: string }> {
  const { stdout } = await run('curl', [
    '-sS',
    '--max-time',
    '5',
    ...args,
    '-w',
    '\n%{http_version}',
  ]);
  const at = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, at), version: stdout.slice(at + 1) };
}

const SERVICE = {
  unary: { path: '/test.Echo/Unary', requestStream: false, responseStream: false, ...rawBytes },
  fail: { path: '/test.Echo/Fail', requestStream: false, responseStream: false, ...rawBytes },
  slow: { path: '/test.Echo/Slow', requestStream: false, responseStream: false, ...rawBytes },
  serverStream: {
    path: '/test.Echo/List',
    requestStream: false,
    responseStream: true,
    ...rawBytes,
  },
  drip: { path: '/test.Echo/Drip', requestStream: false, responseStream: true, ...rawBytes },
  clientStream: { path: '/test.Echo/Sum', requestStream: true, responseStream: false, ...rawBytes },
  bidi: { path: '/test.Echo/Chat', requestStream: true, responseStream: true, ...rawBytes },
} satisfies grpc.ServiceDefinition;

const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
type EchoClient = InstanceType<typeof Client> & {
  [method in keyof typeof SERVICE]: (...args: unknown[]) => unknown;
};

async function startGrpcBackend(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(SERVICE, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const user = call.metadata.get('x-user')[0] ?? 'nobody';
      call.sendMetadata(new grpc.Metadata());
      const trailer = new grpc.Metadata();
      trailer.set('x-served-by', 'backend');
      trailer.set('x-trace-bin', Buffer.from([1, 2, 3, 250]));
      cb(null, Buffer.from(`hello ${call.request.toString()} from ${String(user)}`), trailer);
    },
    fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      cb({ code: grpc.status.NOT_FOUND, details: 'no such order 42' });
    },
    slow: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      setTimeout(() => cb(null, Buffer.from('late')), 1_500);
    },
    serverStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const n = Number(call.request.toString());
      for (let i = 0; i < n; i++) call.write(Buffer.from(`item ${i}`));
      call.end();
    },
    drip: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      let n = 0;
      const timer = setInterval(() => {
        call.write(Buffer.from(`drop ${n}`));
        if (++n === 3) {
          clearInterval(timer);
          call.end();
        }
      }, 300);
    },
    clientStream: (
      call: grpc.ServerReadableStream<Buffer, Buffer>,
      cb: grpc.sendUnaryData<Buffer>,
    ) => {
      let total = 0;
      call.on('data', (b: Buffer) => (total += Number(b.toString())));
      call.on('end', () => cb(null, Buffer.from(String(total))));
    },
    bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => call.write(Buffer.from(`echo ${b.toString()}`)));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, server };
}

describe('HTTP/2 listeners', () => {
  let h1: Backend;
  let grpcBackend: { port: number; server: grpc.Server };
  let proxy: RunningProxy;
  let caFile: string;
  let client: EchoClient;

  beforeAll(async () => {
    h1 = await startBackend('h1');
    grpcBackend = await startGrpcBackend();
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-h2l-'));
    proxy = await startProxy(
      {
        listeners: [
          { name: 'web', port: 0 },
          { name: 'secure', port: 0, tls: true },
          { name: 'old', port: 0, http2: false },
        ],
        routes: [
          {
            name: 'grpc',
            match: { path: '/test.Echo' },
            to: `h2c://127.0.0.1:${grpcBackend.port}/test.Echo`,
          },
          {
            name: 'grpc-elsewhere',
            match: { path: '/moved.Echo' },
            to: `h2c://127.0.0.1:${grpcBackend.port}/nothing.here`,
          },
          { name: 'web', match: { path: '/' }, to: h1.url },
        ],
      },
      dataDir,
    );
    const ca = await proxy.engine.certificateAuthority();
    caFile = join(dataDir, 'ca-for-curl.pem');
    await writeFile(caFile, ca.certPem);
    client = new Client(
      `127.0.0.1:${proxy.port('web')}`,
      grpc.credentials.createInsecure(),
    ) as EchoClient;
  });
  afterAll(async () => {
    client?.close();
    await proxy.close();
    grpcBackend.server.forceShutdown();
    await h1.close();
  });

  it('answers curl --http2-prior-knowledge on a plain listener, and HTTP/1.1 on the same port', async () => {
    const h2 = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${proxy.port('web')}/x`]);
    expect(h2.version).toBe('2');
    const seen = JSON.parse(h2.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/x');
    expect(seen.headers.host).toBe(`127.0.0.1:${h1.port}`);
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port('web')}`);
    expect(Object.keys(seen.headers).some((k) => k.startsWith(':'))).toBe(false);
    const old = await curl(['--http1.1', `http://127.0.0.1:${proxy.port('web')}/y`]);
    expect(old.version).toBe('1.1');
  });

  it('negotiates h2 by ALPN on a TLS listener, and still serves HTTP/1.1 there', async () => {
    const url = `https://localhost:${proxy.port('secure')}/z`;
    const resolve = `localhost:${proxy.port('secure')}:127.0.0.1`;
    const h2 = await curl(['--http2', '--cacert', caFile, '--resolve', resolve, url]);
    expect(h2.version).toBe('2');
    expect(JSON.parse(h2.body).headers['x-forwarded-proto']).toBe('https');
    const old = await curl(['--http1.1', '--cacert', caFile, '--resolve', resolve, url]);
    expect(old.version).toBe('1.1');
  });

  it('http2: false keeps a listener HTTP/1.1 only', async () => {
    await expect(
      curl(['--http2-prior-knowledge', `http://127.0.0.1:${proxy.port('old')}/x`]),
    ).rejects.toThrow();
    expect((await curl([`http://127.0.0.1:${proxy.port('old')}/x`])).version).toBe('1.1');
  });

  it('passes a unary gRPC call with metadata, response trailers and -bin trailers intact', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-user', 'ada');
    const { reply, trailers } = await new Promise<{ reply: Buffer; trailers: grpc.Metadata }>(
      (resolve, reject) => {
        let trailers = new grpc.Metadata();
        const call = client.unary(Buffer.from('world'), metadata, (e: Error | null, r: Buffer) =>
          e ? reject(e) : setImmediate(() => resolve({ reply: r, trailers })),
        ) as grpc.ClientUnaryCall;
        call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
      },
    );
    expect(reply.toString()).toBe('hello world from ada');
    expect(trailers.get('x-served-by')).toEqual(['backend']);
    expect(trailers.get('x-trace-bin')).toEqual([Buffer.from([1, 2, 3, 250])]);
  });

  it('records each call in the traffic log: service, method, status and messages each way', async () => {
    const calls = () =>
      proxy.engine.recorder
        .list()
        .filter((x) => x.grpc !== undefined)
        .map((x) => x.grpc);
    expect(calls()).toContainEqual({
      service: 'test.Echo',
      method: 'Unary',
      status: 0,
      message: 'OK',
      messagesUp: 1,
      messagesDown: 1,
    });
    const id = proxy.engine.recorder.list().find((x) => x.grpc?.method === 'Unary')?.id ?? -1;
    const detail = proxy.engine.recorder.get(id)?.detail();
    expect(detail?.responseTrailers).toContainEqual(['x-served-by', 'backend']);
  });

  it('replays a recorded gRPC call as a gRPC call (HTTP/2, te: trailers, the same message)', async () => {
    const api = new EngineApi(proxy.engine, { host: 'headless', version: 'test' });
    const recorded = proxy.engine.recorder.list().find((x) => x.grpc?.method === 'Unary');
    const before = proxy.engine.recorder.list().length;
    expect(await api.replayExchange(recorded?.id ?? -1)).toEqual({ status: 200 });
    const again = proxy.engine.recorder
      .list()
      .slice(before)
      .find((x) => x.grpc?.method === 'Unary');
    expect(again?.httpVersion).toBe('2.0');
    expect(again?.grpc).toMatchObject({ status: 0, messagesUp: 1, messagesDown: 1 });
  });

  it('fills in a streaming call live in the traffic log while it is open', async () => {
    const live: { down: number; outcome: string }[] = [];
    const watch = (recording: Recording): void => {
      const summary = recording.summary;
      if (summary.grpc?.method === 'Drip')
        live.push({ down: summary.grpc.messagesDown, outcome: summary.outcome });
    };
    proxy.engine.recorder.events.on('exchange', watch);
    try {
      await new Promise<void>((resolve, reject) => {
        const call = client.drip(Buffer.from('x')) as grpc.ClientReadableStream<Buffer>;
        call.on('data', () => {});
        call.on('end', resolve);
        call.on('error', reject);
      });
    } finally {
      proxy.engine.recorder.events.off('exchange', watch);
    }
    // Updates while pending, with some but not all messages counted, then the end.
    expect(live.some((x) => x.outcome === 'pending' && x.down > 0 && x.down < 3)).toBe(true);
    expect(live.at(-1)).toEqual({ down: 3, outcome: 'completed' });
  });

  it('passes a gRPC error status and message from the backend', async () => {
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      client.fail(Buffer.from('x'), (e: grpc.ServiceError) => resolve(e)),
    );
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    expect(error.details).toBe('no such order 42');
  });

  it('streams server, client and bidirectional calls', async () => {
    const items: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.serverStream(Buffer.from('5')) as grpc.ClientReadableStream<Buffer>;
      call.on('data', (b: Buffer) => items.push(b.toString()));
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(items).toEqual(['item 0', 'item 1', 'item 2', 'item 3', 'item 4']);
    const listed = proxy.engine.recorder.list().find((x) => x.grpc?.method === 'List');
    expect(listed?.grpc).toMatchObject({ messagesUp: 1, messagesDown: 5, status: 0 });

    const sum = await new Promise<string>((resolve, reject) => {
      const call = client.clientStream((e: Error | null, r: Buffer) =>
        e ? reject(e) : resolve(r.toString()),
      ) as grpc.ClientWritableStream<Buffer>;
      for (const n of [1, 2, 3, 4]) call.write(Buffer.from(String(n)));
      call.end();
    });
    expect(sum).toBe('10');

    const echoes: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.bidi() as grpc.ClientDuplexStream<Buffer, Buffer>;
      call.on('data', (b: Buffer) => {
        echoes.push(b.toString());
        if (echoes.length === 3) call.end();
      });
      call.on('end', resolve);
      call.on('error', reject);
      for (const w of ['a', 'b', 'c']) call.write(Buffer.from(w));
    });
    expect(echoes).toEqual(['echo a', 'echo b', 'echo c']);
  });

  it('forwards the deadline: a call slower than it ends DEADLINE_EXCEEDED', async () => {
    const started = Date.now();
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      client.slow(
        Buffer.from('x'),
        new grpc.Metadata(),
        { deadline: Date.now() + 300 },
        (e: grpc.ServiceError) => resolve(e),
      ),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  it('relays a trailers-only gRPC answer (here UNIMPLEMENTED from the backend) with its status', async () => {
    const Moved = grpc.makeGenericClientConstructor(
      { unary: { ...SERVICE.unary, path: '/moved.Echo/Unary' } },
      'Moved',
    );
    const c = new Moved(
      `127.0.0.1:${proxy.port('web')}`,
      grpc.credentials.createInsecure(),
    ) as InstanceType<typeof Moved> & { unary: (...args: unknown[]) => unknown };
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        c.unary(Buffer.from('x'), (e: grpc.ServiceError) => resolve(e)),
      );
      expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(error.details).toContain('/nothing.here/Unary');
    } finally {
      c.close();
    }
  });

  describe("Switchyard's own answers to gRPC calls are gRPC statuses", () => {
    let second: { port: number; server: grpc.Server };
    let other: RunningProxy;
    const call = (target: string, path: string): Promise<grpc.ServiceError | Buffer> => {
      const C = grpc.makeGenericClientConstructor({ unary: { ...SERVICE.unary, path } }, 'Any');
      const c = new C(target, grpc.credentials.createInsecure()) as InstanceType<typeof C> & {
        unary: (...args: unknown[]) => unknown;
      };
      return new Promise((resolve) =>
        c.unary(Buffer.from('x'), (e: grpc.ServiceError | null, r: Buffer) => {
          c.close();
          resolve(e ?? r);
        }),
      );
    };

    beforeAll(async () => {
      second = await startGrpcBackend();
      other = await startProxy({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          { name: 'dead', match: { path: '/dead.Echo' }, to: 'h2c://127.0.0.1:9/' },
          {
            name: 'hurry',
            match: { path: '/hurry.Echo' },
            to: `h2c://127.0.0.1:${grpcBackend.port}/test.Echo`,
            timeout: '300ms',
          },
          { name: 'pair', match: { path: '/test.Echo' }, to: 'balancer://pair/test.Echo' },
        ],
        balancers: [
          {
            name: 'pair',
            members: [
              { url: `h2c://127.0.0.1:${grpcBackend.port}` },
              { url: `h2c://127.0.0.1:${second.port}` },
            ],
          },
        ],
      });
    });
    afterAll(async () => {
      await other.close();
      second.server.forceShutdown();
    });

    it('no route: UNIMPLEMENTED; backend unreachable: UNAVAILABLE naming the route; route timeout: DEADLINE_EXCEEDED', async () => {
      const target = `127.0.0.1:${other.port()}`;
      const none = (await call(target, '/nowhere.Echo/Unary')) as grpc.ServiceError;
      expect(none.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(none.details).toContain('No route');
      const recorded = other.engine.recorder.list().find((x) => x.url === '/nowhere.Echo/Unary');
      expect(recorded?.grpc).toMatchObject({
        service: 'nowhere.Echo',
        method: 'Unary',
        status: 12,
      });
      const dead = (await call(target, '/dead.Echo/Unary')) as grpc.ServiceError;
      expect(dead.code).toBe(grpc.status.UNAVAILABLE);
      expect(dead.details).toContain("route 'dead'");
      const slow = (await call(target, '/hurry.Echo/Slow')) as grpc.ServiceError;
      expect(slow.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(slow.details).toContain("route 'hurry'");
    });

    it('a client outside the access list: PERMISSION_DENIED', async () => {
      const closed = await startProxy({
        listeners: [{ name: 'web', port: 0 }],
        access: { allow: ['10.0.0.0/8'] },
        routes: [
          {
            name: 'grpc',
            match: { path: '/test.Echo' },
            to: `h2c://127.0.0.1:${grpcBackend.port}`,
          },
        ],
      });
      try {
        const denied = (await call(
          `127.0.0.1:${closed.port()}`,
          '/test.Echo/Unary',
        )) as grpc.ServiceError;
        expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
        expect(denied.details).toContain('access list');
      } finally {
        await closed.close();
      }
    });

    it('balances per call: 20 unary calls on one channel reach both members', async () => {
      const c = new Client(
        `127.0.0.1:${other.port()}`,
        grpc.credentials.createInsecure(),
      ) as EchoClient;
      try {
        const replies = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) =>
              new Promise<string>((resolve, reject) =>
                c.unary(Buffer.from(String(i)), (e: Error | null, r: Buffer) =>
                  e ? reject(e) : resolve(r.toString()),
                ),
              ),
          ),
        );
        expect(replies).toHaveLength(20);
        const exchanges = other.engine.recorder.list().filter((x) => x.route === 'pair');
        const members = new Set(exchanges.map((x) => x.member));
        expect(members).toEqual(
          new Set([`h2c://127.0.0.1:${grpcBackend.port}`, `h2c://127.0.0.1:${second.port}`]),
        );
      } finally {
        c.close();
      }
    });
  });
});
