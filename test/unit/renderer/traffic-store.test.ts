// @vitest-environment happy-dom
/**
 * The traffic store: batches queued and applied once per animation frame into one
 * shallow array (newest first, updates replace, capped at the ring size), resync on
 * start, `exchangesCleared`, subscriptions released, and actions reaching the client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTrafficStore } from '../../../src/renderer/src/stores/traffic.js';
import { createFakeClient, fakeSummary, type FakeClient } from '../../support/fake-client.js';
import { manualFrames, piniaWithClient, settle } from '../../support/renderer-mount.js';

describe('traffic store', () => {
  let client: FakeClient;
  let frames: ReturnType<typeof manualFrames>;

  beforeEach(() => {
    client = createFakeClient();
    frames = manualFrames();
    piniaWithClient(client);
  });

  afterEach(() => frames.restore());

  async function started(): Promise<ReturnType<typeof useTrafficStore>> {
    const store = useTrafficStore();
    store.start();
    await settle();
    frames.frame();
    return store;
  }

  it('loads the engine ring on start, newest first', async () => {
    client.data.exchanges = [1, 2, 3].map((id) => fakeSummary({ id }));
    const store = await started();
    expect(store.entries.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(client.listenerCount('exchanges')).toBe(1);
    expect(client.listenerCount('exchangesCleared')).toBe(1);
  });

  it('applies any number of batches once per animation frame', async () => {
    const store = await started();
    const seen: number[] = [];
    client.emit('exchanges', [fakeSummary({ id: 1 }), fakeSummary({ id: 2 })]);
    client.emit('exchanges', [fakeSummary({ id: 3 })]);
    expect(store.entries).toHaveLength(0); // queued, not applied
    expect(frames.pending()).toBe(1); // one frame requested for both batches
    const before = store.entries;
    frames.frame();
    seen.push(...store.entries.map((e) => e.id));
    expect(seen).toEqual([3, 2, 1]);
    expect(store.entries).not.toBe(before); // a new array: shallow watchers see it
    expect(frames.pending()).toBe(0);
  });

  it('replaces an updated exchange in place and never regresses a finished one', async () => {
    const store = await started();
    client.emit('exchanges', [fakeSummary({ id: 1, status: 0, outcome: 'pending' })]);
    frames.frame();
    client.emit('exchanges', [fakeSummary({ id: 1, status: 201, outcome: 'completed' })]);
    frames.frame();
    expect(store.entries).toHaveLength(1);
    expect(store.entries[0]).toMatchObject({ id: 1, status: 201, outcome: 'completed' });
    // A late "pending" version (out of order around a resync) is ignored.
    client.emit('exchanges', [fakeSummary({ id: 1, status: 0, outcome: 'pending' })]);
    frames.frame();
    expect(store.entries[0]).toMatchObject({ status: 201 });
  });

  it('keeps the list sorted when a straggler arrives after newer exchanges', async () => {
    const store = await started();
    client.emit('exchanges', [fakeSummary({ id: 5 }), fakeSummary({ id: 7 })]);
    frames.frame();
    client.emit('exchanges', [fakeSummary({ id: 6 }), fakeSummary({ id: 8 })]);
    frames.frame();
    expect(store.entries.map((e) => e.id)).toEqual([8, 7, 6, 5]);
  });

  it('keeps at most `limit` entries, dropping the oldest', async () => {
    const store = await started();
    store.limit = 3;
    client.emit(
      'exchanges',
      [1, 2, 3, 4, 5].map((id) => fakeSummary({ id })),
    );
    frames.frame();
    expect(store.entries.map((e) => e.id)).toEqual([5, 4, 3]);
    client.emit('exchanges', [fakeSummary({ id: 6 })]);
    frames.frame();
    expect(store.entries.map((e) => e.id)).toEqual([6, 5, 4]);
  });

  it('holds entries in a shallow ref: Vue never walks into the summaries', async () => {
    const store = await started();
    // A deep ref would hand out a reactive proxy instead of the emitted object.
    const emitted = fakeSummary({ id: 2 });
    client.emit('exchanges', [emitted]);
    frames.frame();
    expect(store.entries[0]).toBe(emitted);
  });

  it('empties the list on exchangesCleared, and clear() asks the engine', async () => {
    const store = await started();
    client.emit('exchanges', [fakeSummary({ id: 1 })]);
    frames.frame();
    store.select(1);
    await store.clear();
    expect(client.callsOf('clearExchanges')).toHaveLength(1);
    expect(store.entries).toHaveLength(0);
    expect(store.selectedId).toBeNull();
    client.emit('exchanges', [fakeSummary({ id: 2 })]);
    frames.frame();
    client.emit('exchangesCleared', null);
    expect(store.entries).toHaveLength(0);
  });

  it('drops queued work when cleared between frames', async () => {
    const store = await started();
    client.emit('exchanges', [fakeSummary({ id: 1 })]);
    client.emit('exchangesCleared', null);
    frames.frame();
    expect(store.entries).toHaveLength(0);
  });

  it('subscribes once however many views start it, and unsubscribes after the last', async () => {
    const store = useTrafficStore();
    const stopA = store.start();
    const stopB = store.start();
    expect(client.listenerCount('exchanges')).toBe(1);
    stopA();
    stopA(); // idempotent
    expect(client.listenerCount('exchanges')).toBe(1);
    stopB();
    expect(client.listenerCount('exchanges')).toBe(0);
    expect(client.listenerCount('exchangesCleared')).toBe(0);
    await settle();
  });

  it('filters locally and exports exactly the visible rows as HAR', async () => {
    client.data.exchanges = [
      fakeSummary({ id: 1, method: 'GET', url: '/a', status: 200 }),
      fakeSummary({ id: 2, method: 'POST', url: '/b', status: 500 }),
      fakeSummary({ id: 3, method: 'GET', url: '/c', status: 404, route: 'other' }),
    ];
    const store = await started();
    store.setFilter({ methods: ['GET'] });
    expect(store.visible.map((e) => e.id)).toEqual([3, 1]);
    await store.exportHar();
    // The engine runs the same filter: the file holds what the list shows.
    expect(client.callsOf('exportHar').at(-1)).toEqual([{ methods: ['GET'] }]);
    store.clearFilter();
    expect(store.visible).toBe(store.entries);
    await store.exportHar();
    expect(client.callsOf('exportHar').at(-1)).toEqual([undefined]);
    expect(store.seenRoutes).toEqual(['api', 'other']);
  });

  it('pauses capture through the engine and reads the paused state on start', async () => {
    client.data.status.capture.paused = true;
    const store = await started();
    expect(store.paused).toBe(true);
    await store.setPaused(false);
    expect(client.callsOf('setCapturePaused')).toEqual([[false]]);
    expect(store.paused).toBe(false);
  });

  it('reports a failed action and leaves the state alone', async () => {
    const store = await started();
    client.respond('setCapturePaused', () => Promise.reject(new Error('engine gone')));
    await expect(store.setPaused(true)).rejects.toThrow('engine gone');
    expect(store.paused).toBe(false);
    expect(store.error).toBe('Could not change capture: engine gone');
  });

  it('forgets the selection when the exchange leaves the list', async () => {
    const store = await started();
    store.limit = 1;
    client.emit('exchanges', [fakeSummary({ id: 1 })]);
    frames.frame();
    store.select(1);
    expect(store.selected?.id).toBe(1);
    client.emit('exchanges', [fakeSummary({ id: 2 })]);
    frames.frame();
    expect(store.selectedId).toBeNull();
    expect(store.selected).toBeNull();
  });
});
