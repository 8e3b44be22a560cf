import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/shared/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['1h', 3_600_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 's', '-1s', '1d', '1 s5'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats back to the shortest exact unit', () => {
    expect([300, 2_000, 90_000, 120_000, 7_200_000].map(formatDuration)).toEqual([
      '300ms',
      '2s',
      '90s',
      '2m',
      '2h',
    ]);
  });
});
