import { describe, expect, it } from 'vitest';
import { BodySlab, PAGE_BYTES } from '../../../../src/engine/capture/body-slab.js';
import { CapturedBody } from '../../../../src/engine/capture/captured-body.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('CapturedBody', () => {
  it('keeps a body in one chunk, and an empty one as no bytes', () => {
    const slab = new BodySlab();
    const body = new CapturedBody();
    expect(body.bytes()).toEqual(Buffer.alloc(0));
    body.add(bytes('hello'), 100, slab);
    expect(body.bytes().toString()).toBe('hello');
    expect([body.size, body.captured]).toEqual([5, 5]);
  });

  it('gives the exact bytes back when bodies interleave in the slab', () => {
    const slab = new BodySlab();
    const a = new CapturedBody();
    const b = new CapturedBody();
    a.add(bytes('a1'), 100, slab);
    a.add(bytes('a2'), 100, slab); // grows in place
    b.add(bytes('b1'), 100, slab);
    a.add(bytes('a3'), 100, slab); // after b's bytes: a second span
    b.add(bytes('b2'), 100, slab);
    a.add(Buffer.from([0, 255, 128]), 100, slab);
    expect(a.bytes()).toEqual(Buffer.concat([bytes('a1a2a3'), Buffer.from([0, 255, 128])]));
    expect(b.bytes().toString()).toBe('b1b2');
  });

  it('pins no slab page per chunk when a long stream interleaves with other traffic', () => {
    const slab = new BodySlab();
    const stream = new CapturedBody();
    const pages = new Set<ArrayBufferLike>();
    for (let i = 0; i < 3000; i++) {
      stream.add(bytes(`data: ${i}\n\n`), 1 << 20, slab);
      // Another exchange's 1 KiB body between every event: pages fill and move on.
      new CapturedBody().add(Buffer.alloc(1024, 1), 1 << 20, slab);
      pages.add(slab.page?.buffer as ArrayBufferLike);
    }
    expect(pages.size).toBeGreaterThan(10);
    const kept = stream.bytes().toString();
    expect(kept.startsWith('data: 0\n\ndata: 1\n\n')).toBe(true);
    expect(kept.endsWith('data: 2999\n\n')).toBe(true);
    // After its first run the stream keeps copies of its own, not views of the pages.
    expect(stream.slabPages(PAGE_BYTES)).toBeLessThanOrEqual(2);
  });

  it('keeps large chunks on their own, in order with small ones, and stops at the cap', () => {
    const slab = new BodySlab();
    const body = new CapturedBody();
    const large = Buffer.alloc(20_000, 'x');
    body.add(bytes('head'), 30_000, slab);
    body.add(large, 30_000, slab);
    body.add(bytes('tail'), 30_000, slab);
    body.add(Buffer.alloc(20_000, 'y'), 30_000, slab);
    const kept = body.bytes();
    expect(kept.length).toBe(30_000);
    expect(kept.subarray(0, 4).toString()).toBe('head');
    expect(kept.subarray(4, 20_004)).toEqual(large);
    expect(kept.subarray(20_004, 20_008).toString()).toBe('tail');
    expect(kept.subarray(20_008).every((c) => c === 0x79)).toBe(true);
    expect([body.size, body.captured]).toEqual([40_008, 30_000]);
  });

  it('moves to a new page when one is full, keeping what the old one holds', () => {
    const slab = new BodySlab();
    const chunk = Buffer.alloc(16 * 1024, 'z');
    const bodies: CapturedBody[] = [];
    for (let i = 0; i < (PAGE_BYTES / chunk.length) * 2 + 3; i++) {
      const body = new CapturedBody();
      body.add(Buffer.concat([bytes(`${i}:`), chunk.subarray(8)]), 1 << 20, slab);
      bodies.push(body);
    }
    bodies.forEach((body, i) => {
      const kept = body.bytes();
      expect(kept.length).toBe(chunk.length - 8 + `${i}:`.length);
      expect(kept.subarray(0, `${i}:`.length).toString()).toBe(`${i}:`);
    });
    // One body across a page boundary: the run continues in a second span.
    const long = new CapturedBody();
    for (let i = 0; i < 20; i++) long.add(chunk, 1 << 22, slab);
    expect(long.bytes()).toEqual(Buffer.concat(Array.from({ length: 20 }, () => chunk)));
  });
});
