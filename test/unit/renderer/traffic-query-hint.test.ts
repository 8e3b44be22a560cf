/**
 * "Where it matched" for a list row (match-hint.ts): the engine's hits as field and
 * snippet, with what the term searched for marked in the snippet. Table-driven.
 */
import { describe, expect, it } from 'vitest';
import {
  hintText,
  matchHint,
  matchHints,
  type HintPart,
} from '../../../src/renderer/src/features/traffic/match-hint.js';
import type { MatchHit } from '../../../src/shared/traffic-query.js';

/** Parts written as text with the marked ones in [brackets]. */
const written = (parts: HintPart[]): string =>
  parts.map((p) => (p.mark ? `[${p.text}]` : p.text)).join('');

const cases: [string, MatchHit, string][] = [
  [
    'a body term, whatever the case',
    { term: 'body:order-42', field: 'response body', snippet: '…"id":"ORDER-42","qty":1…' },
    '…"id":"[ORDER-42]","qty":1…',
  ],
  [
    'every occurrence',
    { term: 'resbody:ab', field: 'response body', snippet: 'ab cab' },
    '[ab] c[ab]',
  ],
  [
    'quoted words, white space folded as the snippet folds it',
    { term: 'body:"two  words"', field: 'request body', snippet: '…say two words here…' },
    '…say [two words] here…',
  ],
  [
    'free text found in a header',
    { term: 'shop', field: 'request header referer', snippet: 'Referer: http://Shop.test/' },
    'Referer: http://[Shop].test/',
  ],
  [
    'a header value',
    { term: 'header:x-trace=abc', field: 'request header x-trace', snippet: 'x-trace: 12abc3' },
    'x-trace: 12[abc]3',
  ],
  [
    'a header by name alone marks the name',
    { term: 'header:x-*', field: 'response header x-cache', snippet: 'x-cache: HIT' },
    '[x-cache]: HIT',
  ],
  [
    'a snippet without the text (the engine cut it) is shown plain',
    { term: 'body:zzz', field: 'response body', snippet: '…nothing here…' },
    '…nothing here…',
  ],
  [
    'a rule name is shown plain',
    { term: 'rule:no-*', field: 'rule', snippet: 'no-cache' },
    'no-cache',
  ],
];

describe('matchHint', () => {
  it.each(cases)('%s', (_name, hit, expected) => {
    const hint = matchHint(hit);
    expect(hint.field).toBe(hit.field);
    expect(written(hint.parts)).toBe(expected);
  });

  it('has no parts for a summary field', () => {
    expect(matchHint({ term: 'status:5xx', field: 'status' })).toEqual({
      field: 'status',
      parts: [],
    });
  });
});

describe('matchHints', () => {
  it('puts snippets first and reads as one line', () => {
    const hints = matchHints([
      { term: 'status:5xx', field: 'status' },
      { term: 'body:42', field: 'response body', snippet: 'id 42' },
    ]);
    expect(hints.map((h) => h.field)).toEqual(['response body', 'status']);
    expect(hintText(hints)).toBe('response body: id 42 · status');
  });
});
