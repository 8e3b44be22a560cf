/**
 * The client's side of one plain request while a transport carries it to a backend: the
 * response head and body written to the client with backpressure both ways, the route's
 * timeout (504 — or 408 when it was the client's body being waited for), the send timeout,
 * the one retry of an idle keep-alive connection that closed under an idempotent request,
 * and the cancellation of the upstream request whenever the client goes away.
 */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { isGrpcContentType } from '../../shared/grpc.js';
import { IDEMPOTENT_METHODS, requestHasBody } from '../request-semantics.js';
import type { UrlTarget } from '../router.js';
import { classify, isConnectionReset, type ForwardFailure } from './failures.js';
import type { FailureFacts, InFlight, ResponseSink, Transport, UpstreamHead } from './transport.js';

export interface UpstreamRequest {
  target: UrlTarget;
  /** Path and query to request from the backend. */
  path: string;
  headers: OutgoingHttpHeaders;
  timeoutMs: number;
  /** A client that takes none of a pending response for this long is disconnected. */
  sendTimeoutMs: number;
  /** The request body to send instead of reading the client request (failover replays). */
  body?: Readable;
  /** For https backends: verify the certificate (false accepts self-signed backends). */
  verifyTls: boolean;
}

export interface WebHandlers {
  /** The upstream connection is established (or a pooled one was taken). */
  onConnected?(): void;
  /** Client response headers for a backend response head; throw to refuse it. */
  responseHeaders(head: UpstreamHead): OutgoingHttpHeaders;
  /** Each response body chunk, as it is written to the client (counters, capture). */
  onResponseData?(chunk: Buffer): void;
  /** The response's trailers, as they go to the client. */
  onTrailers?(trailers: OutgoingHttpHeaders): void;
  /** The client took none of the response for the send timeout and was disconnected. */
  onSendTimeout?(): void;
  /** Nothing was sent to the client yet. */
  onFailure(failure: ForwardFailure): void;
}

/** One plain request in flight, as the caller sees it. */
export interface WebHandle {
  /** Cancel the upstream request without any callback: the caller has answered already. */
  abort(): void;
}

/** gRPC's status fields: in a trailers-only answer they come with the head. */
const GRPC_STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/**
 * A gRPC answer with its status in the head is "trailers-only" (an error, usually): one
 * HEADERS frame that ends the stream. Relayed as is, the client would get that status in
 * headers that do not end the stream, and no status at the end; so the status fields are
 * moved to trailers, the other form gRPC allows (headers, no messages, trailers).
 */
function splitTrailersOnly(head: UpstreamHead): IncomingHttpHeaders | undefined {
  if (
    head.headers['grpc-status'] === undefined ||
    !isGrpcContentType(head.headers['content-type'])
  ) {
    return undefined;
  }
  const moved: IncomingHttpHeaders = {};
  for (const name of GRPC_STATUS_FIELDS) {
    if (head.headers[name] === undefined) continue;
    moved[name] = head.headers[name];
    delete head.headers[name];
  }
  return moved;
}

/** The client asked for trailers (`TE: trailers`), so a chunked response may carry them. */
function acceptsTrailers(headers: IncomingHttpHeaders): boolean {
  const te = headers.te;
  return te !== undefined && /(^|,)\s*trailers\s*(;|,|$)/i.test(String(te));
}

/** The exchange a response belongs to, for the one shared 'close' listener. */
const EXCHANGE = Symbol('switchyard.webExchange');
type Carrier = ServerResponse & { [EXCHANGE]?: WebExchange };

// Listeners and timer callbacks shared by every exchange, so that starting one allocates
// no closures (a proxy at full speed starts tens of thousands a second).
function onClientClose(this: Carrier): void {
  this[EXCHANGE]?.clientClosed();
}
function onRouteTimeout(exchange: WebExchange): void {
  exchange.timedOut();
}
function onSendTimeout(exchange: WebExchange): void {
  exchange.sendTimedOut();
}

export class WebExchange implements ResponseSink, WebHandle {
  readonly #transport: Transport;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #upstream: UpstreamRequest;
  readonly #handlers: WebHandlers;
  readonly #clientHeaders: IncomingHttpHeaders;
  #inFlight: InFlight | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sendTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #responded = false;
  /** gRPC status fields taken from a trailers-only head, sent as trailers at the end. */
  #statusTrailers: IncomingHttpHeaders | undefined;
  #retried = false;
  #done = false;

  constructor(
    transport: Transport,
    req: IncomingMessage,
    res: ServerResponse,
    upstream: UpstreamRequest,
    handlers: WebHandlers,
  ) {
    this.#transport = transport;
    this.#req = req;
    this.#res = res;
    this.#upstream = upstream;
    this.#handlers = handlers;
    this.#clientHeaders = req.headers;
    (res as Carrier)[EXCHANGE] = this;
    res.once('close', onClientClose);
  }

  start(): void {
    const upstream = this.#upstream;
    let body: Readable | null = upstream.body ?? null;
    if (!body && requestHasBody(this.#req)) {
      // Piped now, in this tick: observers that listen to the request's 'data' (capture,
      // counters, the slow-client watch) see every byte, and none is read before a
      // consumer exists. Timer refreshes ride on the same events.
      body = this.#req.pipe(new PassThrough());
      this.#onRequestData = () => this.#timer?.refresh();
      this.#req.on('data', this.#onRequestData);
    }
    this.#timer = setTimeout(onRouteTimeout, upstream.timeoutMs, this);
    this.#send(body);
  }

  #send(body: Readable | null): void {
    const u = this.#upstream;
    this.#inFlight = this.#transport.send(
      {
        target: u.target,
        method: this.#req.method ?? 'GET',
        path: u.path,
        headers: u.headers,
        body,
        verifyTls: u.verifyTls,
        trailers: acceptsTrailers(this.#clientHeaders),
      },
      this,
    );
  }

  // ResponseSink

  connected(): void {
    this.#connected = true;
    this.#handlers.onConnected?.();
  }

  head(head: UpstreamHead): void {
    const res = this.#res;
    if (this.#done || res.destroyed || res.headersSent) {
      // (headersSent: the caller answered already, a 408 for a client too slow, say.)
      this.#finish();
      this.#inFlight?.abort();
      return;
    }
    this.#timer?.refresh();
    this.#statusTrailers = splitTrailersOnly(head);
    try {
      const headers = this.#handlers.responseHeaders(head);
      // HTTP/2 has no reason phrase (Node warns on every one given).
      if (this.#req.httpVersionMajor === 2) res.writeHead(head.status, headers);
      else res.writeHead(head.status, head.statusText, headers);
    } catch (err) {
      this.#finish();
      this.#inFlight?.abort();
      this.#handlers.onFailure({ kind: 'protocol', error: err as Error, connected: true });
      return;
    }
    this.#responded = true;
  }

  data(chunk: Buffer): boolean {
    if (this.#done) return true;
    this.#timer?.refresh();
    this.#handlers.onResponseData?.(chunk);
    if (this.#res.write(chunk)) return true;
    // The client's socket is full: hold the backend until it drains, for at most the send
    // timeout.
    this.#res.once('drain', (this.#onDrain ??= () => this.#drained()));
    this.#sendTimer ??= setTimeout(onSendTimeout, this.#upstream.sendTimeoutMs, this);
    return false;
  }

  end(upstreamTrailers: IncomingHttpHeaders | undefined): void {
    if (this.#done) return;
    this.#finish();
    const res = this.#res;
    const trailers = this.#statusTrailers
      ? { ...this.#statusTrailers, ...upstreamTrailers }
      : upstreamTrailers;
    if (
      trailers !== undefined &&
      res.getHeader('content-length') === undefined &&
      acceptsTrailers(this.#clientHeaders)
    ) {
      try {
        res.addTrailers(trailers as OutgoingHttpHeaders);
        this.#handlers.onTrailers?.(trailers as OutgoingHttpHeaders);
      } catch {
        // Trailer fields a client cannot receive (invalid characters) are left out.
      }
    }
    res.end();
  }

  error(error: NodeJS.ErrnoException, facts: FailureFacts): void {
    if (this.#done) return;
    const res = this.#res;
    if (this.#responded) {
      // The head is out: the client can only learn of the failure by the connection ending.
      this.#finish();
      res.destroy();
      return;
    }
    const bodiless = this.#upstream.body === undefined && !requestHasBody(this.#req);
    if (
      !this.#retried &&
      bodiless &&
      ((facts.reused &&
        isConnectionReset(error) &&
        IDEMPOTENT_METHODS.has(this.#req.method ?? '')) ||
        facts.unprocessed === true)
    ) {
      // Node's advice for keep-alive: the backend closed an idle connection just as it was
      // reused — or an HTTP/2 backend refused the stream unprocessed (GOAWAY). Nothing of
      // the request was processed; send it once more on a new connection.
      this.#retried = true;
      this.#connected = false;
      this.#send(null);
      return;
    }
    this.#finish();
    this.#handlers.onFailure({ kind: classify(error), error, connected: facts.connected });
  }

  // WebHandle

  abort(): void {
    if (this.#done) return;
    this.#finish();
    this.#inFlight?.abort();
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#sendTimer);
    if (this.#onRequestData) this.#req.off('data', this.#onRequestData);
    (this.#res as Carrier)[EXCHANGE] = undefined;
  }

  #onRequestData: (() => void) | undefined;
  #onDrain: (() => void) | undefined;

  #drained(): void {
    clearTimeout(this.#sendTimer);
    this.#sendTimer = undefined;
    if (!this.#done) this.#inFlight?.resume();
  }

  /** The client took none of the response for the send timeout. */
  sendTimedOut(): void {
    this.#sendTimer = undefined;
    if (this.#done || this.#res.writableFinished) return;
    this.#finish();
    this.#inFlight?.abort();
    this.#handlers.onSendTimeout?.();
    this.#res.destroy();
  }

  /** The route's timeout ran out. */
  timedOut(): void {
    if (this.#done) return;
    // A body still arriving, and not held back by the backend: the client is the slow one.
    const req = this.#req;
    const waitingForClient = !req.complete && !req.isPaused();
    this.#finish();
    this.#inFlight?.abort();
    if (this.#responded) {
      this.#res.destroy();
      return;
    }
    const error = new Error(`no answer within ${this.#upstream.timeoutMs} ms`);
    this.#handlers.onFailure({
      kind: waitingForClient ? 'client-timeout' : 'timeout',
      error,
      connected: this.#connected,
    });
  }

  /** The client's connection closed; before the response was complete, the client left. */
  clientClosed(): void {
    // The backend request goes with it, and nothing more is reported.
    if (!this.#res.writableFinished) this.abort();
  }
}
