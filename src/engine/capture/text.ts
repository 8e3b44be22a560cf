/**
 * Body bytes as text when that loses nothing: exports write text bodies as text and
 * anything else as base64, and must give back the exact bytes on import or replay.
 */

// fatal: invalid UTF-8 is "not text" rather than U+FFFD; ignoreBOM: keep a leading BOM,
// which the default decoder would strip and so change the bytes.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as a string when it is valid UTF-8 (encoding it again gives the same bytes). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Text or base64, in the `{ text, encoding }` shape HAR content uses. */
export function encodeBody(bytes: Uint8Array): { text: string; encoding?: 'base64' } {
  const text = utf8Text(bytes);
  if (text !== undefined) return { text };
  return { text: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
}

export function decodeBody(text: string, encoding: string | undefined): Buffer {
  return encoding === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}
