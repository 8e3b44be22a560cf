import { describe, expect, it } from 'vitest';
import { GrpcMessageCounter, grpcCallOf, grpcStatusName } from '../../../src/shared/grpc.js';

function message(payload: number[]): number[] {
  const n = payload.length;
  return [0, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...payload];
}

describe('gRPC facts', () => {
  it('counts length-prefixed messages across any chunking', () => {
    const stream = Uint8Array.from([
      ...message([1, 2, 3]),
      ...message([]),
      ...message(Array.from({ length: 300 }, (_, i) => i & 255)),
    ]);
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const counter = new GrpcMessageCounter();
      for (let at = 0; at < stream.length; at += size) counter.push(stream.subarray(at, at + size));
      expect(counter.count).toBe(3);
    }
  });

  it('names calls by their path and statuses by their code', () => {
    expect(grpcCallOf('/shop.v1.Orders/Get')).toEqual({ service: 'shop.v1.Orders', method: 'Get' });
    expect(grpcCallOf('/not/a/call')).toBeUndefined();
    expect(grpcStatusName(14)).toBe('UNAVAILABLE');
    expect(grpcStatusName(99)).toBe('status 99');
  });
});
