/**
 * Form bodies as the fields a server would see: application/x-www-form-urlencoded pairs,
 * and multipart/form-data parts with their name, file name, type, size and (for text) the
 * value. Parsing is tolerant: a body cut at the capture cap, a part without headers or a
 * stray byte give what can be read and a note, never an exception.
 */
import { decodeText } from './body-preview.js';

export interface FormField {
  name: string;
  /** The value as text; undefined for a file or bytes that are not text. */
  value?: string;
  filename?: string;
  /** The part's Content-Type (multipart only). */
  type?: string;
  /** Bytes of the value (UTF-8 bytes for a URL-encoded value, as decoded). */
  size: number;
}

export interface FormParse {
  fields: FormField[];
  /** Why the list may be incomplete or is empty ("no boundary in the Content-Type"). */
  note?: string;
}

/** Parts listed at most; a form with more is said to have more. */
export const MAX_FIELDS = 1000;

export function isFormType(type: string): boolean {
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}

export function parseForm(bytes: Uint8Array, contentType: string | undefined): FormParse {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') return parseMultipart(bytes, contentType ?? '');
  const text = decodeText(bytes);
  if (text === undefined) return { fields: [], note: 'The body is not text.' };
  return parseUrlEncoded(text);
}

/** `a=1&b=x+y&c=%E2%9C%93`: + is a space, malformed %-escapes stay as written. */
export function parseUrlEncoded(text: string): FormParse {
  const fields: FormField[] = [];
  const encoder = new TextEncoder();
  let count = 0;
  for (const [name, value] of new URLSearchParams(text.trim())) {
    if (++count > MAX_FIELDS) break;
    fields.push({ name, value, size: encoder.encode(value).length });
  }
  return count > MAX_FIELDS
    ? { fields, note: `Showing the first ${MAX_FIELDS} fields.` }
    : { fields };
}

/** A Content-Type or Content-Disposition parameter (`boundary=…`, `name="…"`). */
export function headerParam(header: string, param: string): string | undefined {
  const re = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    if (m[1]!.toLowerCase() !== param) continue;
    const raw = m[2]!.trim();
    return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return undefined;
}

/**
 * Bytes as a string of one char per byte, so indexOf finds ASCII delimiters in binary.
 * Not TextDecoder('latin1'): the WHATWG label means windows-1252, which maps 0x80–0x9f
 * elsewhere and would not give the bytes back.
 */
function byteString(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

function utf8(text: string): string {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes); // lenient: a stray byte becomes U+FFFD
}

/** `filename*=UTF-8''na%C3%AFve.txt` (RFC 5987) wins over a plain `filename`. */
function fileName(disposition: string): string | undefined {
  const extended = /^[^']*'[^']*'(.*)$/.exec(headerParam(disposition, 'filename*') ?? '');
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!);
    } catch {
      return extended[1];
    }
  }
  return headerParam(disposition, 'filename');
}

export function parseMultipart(bytes: Uint8Array, contentType: string): FormParse {
  const boundary = headerParam(contentType, 'boundary');
  if (!boundary) return { fields: [], note: 'The Content-Type names no multipart boundary.' };
  const body = byteString(bytes);
  const delimiter = `--${boundary}`;
  let at = body.indexOf(delimiter);
  if (at < 0) return { fields: [], note: `The boundary ${boundary} does not occur in the body.` };
  const fields: FormField[] = [];
  while (at >= 0) {
    at += delimiter.length;
    if (body.startsWith('--', at)) return { fields }; // the closing delimiter
    if (fields.length === MAX_FIELDS) {
      return { fields, note: `Showing the first ${MAX_FIELDS} parts.` };
    }
    const lineEnd = body.indexOf('\n', at);
    if (lineEnd < 0) break;
    const start = lineEnd + 1;
    const next = body.indexOf(`\n${delimiter}`, start);
    const { headerText, contentStart } = partHead(body, start, next);
    let contentEnd = next < 0 ? body.length : next;
    if (next >= 0 && body[next - 1] === '\r') contentEnd = next - 1;
    fields.push(
      partField(headerText, bytes.subarray(contentStart, Math.max(contentStart, contentEnd))),
    );
    if (next < 0) {
      return { fields, note: 'The body ends inside a part (cut at the capture cap?).' };
    }
    at = next + 1;
  }
  return { fields, note: 'The body ends before the closing boundary.' };
}

/** A part's header lines and where its content starts (after the first blank line). */
function partHead(
  body: string,
  start: number,
  next: number,
): { headerText: string; contentStart: number } {
  // CRLF is the rule, bare LF is tolerated; a part may also have no headers at all.
  if (body.startsWith('\r\n', start)) return { headerText: '', contentStart: start + 2 };
  if (body.startsWith('\n', start)) return { headerText: '', contentStart: start + 1 };
  const crlf = body.indexOf('\r\n\r\n', start);
  const lf = body.indexOf('\n\n', start);
  const blank = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  if (blank < 0 || (next >= 0 && blank > next)) return { headerText: '', contentStart: start };
  return {
    headerText: utf8(body.slice(start, blank)),
    contentStart: blank + (blank === crlf ? 4 : 2),
  };
}

function partField(headerText: string, content: Uint8Array): FormField {
  const headers = new Map<string, string>();
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  const field: FormField = { name: headerParam(disposition, 'name') ?? '', size: content.length };
  const filename = fileName(disposition);
  if (filename !== undefined) field.filename = filename;
  const type = headers.get('content-type');
  if (type !== undefined) field.type = type;
  const textual = type === undefined || /^text\/|json|xml|urlencoded/i.test(type);
  if (textual) {
    const text = decodeText(content);
    if (text !== undefined) field.value = text;
  }
  return field;
}
