import { describe, expect, it } from 'vitest';
import { Balancer, type Member } from '../../../../src/engine/balancing/balancer.js';
import { MemberStatsStore } from '../../../../src/engine/balancing/member-stats.js';
import {
  balancerSchema,
  type BalancerMethod,
  type MemberState,
} from '../../../../src/shared/config.js';

interface PoolMember {
  port: number;
  loadFactor?: number;
  state?: MemberState;
  route?: string;
}

/** A balancer over members on 127.0.0.1 ports (no sockets: selection only). */
function testPool(
  method: BalancerMethod,
  members: PoolMember[],
  extra: Record<string, unknown> = {},
) {
  const config = balancerSchema.parse({
    name: 'pool',
    method,
    ...extra,
    members: members.map(({ port, ...rest }) => ({ url: `http://127.0.0.1:${port}`, ...rest })),
  });
  return new Balancer(config, new MemberStatsStore());
}

function distribution(
  balancer: Balancer,
  n: number,
  onPick?: (m: Member) => void,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const choice = balancer.choose({ path: '/', query: '', cookie: undefined }, new Set());
    if (!choice.member) throw new Error(choice.why);
    const port = choice.member.target.port;
    counts[port] = (counts[port] ?? 0) + 1;
    onPick?.(choice.member);
  }
  return counts;
}

describe('balancing methods', () => {
  it.each([
    { loadFactors: [1, 1, 1], n: 300 },
    { loadFactors: [10, 20, 70], n: 1000 },
    { loadFactors: [1, 3], n: 400 },
  ])(
    'byrequests shares requests by loadFactor $loadFactors exactly over $n',
    ({ loadFactors, n }) => {
      const b = testPool(
        'byrequests',
        loadFactors.map((lf, i) => ({ port: 9001 + i, loadFactor: lf })),
      );
      const counts = distribution(b, n);
      const total = loadFactors.reduce((a, x) => a + x, 0);
      loadFactors.forEach((lf, i) => {
        // Smooth weighted round robin is exact whenever n is a multiple of the total weight.
        expect(counts[9001 + i]).toBe((n * lf) / total);
      });
    },
  );

  it('byrequests interleaves rather than bursting (no member twice in a row at equal weight)', () => {
    const b = testPool('byrequests', [{ port: 1 }, { port: 2 }, { port: 3 }]);
    const order: number[] = [];
    distribution(b, 9, (m) => order.push(m.target.port));
    expect(order).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('bytraffic sends the next request to the member that moved the fewest bytes per loadFactor', () => {
    const b = testPool('bytraffic', [
      { port: 1, loadFactor: 1 },
      { port: 2, loadFactor: 2 },
    ]);
    const [m1, m2] = b.members as [Member, Member];
    m1.stats.bytesIn = 1000;
    m2.stats.bytesIn = 1500; // 750 per unit of loadFactor
    expect(distribution(b, 1)).toEqual({ 2: 1 });
    m2.stats.bytesIn = 2400; // 1200 per unit
    expect(distribution(b, 1)).toEqual({ 1: 1 });
  });

  it('bytraffic shares bytes by loadFactor when every response has the same size', () => {
    const b = testPool('bytraffic', [
      { port: 1, loadFactor: 1 },
      { port: 2, loadFactor: 3 },
    ]);
    const counts = distribution(b, 400, (m) => (m.stats.bytesIn += 100));
    expect(counts[1]! / 400).toBeCloseTo(0.25, 1);
    expect(counts[2]! / 400).toBeCloseTo(0.75, 1);
  });

  it('bybusyness picks the member with the fewest requests in flight, ties by loadFactor', () => {
    const b = testPool('bybusyness', [
      { port: 1, loadFactor: 1 },
      { port: 2, loadFactor: 3 },
      { port: 3 },
    ]);
    const [m1, m2, m3] = b.members as [Member, Member, Member];
    m1.stats.busy = 2;
    m2.stats.busy = 2;
    m3.stats.busy = 5;
    const counts = distribution(b, 400);
    expect(counts).toEqual({ 1: 100, 2: 300 });
    m2.stats.busy = 1;
    expect(distribution(b, 3)).toEqual({ 2: 3 });
  });

  it.each(['byrequests', 'bytraffic', 'bybusyness'] as const)(
    '%s respects member states',
    (method) => {
      const b = testPool(method, [
        { port: 1, state: 'disabled' },
        { port: 2, state: 'draining' },
        { port: 3 },
        { port: 4, state: 'standby' },
      ]);
      expect(distribution(b, 10)).toEqual({ 3: 10 });
    },
  );

  it.each(['byrequests', 'bytraffic', 'bybusyness'] as const)(
    '%s uses standby members only when no enabled member is usable',
    (method) => {
      const b = testPool(method, [{ port: 1 }, { port: 2, state: 'standby' }]);
      b.markError(b.members[0]!, 'connection refused');
      expect(distribution(b, 4)).toEqual({ 2: 4 });
      const choice = b.choose({ path: '/', query: '', cookie: undefined }, new Set());
      expect(choice.why).toBe(`picked by ${method} from the standby members`);
    },
  );

  it('skips a member in error until its retry time, then tries it again', () => {
    const b = testPool('byrequests', [{ port: 1 }, { port: 2 }], { retry: '10s' });
    const now = 1_000_000;
    b.markError(b.members[0]!, 'connection refused', now);
    const pick = (at: number) =>
      b.choose({ path: '/', query: '', cookie: undefined }, new Set(), at).member?.target.port;
    expect([pick(now), pick(now + 5_000), pick(now + 9_999)]).toEqual([2, 2, 2]);
    const later = new Set([pick(now + 10_000), pick(now + 10_001)]);
    expect(later).toEqual(new Set([1, 2]));
  });

  it('answers no member, with a retry time, when none is usable', () => {
    const b = testPool('byrequests', [{ port: 1, state: 'disabled' }, { port: 2 }], {
      retry: '30s',
    });
    b.markError(b.members[1]!, 'connection refused', 0);
    const choice = b.choose({ path: '/', query: '', cookie: undefined }, new Set(), 1_000);
    expect(choice.member).toBeUndefined();
    expect(choice.why).toBe(
      'no usable member in balancer pool: http://127.0.0.1:1 is disabled, http://127.0.0.1:2 is in error (connection refused)',
    );
    expect(choice).toMatchObject({ retryAfterSeconds: 29 });
  });
});
