/**
 * A route's own access list (Apache <Proxy URL-prefix>) and a balancer's stickyCookie (the
 * ROUTEID recipe) through `switchyard export apache|nginx|caddy`: each export runs in the
 * real server and answers the same requests as Switchyard with the same routing file. The
 * file lets nobody in, so a route that admits this machine must widen the list and one
 * that admits only a LAN must narrow it. Only Apache carries stickyCookie (nginx and Caddy
 * say so in a comment), so the cookie is compared for Apache alone.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConfig } from '../../src/engine/export/export.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { servers, type PeerServer } from '../support/peer-servers.js';
import { parseConfig, startProxy, type RunningProxy } from '../support/proxy.js';

const LOCAL = ['127.0.0.0/8', '::1'];

function routing(port: number, a: string, b: string): Omit<RoutingConfigInput, 'version'> {
  return {
    listeners: [{ name: 'web', port, http2: false }],
    access: { allow: [] },
    routes: [
      { name: 'local', match: { path: '/local' }, to: `${a}/local`, access: { allow: LOCAL } },
      { name: 'lan', match: { path: '/lan' }, to: `${a}/lan`, access: { allow: ['10.0.0.0/8'] } },
      { name: 'sticky', match: { path: '/s' }, to: 'balancer://c/s', access: { allow: LOCAL } },
      { name: 'rest', match: { path: '/' }, to: a },
    ],
    balancers: [
      {
        name: 'c',
        stickySession: 'ROUTEID',
        stickyCookie: { path: '/' },
        members: [
          { url: a, route: '1' },
          { url: b, route: '2' },
        ],
      },
    ],
  };
}

type Request = [path: string, cookie?: string];

// One request only is left to the balancing method (a second pick would depend on the
// server's round-robin state, which httpd keeps per child process).
const REQUESTS: Request[] = [
  ['/local/page'],
  ['/lan/page'],
  ['/elsewhere'],
  ['/s/x', 'ROUTEID=.9'],
  ['/s/y', 'ROUTEID=.2'],
  ['/s/z', 'x=1; ROUTEID=.1'],
];

describe.each(['apache', 'nginx', 'caddy'] as PeerServer[])('%s: route access lists', (target) => {
  const { handle, skip } = servers[target];
  let a: Backend;
  let b: Backend;
  let proxy: RunningProxy;
  let server: { stop(): Promise<void> } | undefined;
  let serverPort: number;

  beforeAll(async () => {
    if (skip) return;
    a = await startBackend('a');
    b = await startBackend('b');
    serverPort = await deadPort();
    proxy = await startProxy(routing(0, a.url, b.url));
    const text = exportConfig(target, parseConfig(routing(serverPort, a.url, b.url)), {
      dataDir: await mkdtemp(join(tmpdir(), 'switchyard-export-access-')),
      source: 'switchyard.yaml',
    });
    server = await handle.start(text, serverPort);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await Promise.all([a, b].map((x) => x?.close()));
  });

  async function observe(port: number, [path, cookie]: Request, picked = true) {
    const before = [a, b].map((x) => x.seen.length);
    const reply = await send(port, path, { headers: cookie ? { cookie } : {} });
    const seen = [a, b].flatMap((x, i) =>
      x.seen.slice(before[i]).map((s) => `${['a', 'b'][i]} ${s.url}`),
    );
    return {
      status: reply.status,
      // Which member a fresh round robin picks first is the server's own choice.
      ...(picked ? { seen } : {}),
      ...(target === 'apache' ? { setCookie: reply.headers['set-cookie'] ?? [] } : {}),
    };
  }

  it.skipIf(skip)('admits and refuses the same clients, per route', async () => {
    const log: unknown[] = [];
    for (const request of REQUESTS) {
      // nginx's workers and Caddy each start their round robin where they like; httpd's
      // first pick is the first member (and its cookie says which, so it is compared).
      const picked = target === 'apache' || request[1] !== 'ROUTEID=.9';
      const ours = await observe(proxy.port(), request, picked);
      const theirs = await observe(serverPort, request, picked);
      expect({ request, ...theirs }).toEqual({ request, ...ours });
      log.push({ request, ...ours });
    }
    // The comparison means something only if the lists did their work in Switchyard.
    expect(log).toEqual([
      expect.objectContaining({ status: 200, seen: ['a /local/page'] }),
      expect.objectContaining({ status: 403, seen: [] }),
      expect.objectContaining({ status: 403, seen: [] }),
      expect.objectContaining({
        status: 200,
        ...(target === 'apache' ? { setCookie: ['ROUTEID=.1; path=/'] } : {}),
      }),
      expect.objectContaining({ status: 200, seen: ['b /s/y'] }),
      expect.objectContaining({ status: 200, seen: ['a /s/z'] }),
    ]);
  });
});
