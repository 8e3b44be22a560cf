/**
 * The exchange recorder: the traffic log behind the inspector (SPEC §4). Each exchange is
 * one Recording, filled in as the exchange progresses (route, member and why, timings,
 * headers, bodies up to a cap, WebSocket frames) and kept in a ring buffer bounded by
 * count and by bytes, so memory never grows without bound. Pausing stops new recordings;
 * exchanges already being recorded finish.
 *
 * Summaries are emitted when an exchange starts and when it ends — and, for a streaming gRPC
 * call or an event stream, at most every 250 ms while it moves — never per chunk; the
 * bridges batch them for the UI, and details and bodies are fetched on demand.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type {
  BodyInfo,
  BodySide,
  ExchangeDetail,
  ExchangeOutcome,
  ExchangeSummary,
  FrameRecord,
  HeaderPairs,
} from '../../shared/exchange.js';
import { GrpcMessageCounter, grpcCallOf, isGrpcContentType } from '../../shared/grpc.js';
import { RingBuffer } from './ring-buffer.js';

export interface CaptureLimits {
  /** Exchanges kept. */
  maxEntries: number;
  /** Bytes kept: bodies, headers and frame previews together. */
  maxBytes: number;
  /** Body bytes kept per request and per response; the rest is counted. */
  bodyCapBytes: number;
  /** WebSocket frames kept per exchange; the rest is counted. */
  frameCap: number;
  /** Payload bytes kept per frame. */
  framePreviewBytes: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = {
  maxEntries: 5_000,
  maxBytes: 100 * 1024 * 1024,
  bodyCapBytes: 1024 * 1024,
  frameCap: 1_000,
  framePreviewBytes: 64,
};

export interface RecorderEvents {
  /** An exchange started (outcome `pending`) or ended. */
  exchange: [ExchangeSummary];
}

export interface ExchangeStart {
  listener: string;
  client: string;
  method: string;
  url: string;
  host: string;
  secure: boolean;
  httpVersion: string;
  rawHeaders: readonly string[];
  websocket: boolean;
  /** The request's Content-Type: gRPC calls are recognised by it. */
  contentType?: string | undefined;
}

/** A streaming gRPC call's summary goes out again at most this often while it is open. */
const LIVE_EVERY_MS = 250;

/** Chunk arrival times kept per body (see CapturedBody.arrivals). */
export const MAX_ARRIVALS = 2_000;

/** Response types whose chunk arrival times are kept: their bodies are timelines. */
const TIMELINE_TYPES = /^(text\/event-stream|application\/grpc)/i;

/** Chunks up to this size are kept as latin1 strings: one cheap object for the GC each. */
const SMALL_CHUNK = 16 * 1024;

/**
 * A body as captured. Kept chunks are what the GC walks for every exchange in the log, so
 * they are as few and as plain as possible: small chunks become strings (a Buffer is three
 * objects and an external allocation, and a slice would keep its whole socket buffer
 * alive), larger ones are copies exactly their size.
 */
class CapturedBody {
  readonly chunks: (string | Buffer)[] = [];
  size = 0;
  captured = 0;
  /**
   * When kept chunks arrived, flat: byte offset, ms since the exchange was accepted, …
   * Only for bodies that are read as a timeline (SSE events, gRPC messages), and at most
   * MAX_ARRIVALS chunks: two numbers a chunk in one array, nothing for the GC to walk.
   */
  arrivals: number[] | undefined;

  add(chunk: Buffer, cap: number, at?: number): number {
    this.size += chunk.length;
    const room = cap - this.captured;
    if (room <= 0) return 0;
    if (this.arrivals && at !== undefined && this.arrivals.length < MAX_ARRIVALS * 2) {
      this.arrivals.push(this.captured, at);
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(
      kept.length <= SMALL_CHUNK
        ? kept.toString('latin1')
        : kept.byteLength === kept.buffer.byteLength
          ? kept
          : Buffer.from(kept),
    );
    this.captured += kept.length;
    return kept.length;
  }

  bytes(): Buffer {
    return Buffer.concat(
      this.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)),
    );
  }

  info(contentType: string | undefined): BodyInfo {
    return {
      size: this.size,
      captured: this.captured,
      truncated: this.size > this.captured,
      ...(contentType === undefined ? {} : { contentType }),
      ...(this.arrivals ? { arrivals: this.arrivals.slice() } : {}),
    };
  }
}

/**
 * Headers are kept as one string, `name\nvalue\nname\nvalue…` (a parsed header name or
 * value never holds a line feed): one object per exchange for the GC to walk instead of an
 * array and a string per name and per value. Pairs are built on demand.
 */
const SEP = '\n';

function packRaw(rawHeaders: readonly string[]): string {
  return rawHeaders.join(SEP);
}

function packOutgoing(headers: OutgoingHttpHeaders | IncomingHttpHeaders): string {
  let out = '';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) out += `${out === '' ? '' : SEP}${name}${SEP}${String(v)}`;
    } else {
      out += `${out === '' ? '' : SEP}${name}${SEP}${String(value)}`;
    }
  }
  return out;
}

/** grpc-message is percent-encoded UTF-8. */
function decodeGrpcMessage(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function unpack(packed: string): HeaderPairs {
  if (packed === '') return [];
  const parts = packed.split(SEP);
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

function headerValue(headers: HeaderPairs, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** One exchange being recorded; every method is cheap and safe to call after the end. */
export class Recording {
  readonly id: number;
  readonly summary: ExchangeSummary;
  /** The request's headers as received, packed (see `packRaw`). */
  readonly #requestHeaders: string;
  /** The response's headers as sent to the client, packed. */
  #responseHeaders = '';
  /** The response's trailers, packed; undefined when it had none. */
  #responseTrailers: string | undefined;
  /** Message counters of a gRPC call, one per direction. */
  #grpc: { up: GrpcMessageCounter; down: GrpcMessageCounter } | undefined;
  /** When the last live summary of a streaming gRPC call went out. */
  #liveAt = 0;
  readonly httpVersion: string;
  readonly requestBody = new CapturedBody();
  readonly responseBody = new CapturedBody();
  frames: FrameRecord[] | undefined;
  framesDropped = 0;
  /** Bytes this recording holds, as the ring buffer accounts them. */
  bytes: number;
  readonly #t0 = performance.now();
  readonly #recorder: Recorder;
  #ended = false;

  constructor(id: number, start: ExchangeStart, recorder: Recorder) {
    this.#recorder = recorder;
    this.id = id;
    this.#requestHeaders = packRaw(start.rawHeaders);
    this.httpVersion = start.httpVersion;
    // An estimate, not a count: walking every header per request to be exact costs more
    // than the accuracy is worth for a memory bound.
    this.bytes = 256 + start.url.length + start.rawHeaders.length * 24;
    this.summary = {
      id,
      startedAt: Date.now(),
      listener: start.listener,
      client: start.client,
      method: start.method,
      url: start.url,
      host: start.host,
      secure: start.secure,
      httpVersion: start.httpVersion,
      attempts: 0,
      status: 0,
      outcome: 'pending',
      timings: {},
      requestBytes: 0,
      responseBytes: 0,
      ...(start.websocket
        ? { websocket: { open: false, framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0 } }
        : {}),
    };
    if (start.websocket) this.frames = [];
    const call = isGrpcContentType(start.contentType) ? grpcCallOf(start.url) : undefined;
    if (call) {
      this.summary.grpc = { ...call, messagesUp: 0, messagesDown: 0 };
      this.#grpc = { up: new GrpcMessageCounter(), down: new GrpcMessageCounter() };
    }
  }

  #elapsed(): number {
    return Math.round((performance.now() - this.#t0) * 100) / 100;
  }

  route(name: string): void {
    this.summary.route = name;
  }

  /** A backend was chosen for an attempt (again after a failover). */
  attempt(member: string, why?: string): void {
    this.summary.member = member;
    if (why !== undefined) this.summary.why = why;
    this.summary.attempts++;
  }

  upstreamConnected(): void {
    this.summary.timings.upstreamConnected ??= this.#elapsed();
  }

  response(status: number, headers: OutgoingHttpHeaders): void {
    this.summary.timings.firstByte ??= this.#elapsed();
    this.summary.status = status;
    this.#responseHeaders = packOutgoing(headers);
    const type = headers['content-type'];
    if (typeof type === 'string' && TIMELINE_TYPES.test(type)) {
      this.responseBody.arrivals ??= [];
    }
  }

  requestData(chunk: Buffer): void {
    this.summary.requestBytes += chunk.length;
    if (this.#grpc && this.summary.grpc) {
      this.#grpc.up.push(chunk);
      this.#countMessages('messagesUp', this.#grpc.up.count);
    }
    this.#grow(this.requestBody.add(chunk, this.#recorder.limits.bodyCapBytes));
  }

  responseData(chunk: Buffer): void {
    this.summary.responseBytes += chunk.length;
    if (this.#grpc && this.summary.grpc) {
      this.#grpc.down.push(chunk);
      this.#countMessages('messagesDown', this.#grpc.down.count);
    }
    const at = this.responseBody.arrivals ? this.#elapsed() : undefined;
    const kept = this.responseBody.add(chunk, this.#recorder.limits.bodyCapBytes, at);
    this.#grow(at !== undefined && kept > 0 ? kept + 16 : kept);
    // An event stream fills in live as a streaming gRPC call does (its counts do that).
    if (at !== undefined && !this.summary.grpc) this.#live();
  }

  tunnelOpen(): void {
    if (this.summary.websocket) this.summary.websocket.open = true;
  }

  frame(direction: 'up' | 'down', opcode: number, size: number, preview: Buffer): void {
    const ws = this.summary.websocket;
    if (!ws || !this.frames) return;
    if (direction === 'up') {
      ws.framesUp++;
      ws.bytesUp += size;
    } else {
      ws.framesDown++;
      ws.bytesDown += size;
    }
    if (this.frames.length >= this.#recorder.limits.frameCap) {
      this.framesDropped++;
      return;
    }
    const record = {
      at: this.#elapsed(),
      direction,
      opcode,
      size,
      preview: preview.toString('base64'),
    };
    this.frames.push(record);
    this.#grow(64 + record.preview.length);
  }

  /**
   * A streaming call fills in live: when its message count changes, the summary goes out
   * again (pending), at most every LIVE_EVERY_MS per call; the bridges coalesce by id.
   */
  #countMessages(side: 'messagesUp' | 'messagesDown', count: number): void {
    const grpc = this.summary.grpc;
    if (!grpc || grpc[side] === count) return;
    grpc[side] = count;
    this.#live();
  }

  /** The summary goes out again (pending), at most every LIVE_EVERY_MS per exchange. */
  #live(): void {
    const now = performance.now();
    if (this.#ended || now - this.#liveAt < LIVE_EVERY_MS) return;
    this.#liveAt = now;
    this.#recorder.live(this);
  }

  /** The trailers the response ended with; for a gRPC call, its status and message. */
  trailers(trailers: OutgoingHttpHeaders | IncomingHttpHeaders): void {
    this.#responseTrailers = packOutgoing(trailers);
    const grpc = this.summary.grpc;
    if (!grpc) return;
    const status = Number(trailers['grpc-status']);
    if (Number.isInteger(status)) grpc.status = status;
    const message = trailers['grpc-message'];
    if (typeof message === 'string' && message !== '') grpc.message = decodeGrpcMessage(message);
  }

  /** Switchyard answered with its own error page, or the exchange failed: say what. */
  fail(message: string): void {
    this.summary.error = message;
  }

  end(outcome: Exclude<ExchangeOutcome, 'pending'>, status?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (status !== undefined && this.summary.status === 0) this.summary.status = status;
    if (this.summary.websocket) this.summary.websocket.open = false;
    this.summary.outcome =
      this.summary.error !== undefined && outcome === 'completed' ? 'errored' : outcome;
    this.summary.timings.done = this.#elapsed();
    this.#recorder.ended(this);
  }

  #grow(bytes: number): void {
    if (bytes <= 0) return;
    this.bytes += bytes;
    this.#recorder.grew(this);
  }

  get requestHeaders(): HeaderPairs {
    return unpack(this.#requestHeaders);
  }

  get responseHeaders(): HeaderPairs {
    return unpack(this.#responseHeaders);
  }

  detail(): ExchangeDetail {
    const contentType = (headers: HeaderPairs) => headerValue(headers, 'content-type');
    const requestHeaders = this.requestHeaders;
    const responseHeaders = this.responseHeaders;
    return {
      ...this.summary,
      timings: { ...this.summary.timings },
      ...(this.summary.websocket ? { websocket: { ...this.summary.websocket } } : {}),
      requestHeaders,
      responseHeaders,
      httpVersion: this.httpVersion,
      requestBody: this.requestBody.info(contentType(requestHeaders)),
      responseBody: this.responseBody.info(contentType(responseHeaders)),
      ...(this.#responseTrailers === undefined
        ? {}
        : { responseTrailers: unpack(this.#responseTrailers) }),
      ...(this.summary.grpc ? { grpc: { ...this.summary.grpc } } : {}),
      ...(this.frames ? { frames: [...this.frames], framesDropped: this.framesDropped } : {}),
    };
  }

  body(side: BodySide): Buffer {
    return (side === 'request' ? this.requestBody : this.responseBody).bytes();
  }
}

export class Recorder {
  readonly events = new EventEmitter<RecorderEvents>();
  readonly limits: CaptureLimits;
  #paused = false;
  #nextId = 1;
  readonly #ring: RingBuffer<Recording>;

  constructor(limits: Partial<CaptureLimits> = {}) {
    this.limits = { ...DEFAULT_CAPTURE_LIMITS, ...limits };
    this.#ring = new RingBuffer<Recording>({
      maxEntries: this.limits.maxEntries,
      maxBytes: this.limits.maxBytes,
      sizeOf: (r: Recording) => r.bytes,
    });
  }

  get paused(): boolean {
    return this.#paused;
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  /** A new recording, or undefined while capture is paused. */
  begin(start: ExchangeStart): Recording | undefined {
    if (this.#paused) return undefined;
    const recording = new Recording(this.#nextId++, start, this);
    this.#ring.push(recording);
    this.events.emit('exchange', recording.summary);
    return recording;
  }

  /** Called by a recording whose captured bytes grew. */
  grew(recording: Recording): void {
    this.#ring.resize(recording);
  }

  ended(recording: Recording): void {
    this.events.emit('exchange', recording.summary);
  }

  /** A recording still under way changed in a way the list shows (a streaming call). */
  live(recording: Recording): void {
    this.events.emit('exchange', recording.summary);
  }

  /** Summaries, newest last. */
  list(): ExchangeSummary[] {
    return [...this.#ring.values()].map((r) => r.summary);
  }

  get(id: number): Recording | undefined {
    return this.#ring.get(id);
  }

  clear(): void {
    this.#ring.clear();
  }

  /** Memory held by the log, for status displays and the capture benchmark. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.#ring.size, bytes: this.#ring.bytes };
  }
}
