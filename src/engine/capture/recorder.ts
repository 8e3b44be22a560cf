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
  BodySide,
  ExchangeDetail,
  ExchangeOutcome,
  ExchangeSummary,
  FrameRecord,
  HeaderPairs,
} from '../../shared/exchange.js';
import { GrpcMessageCounter, grpcCallOf, isGrpcContentType } from '../../shared/grpc.js';
import { BodySlab } from './body-slab.js';
import { CapturedBody } from './captured-body.js';
import { headerValue, packOutgoing, packRaw, unpack } from './packed-headers.js';
import { RingBuffer } from './ring-buffer.js';

export { MAX_ARRIVALS } from './captured-body.js';

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
  /**
   * An exchange started (outcome `pending`), moved (a streaming call) or ended. The
   * recording itself, not a summary: listeners that show it read `summary`, which is built
   * then, so nothing is built per exchange when nobody is looking.
   */
  exchange: [Recording];
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

/** Response types whose chunk arrival times are kept: their bodies are timelines. */
const TIMELINE_TYPES = /^(text\/event-stream|application\/grpc)/i;

/** grpc-message is percent-encoded UTF-8. */
function decodeGrpcMessage(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Times are kept as integer hundredths of a millisecond since the module loaded, and
 * `startedAt` as milliseconds since then: a small integer (Smi) lives inside the object,
 * where a double field is one more heap object per exchange for the GC to copy and walk.
 * The trade-off: a Smi holds 2^30 hundredths (about 3 hours) and 2^30 ms (12 days) on
 * pointer-compressed builds; past that the numbers are still exact, only boxed again.
 */
const EPOCH_MS = Date.now();
const EPOCH_PERF = performance.now();
const UNSET = -1;
const hundredths = (): number => Math.round((performance.now() - EPOCH_PERF) * 100);
const ms = (t: number): number | undefined => (t === UNSET ? undefined : t / 100);

/**
 * One exchange being recorded; every method is cheap and safe to call after the end.
 *
 * The summary's fields are plain fields of the recording (no summary, timings or body
 * objects per exchange): the log keeps thousands of recordings alive, each surviving into
 * the old generation, so every object one holds is GC work paid per request. Summaries,
 * header pairs and body buffers are built when someone reads them.
 */
export class Recording {
  readonly id: number;
  readonly listener: string;
  readonly client: string;
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly secure: boolean;
  readonly httpVersion: string;
  readonly #startedAt: number;
  readonly #t0: number;
  #route: string | undefined = undefined;
  #member: string | undefined = undefined;
  #why: string | undefined = undefined;
  #error: string | undefined = undefined;
  /** The exchange this one was resent from (edit and resend, fan-out). */
  #resentFrom: number | undefined = undefined;
  attempts = 0;
  status = 0;
  outcome: ExchangeOutcome = 'pending';
  requestBytes = 0;
  responseBytes = 0;
  #upstreamConnected = UNSET;
  #firstByte = UNSET;
  #done = UNSET;
  readonly websocket: NonNullable<ExchangeSummary['websocket']> | undefined;
  readonly grpc: NonNullable<ExchangeSummary['grpc']> | undefined;
  /** The request's headers as received, packed (see packed-headers.ts). */
  readonly #requestHeaders: string;
  /** The response's headers as sent to the client, packed. */
  #responseHeaders = '';
  /** The response's trailers, packed; undefined when it had none. */
  #responseTrailers: string | undefined = undefined;
  /** Message counters of a gRPC call, one per direction. */
  #grpcCounters: { up: GrpcMessageCounter; down: GrpcMessageCounter } | undefined;
  /** When the last live summary of a streaming call went out (hundredths of ms). */
  #liveAt = 0;
  /** Created by the first chunk: most requests have no body. */
  #requestBody: CapturedBody | undefined = undefined;
  #responseBody: CapturedBody | undefined = undefined;
  /** Whether the response's chunk arrival times are kept (SSE, gRPC). */
  #timeline = false;
  frames: FrameRecord[] | undefined;
  framesDropped = 0;
  /** Bytes this recording holds, as the ring buffer accounts them. */
  bytes: number;
  readonly #recorder: Recorder;
  #ended = false;

  constructor(id: number, start: ExchangeStart, recorder: Recorder) {
    this.id = id;
    this.listener = start.listener;
    this.client = start.client;
    this.method = start.method;
    this.url = start.url;
    this.host = start.host;
    this.secure = start.secure;
    this.httpVersion = start.httpVersion;
    this.#startedAt = Date.now() - EPOCH_MS;
    this.#t0 = hundredths();
    this.#requestHeaders = packRaw(start.rawHeaders);
    this.#recorder = recorder;
    // An estimate, not a count: walking every header per request to be exact costs more
    // than the accuracy is worth for a memory bound.
    this.bytes = 256 + start.url.length + start.rawHeaders.length * 24;
    if (start.websocket) {
      this.websocket = { open: false, framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0 };
      this.frames = [];
    }
    const call = isGrpcContentType(start.contentType) ? grpcCallOf(start.url) : undefined;
    if (call) {
      this.grpc = { ...call, messagesUp: 0, messagesDown: 0 };
      this.#grpcCounters = { up: new GrpcMessageCounter(), down: new GrpcMessageCounter() };
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** A snapshot of the list's view of this exchange: a new object on every read. */
  get summary(): ExchangeSummary {
    const timings: ExchangeSummary['timings'] = {};
    if (this.#upstreamConnected !== UNSET) timings.upstreamConnected = ms(this.#upstreamConnected);
    if (this.#firstByte !== UNSET) timings.firstByte = ms(this.#firstByte);
    if (this.#done !== UNSET) timings.done = ms(this.#done);
    const summary: ExchangeSummary = {
      id: this.id,
      startedAt: this.#startedAt + EPOCH_MS,
      listener: this.listener,
      client: this.client,
      method: this.method,
      url: this.url,
      host: this.host,
      secure: this.secure,
      httpVersion: this.httpVersion,
      attempts: this.attempts,
      status: this.status,
      outcome: this.outcome,
      timings,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
    };
    if (this.websocket) summary.websocket = { ...this.websocket };
    if (this.#route !== undefined) summary.route = this.#route;
    if (this.#member !== undefined) summary.member = this.#member;
    if (this.#why !== undefined) summary.why = this.#why;
    if (this.#error !== undefined) summary.error = this.#error;
    if (this.#resentFrom !== undefined) summary.resentFrom = this.#resentFrom;
    if (this.grpc) summary.grpc = { ...this.grpc };
    return summary;
  }

  #elapsed(): number {
    return hundredths() - this.#t0;
  }

  route(name: string): void {
    this.#route = name;
  }

  resentFrom(id: number): void {
    this.#resentFrom = id;
  }

  /** A backend was chosen for an attempt (again after a failover). */
  attempt(member: string, why?: string): void {
    this.#member = member;
    if (why !== undefined) this.#why = why;
    this.attempts++;
  }

  upstreamConnected(): void {
    if (this.#upstreamConnected === UNSET) this.#upstreamConnected = this.#elapsed();
  }

  response(status: number, headers: OutgoingHttpHeaders): void {
    if (this.#firstByte === UNSET) this.#firstByte = this.#elapsed();
    this.status = status;
    this.#responseHeaders = packOutgoing(headers);
    const type = headers['content-type'];
    if (typeof type === 'string' && TIMELINE_TYPES.test(type)) {
      this.#timeline = true;
      const body = (this.#responseBody ??= new CapturedBody());
      body.arrivals ??= [];
    }
  }

  requestData(chunk: Buffer): void {
    this.requestBytes += chunk.length;
    if (this.#grpcCounters && this.grpc) {
      this.#grpcCounters.up.push(chunk);
      this.#countMessages('messagesUp', this.#grpcCounters.up.count);
    }
    const body = (this.#requestBody ??= new CapturedBody());
    this.#grow(body.add(chunk, this.#recorder.limits.bodyCapBytes, this.#recorder.slab));
  }

  responseData(chunk: Buffer): void {
    this.responseBytes += chunk.length;
    if (this.#grpcCounters && this.grpc) {
      this.#grpcCounters.down.push(chunk);
      this.#countMessages('messagesDown', this.#grpcCounters.down.count);
    }
    const body = (this.#responseBody ??= new CapturedBody());
    const at = this.#timeline ? this.#elapsed() / 100 : undefined;
    const kept = body.add(chunk, this.#recorder.limits.bodyCapBytes, this.#recorder.slab, at);
    this.#grow(at !== undefined && kept > 0 ? kept + 16 : kept);
    // An event stream fills in live as a streaming gRPC call does (its counts do that).
    if (at !== undefined && !this.grpc) this.#live();
  }

  tunnelOpen(): void {
    if (this.websocket) this.websocket.open = true;
  }

  frame(direction: 'up' | 'down', opcode: number, size: number, preview: Buffer): void {
    const ws = this.websocket;
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
      at: this.#elapsed() / 100,
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
    const grpc = this.grpc;
    if (!grpc || grpc[side] === count) return;
    grpc[side] = count;
    this.#live();
  }

  /** The summary goes out again (pending), at most every LIVE_EVERY_MS per exchange. */
  #live(): void {
    const now = hundredths();
    if (this.#ended || now - this.#liveAt < LIVE_EVERY_MS * 100) return;
    this.#liveAt = now;
    this.#recorder.live(this);
  }

  /** The trailers the response ended with; for a gRPC call, its status and message. */
  trailers(trailers: OutgoingHttpHeaders | IncomingHttpHeaders): void {
    this.#responseTrailers = packOutgoing(trailers);
    const grpc = this.grpc;
    if (!grpc) return;
    const status = Number(trailers['grpc-status']);
    if (Number.isInteger(status)) grpc.status = status;
    const message = trailers['grpc-message'];
    if (typeof message === 'string' && message !== '') grpc.message = decodeGrpcMessage(message);
  }

  /** Switchyard answered with its own error page, or the exchange failed: say what. */
  fail(message: string): void {
    this.#error = message;
  }

  end(outcome: Exclude<ExchangeOutcome, 'pending'>, status?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (status !== undefined && this.status === 0) this.status = status;
    if (this.websocket) this.websocket.open = false;
    this.outcome = this.#error !== undefined && outcome === 'completed' ? 'errored' : outcome;
    this.#done = this.#elapsed();
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
      requestHeaders,
      responseHeaders,
      httpVersion: this.httpVersion,
      requestBody: CapturedBody.info(this.#requestBody, contentType(requestHeaders)),
      responseBody: CapturedBody.info(this.#responseBody, contentType(responseHeaders)),
      ...(this.#responseTrailers === undefined
        ? {}
        : { responseTrailers: unpack(this.#responseTrailers) }),
      ...(this.frames ? { frames: [...this.frames], framesDropped: this.framesDropped } : {}),
    };
  }

  body(side: BodySide): Buffer {
    const body = side === 'request' ? this.#requestBody : this.#responseBody;
    return body ? body.bytes() : Buffer.alloc(0);
  }
}

export class Recorder {
  readonly events = new EventEmitter<RecorderEvents>();
  readonly limits: CaptureLimits;
  /** Where small body chunks are kept (body-slab.ts). */
  readonly slab = new BodySlab();
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
    this.events.emit('exchange', recording);
    return recording;
  }

  /** Called by a recording whose captured bytes grew. */
  grew(recording: Recording): void {
    this.#ring.resize(recording);
  }

  ended(recording: Recording): void {
    this.events.emit('exchange', recording);
  }

  /** A recording still under way changed in a way the list shows (a streaming call). */
  live(recording: Recording): void {
    this.events.emit('exchange', recording);
  }

  /** Summaries, newest last (new objects: the caller may keep or change them). */
  list(): ExchangeSummary[] {
    return this.#ring.values().map((r) => r.summary);
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
