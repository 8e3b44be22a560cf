import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventForwarder, type ApiEventEmitter } from '../../../src/main/event-forwarder.js';
import type { ExchangeSummary } from '../../../src/shared/exchange.js';
import type { EventMessage } from '../../../src/shared/ipc.js';

/** Only the fields the forwarder reads; the payload is not validated on this side. */
const summary = (id: number, status = 0): ExchangeSummary => ({ id, status }) as ExchangeSummary;

function setup(intervalMs = 50) {
  const events = new EventEmitter() as ApiEventEmitter;
  const sent: { at: number; message: EventMessage }[] = [];
  let destroyed = false;
  const target = {
    send: vi.fn((_channel: string, message: EventMessage) => {
      sent.push({ at: Date.now(), message });
    }),
    isDestroyed: () => destroyed,
  };
  const forwarder = new EventForwarder(events, target, intervalMs);
  return { events, sent, target, forwarder, destroy: () => (destroyed = true) };
}

describe('EventForwarder', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(() => void vi.useRealTimers());

  it('forwards only subscribed events, on the event channel as { event, payload }', async () => {
    const { events, sent, target, forwarder } = setup();
    forwarder.subscribe('warning');
    events.emit('warning', { message: 'a' });
    events.emit('config', { reason: 'not subscribed' });
    await vi.runAllTimersAsync();
    expect(sent.map((s) => s.message)).toEqual([{ event: 'warning', payload: { message: 'a' } }]);
    expect(target.send.mock.calls[0]?.[0]).toBe('switchyard:event');
  });

  it('never flushes more often than once per interval, however fast events come', async () => {
    const { events, sent, forwarder } = setup(50);
    forwarder.subscribe('health');
    for (let i = 0; i < 100; i++) {
      events.emit('health', { balancer: 'b', member: `m${i}`, health: 'healthy', detail: '' });
      await vi.advanceTimersByTimeAsync(3);
    }
    await vi.runAllTimersAsync();
    const flushTimes = [...new Set(sent.map((s) => s.at))];
    for (let i = 1; i < flushTimes.length; i++) {
      expect(flushTimes[i]! - flushTimes[i - 1]!).toBeGreaterThanOrEqual(50);
    }
    // Nothing lost: health changes are not coalesced.
    expect(sent).toHaveLength(100);
    expect(flushTimes.length).toBeLessThanOrEqual(Math.ceil((100 * 3) / 50) + 1);
  });

  it('sends the first event of a quiet period at once (next tick), not after a full interval', async () => {
    const { events, sent, forwarder } = setup(50);
    forwarder.subscribe('warning');
    const start = Date.now();
    events.emit('warning', { message: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at - start).toBe(0);
  });

  it('merges exchange batches (latest summary wins) and keeps only the newest balancer stats', async () => {
    const { events, sent, forwarder } = setup();
    forwarder.subscribe('exchanges');
    forwarder.subscribe('balancers');
    events.emit('exchanges', [summary(1), summary(2)]);
    events.emit('balancers', []);
    events.emit('exchanges', [summary(2, 200), summary(3)]);
    events.emit('balancers', [{ name: 'newest' } as never]);
    await vi.runAllTimersAsync();
    expect(sent.map((s) => s.message)).toEqual([
      { event: 'exchanges', payload: [summary(1), summary(2, 200), summary(3)] },
      { event: 'balancers', payload: [{ name: 'newest' }] },
    ]);
  });

  it('drops exchanges queued before a clear, keeps those after it', async () => {
    const { events, sent, forwarder } = setup();
    forwarder.subscribe('exchanges');
    forwarder.subscribe('exchangesCleared');
    events.emit('exchanges', [summary(1)]);
    events.emit('exchangesCleared', null);
    events.emit('exchanges', [summary(2)]);
    await vi.runAllTimersAsync();
    expect(sent.map((s) => s.message)).toEqual([
      { event: 'exchangesCleared', payload: null },
      { event: 'exchanges', payload: [summary(2)] },
    ]);
  });

  it('stops listening on unsubscribe and reset, and drops what was queued for them', async () => {
    const { events, sent, forwarder } = setup();
    forwarder.subscribe('warning');
    forwarder.subscribe('config');
    forwarder.subscribe('warning'); // idempotent
    expect(events.listenerCount('warning')).toBe(1);
    events.emit('warning', { message: 'queued' });
    forwarder.unsubscribe('warning');
    expect(events.listenerCount('warning')).toBe(0);
    events.emit('warning', { message: 'after' });
    forwarder.reset();
    expect(events.listenerCount('config')).toBe(0);
    expect(forwarder.subscriptions).toEqual([]);
    await vi.runAllTimersAsync();
    expect(sent).toEqual([]);
  });

  it('sends nothing to a destroyed page and closes itself', async () => {
    const { events, sent, forwarder, destroy } = setup();
    forwarder.subscribe('warning');
    events.emit('warning', { message: 'a' });
    destroy();
    await vi.runAllTimersAsync();
    expect(sent).toEqual([]);
    expect(events.listenerCount('warning')).toBe(0);
    forwarder.subscribe('warning');
    expect(events.listenerCount('warning')).toBe(0);
  });
});
