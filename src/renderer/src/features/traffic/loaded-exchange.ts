/**
 * One exchange with both bodies, ready for the shared diff: its full record and its body
 * bytes, decoded from gzip or deflate where the renderer can (DecompressionStream), so two
 * members' compressed JSON answers compare as JSON rather than as opaque bytes. An
 * encoding the renderer cannot undo (br, zstd) is compared as sent, and says so.
 */
import type { BodySide, ExchangeDetail, HeaderPairs } from '../../../../shared/exchange.js';
import type { BodyInput } from '../../../../shared/exchange-diff.js';
import { base64ToBytes } from './body-preview.js';

export interface LoadedExchange {
  detail: ExchangeDetail;
  request: BodyInput;
  response: BodyInput;
  /** What could not be decoded: `response body is br-encoded: compared as sent`. */
  notes: string[];
}

export interface ExchangeSource {
  detail(id: number): Promise<ExchangeDetail | null>;
  body(id: number, side: BodySide): Promise<string | null>;
}

function contentEncoding(headers: HeaderPairs): string[] {
  const value = headers
    .filter(([name]) => name.toLowerCase() === 'content-encoding')
    .map(([, v]) => v)
    .join(',');
  return value
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
}

const FORMATS: Record<string, CompressionFormat> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
};

async function decompress(bytes: Uint8Array, format: CompressionFormat): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The bytes with their content codings undone (last applied first), or a note why not. */
export async function decodeBody(
  bytes: Uint8Array,
  encodings: readonly string[],
  truncated: boolean,
): Promise<{ bytes: Uint8Array; note?: string }> {
  if (encodings.length === 0 || bytes.length === 0) return { bytes };
  if (truncated) return { bytes, note: `${encodings.join(', ')}-encoded and cut at the cap` };
  let out = bytes;
  for (const encoding of [...encodings].reverse()) {
    const format = FORMATS[encoding];
    if (format === undefined || typeof DecompressionStream === 'undefined') {
      return { bytes, note: `${encodings.join(', ')}-encoded: compared as sent` };
    }
    try {
      out = await decompress(out, format);
    } catch {
      return { bytes, note: `not valid ${encoding}: compared as sent` };
    }
  }
  return { bytes: out };
}

/** The record and both bodies, or null once the exchange left the traffic log. */
export async function loadExchange(
  source: ExchangeSource,
  id: number,
): Promise<LoadedExchange | null> {
  const [detail, request, response] = await Promise.all([
    source.detail(id),
    source.body(id, 'request'),
    source.body(id, 'response'),
  ]);
  if (!detail) return null;
  const notes: string[] = [];
  const side = async (
    name: BodySide,
    base64: string | null,
    headers: HeaderPairs,
  ): Promise<BodyInput> => {
    const info = name === 'request' ? detail.requestBody : detail.responseBody;
    const decoded = await decodeBody(
      base64ToBytes(base64 ?? ''),
      contentEncoding(headers),
      info.truncated,
    );
    if (decoded.note) notes.push(`${name} body ${decoded.note}`);
    return {
      bytes: decoded.bytes,
      truncated: info.truncated,
      ...(info.contentType === undefined ? {} : { contentType: info.contentType }),
    };
  };
  return {
    detail,
    request: await side('request', request, detail.requestHeaders),
    response: await side('response', response, detail.responseHeaders),
    notes,
  };
}
