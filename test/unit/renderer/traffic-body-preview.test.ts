// @vitest-environment happy-dom
/** Which views a body offers (JSON, text, image, hex), hex dumps and text decoding. */
import { describe, expect, it } from 'vitest';
import { decodeText, hexDump } from '../../../src/renderer/src/features/traffic/body-preview.js';
import { bodyContent, bodyViews } from '../../../src/renderer/src/features/traffic/body-views.js';

const b64 = (text: string): string => btoa(text);
const bytesB64 = (bytes: number[]): string => btoa(String.fromCharCode(...bytes));

describe('bodyViews', () => {
  const views = (base64: string, type: string | undefined) => bodyViews(bodyContent(base64, type));

  it('offers a JSON tree first for JSON, parsed once', () => {
    const content = bodyContent(b64('{"a":1,"b":[true]}'), 'application/json; charset=utf-8');
    expect(bodyViews(content)).toEqual(['json', 'pretty-json', 'text', 'hex']);
    expect(content.json).toEqual({ value: { a: 1, b: [true] } });
  });

  it('recognises +json types and untyped JSON', () => {
    expect(views(b64('{"x":1}'), 'application/problem+json')[0]).toBe('json');
    expect(views(b64('[1,2]'), undefined)[0]).toBe('json');
  });

  it('shows invalid JSON as the text it is', () => {
    const content = bodyContent(b64('{not json'), 'application/json');
    expect(bodyViews(content)).toEqual(['text', 'hex']);
    expect(content.text).toBe('{not json');
  });

  it('reads text as UTF-8', () => {
    const utf8 = String.fromCharCode(...new TextEncoder().encode('héllo ✓'));
    const content = bodyContent(btoa(utf8), 'text/plain');
    expect(bodyViews(content)).toEqual(['text', 'hex']);
    expect(content.text).toBe('héllo ✓');
  });

  it('shows images, and SVG also as pretty XML', () => {
    expect(views(bytesB64([0x89, 0x50, 0x4e, 0x47]), 'image/png')).toEqual(['image', 'hex']);
    expect(views(b64('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml')).toEqual([
      'image',
      'markup',
      'text',
      'hex',
    ]);
  });

  it('falls back to hex for binary, whatever the type says', () => {
    expect(views(bytesB64([0, 1, 2, 0xff]), 'text/plain')).toEqual(['hex']);
    expect(views(b64('{"a":1}'), 'application/octet-stream')).toEqual(['text', 'hex']);
    expect(views('', 'text/plain')).toEqual([]);
  });
});

describe('hexDump', () => {
  it('writes offset, 16 hex pairs in two groups, and printable ASCII', () => {
    const bytes = new TextEncoder().encode('Hello, hex dump!\n');
    expect(hexDump(bytes).split('\n')).toEqual([
      '00000000  48 65 6c 6c 6f 2c 20 68  65 78 20 64 75 6d 70 21  |Hello, hex dump!|',
      '00000010  0a                                                |.|',
    ]);
  });

  it('stops at the limit', () => {
    expect(hexDump(new Uint8Array(64), 32).split('\n')).toHaveLength(2);
  });
});

describe('decodeText', () => {
  it('rejects invalid UTF-8 and control characters', () => {
    expect(decodeText(new Uint8Array([0xc3, 0x28]))).toBeUndefined();
    expect(decodeText(new Uint8Array([0x41, 0x00]))).toBeUndefined();
    expect(decodeText(new TextEncoder().encode('tab\tand\r\nnewline'))).toBe('tab\tand\r\nnewline');
  });
});
