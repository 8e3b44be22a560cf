/**
 * The bytes of a captured body, read: base64 (bodies may be binary) to bytes, bytes to
 * text when they are UTF-8 a person would read, a hex dump otherwise, and the media type
 * out of a Content-Type. Which views a body offers is body-views.ts.
 */

/** Hex dumps stop here: 64 KiB is 4,096 lines, already more than anyone scrolls. */
export const HEX_LIMIT = 64 * 1024;

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
