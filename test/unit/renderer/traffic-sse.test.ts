/**
 * Server-sent events parsed from captured bytes: multi-line data, comments, CRLF and CR
 * line ends, ids that carry over, named events, retry, an event still open at the end, a
 * BOM, and each event's arrival time from the capture's chunk times.
 */
import { describe, expect, it } from 'vitest';
import { parseSse } from '../../../src/renderer/src/features/traffic/sse-events.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseSse', () => {
  it('reads ids, types, multi-line data and comments, whatever the line ends', () => {
    const text =
      '\uFEFF: keep-alive\r\n' +
      'id: 1\r\nevent: price\r\ndata: {"a":1}\r\n\r\n' +
      'data:first\rdata: second\r\r' +
      'id: 7\nretry: 3000\nevent: note\ndata: é\ndata\n\n' +
      ': another comment\n' +
      'data: half';
    const { events, comments } = parseSse(bytes(text));
    expect(comments).toBe(2);
    expect(events).toEqual([
      { index: 0, id: '1', event: 'price', data: '{"a":1}', open: false },
      { index: 1, id: '1', event: 'message', data: 'first\nsecond', open: false },
      { index: 2, id: '7', event: 'note', data: 'é\n', retry: 3000, open: false },
      { index: 3, id: '7', event: 'message', data: 'half', open: true },
    ]);
  });

  it('skips events without data and ignores unknown fields', () => {
    const { events } = parseSse(bytes('event: x\n\nid: 3\nfoo: bar\n\ndata: y\n\n'));
    expect(events).toEqual([{ index: 0, id: '3', event: 'message', data: 'y', open: false }]);
  });

  it('times each event by the chunk its last byte arrived in', () => {
    const first = 'data: one\n\n';
    const second = 'data: two\n\ndata: three\n\n';
    const body = bytes(first + second);
    // Chunks: [0, 5) at 10 ms, [5, first.length) at 20 ms, the rest at 250 ms.
    const { events } = parseSse(body, [0, 10, 5, 20, first.length, 250]);
    expect(events.map((e) => [e.data, e.at])).toEqual([
      ['one', 20],
      ['two', 250],
      ['three', 250],
    ]);
  });

  it('keeps UTF-8 intact and bounds the count on a body of blank events', () => {
    expect(parseSse(bytes('data: 日本語\n\n')).events[0]!.data).toBe('日本語');
    const many = bytes('data: x\n\n'.repeat(20_000));
    expect(parseSse(many).events.length).toBe(5_000);
  });
});
