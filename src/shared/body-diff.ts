/**
 * Diff of two bodies (issue 15, for the exchange diff): JSON structurally, text by lines,
 * anything else by size and SHA-256, the method picked from both sides' content types
 * and bytes. Pure; no Node imports (the renderer runs it).
 */
import { diffJson, type JsonChange } from './json-diff.js';
import { diffText, type TextDiff, type TextDiffOptions } from './text-diff.js';

/** A body's bytes as captured (decoded from gzip, br, … by the caller). */
export interface BodyInput {
  bytes: Uint8Array;
  contentType?: string;
  /** Cut at the capture cap: only the kept bytes can be compared. */
  truncated?: boolean;
}

export interface BinarySide {
  size: number;
  /** SHA-256, lower-case hex (the same as `sha256sum` prints). */
  hash: string;
}

/**
 * `truncated`: either side was cut at the capture cap, so `same` speaks for the captured
 * bytes only. `json.count` is every change; `changes` keeps the first `maxJsonChanges`.
 */
export type BodyDiff =
  | { kind: 'empty'; same: true; truncated: boolean }
  | { kind: 'json'; same: boolean; truncated: boolean; count: number; changes: JsonChange[] }
  | { kind: 'text'; same: boolean; truncated: boolean; text: TextDiff; note?: string }
  | { kind: 'binary'; same: boolean; truncated: boolean; a: BinarySide; b: BinarySide };

export interface BodyDiffOptions {
  /** JSON paths to leave out (see `JsonDiffOptions.ignorePaths`). */
  ignorePaths?: readonly string[];
  text?: TextDiffOptions;
  /** Default 1,000. */
  maxJsonChanges?: number;
}

export const DEFAULT_MAX_JSON_CHANGES = 1_000;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const isJsonType = (type: string): boolean =>
  type === 'application/json' || type === 'text/json' || type.endsWith('+json');
const isBinaryType = (type: string): boolean =>
  /^(image|audio|video|font)\//.test(type) ||
  /^application\/(octet-stream|pdf|zip|gzip|wasm|grpc|x-protobuf|protobuf)/.test(type);

function decoderFor(charset: string): { decode(bytes: Uint8Array): string } {
  try {
    return new TextDecoder(charset, { fatal: true });
  } catch {
    // An unknown charset label: UTF-8 is the likeliest truth, and fatal still guards it.
    return new TextDecoder('utf-8', { fatal: true });
  }
}

/** The body as text, or undefined when it is not text in its declared charset (or UTF-8). */
function decodeText(body: BodyInput): string | undefined {
  const type = mediaType(body.contentType);
  if (isBinaryType(type)) return undefined;
  const charset = /;\s*charset="?([^";\s]+)/i.exec(body.contentType ?? '')?.[1] ?? 'utf-8';
  let text: string;
  try {
    text = decoderFor(charset).decode(body.bytes);
  } catch {
    return undefined;
  }
  // Valid UTF-8 with NUL in it is a binary format, unless the sender said it was text.
  return type === '' && text.slice(0, 8_000).includes('\0') ? undefined : text;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { error: 'is empty' };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the body back (`Unexpected token '<', "<html>…" is not valid JSON`): the
    // note keeps the reason, since the body is on screen anyway.
    const message = error instanceof Error ? error.message : String(error);
    return { error: `is not valid JSON: ${message.replace(/, ".*is not valid JSON$/s, '')}` };
  }
}

/**
 * Body A against body B, the method picked from both: JSON when either is declared
 * JSON or both start like one (`{`, `[`) and both parse; text when both decode; else
 * binary by size and hash. A JSON body facing an HTML error page is diffed as text, with
 * a note saying which side did not parse.
 */
export function diffBodies(a: BodyInput, b: BodyInput, options: BodyDiffOptions = {}): BodyDiff {
  const truncated = Boolean(a.truncated || b.truncated);
  if (a.bytes.length === 0 && b.bytes.length === 0) return { kind: 'empty', same: true, truncated };
  const ta = decodeText(a);
  const tb = decodeText(b);
  if (ta === undefined || tb === undefined) {
    const sa = { size: a.bytes.length, hash: sha256Hex(a.bytes) };
    const sb = { size: b.bytes.length, hash: sha256Hex(b.bytes) };
    return { kind: 'binary', same: bytesEqual(a.bytes, b.bytes), truncated, a: sa, b: sb };
  }

  const looksJson = (text: string): boolean => /^\s*[[{]/.test(text);
  const declared = isJsonType(mediaType(a.contentType)) || isJsonType(mediaType(b.contentType));
  let note: string | undefined;
  if (declared || (looksJson(ta) && looksJson(tb))) {
    const ja = parseJson(ta);
    const jb = parseJson(tb);
    if ('value' in ja && 'value' in jb) {
      const changes = diffJson(ja.value, jb.value, { ignorePaths: options.ignorePaths ?? [] });
      const max = options.maxJsonChanges ?? DEFAULT_MAX_JSON_CHANGES;
      return {
        kind: 'json',
        same: changes.length === 0,
        truncated,
        count: changes.length,
        changes: changes.length > max ? changes.slice(0, max) : changes,
      };
    }
    note = ['error' in ja ? `A ${ja.error}` : '', 'error' in jb ? `B ${jb.error}` : '']
      .filter(Boolean)
      .join('; ');
  }
  const text = diffText(ta, tb, options.text);
  return { kind: 'text', same: text.same, truncated, text, ...(note ? { note } : {}) };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// SHA-256 (FIPS 180-4) over bytes. Written out because node:crypto is not in the renderer
// and crypto.subtle is asynchronous and absent outside secure contexts; ~100 MB/s is
// plenty for bodies under the capture cap.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** SHA-256 of the bytes as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const block = (data: Uint8Array, at: number): void => {
    for (let i = 0; i < 16; i++, at += 4) {
      w[i] = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[i] = w[i - 16]! + s0 + w[i - 7]! + s1;
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let f = h[5]!;
    let g = h[6]!;
    let k = h[7]!;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + k;
  };

  const whole = bytes.length - (bytes.length % 64);
  for (let at = 0; at < whole; at += 64) block(bytes, at);
  const rest = bytes.length - whole;
  const tail = new Uint8Array(rest + 9 <= 64 ? 64 : 128);
  tail.set(bytes.subarray(whole));
  tail[rest] = 0x80;
  const bits = bytes.length * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.length - 4, bits >>> 0);
  for (let at = 0; at < tail.length; at += 64) block(tail, at);
  return [...h].map((v) => v.toString(16).padStart(8, '0')).join('');
}
