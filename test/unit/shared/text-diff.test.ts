import { describe, expect, it } from 'vitest';
import {
  diffText,
  splitLines,
  type TextDiff,
  type TextHunk,
} from '../../../src/shared/text-diff.js';

const lines = (n: number, prefix = 'line'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

function hunksOf(diff: TextDiff): TextHunk[] {
  if (diff.kind !== 'lines') throw new Error(`expected a line diff, got ${diff.message}`);
  return diff.hunks;
}

/** Both texts rebuilt from the hunks (skipped runs read back from A): proves nothing is lost. */
function rebuild(hunks: TextHunk[], aLines: string[]): { a: string[]; b: string[] } {
  const a: string[] = [];
  const b: string[] = [];
  for (const h of hunks) {
    expect(h.aLine).toBe(a.length + 1);
    expect(h.bLine).toBe(b.length + 1);
    if (h.kind === 'skipped') {
      const run = aLines.slice(a.length, a.length + h.count);
      a.push(...run);
      b.push(...run);
    } else {
      if (h.kind !== 'added') a.push(...h.lines);
      if (h.kind !== 'removed') b.push(...h.lines);
    }
  }
  return { a, b };
}

function lcsLength(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(up, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('diffText', () => {
  it('collapses equal texts into one skipped run', () => {
    const text = lines(10).join('\n');
    expect(diffText(text, text)).toEqual({
      kind: 'lines',
      same: true,
      added: 0,
      removed: 0,
      hunks: [{ kind: 'skipped', count: 10, aLine: 1, bLine: 1 }],
    });
  });

  it('shows one changed line with three lines of context and skips the rest', () => {
    const a = lines(20);
    const b = [...a];
    b[9] = 'line ten, edited';
    expect(diffText(a.join('\n'), b.join('\n'))).toEqual({
      kind: 'lines',
      same: false,
      added: 1,
      removed: 1,
      hunks: [
        { kind: 'skipped', count: 6, aLine: 1, bLine: 1 },
        { kind: 'same', lines: ['line 7', 'line 8', 'line 9'], aLine: 7, bLine: 7 },
        { kind: 'removed', lines: ['line 10'], aLine: 10, bLine: 10 },
        { kind: 'added', lines: ['line ten, edited'], aLine: 11, bLine: 10 },
        { kind: 'same', lines: ['line 11', 'line 12', 'line 13'], aLine: 11, bLine: 11 },
        { kind: 'skipped', count: 7, aLine: 14, bLine: 14 },
      ],
    });
  });

  it('collapses an unchanged run between two changes only when longer than twice the context', () => {
    const a = lines(30);
    const near = [...a];
    near[4] = 'x';
    near[11] = 'y'; // 6 unchanged lines between: kept whole
    expect(hunksOf(diffText(a.join('\n'), near.join('\n'))).map((h) => h.kind)).toEqual([
      'skipped',
      'same',
      'removed',
      'added',
      'same',
      'removed',
      'added',
      'same',
      'skipped',
    ]);
    const far = [...a];
    far[4] = 'x';
    far[12] = 'y'; // 7 unchanged lines between: 3 + skipped 1 + 3
    const hunks = hunksOf(diffText(a.join('\n'), far.join('\n')));
    expect(hunks.filter((h) => h.kind === 'skipped')).toEqual([
      { kind: 'skipped', count: 1, aLine: 1, bLine: 1 },
      { kind: 'skipped', count: 1, aLine: 9, bLine: 9 },
      { kind: 'skipped', count: 14, aLine: 17, bLine: 17 },
    ]);
  });

  it('honours a context of 0 and a wide context', () => {
    const a = lines(9);
    const b = [...a];
    b[4] = 'five';
    expect(hunksOf(diffText(a.join('\n'), b.join('\n'), { context: 0 }))).toEqual([
      { kind: 'skipped', count: 4, aLine: 1, bLine: 1 },
      { kind: 'removed', lines: ['line 5'], aLine: 5, bLine: 5 },
      { kind: 'added', lines: ['five'], aLine: 6, bLine: 5 },
      { kind: 'skipped', count: 4, aLine: 6, bLine: 6 },
    ]);
    expect(
      hunksOf(diffText(a.join('\n'), b.join('\n'), { context: 50 })).map((h) => h.kind),
    ).toEqual(['same', 'removed', 'added', 'same']);
  });

  it('reports lines added at the start and removed at the end', () => {
    const diff = diffText('b\nc\nd', 'a\nb\nc');
    expect(hunksOf(diff)).toEqual([
      { kind: 'added', lines: ['a'], aLine: 1, bLine: 1 },
      { kind: 'same', lines: ['b', 'c'], aLine: 1, bLine: 2 },
      { kind: 'removed', lines: ['d'], aLine: 3, bLine: 4 },
    ]);
    expect(diff).toMatchObject({ added: 1, removed: 1, same: false });
  });

  it('puts removed lines before added ones inside a change', () => {
    const kinds = hunksOf(diffText('keep\na\nb\nc\nkeep', 'keep\nx\ny\nkeep')).map((h) => h.kind);
    expect(kinds).toEqual(['same', 'removed', 'added', 'same']);
  });

  it('handles empty texts', () => {
    expect(diffText('', '')).toEqual({
      kind: 'lines',
      same: true,
      added: 0,
      removed: 0,
      hunks: [],
    });
    expect(hunksOf(diffText('', 'a\nb'))).toEqual([
      { kind: 'added', lines: ['a', 'b'], aLine: 1, bLine: 1 },
    ]);
    expect(hunksOf(diffText('a', ''))).toEqual([
      { kind: 'removed', lines: ['a'], aLine: 1, bLine: 1 },
    ]);
  });

  it('does not hide line-ending or final-newline differences', () => {
    const crlf = diffText('a\r\nb\r\n', 'a\nb\n');
    expect(crlf).toMatchObject({ same: false, added: 2, removed: 2 });
    expect(hunksOf(diffText('a\nb', 'a\nb\n'))).toEqual([
      { kind: 'same', lines: ['a', 'b'], aLine: 1, bLine: 1 },
      { kind: 'added', lines: [''], aLine: 3, bLine: 3 },
    ]);
    expect(splitLines('a\r\nb\n')).toEqual(['a\r', 'b', '']);
  });

  it('finds a shortest edit script, and its hunks rebuild both texts (200 random pairs)', () => {
    const next = random(42);
    const alphabet = ['a', 'b', 'c', 'd', '{', '}', ''];
    for (let round = 0; round < 200; round++) {
      const pick = (): string[] =>
        Array.from({ length: Math.floor(next() * 25) }, () => alphabet[Math.floor(next() * 7)]!);
      const a = pick();
      const b = pick();
      const diff = diffText(a.join('\n'), b.join('\n'), { context: Math.floor(next() * 4) });
      if (diff.kind !== 'lines') throw new Error('unexpected fallback');
      const rebuilt = rebuild(diff.hunks, splitLines(a.join('\n')));
      expect(rebuilt.a.join('\n')).toBe(a.join('\n'));
      expect(rebuilt.b.join('\n')).toBe(b.join('\n'));
      const al = splitLines(a.join('\n'));
      const bl = splitLines(b.join('\n'));
      expect(diff.added + diff.removed).toBe(al.length + bl.length - 2 * lcsLength(al, bl));
    }
  });

  it('diffs a long text with one changed line, since only its middle costs anything', () => {
    const a = lines(50_000);
    const b = [...a];
    b[25_000] = 'changed';
    const diff = diffText(a.join('\n'), b.join('\n'));
    expect(diff).toMatchObject({ kind: 'lines', added: 1, removed: 1 });
    expect(hunksOf(diff).find((h) => h.kind === 'removed')).toEqual({
      kind: 'removed',
      lines: ['line 25001'],
      aLine: 25_001,
      bLine: 25_001,
    });
  });

  it('falls back to a summary past 5,000 differing lines', () => {
    const a = ['header', ...lines(6_000, 'a')].join('\n');
    const b = ['header', ...lines(6_200, 'b')].join('\n');
    const started = performance.now();
    expect(diffText(a, b)).toEqual({
      kind: 'too-large',
      same: false,
      aLines: 6_001,
      bLines: 6_201,
      firstDifference: 2,
      message: 'too large to diff line by line: 6001 vs 6201 lines',
    });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('falls back when the edit script would cost more than the ops budget', () => {
    const a = lines(3_000, 'a').join('\n');
    const b = lines(3_000, 'b').join('\n');
    expect(diffText(a, b, { maxOps: 100_000 })).toMatchObject({
      kind: 'too-large',
      message: 'too many differences to diff line by line: 3000 vs 3000 lines',
      firstDifference: 1,
    });
    // Under the default budget the same pair (distance 6,000) is still refused quickly.
    const started = performance.now();
    expect(diffText(a, b).kind).toBe('too-large');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('takes the line limit as an option', () => {
    const a = lines(20, 'a').join('\n');
    const b = lines(20, 'b').join('\n');
    expect(diffText(a, b, { maxLines: 10 })).toMatchObject({ kind: 'too-large', aLines: 20 });
    expect(diffText(a, b, { maxLines: 20 })).toMatchObject({ kind: 'lines', added: 20 });
  });
});
