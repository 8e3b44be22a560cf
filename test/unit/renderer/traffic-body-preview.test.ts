// @vitest-environment happy-dom
/** How bodies are shown: pretty JSON, text, images as data URLs, hex for binary. */
import { describe, expect, it } from 'vitest';
import {
  decodeText,
  hexDump,
  previewBody,
} from '../../../src/renderer/src/features/traffic/body-preview.js';

const b64 = (text: string): string => btoa(text);
const bytesB64 = (bytes: number[]): string => btoa(String.fromCharCode(...bytes));

describe('previewBody', () => {
  it('pretty-prints JSON', () => {
    expect(previewBody(b64('{"a":1,"b":[true]}'), 'application/json; charset=utf-8')).toEqual({
      kind: 'json',
      text: '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}',
    });
  });

  it('recognises +json types and untyped JSON', () => {
    expect(previewBody(b64('{"x":1}'), 'application/problem+json').kind).toBe('json');
    expect(previewBody(b64('[1,2]'), undefined).kind).toBe('json');
  });

  it('shows invalid JSON as the text it is', () => {
    expect(previewBody(b64('{not json'), 'application/json')).toEqual({
      kind: 'text',
      text: '{not json',
    });
  });

  it('shows text as text, UTF-8 decoded', () => {
    const utf8 = String.fromCharCode(...new TextEncoder().encode('héllo ✓'));
    expect(previewBody(btoa(utf8), 'text/plain')).toEqual({ kind: 'text', text: 'héllo ✓' });
  });

  it('shows images as data URLs', () => {
    const png = bytesB64([0x89, 0x50, 0x4e, 0x47]);
    expect(previewBody(png, 'image/png')).toEqual({
      kind: 'image',
      dataUrl: `data:image/png;base64,${png}`,
    });
  });

  it('falls back to hex for binary, whatever the type says', () => {
    const preview = previewBody(bytesB64([0, 1, 2, 0xff]), 'text/plain');
    expect(preview.kind).toBe('hex');
    expect(preview).toMatchObject({ shown: 4 });
  });

  it('honours an explicit mode', () => {
    expect(previewBody(b64('{"a":1}'), 'application/json', 'text')).toEqual({
      kind: 'text',
      text: '{"a":1}',
    });
    expect(previewBody(b64('AB'), 'text/plain', 'hex').kind).toBe('hex');
    expect(previewBody('', 'text/plain').kind).toBe('empty');
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
