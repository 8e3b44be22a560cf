/**
 * Load balancing through real sockets: methods, member states, sticky sessions, failover
 * that never sends a POST twice, health checks against a flapping backend, runtime
 * control (balancer-manager) and MemberStats surviving reloads.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSummary } from '../../src/shared/exchange.js';
import type { RoutingConfigInput } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { nextMessage, openWs, startWsBackend } from '../support/ws.js';

type Balancers = NonNullable<RoutingConfigInput['balancers']>;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function backends(n: number): Promise<Backend[]> {
  const all = await Promise.all(Array.from({ length: n }, (_, i) => startBackend(`m${i + 1}`)));
  cleanups.push(() => Promise.all(all.map((b) => b.close())));
  return all;
}

async function balanced(
  balancers: Balancers,
): Promise<RunningProxy & { reports: ExchangeSummary[] }> {
  const proxy = await startProxy({
    listeners: [{ name: 'web', port: 0 }],
    routes: [{ name: 'shop', match: { path: '/' }, to: 'balancer://cluster/' }],
    balancers,
  });
  cleanups.push(() => proxy.close());
  const reports: ExchangeSummary[] = [];
  proxy.engine.events.on('exchange', (r) => reports.push(r));
  return Object.assign(proxy, { reports });
}

async function who(
  proxy: RunningProxy,
  init: RequestInit & { path?: string } = {},
): Promise<string> {
  const res = await fetch(`${proxy.url()}${init.path ?? '/x'}`, init);
  if (res.status !== 200) return `${res.status}`;
  return ((await res.json()) as { backend: string }).backend;
}

async function tally(
  proxy: RunningProxy,
  n: number,
  init?: RequestInit,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await who(proxy, init);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** A backend that accepts a connection, reads the request, then resets it. */
async function resettingBackend(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = net.createServer((socket) => {
    socket.on('data', () => {
      requests++;
      socket.resetAndDestroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests: () => requests,
  };
}

describe('balancing through real backends', () => {
  it('byrequests shares requests by loadFactor', async () => {
    const [a, b, c] = await backends(3);
    const proxy = await balanced([
      {
        name: 'cluster',
        members: [
          { url: a!.url, loadFactor: 1 },
          { url: b!.url, loadFactor: 2 },
          { url: c!.url, loadFactor: 3 },
        ],
      },
    ]);
    expect(await tally(proxy, 60)).toEqual({ m1: 10, m2: 20, m3: 30 });
    expect(proxy.reports.at(-1)?.why).toBe('picked by byrequests');
  });

  it('bybusyness sends new requests away from a member that is still busy', async () => {
    const [slow, fast] = await backends(2);
    slow!.handle((_req, res) => setTimeout(() => res.end('{"backend":"m1"}'), 400));
    const proxy = await balanced([
      { name: 'cluster', method: 'bybusyness', members: [{ url: slow!.url }, { url: fast!.url }] },
    ]);
    const first = who(proxy); // ties go by rotation: the first request takes m1 and stays busy
    await new Promise((r) => setTimeout(r, 50));
    expect(await tally(proxy, 5)).toEqual({ m2: 5 });
    expect(await first).toBe('m1');
  });

  it('keeps sticky sessions on their member: cookie, path parameter and query forms', async () => {
    const [a, b] = await backends(2);
    const proxy = await balanced([
      {
        name: 'cluster',
        stickySession: 'JSESSIONID',
        members: [
          { url: a!.url, route: '1' },
          { url: b!.url, route: '2' },
        ],
      },
    ]);
    expect(await tally(proxy, 4, { headers: { cookie: 'JSESSIONID=abc.2' } })).toEqual({ m2: 4 });
    expect(proxy.reports.at(-1)?.why).toBe('sticky route 2 from cookie JSESSIONID');
    expect(await who(proxy, { path: '/cart;jsessionid=abc.1' })).toBe('m1');
    expect(await who(proxy, { path: '/cart?jsessionid=abc.2' })).toBe('m2');
    expect(b!.seen.at(-1)?.url).toBe('/cart?jsessionid=abc.2');
  });

  it('answers 503 with Retry-After when a session is stuck to a dead member and failover is off', async () => {
    const [a] = await backends(1);
    const dead = await deadPort();
    const proxy = await balanced([
      {
        name: 'cluster',
        stickySession: 'JSESSIONID',
        failover: false,
        members: [
          { url: a!.url, route: '1' },
          { url: `http://127.0.0.1:${dead}`, route: '2', state: 'disabled' },
        ],
      },
    ]);
    const res = await fetch(`${proxy.url()}/x`, {
      headers: { cookie: 'JSESSIONID=abc.2', accept: 'application/json' },
    });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await res.json()) as { error: { detail: string } };
    expect(body.error.detail).toContain('failover is off for balancer cluster');
  });

  it('fails over from a dead member, marks it in error and says why', async () => {
    const [live] = await backends(1);
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const proxy = await balanced([
      { name: 'cluster', members: [{ url: dead }, { url: live!.url }] },
    ]);
    expect(await tally(proxy, 6)).toEqual({ m1: 6 });
    expect(proxy.reports[0]?.why).toBe(
      `failover attempt 2 after ${dead} failed; picked by byrequests`,
    );
    expect(proxy.reports[0]?.attempts).toBe(2);
    // Afterwards the dead member is in error and skipped without an attempt.
    expect(proxy.reports.at(-1)?.attempts).toBe(1);
    const member = proxy.engine.balancers()[0]!.members[0]!;
    expect(member.stats.errors).toBe(1);
    expect(member.stats.errorReason).toBe('connection refused');
  });

  it('replays a POST body to the next member when the first refused the connection', async () => {
    const [live] = await backends(1);
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const proxy = await balanced([
      { name: 'cluster', members: [{ url: dead }, { url: live!.url }] },
    ]);
    const body = 'x'.repeat(100_000);
    const res = await fetch(`${proxy.url()}/orders`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(live!.seen).toHaveLength(1);
    expect(live!.seen[0]?.body).toBe(body);
  });

  it('never sends a POST twice: a member that reset after reading it gives 502', async () => {
    const resetting = await resettingBackend();
    const [other] = await backends(1);
    const proxy = await balanced([
      { name: 'cluster', members: [{ url: resetting.url }, { url: other!.url }] },
    ]);
    const res = await fetch(`${proxy.url()}/orders`, { method: 'POST', body: 'pay once' });
    expect(res.status).toBe(502);
    expect(resetting.requests()).toBe(1);
    expect(other!.seen).toHaveLength(0);
    // The same failure on a GET is retried on the other member.
    expect(await who(proxy, { path: '/orders' })).toBe('m1');
  });

  it('uses standby members only when no enabled member is usable', async () => {
    const [main, spare] = await backends(2);
    const proxy = await balanced([
      { name: 'cluster', members: [{ url: main!.url }, { url: spare!.url, state: 'standby' }] },
    ]);
    expect(await tally(proxy, 3)).toEqual({ m1: 3 });
    await proxy.engine.setMember('cluster', main!.url, { state: 'disabled' });
    expect(await tally(proxy, 3)).toEqual({ m2: 3 });
    expect(proxy.reports.at(-1)?.why).toBe('picked by byrequests from the standby members');
  });

  it('answers 503 with Retry-After when no member is usable', async () => {
    const [a] = await backends(1);
    const proxy = await balanced([
      { name: 'cluster', retry: '20s', members: [{ url: a!.url, state: 'disabled' }] },
    ]);
    const res = await fetch(`${proxy.url()}/x`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(await res.text()).toContain('is disabled');
  });

  it('changes states and loadFactors live, adds and removes members (balancer-manager)', async () => {
    const [a, b, c] = await backends(3);
    const proxy = await balanced([
      { name: 'cluster', members: [{ url: a!.url }, { url: b!.url }] },
    ]);
    await proxy.engine.setMember('cluster', a!.url, { loadFactor: 3 });
    expect(await tally(proxy, 8)).toEqual({ m1: 6, m2: 2 });
    await proxy.engine.setMember('cluster', b!.url, { state: 'draining' });
    expect(await tally(proxy, 3)).toEqual({ m1: 3 });
    await proxy.engine.addMember('cluster', { url: c!.url, loadFactor: 3, state: 'enabled' });
    await proxy.engine.removeMember('cluster', a!.url);
    expect(await tally(proxy, 2)).toEqual({ m3: 2 });
    await expect(
      proxy.engine.setMember('cluster', 'http://127.0.0.1:1', { state: 'disabled' }),
    ).rejects.toThrow("balancer 'cluster' has no member http://127.0.0.1:1");
  });

  it('keeps MemberStats across a reload of the routing file', async () => {
    const [a, b] = await backends(2);
    const config: Balancers = [{ name: 'cluster', members: [{ url: a!.url }, { url: b!.url }] }];
    const proxy = await balanced(config);
    await tally(proxy, 4);
    await proxy.apply({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'renamed', match: { path: '/' }, to: 'balancer://cluster/' }],
      balancers: config,
    });
    expect(proxy.engine.balancers()[0]!.members.map((m) => m.stats.elected)).toEqual([2, 2]);
    await tally(proxy, 2);
    expect(proxy.engine.balancers()[0]!.members.map((m) => m.stats.elected)).toEqual([3, 3]);
  });

  it('takes a member out on failed health checks and back when it passes again', async () => {
    const [flappy, steady] = await backends(2);
    let healthy = true;
    flappy!.handle((req, res) => {
      if (req.url === '/health') res.writeHead(healthy ? 200 : 500).end();
      else res.end('{"backend":"m1"}');
    });
    const proxy = await balanced([
      {
        name: 'cluster',
        healthCheck: { path: '/health', interval: '100ms', passes: 1, fails: 2 },
        members: [{ url: flappy!.url }, { url: steady!.url }],
      },
    ]);
    const changes: string[] = [];
    proxy.engine.events.on('health', (c) =>
      changes.push(`${c.member.endsWith(String(flappy!.port)) ? 'm1' : 'm2'} ${c.health}`),
    );
    await expect.poll(() => changes.length, { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
    healthy = false;
    await expect.poll(() => changes.includes('m1 unhealthy'), { timeout: 3_000 }).toBe(true);
    expect(await tally(proxy, 4)).toEqual({ m2: 4 });
    const status = proxy.engine.balancers()[0]!.members[0]!.stats;
    expect(status.health).toBe('unhealthy');
    expect(status.lastCheck?.detail).toBe('GET /health answered 500');
    healthy = true;
    await expect.poll(() => changes.at(-1), { timeout: 3_000 }).toBe('m1 healthy');
    expect(await tally(proxy, 4)).toEqual({ m1: 2, m2: 2 });
  });

  it('balances WebSocket handshakes and keeps them sticky', async () => {
    const ws1 = await startWsBackend();
    const ws2 = await startWsBackend();
    cleanups.push(() => Promise.all([ws1.close(), ws2.close()]));
    const proxy = await balanced([
      {
        name: 'cluster',
        stickySession: 'JSESSIONID',
        members: [
          { url: ws1.url, route: '1' },
          { url: ws2.url, route: '2' },
        ],
      },
    ]);
    for (let i = 0; i < 3; i++) {
      const opened = await openWs(`ws://127.0.0.1:${proxy.port()}/socket`, {
        headers: { cookie: 'JSESSIONID=z.2' },
      });
      if (!opened.ok) throw new Error(`handshake answered ${opened.status}`);
      opened.ws.send('ping');
      expect(String((await nextMessage(opened.ws)).data)).toBe('ping');
      opened.ws.terminate();
    }
    expect(ws2.peers).toHaveLength(3);
    expect(ws1.peers).toHaveLength(0);
  });
});
