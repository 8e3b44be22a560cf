import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BodyTextCache,
  MAX_DECODED_BYTES,
  ZSTD_AVAILABLE,
  bodyText,
  type BodySource,
  type BodyText,
} from '../../../../src/engine/capture/body-text.js';
import { Recorder } from '../../../../src/engine/capture/recorder.js';
import type { BodySide, HeaderPairs } from '../../../../src/shared/exchange.js';

/** Varied JSON lines (repetitive text would compress to nothing and hide truncation). */
const orders = Array.from({ length: 3000 }, (_, i) =>
  JSON.stringify({ id: `order-${i}`, total: (i * 37) % 1000, note: 'café ✓' }),
).join('\n');
const ordersBytes = Buffer.from(orders);

const encoded = (encoding: string): HeaderPairs => [
  ['Content-Type', 'application/json'],
  ['Content-Encoding', encoding],
];

function text(result: BodyText): string {
  if (!result.ok) throw new Error(result.reason);
  return result.text;
}

function reason(result: BodyText): string {
  if (result.ok) throw new Error('decoded');
  return result.reason;
}

describe('bodyText', () => {
  it('reads a body with no content-encoding as UTF-8', () => {
    expect(bodyText(ordersBytes, [['content-type', 'application/json']])).toEqual({
      ok: true,
      text: orders,
      encodings: [],
      capped: false,
    });
    expect(text(bodyText(Buffer.from('plain'), [['Content-Encoding', 'identity']]))).toBe('plain');
  });

  it.each([
    ['gzip', zlib.gzipSync],
    ['x-gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ])('undoes %s', (encoding, compress) => {
    const result = bodyText(compress(ordersBytes), encoded(encoding));
    expect(result).toEqual({ ok: true, text: orders, encodings: [encoding], capped: false });
  });

  it('undoes raw deflate, which some servers send as deflate', () => {
    expect(text(bodyText(zlib.deflateRawSync(ordersBytes), encoded('deflate')))).toBe(orders);
  });

  it('undoes stacked codings last applied first', () => {
    const twice = zlib.brotliCompressSync(zlib.gzipSync(ordersBytes));
    expect(bodyText(twice, encoded('gzip, br'))).toMatchObject({
      ok: true,
      text: orders,
      encodings: ['gzip', 'br'],
    });
  });

  it.skipIf(!ZSTD_AVAILABLE)('undoes zstd on a Node that has it', () => {
    const compress = (zlib as unknown as { zstdCompressSync: (b: Buffer) => Buffer })
      .zstdCompressSync;
    expect(text(bodyText(compress(ordersBytes), encoded('zstd')))).toBe(orders);
  });

  it.skipIf(ZSTD_AVAILABLE)('says why zstd is not decoded on a Node without it', () => {
    // A real zstd frame (magic 28 B5 2F FD) of "hello", made by the zstd 1.5.4 CLI.
    const frame = Buffer.from('KLUv/QRYKQAAaGVsbG+jbZ+I', 'base64');
    expect(reason(bodyText(frame, encoded('zstd')))).toBe(
      `zstd needs Node 22.15 or later to decode (this is ${process.version})`,
    );
  });

  it('searches what a body cut at the capture cap still holds', () => {
    for (const [encoding, compress] of [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      const whole = compress(ordersBytes);
      const decoded = text(bodyText(whole.subarray(0, whole.length >> 1), encoded(encoding)));
      expect(decoded.length, encoding).toBeGreaterThan(1000);
      expect(orders.startsWith(decoded), encoding).toBe(true);
    }
  });

  it('refuses to decode past the cap: a zip bomb costs at most the cap', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(reason(bodyText(bomb, encoded('gzip')))).toBe(
      `gzip body decodes to more than ${MAX_DECODED_BYTES} bytes, not searched`,
    );
    const small = zlib.brotliCompressSync(Buffer.alloc(4096, 'a'));
    expect(reason(bodyText(small, encoded('br'), 1024))).toContain('more than 1024 bytes');
    expect(text(bodyText(small, encoded('br'), 4096))).toBe('a'.repeat(4096));
  });

  it('cuts a plain body at the cap and says so', () => {
    expect(bodyText(Buffer.from('abcdef'), [], 4)).toEqual({
      ok: true,
      text: 'abcd',
      encodings: [],
      capped: true,
    });
  });

  it('decodes by the charset the Content-Type names', () => {
    const latin1 = Buffer.from('café', 'latin1');
    expect(text(bodyText(latin1, [['Content-Type', 'text/plain; charset=ISO-8859-1']]))).toBe(
      'café',
    );
    expect(text(bodyText(latin1, [['Content-Type', 'text/plain; charset="latin1"']]))).toBe('café');
    // Unknown label: UTF-8 (invalid bytes become U+FFFD rather than failing).
    expect(text(bodyText(latin1, [['Content-Type', 'text/plain; charset=x-nonsense']]))).toBe(
      'caf\uFFFD',
    );
  });

  it('gives a reason instead of text for what it cannot or need not read', () => {
    expect(reason(bodyText(Buffer.from('not gzip at all'), encoded('gzip')))).toMatch(
      /^gzip body does not decode: /,
    );
    expect(reason(bodyText(Buffer.from('x'), encoded('compress')))).toBe(
      'content-encoding compress is not decoded',
    );
    expect(reason(bodyText(Buffer.from([0x89, 0x50]), [['Content-Type', 'image/png; q=1']]))).toBe(
      'image/png is binary, not searched',
    );
  });
});

/** A recording stand-in that counts how often its bytes are read. */
function source(
  id: number,
  bodies: Partial<Record<BodySide, { bytes: Buffer; headers: HeaderPairs }>>,
  ended = true,
): BodySource & { reads: number } {
  return {
    id,
    ended,
    reads: 0,
    body(side) {
      this.reads++;
      return bodies[side]?.bytes ?? Buffer.alloc(0);
    },
    requestHeaders: bodies.request?.headers ?? [],
    responseHeaders: bodies.response?.headers ?? [],
  };
}

const gzipped = (s: string) => ({ bytes: zlib.gzipSync(s), headers: encoded('gzip') });

describe('BodyTextCache', () => {
  it('keeps decoded texts by id and side, and reads plain bodies again', () => {
    const cache = new BodyTextCache();
    const a = source(1, {
      request: { bytes: Buffer.from('plain request'), headers: [] },
      response: gzipped('gzipped response'),
    });
    expect(text(cache.text(a, 'response'))).toBe('gzipped response');
    expect(text(cache.text(a, 'response'))).toBe('gzipped response');
    expect(a.reads).toBe(1);
    expect(text(cache.text(a, 'request'))).toBe('plain request');
    expect(text(cache.text(a, 'request'))).toBe('plain request');
    expect(a.reads).toBe(3);
    expect([cache.size, cache.chars]).toEqual([1, 'gzipped response'.length]);
  });

  it('does not keep a body still arriving', () => {
    const cache = new BodyTextCache();
    const pending = source(1, { response: gzipped('so far') }, false);
    cache.text(pending, 'response');
    cache.text(pending, 'response');
    expect(pending.reads).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('keeps failures too: a zip bomb is decoded to the cap once, not on every search', () => {
    const cache = new BodyTextCache();
    const bomb = source(1, {
      response: { bytes: zlib.gzipSync(Buffer.alloc(9 * 1024 * 1024)), headers: encoded('gzip') },
    });
    expect(cache.text(bomb, 'response').ok).toBe(false);
    expect(cache.text(bomb, 'response').ok).toBe(false);
    expect(bomb.reads).toBe(1);
  });

  it('drops the least recently used first, by count and by characters', () => {
    const cache = new BodyTextCache({ maxEntries: 2, maxChars: 1000 });
    const [a, b, c] = [1, 2, 3].map((id) => source(id, { response: gzipped(`body ${id}`) }));
    cache.text(a!, 'response');
    cache.text(b!, 'response');
    cache.text(a!, 'response'); // a is now the most recent
    cache.text(c!, 'response'); // drops b
    expect(cache.size).toBe(2);
    cache.text(a!, 'response');
    cache.text(b!, 'response');
    expect([a!.reads, b!.reads, c!.reads]).toEqual([1, 2, 1]);

    const byChars = new BodyTextCache({ maxEntries: 100, maxChars: 25 });
    const big = [1, 2, 3].map((id) => source(id, { response: gzipped('x'.repeat(10)) }));
    for (const s of big) byChars.text(s, 'response');
    expect([byChars.size, byChars.chars]).toEqual([2, 20]);
    byChars.text(big[0]!, 'response');
    expect(big[0]!.reads).toBe(2);
    byChars.clear();
    expect([byChars.size, byChars.chars]).toEqual([0, 0]);
  });

  it('reads a Recording from the recorder as it is', () => {
    const recorder = new Recorder();
    const recording = recorder.begin({
      listener: 'test',
      client: '127.0.0.1',
      method: 'POST',
      url: '/orders',
      host: 'shop.test',
      secure: false,
      httpVersion: '1.1',
      rawHeaders: ['Content-Type', 'application/json'],
      websocket: false,
    })!;
    recording.requestData(Buffer.from('{"id":"order-7"}'));
    recording.response(200, { 'content-type': 'application/json', 'content-encoding': 'br' });
    const compressed = zlib.brotliCompressSync(ordersBytes);
    recording.responseData(compressed.subarray(0, 100));
    recording.responseData(compressed.subarray(100));
    recording.end('completed');
    const cache = new BodyTextCache();
    expect(text(cache.text(recording, 'request'))).toBe('{"id":"order-7"}');
    expect(text(cache.text(recording, 'response'))).toBe(orders);
    expect(cache.size).toBe(1);
  });
});
