/**
 * How a captured body is shown: pretty JSON, text, an image, or a hex dump. Bodies come
 * as base64 (they may be binary); the content type decides first, and bytes that are not
 * valid UTF-8 text fall back to hex whatever the type claims.
 */

export type BodyPreview =
  | { kind: 'empty' }
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'image'; dataUrl: string }
  | { kind: 'hex'; text: string; shown: number };

export type BodyViewMode = 'auto' | 'text' | 'hex';

/** Hex dumps stop here: 64 KiB is 4,096 lines, already more than anyone scrolls. */
export const HEX_LIMIT = 64 * 1024;

const IMAGE_TYPES = /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon|svg\+xml)$/;

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json') || type === 'text/json';
}

export function base64ToBytes(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** UTF-8 text, or undefined when the bytes are not text a person would read. */
export function decodeText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // Control characters other than tab, newline, carriage return and form feed mean binary.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** Classic 16-bytes-a-line dump: offset, hex pairs, printable ASCII. */
export function hexDump(bytes: Uint8Array, limit = HEX_LIMIT): string {
  const end = Math.min(bytes.length, limit);
  const lines: string[] = [];
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, end));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = row[i];
      hex += b === undefined ? '   ' : `${b.toString(16).padStart(2, '0')} `;
      if (i === 7) hex += ' ';
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines.join('\n');
}

function prettyJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

export function previewBody(
  base64: string,
  contentType: string | undefined,
  mode: BodyViewMode = 'auto',
): BodyPreview {
  if (base64 === '') return { kind: 'empty' };
  const bytes = base64ToBytes(base64);
  const hex = (): BodyPreview => ({
    kind: 'hex',
    text: hexDump(bytes),
    shown: Math.min(bytes.length, HEX_LIMIT),
  });
  if (mode === 'hex') return hex();
  const type = mediaType(contentType);
  if (mode === 'auto' && IMAGE_TYPES.test(type)) {
    // Safe as an <img> source even for SVG: images never run scripts.
    return { kind: 'image', dataUrl: `data:${type};base64,${base64}` };
  }
  const text = decodeText(bytes);
  if (text === undefined) return hex();
  if (mode === 'auto' && (isJsonType(type) || (type === '' && /^\s*[[{]/.test(text)))) {
    const pretty = prettyJson(text);
    if (pretty !== undefined) return { kind: 'json', text: pretty };
  }
  return { kind: 'text', text };
}
