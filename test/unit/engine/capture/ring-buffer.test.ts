import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../../src/engine/capture/ring-buffer.js';

interface Item {
  id: number;
  weight: number;
}

function buffer(maxEntries: number, maxBytes: number) {
  const evicted: number[] = [];
  const ring = new RingBuffer<Item>({
    maxEntries,
    maxBytes,
    sizeOf: (item) => item.weight,
    onEvict: (item) => evicted.push(item.id),
  });
  return { ring, evicted };
}

const ids = (items: Item[]) => items.map((i) => i.id);

describe('RingBuffer', () => {
  it('keeps insertion order and finds items by id', () => {
    const { ring, evicted } = buffer(10, 1000);
    for (let id = 1; id <= 5; id++) ring.push({ id, weight: 10 });
    expect(ids(ring.values())).toEqual([1, 2, 3, 4, 5]);
    expect(ring.get(3)).toEqual({ id: 3, weight: 10 });
    expect(ring.get(99)).toBeUndefined();
    expect(ring.has(5)).toBe(true);
    expect(ring.size).toBe(5);
    expect(ring.bytes).toBe(50);
    expect(evicted).toEqual([]);
  });

  it('evicts the oldest past the entry bound', () => {
    const { ring, evicted } = buffer(3, 1000);
    for (let id = 1; id <= 5; id++) ring.push({ id, weight: 1 });
    expect(ids(ring.values())).toEqual([3, 4, 5]);
    expect(evicted).toEqual([1, 2]);
    expect(ring.get(1)).toBeUndefined();
    expect(ring.bytes).toBe(3);
  });

  it('evicts the oldest past the byte bound, as many as needed', () => {
    const { ring, evicted } = buffer(100, 100);
    ring.push({ id: 1, weight: 40 });
    ring.push({ id: 2, weight: 40 });
    ring.push({ id: 3, weight: 10 });
    expect(evicted).toEqual([]);
    ring.push({ id: 4, weight: 95 });
    expect(evicted).toEqual([1, 2, 3]);
    expect(ids(ring.values())).toEqual([4]);
    expect(ring.bytes).toBe(95);
  });

  it('keeps an item heavier than maxBytes as the only entry', () => {
    const { ring, evicted } = buffer(10, 100);
    ring.push({ id: 1, weight: 10 });
    ring.push({ id: 2, weight: 500 });
    expect(ids(ring.values())).toEqual([2]);
    expect(evicted).toEqual([1]);
    expect(ring.bytes).toBe(500);
    ring.push({ id: 3, weight: 1 });
    expect(ids(ring.values())).toEqual([3]);
    expect(ring.bytes).toBe(1);
  });

  it('re-accounts an item that grew and evicts older ones, never the newest', () => {
    const { ring, evicted } = buffer(10, 100);
    const newest = { id: 3, weight: 10 };
    ring.push({ id: 1, weight: 30 });
    ring.push({ id: 2, weight: 30 });
    ring.push(newest);
    newest.weight = 60;
    expect(ring.resize(newest)).toBe(true);
    expect(evicted).toEqual([1]);
    expect(ring.bytes).toBe(90);
    newest.weight = 1000;
    expect(ring.resize(newest)).toBe(true);
    expect(ids(ring.values())).toEqual([3]);
    expect(ring.bytes).toBe(1000);
    newest.weight = 5;
    ring.resize(newest);
    expect(ring.bytes).toBe(5);
  });

  it('evicts a resized item that is itself among the oldest', () => {
    const { ring, evicted } = buffer(10, 100);
    ring.push({ id: 1, weight: 10 });
    ring.push({ id: 2, weight: 10 });
    expect(ring.resize({ id: 1, weight: 95 })).toBe(false);
    expect(evicted).toEqual([1]);
    expect(ids(ring.values())).toEqual([2]);
    expect(ring.bytes).toBe(10);
  });

  it('stores the resized reference and ignores ids no longer held', () => {
    const { ring } = buffer(1, 100);
    ring.push({ id: 1, weight: 1 });
    ring.resize({ id: 1, weight: 2 });
    expect(ring.get(1)).toEqual({ id: 1, weight: 2 });
    ring.push({ id: 2, weight: 1 });
    expect(ring.resize({ id: 1, weight: 3 })).toBe(false);
    expect(ring.bytes).toBe(1);
  });

  it('returns the newest n oldest → newest, and snapshots', () => {
    const { ring } = buffer(10, 1000);
    for (let id = 1; id <= 6; id++) ring.push({ id, weight: 1 });
    expect(ids(ring.newest(3))).toEqual([4, 5, 6]);
    expect(ids(ring.newest(0))).toEqual([]);
    expect(ids(ring.newest(50))).toEqual([1, 2, 3, 4, 5, 6]);
    const snapshot = ring.values();
    ring.push({ id: 7, weight: 1 });
    expect(snapshot).toHaveLength(6);
  });

  it('clears without reporting evictions', () => {
    const { ring, evicted } = buffer(10, 1000);
    ring.push({ id: 1, weight: 7 });
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.bytes).toBe(0);
    expect(ring.values()).toEqual([]);
    ring.push({ id: 1, weight: 7 });
    expect(ring.size).toBe(1);
    expect(evicted).toEqual([]);
  });

  it('refuses a repeated id and impossible bounds', () => {
    const { ring } = buffer(10, 1000);
    ring.push({ id: 1, weight: 1 });
    expect(() => ring.push({ id: 1, weight: 1 })).toThrow(/already/);
    expect(() => buffer(0, 10)).toThrow(RangeError);
    expect(() => buffer(1, -1)).toThrow(RangeError);
  });

  it('treats NaN and negative weights as 0', () => {
    const { ring } = buffer(10, 10);
    ring.push({ id: 1, weight: Number.NaN });
    ring.push({ id: 2, weight: -5 });
    expect(ring.bytes).toBe(0);
  });

  it('stays consistent across many compactions', () => {
    const { ring, evicted } = buffer(1000, 1e9);
    for (let id = 1; id <= 50_000; id++) ring.push({ id, weight: id % 7 });
    expect(ring.size).toBe(1000);
    expect(evicted).toHaveLength(49_000);
    const values = ring.values();
    expect(values[0]?.id).toBe(49_001);
    expect(values.at(-1)?.id).toBe(50_000);
    expect(ring.bytes).toBe(values.reduce((sum, i) => sum + i.weight, 0));
    expect(ring.get(49_500)?.id).toBe(49_500);
    expect(ids(ring.newest(2))).toEqual([49_999, 50_000]);
  });

  it('pushes in amortised O(1): a big buffer is not slower per push than a small one', () => {
    const perPush = (capacity: number) => {
      const { ring } = buffer(capacity, 1e12);
      const n = 200_000;
      const start = process.hrtime.bigint();
      for (let id = 1; id <= n; id++) ring.push({ id, weight: 1 });
      return Number(process.hrtime.bigint() - start) / n;
    };
    perPush(1000); // warm-up
    const small = perPush(1000);
    const big = perPush(100_000);
    // An array shift per eviction would make the 100 000-entry buffer ~100× slower.
    expect(big).toBeLessThan(small * 10 + 200);
  });
});
