/**
 * The API contract suite: the same tests for every host of `ProxyApi` — the engine in
 * process and through each transport — so the UI behaves the same in Electron and in a
 * browser. Each transport's test file calls `proxyApiContract` with its own connector.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { Engine } from '../../src/engine/engine.js';
import type { ProxyClient, ProxyEvents } from '../../src/shared/api.js';
import { startBackend, type Backend } from '../support/backend.js';
import { rawBytes } from '../support/grpc.js';
import { send } from '../support/http.js';
import { ORDERS_PROTO } from '../support/grpc-shop.js';
import { harSchema } from '../support/har-schema.js';

export type Connect = (api: EngineApi) => Promise<{ client: ProxyClient; close(): Promise<void> }>;

function configFor(a: Backend, b: Backend, h2c: string) {
  return {
    version: 1,
    listeners: [{ name: 'web', port: 0 }],
    routes: [
      { name: 'shop', match: { path: '/shop' }, to: 'balancer://cluster/' },
      { name: 'grpc', match: { path: '/grpc' }, to: 'balancer://grpc/' },
      { name: 'app', match: { path: '/' }, to: a.url },
    ],
    balancers: [
      { name: 'cluster', members: [{ url: a.url }, { url: b.url }] },
      { name: 'grpc', members: [{ url: h2c }] },
    ],
  };
}

/** An h2c backend that answers every stream at once, allowing 50 concurrent streams. */
async function startH2c(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 50 } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s.on('close', () => sessions.delete(s))));
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    stream.end('h2');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `h2c://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A @grpc/grpc-js backend answering two unary methods with the request's bytes:
 * shop.v1.Orders/Get, which the fixture's orders.proto describes, and contract.v1.Echo/Say,
 * which no file in the routing file does. Raw bytes, so no .proto is needed to serve them.
 */
async function startGrpc() {
  const server = new grpc.Server();
  const unary = (path: string) => ({
    path,
    requestStream: false,
    responseStream: false,
    ...rawBytes,
  });
  const echo = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
    cb(null, call.request);
  server.addService(
    { Get: unary('/shop.v1.Orders/Get'), Say: unary('/contract.v1.Echo/Say') },
    { Get: echo, Say: echo },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    url: `h2c://127.0.0.1:${port}`,
    /** One unary call to `path` through the proxy at `proxyUrl`. */
    call(proxyUrl: string, path: string): Promise<Buffer> {
      const client = new grpc.Client(new URL(proxyUrl).host, grpc.credentials.createInsecure());
      return new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          path,
          rawBytes.requestSerialize,
          rawBytes.responseDeserialize,
          Buffer.from([0x0a, 0x01, 0x41]), // an OrderRequest with id "A"
          (e, reply) => (e ? reject(e) : resolve(reply!)),
        ),
      ).finally(() => client.close());
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const ECHO_PROTO = `syntax = "proto3";
package contract.v1;
message Ping { string text = 1; }
message Pong { string text = 1; }
service Echo { rpc Say(Ping) returns (Pong); }
`;

/** The rejection a call ends in: an Error, whatever the transport. */
async function refusal(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`resolved with ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

function next<E extends keyof ProxyEvents>(
  client: ProxyClient,
  event: E,
  accept: (p: ProxyEvents[E]) => boolean = () => true,
) {
  return new Promise<ProxyEvents[E]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within 5 s`)), 5_000);
    const off = client.on(event, (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

export function proxyApiContract(transport: string, connect: Connect): void {
  describe(`ProxyApi contract (${transport})`, () => {
    let a: Backend;
    let b: Backend;
    let h2c: Awaited<ReturnType<typeof startH2c>>;
    let engine: Engine;
    let api: EngineApi;
    let client: ProxyClient;
    let close: () => Promise<void>;
    let configPath: string;
    let proxyUrl: string;
    let dir: string;

    beforeAll(async () => {
      a = await startBackend('a');
      b = await startBackend('b');
      h2c = await startH2c();
      dir = await mkdtemp(join(tmpdir(), 'switchyard-contract-'));
      configPath = join(dir, 'switchyard.yaml');
      await writeFile(configPath, `# kept comment\nversion: 1\n`);
      // grpc.protos are relative to the routing file, as the hosts set it up.
      engine = new Engine({ dataDir: join(dir, 'data'), configDir: dir });
      api = new EngineApi(engine, {
        host: 'headless',
        version: '0.0.0-test',
        configPath,
        trustStores: async () => [],
      });
      ({ client, close } = await connect(api));
    });
    afterAll(async () => {
      await close();
      api.close();
      await engine.close({ graceMs: 100 });
      await a.close();
      await b.close();
      await h2c.close();
    });

    it('validates routing-file text with problems at their lines', async () => {
      const bad = await client.validateConfig(
        'version: 1\nlisteners:\n  - name: web\n    port: nope\n',
      );
      expect(bad.ok).toBe(false);
      expect(bad.problems[0]).toMatchObject({ line: 4, path: 'listeners[0].port' });
      const good = await client.validateConfig('version: 1\n');
      expect(good).toMatchObject({ ok: true, problems: [] });
    });

    it('applies a configuration live and reports its listeners', async () => {
      const result = await client.applyConfig(configFor(a, b, h2c.url));
      expect(result.listeners).toHaveLength(1);
      proxyUrl = result.listeners[0]!.url;
      const status = await client.getStatus();
      expect(status).toMatchObject({
        host: 'headless',
        version: '0.0.0-test',
        unsaved: true,
        configPath,
      });
      expect((await fetch(`${proxyUrl}/hello`)).status).toBe(200);
    });

    it('refuses an invalid configuration with a readable reason and keeps the running one', async () => {
      await expect(
        client.applyConfig({ version: 1, listeners: [{ name: 'web', port: 'x' }] }),
      ).rejects.toThrow(/listeners\[0\]\.port/);
      expect((await client.getStatus()).listeners).toHaveLength(1);
    });

    it('streams exchanges in batches and serves details and bodies on demand', async () => {
      const batch = next(client, 'exchanges', (list) =>
        list.some((s) => s.url === '/stream' && s.outcome === 'completed'),
      );
      await (await fetch(`${proxyUrl}/stream`, { method: 'POST', body: 'ping' })).text();
      const summary = (await batch).find((s) => s.url === '/stream' && s.outcome === 'completed')!;
      expect(summary).toMatchObject({ method: 'POST', route: 'app', status: 200 });
      const detail = await client.getExchange(summary.id);
      expect(detail?.requestBody).toMatchObject({ size: 4, captured: 4 });
      expect(
        Buffer.from((await client.getExchangeBody(summary.id, 'request'))!, 'base64').toString(),
      ).toBe('ping');
      const listed = await client.listExchanges({
        text: 'stream',
        methods: ['POST'],
        statusClasses: [2],
      });
      expect(listed.map((s) => s.id)).toContain(summary.id);
      expect(await client.listExchanges({ statusClasses: [5] })).toEqual([]);
      expect(await client.getExchange(999_999)).toBeNull();
    });

    it('exports HAR 1.2 and cURL, and replays an exchange through the proxy', async () => {
      await (await fetch(`${proxyUrl}/export?x=1`)).text();
      const [exported] = await client.listExchanges({ text: '/export' });
      const har = JSON.parse(await client.exportHar({ ids: [exported!.id] })) as unknown;
      expect(harSchema.safeParse(har).success).toBe(true);
      expect(await client.exchangeAsCurl(exported!.id)).toMatch(/^curl .*\/export\?x=1/);
      const seenBefore = a.seen.length;
      expect(await client.replayExchange(exported!.id)).toEqual({ status: 200 });
      expect(a.seen.length).toBe(seenBefore + 1);
      expect(a.seen.at(-1)?.url).toBe('/export?x=1');
    });

    it('pauses and clears the traffic log', async () => {
      await client.setCapturePaused(true);
      await (await fetch(`${proxyUrl}/unrecorded`)).text();
      expect(await client.listExchanges({ text: 'unrecorded' })).toEqual([]);
      await client.setCapturePaused(false);
      const cleared = next(client, 'exchangesCleared');
      await client.clearExchanges();
      await cleared;
      expect(await client.listExchanges()).toEqual([]);
      expect((await client.getStatus()).capture).toMatchObject({ paused: false, entries: 0 });
    });

    it('shows balancers and changes members live (balancer-manager)', async () => {
      const [cluster] = await client.listBalancers();
      expect(cluster?.members.map((m) => m.url)).toEqual([a.url, b.url]);
      const stats = next(client, 'balancers', (list) => list[0]?.members[1]?.state === 'disabled');
      await client.setMember('cluster', b.url, { state: 'disabled' });
      await stats;
      for (let i = 0; i < 3; i++) await (await fetch(`${proxyUrl}/shop/x`)).text();
      const members = (await client.listBalancers())[0]!.members;
      expect(members.map((m) => m.stats.elected)).toEqual([3, 0]);
      await client.setMember('cluster', b.url, { state: 'enabled', loadFactor: 5 });
      await expect(client.setMember('cluster', b.url, { loadFactor: 500 })).rejects.toThrow();
      await expect(client.setMember('nope', b.url, { state: 'disabled' })).rejects.toThrow(
        /no balancer is named 'nope'/,
      );
    });

    it("shows an h2c member's HTTP/2 session: none, then connected with the backend's limit", async () => {
      const grpc = async () => (await client.listBalancers()).find((x) => x.name === 'grpc')!;
      const before = (await grpc()).members[0]!;
      expect(before.http2).toEqual({
        state: 'none',
        streams: 0,
        maxConcurrentStreams: null,
        goaways: 0,
      });
      expect((await fetch(`${proxyUrl}/grpc/x`)).status).toBe(200);
      const event = next(
        client,
        'balancers',
        (list) => list.find((x) => x.name === 'grpc')?.members[0]?.http2?.state === 'connected',
      );
      expect((await grpc()).members[0]!.http2).toMatchObject({
        state: 'connected',
        streams: 0,
        maxConcurrentStreams: 50,
        goaways: 0,
        connectedAt: expect.any(Number),
      });
      // The same status reaches listeners of the once-a-second statistics event.
      await event;
      const [cluster] = await client.listBalancers();
      expect(cluster?.members[0]).not.toHaveProperty('http2');
    });

    it('saves the configuration in force back to the routing file, keeping comments', async () => {
      expect(await client.saveConfig()).toEqual({ path: configPath });
      const text = await readFile(configPath, 'utf8');
      expect(text).toContain('# kept comment');
      expect(text).toContain('loadFactor: 5');
      expect((await client.getStatus()).unsaved).toBe(false);
      expect((await client.getConfig()).text).toBe(text);
    });

    it('imports an Apache configuration as YAML and exports the running one', async () => {
      const imported = await client.importApache(
        'Listen 8080\n<VirtualHost *:8080>\n  ProxyPass /app http://127.0.0.1:3000/app\n  Bogus On\n</VirtualHost>\n',
      );
      expect(imported.ok).toBe(true);
      expect(imported.yaml).toContain('to: http://127.0.0.1:3000/app');
      expect(imported.problems.map((p) => p.line)).toContain(4);
      const broken = await client.importApache('<VirtualHost *:80>\n');
      expect(broken.ok).toBe(false);
      expect(await client.exportConfig('nginx')).toContain('upstream');
      await expect(client.exportConfig('iis' as never)).rejects.toThrow();
    });

    it('reports and creates the local CA', async () => {
      const before = await client.getCaStatus();
      expect(before.exists).toBe(false);
      const pem = await client.exportCaPem();
      expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const after = await client.getCaStatus();
      expect(after).toMatchObject({ exists: true, stores: [], missingNames: [] });
      expect(after.permitted).toContain('localhost');
      expect(after.nodeHint).toContain('NODE_EXTRA_CA_CERTS');
    });

    // Last: it applies a configuration of its own, and only these tests need a gRPC backend.
    describe('gRPC message schemas', () => {
      let rpc: Awaited<ReturnType<typeof startGrpc>>;

      beforeAll(async () => {
        rpc = await startGrpc();
        await copyFile(ORDERS_PROTO, join(dir, 'orders.proto'));
        const base = configFor(a, b, h2c.url);
        const rpcRoute = (service: string) => ({
          name: service.replaceAll('.', '-'),
          match: { path: `/${service}` },
          to: `${rpc.url}/${service}`,
        });
        const { listeners } = await client.applyConfig({
          ...base,
          routes: [rpcRoute('shop.v1.Orders'), rpcRoute('contract.v1.Echo'), ...base.routes],
          grpc: { protos: ['orders.proto'] },
        });
        proxyUrl = listeners[0]!.url;
      });
      afterAll(() => rpc.close());

      /** The id of the finished call to `method`, once the log holds it. */
      async function callId(method: string): Promise<number> {
        for (let i = 0; i < 100; i++) {
          const found = (await client.listExchanges()).find(
            (s) => s.grpc?.method === method && s.outcome !== 'pending',
          );
          if (found) return found.id;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`no finished ${method} call in the log`);
      }

      it('names a call from a .proto the routing file lists', async () => {
        expect((await rpc.call(proxyUrl, '/shop.v1.Orders/Get')).toString()).toBe('\n\x01A');
        const schema = await client.grpcSchema(await callId('Get'));
        expect(schema).toMatchObject({
          source: 'proto',
          origin: join(dir, 'orders.proto'),
          request: 'shop.v1.OrderRequest',
          response: 'shop.v1.Order',
        });
        expect(schema.types['shop.v1.OrderRequest']!.fields.map((f) => f.name)).toEqual([
          'id',
          'labels',
        ]);
        expect(schema.types['shop.v1.Order']!.fields.map((f) => f.name)).toEqual([
          'id',
          'status',
          'items',
          'placed',
        ]);
      });

      it('names a call the routing file does not describe with a .proto opened in the app', async () => {
        await rpc.call(proxyUrl, '/contract.v1.Echo/Say');
        const id = await callId('Say');
        // No file describes it and the backend offers no reflection.
        const before = await client.grpcSchema(id);
        expect(before).toMatchObject({ source: 'none', types: {} });
        expect(before.note).toMatch(/reflection/);
        expect(await client.openProtos([{ name: 'echo.proto', text: ECHO_PROTO }])).toEqual({
          loaded: ['echo.proto'],
          problems: [],
        });
        const after = await client.grpcSchema(id);
        expect(after).toMatchObject({
          source: 'proto',
          origin: 'echo.proto (opened in the app)',
          request: 'contract.v1.Ping',
          response: 'contract.v1.Pong',
        });
        expect(after.types['contract.v1.Pong']!.fields[0]).toMatchObject({
          number: 1,
          name: 'text',
          type: 'string',
        });
      });

      it('refuses bad .proto input with a reason, reports broken files, and keeps answering', async () => {
        const file = (name: string) => ({ name, text: ECHO_PROTO });
        const tooMany = await refusal(
          client.openProtos(Array.from({ length: 11 }, (_, i) => file(`f${i}.proto`))),
        );
        expect(tooMany.message).toMatch(/^openProtos: .*<=10 items/);
        const none = await refusal(client.openProtos([]));
        expect(none.message).toMatch(/^openProtos: .*>=1 items/);
        const big = await refusal(
          client.openProtos([{ name: 'big.proto', text: ' '.repeat(512 * 1024 + 1) }]),
        );
        expect(big.message).toMatch(/^openProtos: .*text.*<=524288 characters/);

        // Files that do not parse are problems in the answer, with file and line.
        const broken = await client.openProtos([
          { name: 'broken.proto', text: 'syntax = "proto3";\nmessage {\n' },
          { name: 'lonely.proto', text: 'syntax = "proto3";\nimport "gone.proto";\n' },
          { name: 'unknown.proto', text: 'syntax = "proto3";\nmessage N { Missing m = 1; }\n' },
        ]);
        expect(broken.loaded).toEqual([]);
        expect(broken.problems).toHaveLength(3);
        expect(broken.problems[0]).toMatch(/^broken\.proto:2: illegal/);
        expect(broken.problems[1]).toMatch(/^lonely\.proto: cannot import gone\.proto/);
        expect(broken.problems[2]).toMatch(/^unknown\.proto: no such Type or Enum 'Missing'/);

        // The same connection still answers, and what was opened before still names calls.
        expect((await client.getStatus()).listeners).toHaveLength(1);
        expect(await client.grpcSchema(await callId('Say'))).toMatchObject({ source: 'proto' });
      });

      it('refuses the schema of an exchange the log does not hold or that is not gRPC', async () => {
        const gone = await refusal(client.grpcSchema(999_999));
        expect(gone.message).toBe('exchange 999999 is no longer in the traffic log');
        await (await fetch(`${proxyUrl}/not-grpc`)).text();
        const [plain] = await client.listExchanges({ text: '/not-grpc' });
        const notGrpc = await refusal(client.grpcSchema(plain!.id));
        expect(notGrpc.message).toBe(`exchange ${plain!.id} is not a gRPC call`);
      });
    });

    describe('search with the filter language', () => {
      it('finds an exchange by a term in its body and says where it matched', async () => {
        await (await fetch(`${proxyUrl}/search-me?ref=order-4242`)).text();
        await (await fetch(`${proxyUrl}/search-other`)).text();
        const found = await client.searchExchanges('body:"order-4242"');
        expect(found.total).toBeGreaterThanOrEqual(2);
        expect(found.matches).toHaveLength(1);
        const [match] = found.matches;
        expect(match!.hits).toEqual([
          expect.objectContaining({ term: 'body:"order-4242"', field: 'response body' }),
        ]);
        expect(match!.hits[0]!.snippet).toContain('order-4242');
        // The same query filters the list and the HAR export ("export what I see").
        const listed = await client.listExchanges({ query: 'status:2xx body:"order-4242"' });
        expect(listed.map((s) => s.id)).toEqual([match!.id]);
        const har = JSON.parse(await client.exportHar({ query: 'body:"order-4242"' })) as {
          log: { entries: { request: { url: string } }[] };
        };
        expect(har.log.entries.map((e) => e.request.url)).toEqual([
          expect.stringContaining('/search-me?ref=order-4242'),
        ]);
      });

      it('refuses a query it cannot read, naming where', async () => {
        const wrong = await refusal(client.searchExchanges('stauts:500'));
        expect(wrong.message).toMatch(
          /^query: unknown field 'stauts' \(did you mean status\?\).*\(at character 1\)$/,
        );
        const listed = await refusal(client.listExchanges({ query: 'size>lots' }));
        expect(listed.message).toMatch(/^query: size needs a number/);
      });
    });

    describe('apps', () => {
      it('serves a registered instance at NAME.localhost until it is unregistered', async () => {
        const env = await client.appEnvironment('contract-app');
        const port = new URL(proxyUrl).port;
        expect(env.urls).toEqual([`http://contract-app.localhost:${port}`]);
        expect(env.env.SWITCHYARD_URL).toBe(env.urls[0]);
        const announced = next(client, 'apps');
        const { id, urls } = await client.registerApp({
          name: 'contract-app',
          port: Number(new URL(b.url).port),
          pid: 4242,
          command: 'node server.js',
        });
        expect(urls).toEqual(env.urls);
        const apps = await announced;
        expect(apps.find((x) => x.name === 'contract-app')).toMatchObject({
          host: 'contract-app.localhost',
          state: 'up',
          inFile: false,
          instances: [{ id, source: 'run', pid: 4242, state: 'up' }],
        });
        // fetch() drops a Host header: a plain request names the app.
        const reply = await send(Number(port), '/x', {
          headers: { host: 'contract-app.localhost' },
        });
        expect((JSON.parse(reply.body) as { backend: string }).backend).toBe('b');
        const log = await client.getAppLog('contract-app', { search: 'SWITCHYARD RUN' });
        expect(log.map((l) => l.stream)).toEqual(['system']);
        expect(log[0]!.text).toContain('node server.js');
        const stop = await refusal(client.controlApp('contract-app', 'stop'));
        expect(stop.message).toContain('stop it there (Ctrl-C)');
        await client.unregisterApp(id);
        expect((await client.listApps()).some((x) => x.name === 'contract-app')).toBe(false);
      });

      it('adds and removes an alias for a port something else serves', async () => {
        await client.setAppAlias('grafana', Number(new URL(a.url).port));
        const [alias] = await client.listApps();
        expect(alias).toMatchObject({ name: 'grafana', state: 'alias', inFile: true });
        const port = Number(new URL(proxyUrl).port);
        const reply = await send(port, '/d', { headers: { host: 'grafana.localhost' } });
        expect((JSON.parse(reply.body) as { backend: string }).backend).toBe('a');
        await client.setAppAlias('grafana', null);
        expect(await client.listApps()).toEqual([]);
        const missing = await refusal(client.setAppAlias('grafana', null));
        expect(missing.message).toBe("there is no alias named 'grafana'");
      });

      it('refuses a registration nothing serves, a bad name and an unknown app', async () => {
        const dead = await refusal(client.registerApp({ name: 'ghost', port: 1 }));
        expect(dead.message).toContain('nothing listens on port 1');
        const bad = await refusal(client.registerApp({ name: 'Not_A_Name', port: 80 }));
        expect(bad.message).toMatch(/must be a DNS name/);
        const unknown = await refusal(client.controlApp('nobody', 'start'));
        expect(unknown.message).toBe("no app is named 'nobody'");
        expect(await client.listApps()).toEqual([]);
      });
    });
  });
}
