/**
 * The log panel's search: which lines contain the text (case-insensitive, over the text as
 * a terminal shows it, escape sequences left out) and where, so the matches can be marked
 * inside the coloured segments. Parsing is cached per line object: lines are immutable and
 * leave the buffer by being dropped, so the caches go with them.
 */
import type { AppLogLine } from '../../../../shared/apps.js';
import { parseAnsi, type AnsiSegment } from './ansi.js';

export interface MarkedSegment extends AnsiSegment {
  /** Part of a search match. */
  match: boolean;
}

const segmentsOf = new WeakMap<AppLogLine, AnsiSegment[]>();
const plainOf = new WeakMap<AppLogLine, string>();

export function lineSegments(line: AppLogLine): AnsiSegment[] {
  let segments = segmentsOf.get(line);
  if (segments === undefined) {
    segments = parseAnsi(line.text);
    segmentsOf.set(line, segments);
  }
  return segments;
}

export function linePlainText(line: AppLogLine): string {
  let plain = plainOf.get(line);
  if (plain === undefined) {
    plain = lineSegments(line)
      .map((s) => s.text)
      .join('');
    plainOf.set(line, plain);
  }
  return plain;
}

/**
 * The search as a pattern (the text taken literally); null for an empty search. A RegExp
 * with `i` rather than lower-casing both sides keeps match offsets right for characters
 * whose lower case is longer (İ).
 */
export function searchPattern(query: string): RegExp | null {
  const text = query.trim();
  if (text === '') return null;
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
}

export function lineMatches(line: AppLogLine, pattern: RegExp | null): boolean {
  if (pattern === null) return true;
  pattern.lastIndex = 0;
  return pattern.test(linePlainText(line));
}

/** Match ranges [start, end) in `text`, in order, not overlapping. */
function matchRanges(text: string, pattern: RegExp): [number, number][] {
  const ranges: [number, number][] = [];
  pattern.lastIndex = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0] === '') break;
    ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

/** The segments cut at match boundaries, matched parts marked (a match may span styles). */
export function markMatches(
  segments: readonly AnsiSegment[],
  pattern: RegExp | null,
): MarkedSegment[] {
  if (pattern === null) return segments.map((s) => ({ ...s, match: false }));
  const ranges = matchRanges(segments.map((s) => s.text).join(''), pattern);
  const out: MarkedSegment[] = [];
  let offset = 0;
  let r = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    let at = offset;
    while (at < end) {
      while (r < ranges.length && ranges[r]![1] <= at) r++;
      const range = ranges[r];
      const inside = range !== undefined && range[0] <= at;
      const stop = range === undefined ? end : Math.min(end, inside ? range[1] : range[0]);
      out.push({
        text: segment.text.slice(at - offset, stop - offset),
        style: segment.style,
        match: inside,
      });
      at = stop;
    }
    offset = end;
  }
  return out;
}
