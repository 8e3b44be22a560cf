/**
 * A captured body as text, for search (`body:"order-42"` in the traffic filter): the
 * content-encoding undone (gzip, deflate, br; zstd where this Node has it), then decoded
 * by the charset the Content-Type names (UTF-8 otherwise). Bounded: decoding stops at a
 * cap, so a small zip bomb in the log cannot take the engine's memory with it.
 *
 * Search runs over every exchange on every keystroke, so decoded texts are kept in an LRU
 * cache keyed by exchange id and side. Only what was expensive to make is kept: a body
 * with no content-encoding is read again from its bytes in about the time a cache lookup
 * takes, and caching those too would push the compressed ones out.
 */
import zlib from 'node:zlib';
import type { BodySide, HeaderPairs } from '../../shared/exchange.js';

/** Decoded bytes searched per body at most. */
export const MAX_DECODED_BYTES = 8 * 1024 * 1024;

export type BodyText =
  | {
      ok: true;
      text: string;
      /** Content-codings undone, in the order they were applied by the sender. */
      encodings: string[];
      /** The text was cut at the cap (an identity body larger than it). */
      capped: boolean;
    }
  | { ok: false; reason: string };

type Decoder = (bytes: Buffer, maxOutputLength: number) => Buffer;

// Node ≥ 22.15 (and 23.8) has zstd; the engine also runs on Nodes without it.
const zstdDecompressSync = (zlib as { zstdDecompressSync?: typeof zlib.zstdDecompressSync })
  .zstdDecompressSync;

/** zstd is undone by this Node (false before 22.15). */
export const ZSTD_AVAILABLE = typeof zstdDecompressSync === 'function';

/**
 * Options for one decode. SYNC_FLUSH rather than FINISH: a body cut at the capture cap is a
 * truncated stream, and what it holds up to the cut is still worth searching. The output
 * chunk is sized to the body (about 4× the compressed bytes, as JSON and HTML compress)
 * rather than zlib's 16 KiB: most API bodies are a few kilobytes, and a fresh 16 KiB
 * buffer per body was a quarter of the time of decoding thousands of them.
 */
function options(
  bytes: Buffer,
  max: number,
  finishFlush: number,
): { finishFlush: number; maxOutputLength: number; chunkSize: number } {
  const chunkSize = Math.min(
    64 * 1024,
    Math.max(1024, 2 ** Math.ceil(Math.log2(bytes.length * 4))),
  );
  return { finishFlush, maxOutputLength: max, chunkSize };
}

const gunzip: Decoder = (bytes, max) =>
  zlib.gunzipSync(bytes, options(bytes, max, zlib.constants.Z_SYNC_FLUSH));

/**
 * `deflate` is meant to be a zlib stream (RFC 9110 §8.4.1.2), but some servers send raw
 * deflate; a zlib stream starts with a header whose two bytes are a multiple of 31.
 */
const inflate: Decoder = (bytes, max) => {
  const zlibHeader =
    bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && bytes.readUInt16BE(0) % 31 === 0;
  const o = options(bytes, max, zlib.constants.Z_SYNC_FLUSH);
  return zlibHeader ? zlib.inflateSync(bytes, o) : zlib.inflateRawSync(bytes, o);
};

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: inflate,
  br: (bytes, max) =>
    zlib.brotliDecompressSync(bytes, options(bytes, max, zlib.constants.BROTLI_OPERATION_FLUSH)),
  zstd: zstdDecompressSync
    ? (bytes, max) => zstdDecompressSync(bytes, { maxOutputLength: max })
    : undefined,
};

/** Types whose bodies are never text: not worth decoding to search. */
const BINARY_TYPE = /^(image|audio|video|font)\//i;

function header(headers: HeaderPairs, name: string): string | undefined {
  for (const [n, v] of headers) if (n.length === name.length && n.toLowerCase() === name) return v;
  return undefined;
}

export type DecodedBody =
  { ok: true; bytes: Buffer; encodings: string[]; capped: boolean } | { ok: false; reason: string };

/** A body's bytes with its content-encoding undone (at most `maxBytes` of them). */
export function decodeBody(
  bytes: Buffer,
  headers: HeaderPairs,
  maxBytes: number = MAX_DECODED_BYTES,
): DecodedBody {
  const encodings = (header(headers, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
  let decoded = bytes;
  // Codings are listed in the order they were applied: undo the last first.
  for (const encoding of [...encodings].reverse()) {
    if (decoded.length === 0) break;
    const decode = DECODERS[encoding];
    if (!decode) {
      return {
        ok: false,
        reason:
          encoding === 'zstd'
            ? `zstd needs Node 22.15 or later to decode (this is ${process.version})`
            : `content-encoding ${encoding} is not decoded`,
      };
    }
    try {
      decoded = decode(decoded, maxBytes);
    } catch (e) {
      const code = (e as { code?: string }).code;
      return {
        ok: false,
        reason:
          code === 'ERR_BUFFER_TOO_LARGE'
            ? `${encoding} body decodes to more than ${maxBytes} bytes`
            : `${encoding} body does not decode: ${(e as Error).message}`,
      };
    }
  }
  const capped = decoded.length > maxBytes;
  return { ok: true, bytes: capped ? decoded.subarray(0, maxBytes) : decoded, encodings, capped };
}

/** The text of a body given its bytes and the headers of its side. */
export function bodyText(
  bytes: Buffer,
  headers: HeaderPairs,
  maxBytes: number = MAX_DECODED_BYTES,
): BodyText {
  const contentType = header(headers, 'content-type');
  if (contentType !== undefined && BINARY_TYPE.test(contentType)) {
    return { ok: false, reason: `${contentType.split(';')[0]} is binary, not searched` };
  }
  const decoded = decodeBody(bytes, headers, maxBytes);
  if (!decoded.ok)
    return { ok: false, reason: decoded.reason.replace(/bytes$/, 'bytes, not searched') };
  return {
    ok: true,
    text: decodeText(decoded.bytes, contentType),
    encodings: decoded.encodings,
    capped: decoded.capped,
  };
}

function decodeText(bytes: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') {
    return bytes.toString('utf8');
  }
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8'); // a label TextDecoder does not know
  }
}

/** What bodyText reads from a recording (Recording has it). */
export interface BodySource {
  readonly id: number;
  /** A body still arriving is not cached: it may grow. */
  readonly ended: boolean;
  body(side: BodySide): Buffer;
  readonly requestHeaders: HeaderPairs;
  readonly responseHeaders: HeaderPairs;
}

export interface BodyTextCacheLimits {
  maxEntries: number;
  /** UTF-16 code units of text kept in all. */
  maxChars: number;
}

const EMPTY: BodyText = { ok: true, text: '', encodings: [], capped: false };

/**
 * Decoded texts by exchange id and side, least recently used dropped first. One cache per
 * log: ids are the recorder's own (never reused by it, even after a clear).
 *
 * The default limits hold the compressed bodies of a full default log (5,000 exchanges):
 * an LRU smaller than the set a search walks through in order keeps nothing useful (each
 * pass drops what the next one needs first), so every search would decode everything
 * again. The trade-off is memory: up to 32 Mi characters of text (32 MB for ASCII).
 */
export class BodyTextCache {
  readonly limits: BodyTextCacheLimits;
  /** A Map iterates in insertion order: re-inserting on a hit keeps the oldest first. */
  readonly #entries = new Map<number, BodyText>();
  #chars = 0;

  constructor(limits: Partial<BodyTextCacheLimits> = {}) {
    this.limits = { maxEntries: 10_000, maxChars: 32 * 1024 * 1024, ...limits };
  }

  get size(): number {
    return this.#entries.size;
  }

  get chars(): number {
    return this.#chars;
  }

  /** The body of one side of an exchange as text (see bodyText). */
  text(source: BodySource, side: BodySide): BodyText {
    const key = source.id * 2 + (side === 'response' ? 1 : 0);
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const bytes = source.body(side);
    // Most requests have no body: no headers to unpack for those.
    if (bytes.length === 0) return EMPTY;
    const headers = side === 'request' ? source.requestHeaders : source.responseHeaders;
    const result = bodyText(bytes, headers);
    // A failure is kept too: a zip bomb is decoded up to the cap once, not on every search.
    const costly = !result.ok || result.encodings.length > 0;
    if (source.ended && costly) this.#keep(key, result);
    return result;
  }

  #keep(key: number, result: BodyText): void {
    const chars = result.ok ? result.text.length : 0;
    if (chars > this.limits.maxChars) return;
    this.#entries.set(key, result);
    this.#chars += chars;
    if (this.#entries.size <= this.limits.maxEntries && this.#chars <= this.limits.maxChars) {
      return;
    }
    // A tenth below the limits at once: dropping one entry per insert from the front of a
    // Map walks the holes the earlier deletes left there, every time.
    const entries = this.limits.maxEntries - Math.floor(this.limits.maxEntries / 10);
    const maxChars = this.limits.maxChars - Math.floor(this.limits.maxChars / 10);
    for (const [oldKey, old] of this.#entries) {
      if (this.#entries.size <= entries && this.#chars <= maxChars) break;
      this.#entries.delete(oldKey);
      this.#chars -= old.ok ? old.text.length : 0;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#chars = 0;
  }
}

/** A recorded body for the inspector: decoded when it can be, with the sizes and why not. */
export function decodedBodyOf(
  source: BodySource,
  side: BodySide,
): {
  base64: string;
  encodings: string[];
  size: number;
  decodedSize: number;
  note?: string;
} {
  const bytes = source.body(side);
  const headers = side === 'request' ? source.requestHeaders : source.responseHeaders;
  const decoded = decodeBody(bytes, headers);
  const size = bytes.length;
  if (!decoded.ok)
    return {
      base64: bytes.toString('base64'),
      encodings: [],
      size,
      decodedSize: size,
      note: decoded.reason,
    };
  return {
    base64: decoded.bytes.toString('base64'),
    encodings: decoded.encodings,
    size,
    decodedSize: decoded.bytes.length,
    ...(decoded.capped
      ? { note: `decoded up to ${MAX_DECODED_BYTES} bytes; the rest is not shown` }
      : {}),
  };
}
