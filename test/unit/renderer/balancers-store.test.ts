// @vitest-environment happy-dom
/**
 * The balancers store: statistics only while started, health events applied between
 * ticks, member changes through setMember with the result read back, failures reported.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useBalancersStore } from '../../../src/renderer/src/stores/balancers.js';
import { createFakeClient, fakeBalancer, type FakeClient } from '../../support/fake-client.js';
import { piniaWithClient, settle } from '../../support/renderer-mount.js';

const A = 'http://127.0.0.1:9001';
const B = 'http://127.0.0.1:9002';

describe('balancers store', () => {
  let client: FakeClient;

  beforeEach(() => {
    client = createFakeClient({
      balancers: [fakeBalancer('cluster', [{ url: A }, { url: B, state: 'standby' }])],
    });
    piniaWithClient(client);
  });

  it('loads on start and follows the statistics events until stopped', async () => {
    const store = useBalancersStore();
    const stop = store.start();
    await settle();
    expect(store.loaded).toBe(true);
    expect(store.balancers[0]!.members.map((m) => m.url)).toEqual([A, B]);
    expect(client.listenerCount('balancers')).toBe(1);
    expect(client.listenerCount('health')).toBe(1);

    const next = fakeBalancer('cluster', [{ url: A, stats: { elected: 7 } }]);
    client.emit('balancers', [next]);
    expect(store.balancers[0]!.members[0]!.stats.elected).toBe(7);

    stop();
    expect(client.listenerCount('balancers')).toBe(0);
    expect(client.listenerCount('health')).toBe(0);
  });

  it('shows a health change on its member at once and logs it', async () => {
    const store = useBalancersStore();
    store.start();
    await settle();
    const before = store.balancers[0]!.members[1];
    client.emit('health', {
      balancer: 'cluster',
      member: A,
      health: 'unhealthy',
      detail: 'connection refused',
    });
    const [a, b] = store.balancers[0]!.members;
    expect(a!.stats.health).toBe('unhealthy');
    expect(a!.stats.lastCheck).toMatchObject({ ok: false, detail: 'connection refused' });
    expect(b).toBe(before); // untouched members keep their identity
    expect(store.healthLog[0]).toMatchObject({ member: A, health: 'unhealthy' });
  });

  it('changes a member live and reads the result back', async () => {
    const store = useBalancersStore();
    store.start();
    await settle();
    const pending = store.setMember('cluster', B, { state: 'disabled' });
    expect(store.isBusy('cluster', B)).toBe(true);
    await pending;
    expect(store.isBusy('cluster', B)).toBe(false);
    expect(client.callsOf('setMember')).toEqual([['cluster', B, { state: 'disabled' }]]);
    expect(store.balancers[0]!.members[1]!.state).toBe('disabled');
  });

  it('reports a refused change and keeps the members as they were', async () => {
    const store = useBalancersStore();
    store.start();
    await settle();
    client.respond('setMember', () => Promise.reject(new Error('loadFactor must be ≤ 100')));
    await expect(store.setMember('cluster', A, { loadFactor: 500 })).rejects.toThrow();
    expect(store.error).toBe(`Could not change ${A}: loadFactor must be ≤ 100`);
    expect(store.balancers[0]!.members[0]!.loadFactor).toBe(1);
    expect(store.isBusy('cluster', A)).toBe(false);
  });
});
