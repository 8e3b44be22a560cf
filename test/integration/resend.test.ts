/**
 * Edit and resend, and fan-out to every member (issue 15), against real backends: the new
 * exchanges are linked to their origin, go where they were sent, and carry nothing of the
 * mechanism to the backend; a forged resend header steers nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { Engine } from '../../src/engine/engine.js';
import { routingConfigSchema } from '../../src/shared/config.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { send } from '../support/http.js';
import { until } from '../support/until.js';

let a: Backend;
let b: Backend;
let engine: Engine;
let api: EngineApi;
let port: number;
let dead: number;

beforeAll(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  dead = await deadPort();
  engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-resend-')) });
  await engine.apply(
    routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [
        { name: 'shop', match: { path: '/shop' }, to: 'balancer://cluster/' },
        { name: 'half', match: { path: '/half' }, to: 'balancer://half/' },
        { name: 'plain', match: { path: '/' }, to: a.url },
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
        {
          name: 'half',
          members: [{ url: a.url }, { url: `http://127.0.0.1:${dead}` }],
        },
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

/** Send a request and return the id of its exchange. */
async function recorded(path: string, options: Parameters<typeof send>[2] = {}): Promise<number> {
  await send(port, path, options);
  const summary = await until('recorded', () =>
    engine.recorder
      .list()
      .find((s) => s.url === path && s.outcome !== 'pending' && s.resentFrom === undefined),
  );
  return summary.id;
}

function summaryOf(id: number) {
  const rec = engine.recorder.get(id);
  if (!rec) throw new Error(`no exchange ${id}`);
  return rec.summary;
}

describe('edit and resend', () => {
  it('sends the request again with edits; the new exchange says where it came from', async () => {
    const original = await recorded('/shop/cart', {
      headers: { 'x-trace': 'one', cookie: 'ROUTEID=.a' },
    });
    const resent = await api.resendExchange(original, {
      method: 'POST',
      url: '/shop/cart?again=1',
      headers: [
        ['host', 'shop.test'],
        ['x-trace', 'two'],
        ['cookie', 'ROUTEID=.b'],
        ['content-type', 'text/plain'],
      ],
      body: Buffer.from('edited body').toString('base64'),
    });
    expect(resent.status).toBe(200);
    expect(resent.id).toBeGreaterThan(original);
    const summary = await until('ended', () =>
      summaryOf(resent.id).outcome === 'completed' ? summaryOf(resent.id) : undefined,
    );
    expect(summary).toMatchObject({
      resentFrom: original,
      method: 'POST',
      url: '/shop/cart?again=1',
    });
    // The edits reached the backend (sticky to b through the edited cookie) …
    const seen = b.seen.at(-1)!;
    expect(seen).toMatchObject({ method: 'POST', url: '/cart?again=1', body: 'edited body' });
    expect(seen.headers['x-trace']).toBe('two');
    // … and the mechanism did not: neither the backend nor the log sees the ticket.
    expect(seen.headers['x-switchyard-resend']).toBeUndefined();
    const detail = engine.recorder.get(resent.id)!.detail();
    expect(detail.requestHeaders.some(([n]) => n.toLowerCase() === 'x-switchyard-resend')).toBe(
      false,
    );
  });

  it('a client cannot steer anything with a resend header of its own', async () => {
    const before = a.seen.length + b.seen.length;
    await send(port, '/shop/forged', {
      headers: { 'x-switchyard-resend': 'f'.repeat(32), cookie: 'ROUTEID=.a' },
    });
    expect(a.seen.length + b.seen.length).toBe(before + 1);
    const seen = a.seen.at(-1)!;
    expect(seen.url).toBe('/forged');
    expect(seen.headers['x-switchyard-resend']).toBeUndefined();
    const summary = await until('forged recorded', () =>
      engine.recorder.list().find((s) => s.url === '/shop/forged' && s.outcome !== 'pending'),
    );
    expect(summary.resentFrom).toBeUndefined();
  });
});

describe('fan-out to every member', () => {
  it('asks each enabled member the same question, bypassing stickiness', async () => {
    const original = await recorded('/shop/items', { headers: { cookie: 'ROUTEID=.a' } });
    const out = await api.fanOutExchange(original);
    expect(out.balancer).toBe('cluster');
    expect(out.results.map((r) => [r.member, r.status])).toEqual([
      [a.url, 200],
      [b.url, 200],
    ]);
    for (const row of out.results) {
      const s = summaryOf(row.id!);
      expect(s.resentFrom).toBe(original);
      expect(s.member).toBe(row.member);
      expect(s.why).toMatch(/on purpose \(fan-out\)/);
    }
  });

  it('asks before sending a body or a non-idempotent method to every member', async () => {
    const original = await recorded('/shop/orders', {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    await expect(api.fanOutExchange(original)).rejects.toThrow(
      'confirm sending it to every member: POST is not idempotent',
    );
    const aBefore = a.seen.length;
    const out = await api.fanOutExchange(original, { confirmed: true });
    expect(out.results.every((r) => r.status === 200)).toBe(true);
    expect(a.seen.slice(aBefore).map((s) => s.body)).toEqual(['{"n":1}']);
    expect(b.seen.at(-1)!.body).toBe('{"n":1}');
  });

  it('a member that is down fills its own column with its error; the others still answer', async () => {
    const original = await recorded('/half/x');
    const out = await api.fanOutExchange(original);
    const [up, down] = out.results;
    expect(up).toMatchObject({ member: a.url, status: 200 });
    expect(down!.status).toBe(502);
    expect(summaryOf(down!.id!).error).toMatch(/refused/i);
  });

  it('says why a request outside any balancer has no members to ask', async () => {
    const original = await recorded('/plain');
    await expect(api.fanOutExchange(original)).rejects.toThrow(
      "went through route 'plain', which sends to no balancer",
    );
  });
});
