/**
 * The sticky inspector and "pin me to member X" (issue 15): sessions seen per sticky
 * balancer, and a link on the proxy that pins the visitor's browser to one member.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { Engine } from '../../src/engine/engine.js';
import { routingConfigSchema } from '../../src/shared/config.js';
import { startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';

let a: Backend;
let b: Backend;
let engine: Engine;
let api: EngineApi;
let port: number;

beforeAll(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-sticky-')) });
  await engine.apply(
    routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        {
          name: 'shop',
          match: { host: 'shop.localhost', path: '/shop' },
          to: 'balancer://cluster/',
        },
        { name: 'plain', match: { path: '/plain' }, to: 'balancer://loose/' },
      ],
      balancers: [
        {
          name: 'cluster',
          stickySession: 'ROUTEID',
          members: [
            { url: a.url, route: 'a' },
            { url: b.url, route: 'b' },
          ],
        },
        { name: 'loose', members: [{ url: a.url }] },
      ],
    }),
  );
  api = new EngineApi(engine, { host: 'headless', version: 't' });
  port = engine.listeners()[0]!.port;
});

afterAll(async () => {
  api.close();
  await engine.close({ graceMs: 0 });
  await a.close();
  await b.close();
});

const shop = (path: string, cookie?: string) =>
  send(port, path, { headers: { host: 'shop.localhost', ...(cookie ? { cookie } : {}) } });

it('lists the sessions a sticky balancer has seen, with their member and counts', async () => {
  await shop('/shop/1', 'ROUTEID=s1.a');
  await shop('/shop/2', 'ROUTEID=s1.a');
  await shop('/shop/3', 'ROUTEID=s2.b');
  await shop('/shop/4?ROUTEID=s3.b');
  const sessions = await api.listStickySessions('cluster');
  expect(sessions.map((s) => [s.session, s.route, s.member, s.requests, s.source])).toEqual([
    ['s3.b', 'b', b.url, 1, 'query parameter'],
    ['s2.b', 'b', b.url, 1, 'cookie'],
    ['s1.a', 'a', a.url, 2, 'cookie'],
  ]);
  expect(sessions[2]!.firstSeen).toBeLessThanOrEqual(sessions[2]!.lastSeen);
  expect(await api.listStickySessions('loose')).toEqual([]);
});

it('pins a browser to a member with a link on the host the balancer serves', async () => {
  const links = await api.pinLinks('cluster');
  const toB = links.find((l) => l.route === 'b')!;
  expect(toB.member).toBe(b.url);
  expect(toB.urls).toEqual([
    `http://shop.localhost:${port}/shop/__switchyard/pin?route=b&back=%2Fshop`,
  ]);
  const url = new URL(toB.urls[0]!);
  const pinned = await shop(url.pathname + url.search);
  expect(pinned.status).toBe(302);
  expect(pinned.headers.location).toBe('/shop');
  expect(pinned.headers['set-cookie']).toEqual(['ROUTEID=pinned.b; Path=/; SameSite=Lax']);
  // What the browser sends from then on reaches member b, every time.
  const cookie = pinned.headers['set-cookie']![0]!.split(';')[0]!;
  const seenBefore = b.seen.length;
  for (let i = 0; i < 3; i++) expect((await shop('/shop/x', cookie)).status).toBe(200);
  expect(b.seen.length - seenBefore).toBe(3);
  const [latest] = await api.listStickySessions('cluster');
  expect(latest).toMatchObject({ session: 'pinned.b', member: b.url, requests: 3 });
});

it('never redirects off the host, and says what is wrong with a bad pin', async () => {
  const away = await shop('/shop/__switchyard/pin?route=a&back=//evil.example/');
  expect(away.headers.location).toBe('/');
  const unknown = await shop('/shop/__switchyard/pin?route=zz');
  expect(unknown.status).toBe(400);
  expect(unknown.body).toBe(
    "Balancer 'cluster' has no member with route 'zz'; its routes: a, b.\n",
  );
  await expect(api.pinLinks('loose')).rejects.toThrow(
    "balancer 'loose' has no stickySession: a browser cannot be pinned",
  );
});
