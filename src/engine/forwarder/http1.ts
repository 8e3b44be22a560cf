/**
 * HTTP/1.1 to backends on undici: one keep-alive `Pool` per backend origin (and TLS
 * verification setting), requests sent with `dispatch`, both bodies streamed with
 * backpressure. undici frames the request body from its `content-length` (checked against
 * the bytes actually sent) or chunks it, refuses the framing and connection headers a
 * caller could smuggle through, and closes a connection on any byte a backend sends that
 * no request asked for — so a backend's extra bytes never reach another exchange.
 *
 * Timeouts are the forwarder's (the route's, measured as it measures them); undici's own
 * are turned off so that a long upload is never cut by a timer that only counts time.
 *
 * Known cost (undici#5845, fixed upstream in an open pull request): aborting a request in
 * flight — a client that left — makes the pool open one new connection for it, which stays
 * idle until the next request to that backend reuses it or the backend closes it. It never
 * carries the aborted request; the connection that did is closed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import type {
  FailureFacts,
  InFlight,
  ResponseSink,
  Transport,
  TransportRequest,
} from './transport.js';

/** Per backend origin: enough for a busy laptop; idle connections go before Node's 5 s. */
const POOL_OPTIONS = {
  connections: 512,
  pipelining: 1,
  keepAliveTimeout: 4_000,
  keepAliveTimeoutThreshold: 1_000,
  headersTimeout: 0,
  bodyTimeout: 0,
  strictContentLength: true,
  // The route's timeout covers connecting too; this is only a backstop.
  connectTimeout: 60_000,
} as const;

/** Headers that belong to the connection to the backend, which undici manages. */
const CONNECTION_HEADERS = [
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'proxy-connection',
];

type DispatchController = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0];

/** undici's error for a socket that closed under a request carries the socket's counters. */
interface SocketFacts {
  socket?: { bytesRead?: number };
}

/** One request as undici sees it: relays to the sink, and is the forwarder's handle on it. */
class Http1Request implements Dispatcher.DispatchHandler, InFlight {
  readonly #sink: ResponseSink;
  #controller: DispatchController | undefined;
  #aborted = false;
  #connected = false;
  #settled = false;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  onRequestStart(controller: DispatchController): void {
    this.#controller = controller;
    if (this.#aborted) {
      controller.abort(abortError());
      return;
    }
    this.#connected = true;
    this.#sink.connected();
  }

  onRequestUpgrade(
    controller: DispatchController,
    _status: number,
    _h: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    // Upgrades go through the tunnel path; a backend that switches protocols here is wrong.
    socket.destroy();
    controller.abort(new Error('the backend switched protocols on a plain request'));
  }

  onResponseStart(
    controller: DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusText?: string,
  ): void {
    if (this.#aborted) return;
    this.#sink.head({ status, statusText: statusText ?? '', headers });
    // The sink may have aborted (its answer was refused) or the client may be gone.
    if (this.#aborted) controller.abort(abortError());
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    if (this.#aborted) return;
    if (!this.#sink.data(chunk)) controller.pause();
  }

  onResponseEnd(_controller: DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.#aborted || this.#settled) return;
    this.#settled = true;
    let any = false;
    for (const _ in trailers) {
      any = true;
      break;
    }
    this.#sink.end(any ? trailers : undefined);
  }

  onResponseError(_controller: DispatchController, error: Error): void {
    if (this.#aborted || this.#settled) return;
    this.#settled = true;
    const read = (error as Error & SocketFacts).socket?.bytesRead ?? 0;
    const facts: FailureFacts = { connected: this.#connected, reused: this.#connected && read > 0 };
    this.#sink.error(error as NodeJS.ErrnoException, facts);
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort(abortError());
  }

  resume(): void {
    this.#controller?.resume();
  }
}

function abortError(): Error {
  const error = new Error('the exchange was cancelled') as NodeJS.ErrnoException;
  error.code = 'ABORTED';
  return error;
}

export class Http1Transport implements Transport {
  readonly #pools = new Map<string, Pool>();
  #ca: string = tls.rootCertificates.join('\n');

  #pool(request: TransportRequest): Pool {
    const { target, verifyTls } = request;
    const secure = target.secure;
    const key = secure ? `${target.origin}|${verifyTls ? 'verify' : 'any'}` : target.origin;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(target.origin, {
        ...POOL_OPTIONS,
        ...(secure ? { connect: { ca: this.#ca, rejectUnauthorized: verifyTls } } : {}),
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  send(request: TransportRequest, sink: ResponseSink): InFlight {
    const handler = new Http1Request(sink);
    let { headers } = request;
    // Chunked is what undici does with a body of unknown length; the rest of these are the
    // connection's, which a route's header rule cannot take over (undici refuses them).
    // The caller's object is left as it is (a retry sends it again): copied only when needed.
    for (const name of CONNECTION_HEADERS) {
      if (headers[name] === undefined) continue;
      headers = { ...headers };
      for (const n of CONNECTION_HEADERS) delete headers[n];
      break;
    }
    try {
      this.#pool(request).dispatch(
        {
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: headers as Record<string, string | string[]>,
          body: request.body,
          // Our retry rules are the forwarder's; undici must not replay a request itself.
          idempotent: false,
        },
        handler,
      );
    } catch (error) {
      handler.onResponseError(undefined as unknown as DispatchController, error as Error);
    }
    return handler;
  }

  trust(ca: string): void {
    if (ca === this.#ca) return;
    this.#ca = ca;
    // TLS pools were made with the old list: let them finish and make new ones on demand.
    for (const [key, pool] of this.#pools) {
      if (!key.includes('|')) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
