import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diffBodies, sha256Hex, type BodyInput } from '../../../src/shared/body-diff.js';

const utf8 = (text: string, contentType?: string): BodyInput => ({
  bytes: new TextEncoder().encode(text),
  ...(contentType ? { contentType } : {}),
});
const bytes = (values: number[], contentType?: string): BodyInput => ({
  bytes: Uint8Array.from(values),
  ...(contentType ? { contentType } : {}),
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(
      sha256Hex(
        new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      ),
    ).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with node:crypto across every padding boundary and on a 1 MB body', () => {
    const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 131 + (i >> 8)) & 255);
    for (let n = 0; n <= 200; n++) {
      const slice = data.subarray(0, n);
      expect(sha256Hex(slice), `length ${n}`).toBe(
        createHash('sha256').update(slice).digest('hex'),
      );
    }
    expect(sha256Hex(data)).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('hashes a view by its own bytes, not its whole buffer', () => {
    const whole = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    expect(sha256Hex(whole.subarray(2, 5))).toBe(sha256Hex(Uint8Array.from([1, 2, 3])));
  });
});

describe('diffBodies', () => {
  it('compares JSON structurally: key order and whitespace do not count', () => {
    const a = utf8('{"id":42,"total":10.5,"items":[{"sku":"A"}]}', 'application/json');
    const b = utf8(
      '{\n  "items": [ { "sku": "A" } ],\n  "total": 10.5,\n  "id": 42\n}',
      'application/json',
    );
    expect(diffBodies(a, b)).toEqual({
      kind: 'json',
      same: true,
      truncated: false,
      count: 0,
      changes: [],
    });
  });

  it('lists JSON changes by path, leaving out ignored paths', () => {
    const a = utf8('{"id":1,"price":10,"meta":{"at":"10:00"}}', 'application/json; charset=utf-8');
    const b = utf8('{"id":1,"price":12,"meta":{"at":"10:01"}}', 'application/json; charset=utf-8');
    expect(diffBodies(a, b)).toMatchObject({
      kind: 'json',
      same: false,
      count: 2,
      changes: [
        { path: '$.price', kind: 'changed', a: 10, b: 12 },
        { path: '$.meta.at', kind: 'changed', a: '10:00', b: '10:01' },
      ],
    });
    expect(diffBodies(a, b, { ignorePaths: ['$.meta.*'] })).toMatchObject({
      same: false,
      changes: [{ path: '$.price' }],
    });
    expect(diffBodies(a, b, { ignorePaths: ['$.meta', 'price'] })).toMatchObject({
      kind: 'json',
      same: true,
    });
  });

  it('takes JSON by its +json type, or by its shape when no type is given', () => {
    expect(diffBodies(utf8('{"a":1}', 'application/problem+json'), utf8('{"a":2}')).kind).toBe(
      'json',
    );
    expect(diffBodies(utf8('[1, 2]'), utf8('[1,2]'))).toMatchObject({ kind: 'json', same: true });
    // A bare number is JSON too, but nothing says so: compared as text.
    expect(diffBodies(utf8('1'), utf8('1.0')).kind).toBe('text');
  });

  it('caps the changes kept but counts them all', () => {
    const a = JSON.stringify(Array.from({ length: 50 }, (_, i) => i));
    const b = JSON.stringify(Array.from({ length: 50 }, (_, i) => i + 1));
    const diff = diffBodies(utf8(a, 'application/json'), utf8(b, 'application/json'), {
      maxJsonChanges: 10,
    });
    expect(diff).toMatchObject({ kind: 'json', count: 50 });
    expect(diff.kind === 'json' && diff.changes.map((c) => c.path)).toEqual(
      Array.from({ length: 10 }, (_, i) => `$[${i}]`),
    );
  });

  it('diffs a JSON answer against an HTML error page as text, saying which side is not JSON', () => {
    const diff = diffBodies(
      utf8('{"ok":true}', 'application/json'),
      utf8('<html>\n<h1>502 Bad Gateway</h1>\n</html>', 'text/html'),
    );
    expect(diff).toMatchObject({ kind: 'text', same: false });
    expect(diff.kind === 'text' && diff.note).toBe("B is not valid JSON: Unexpected token '<'");
    expect(diff.kind === 'text' && diff.text).toMatchObject({
      kind: 'lines',
      removed: 1,
      added: 3,
    });
  });

  it('diffs text by lines', () => {
    const diff = diffBodies(utf8('a\nb\nc', 'text/plain'), utf8('a\nB\nc', 'text/plain'));
    expect(diff).toEqual({
      kind: 'text',
      same: false,
      truncated: false,
      text: {
        kind: 'lines',
        same: false,
        added: 1,
        removed: 1,
        hunks: [
          { kind: 'same', lines: ['a'], aLine: 1, bLine: 1 },
          { kind: 'removed', lines: ['b'], aLine: 2, bLine: 2 },
          { kind: 'added', lines: ['B'], aLine: 3, bLine: 2 },
          { kind: 'same', lines: ['c'], aLine: 3, bLine: 3 },
        ],
      },
    });
  });

  it('decodes text in its declared charset', () => {
    const diff = diffBodies(
      bytes([0x63, 0x61, 0x66, 0xe9], 'text/plain; charset=ISO-8859-1'),
      utf8('café'),
    );
    expect(diff).toMatchObject({ kind: 'text', same: true });
  });

  it('compares binary bodies by size and SHA-256', () => {
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    const same = diffBodies(bytes(png, 'image/png'), bytes(png, 'image/png'));
    expect(same).toEqual({
      kind: 'binary',
      same: true,
      truncated: false,
      a: { size: 12, hash: createHash('sha256').update(Uint8Array.from(png)).digest('hex') },
      b: { size: 12, hash: createHash('sha256').update(Uint8Array.from(png)).digest('hex') },
    });
    const other = diffBodies(
      bytes(png, 'image/png'),
      bytes([...png.slice(0, -1), 14], 'image/png'),
    );
    expect(other).toMatchObject({ kind: 'binary', same: false, a: { size: 12 }, b: { size: 12 } });
    expect(other.kind === 'binary' && other.a.hash !== other.b.hash).toBe(true);
  });

  it('takes bytes as binary when their type says so, when they are not UTF-8, or hold NUL', () => {
    expect(diffBodies(utf8('hello', 'application/octet-stream'), utf8('hello')).kind).toBe(
      'binary',
    );
    expect(diffBodies(bytes([0xff, 0xfe, 0x00]), bytes([0xff])).kind).toBe('binary');
    expect(diffBodies(utf8('a\0b'), utf8('a\0c'))).toMatchObject({ kind: 'binary', same: false });
    // One side binary is enough: text against bytes is not a line diff.
    expect(diffBodies(utf8('text'), bytes([0xc3, 0x28])).kind).toBe('binary');
  });

  it('says when both bodies are empty, and carries truncation', () => {
    expect(diffBodies(utf8(''), utf8(''))).toEqual({ kind: 'empty', same: true, truncated: false });
    expect(
      diffBodies({ ...utf8('{"a":1}', 'application/json'), truncated: true }, utf8('{"a":1}')),
    ).toMatchObject({ kind: 'json', same: true, truncated: true });
    // An empty body against JSON does not parse: a text diff saying so.
    expect(
      diffBodies(utf8('', 'application/json'), utf8('{"a":1}', 'application/json')),
    ).toMatchObject({ kind: 'text', note: 'A is empty' });
  });
});
