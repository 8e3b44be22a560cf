/**
 * Line diff of two texts (bodies, for the exchange diff and the fan-out table): Myers'
 * O(ND) algorithm after trimming the common head and tail, bounded so a pathological pair
 * of bodies answers with a summary instead of freezing the renderer. Pure; no Node imports.
 */

export interface TextDiffOptions {
  /** Unchanged lines kept around each change; longer unchanged runs collapse. Default 3. */
  context?: number;
  /**
   * Lines either side may have between the common head and tail before the diff gives up
   * with a summary. Default 5,000.
   */
  maxLines?: number;
  /** Work units (diagonals explored and lines compared) before giving up. Default 2,000,000. */
  maxOps?: number;
}

/**
 * A run of lines. `aLine` and `bLine` are the 1-based line numbers where the run starts on
 * each side (for an `added` run, `aLine` is the line of A it comes before, and the
 * reverse for `removed`). A `skipped` run stands for `count` unchanged lines collapsed away.
 */
export type TextHunk =
  | { kind: 'same' | 'added' | 'removed'; lines: string[]; aLine: number; bLine: number }
  | { kind: 'skipped'; count: number; aLine: number; bLine: number };

export type TextDiff =
  | {
      kind: 'lines';
      /** The texts are equal, character for character. */
      same: boolean;
      added: number;
      removed: number;
      hunks: TextHunk[];
    }
  | {
      kind: 'too-large';
      same: boolean;
      aLines: number;
      bLines: number;
      /** 1-based line of the first difference (absent when the texts are equal). */
      firstDifference?: number;
      /** `too large to diff line by line: 6000 vs 6200 lines`. */
      message: string;
    };

export const DEFAULT_TEXT_CONTEXT = 3;
export const DEFAULT_MAX_DIFF_LINES = 5_000;
export const DEFAULT_MAX_DIFF_OPS = 2_000_000;

/**
 * Lines split on `\n` only: a `\r` stays on its line, so CRLF against LF shows as changed
 * lines rather than being hidden, and a trailing newline shows as a last empty line.
 */
export function splitLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

type Op = 0 | 1 | 2; // same, removed (from A), added (from B)
const SAME: Op = 0;
const REMOVED: Op = 1;
const ADDED: Op = 2;

class BudgetExceeded extends Error {}

/**
 * Shortest edit script between two id sequences (Myers 1986), as one op per line. Keeps
 * the V array of every step for the backtrack: memory grows as D², which the ops budget
 * bounds along with time (each step writes as many entries as it explores).
 */
function myers(a: Int32Array, b: Int32Array, budget: { ops: number }): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    // The state before step d, entries k = -d-1 … d+1 (index k + d + 1).
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      const start = x;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      budget.ops -= 1 + x - start;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (budget.ops < 0) throw new BudgetExceeded();
  }

  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const t = trace[d]!;
    const at = (k: number): number => t[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(SAME);
      x--;
      y--;
    }
    if (d > 0) ops.push(x === prevX ? ADDED : REMOVED);
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** Lines of a text → small integers, equal lines getting equal ids across both texts. */
function toIds(lines: string[], ids: Map<string, number>, from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let i = from; i < to; i++) {
    const line = lines[i]!;
    let id = ids.get(line);
    if (id === undefined) {
      id = ids.size;
      ids.set(line, id);
    }
    out[i - from] = id;
  }
  return out;
}

function tooLarge(
  reason: string,
  same: boolean,
  aLines: number,
  bLines: number,
  head: number,
): TextDiff {
  return {
    kind: 'too-large',
    same,
    aLines,
    bLines,
    ...(same ? {} : { firstDifference: head + 1 }),
    message: `${reason} to diff line by line: ${aLines} vs ${bLines} lines`,
  };
}

/**
 * Line diff of A → B. Within a change, removed lines come before added ones (as in a
 * unified diff); unchanged runs longer than twice the context collapse into `skipped`.
 * Past `maxLines` (counted between the common head and tail, so a long log with one
 * changed line still diffs) or `maxOps`, answers `too-large` with the line counts.
 */
export function diffText(a: string, b: string, options: TextDiffOptions = {}): TextDiff {
  const context = Math.max(0, options.context ?? DEFAULT_TEXT_CONTEXT);
  const maxLines = options.maxLines ?? DEFAULT_MAX_DIFF_LINES;
  const same = a === b;
  const al = splitLines(a);
  const bl = splitLines(b);

  // The common head and tail cost a linear scan and usually leave little to diff.
  let head = 0;
  while (head < al.length && head < bl.length && al[head] === bl[head]) head++;
  let tail = 0;
  while (
    tail < al.length - head &&
    tail < bl.length - head &&
    al[al.length - 1 - tail] === bl[bl.length - 1 - tail]
  ) {
    tail++;
  }
  const aEnd = al.length - tail;
  const bEnd = bl.length - tail;
  if (aEnd - head > maxLines || bEnd - head > maxLines) {
    return tooLarge('too large', same, al.length, bl.length, head);
  }

  const ids = new Map<string, number>();
  let middle: Op[];
  try {
    middle = myers(toIds(al, ids, head, aEnd), toIds(bl, ids, head, bEnd), {
      ops: options.maxOps ?? DEFAULT_MAX_DIFF_OPS,
    });
  } catch (error) {
    if (error instanceof BudgetExceeded) {
      return tooLarge('too many differences', same, al.length, bl.length, head);
    }
    throw error;
  }

  const hunks = buildHunks(al, bl, head, middle, tail, context);
  let added = 0;
  let removed = 0;
  for (const op of middle) {
    if (op === ADDED) added++;
    else if (op === REMOVED) removed++;
  }
  return { kind: 'lines', same, added, removed, hunks };
}

function buildHunks(
  al: string[],
  bl: string[],
  head: number,
  middle: Op[],
  tail: number,
  context: number,
): TextHunk[] {
  // Runs of the whole script: [op, count]. Changes are regrouped removed-then-added.
  const runs: [Op, number][] = [];
  const push = (op: Op, count: number): void => {
    if (count === 0) return;
    const last = runs[runs.length - 1];
    if (last && last[0] === op) last[1] += count;
    else runs.push([op, count]);
  };
  push(SAME, head);
  for (let i = 0; i < middle.length;) {
    if (middle[i] === SAME) {
      push(SAME, 1);
      i++;
      continue;
    }
    let removed = 0;
    let added = 0;
    for (; i < middle.length && middle[i] !== SAME; i++) {
      if (middle[i] === REMOVED) removed++;
      else added++;
    }
    push(REMOVED, removed);
    push(ADDED, added);
  }
  push(SAME, tail);

  const hunks: TextHunk[] = [];
  let ai = 0;
  let bi = 0;
  const emit = (kind: 'same' | 'added' | 'removed', count: number): void => {
    if (count === 0) return;
    const lines = kind === 'added' ? bl.slice(bi, bi + count) : al.slice(ai, ai + count);
    hunks.push({ kind, lines, aLine: ai + 1, bLine: bi + 1 });
    if (kind !== 'added') ai += count;
    if (kind !== 'removed') bi += count;
  };
  const skip = (count: number): void => {
    if (count === 0) return;
    hunks.push({ kind: 'skipped', count, aLine: ai + 1, bLine: bi + 1 });
    ai += count;
    bi += count;
  };
  runs.forEach(([op, count], index) => {
    if (op === REMOVED) return emit('removed', count);
    if (op === ADDED) return emit('added', count);
    const first = index === 0;
    const last = index === runs.length - 1;
    const keepBefore = first ? 0 : Math.min(context, count);
    const keepAfter = last ? 0 : Math.min(context, count - keepBefore);
    if (keepBefore + keepAfter >= count) return emit('same', count);
    emit('same', keepBefore);
    skip(count - keepBefore - keepAfter);
    emit('same', keepAfter);
  });
  return hunks;
}
