/**
 * The forwarder: the only module that touches the proxy library (http-proxy-3, the
 * http-proxy API). It moves bytes between a client and one backend — plain requests over
 * pooled keep-alive connections, WebSocket handshakes over fresh ones — and reports what
 * happened in our own terms. Policy (which backend, which headers) is decided by the caller.
 *
 * What it adds to the library, and why:
 * - the library's `deleteLength` pass is removed: it rewrites a chunked DELETE/OPTIONS to
 *   `Content-Length: 0` and still pipes the body, which smuggles a second request;
 * - responses are handled here (`selfHandleResponse`) so that headers a client cannot
 *   receive (invalid characters) become a 502 instead of an exception;
 * - ProxyTimeout is our own timer, so a slow backend (504) is told apart from a reset (502);
 * - a request that fails because the backend closed an idle pooled connection just as it
 *   was reused is retried once when it has no body and is idempotent (Node's advice);
 * - bytes a backend sends past its declared response never reach a later exchange: the
 *   declared response is relayed and that connection closed (`guardIdleSockets`);
 * - tunnel observers start on the library's `open` event, after it has put back the bytes
 *   that came with the 101 and piped both ways, so observing never changes the flow.
 */
import http, {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { IDEMPOTENT_METHODS, hasBody } from './request-semantics.js';
import type { UrlTarget } from './router.js';

export type FailureKind =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'unresolved'
  | 'protocol'
  | 'client'
  /** The route's timeout ran out while the backend was waiting for the client's body. */
  | 'client-timeout'
  | 'other';

export interface ForwardFailure {
  kind: FailureKind;
  error: Error;
  /**
   * A connection to the backend was established, so request bytes may have reached it.
   * When false the request can go to another member whatever its method.
   */
  connected: boolean;
}

export interface UpstreamRequest {
  target: UrlTarget;
  /** Path and query to request from the backend. */
  path: string;
  headers: OutgoingHttpHeaders;
  timeoutMs: number;
  /** The request body to send instead of reading the client request (failover replays). */
  body?: Readable;
  /** For https backends: verify the certificate (false accepts self-signed backends). */
  verifyTls: boolean;
}

export interface WebHandlers {
  /** The upstream connection is established (or a pooled one was taken). */
  onConnected?(): void;
  /** Client response headers for a backend response; throw to refuse it. */
  responseHeaders(proxyRes: IncomingMessage): OutgoingHttpHeaders;
  /** Nothing was sent to the client yet (when `res.headersSent` is false). */
  onFailure(failure: ForwardFailure): void;
}

export interface TunnelHandlers {
  /** Client headers for the backend's handshake answer, a 101 or a refusal. */
  responseHeaders(proxyRes: IncomingMessage): OutgoingHttpHeaders;
  /** Both sockets are piped to each other: observers may listen without changing the flow. */
  onOpen(upstream: Socket): void;
  onFailure(failure: ForwardFailure): void;
}

interface WebExchange {
  kind: 'web';
  req: IncomingMessage;
  res: ServerResponse;
  upstream: UpstreamRequest;
  handlers: WebHandlers;
  proxyReq?: ClientRequest;
  proxyRes?: IncomingMessage;
  timedOut: boolean;
  /** When the timeout fired, the client was the one being waited for. */
  waitingForClient: boolean;
  connected: boolean;
  retried: boolean;
  /** The caller cancelled the exchange (it answered the client itself). */
  aborted: boolean;
  clientError?: Error;
}

/** One plain request in flight, as the caller sees it. */
export interface WebHandle {
  /** Cancel the upstream request without any callback: the caller has answered already. */
  abort(): void;
}

interface TunnelExchange {
  kind: 'tunnel';
  socket: Socket;
  handlers: TunnelHandlers;
  timeoutMs: number;
  timedOut: boolean;
  open: boolean;
  failed: boolean;
}

/**
 * The exchange of a plain request, kept on the request object itself. A WeakMap keyed by
 * requests (one ephemeron per in-flight request) made every young-generation GC ~3× slower
 * under load (5.6 ms vs 1.7 ms per scavenge) and full GCs 4× as frequent.
 */
const EXCHANGE = Symbol('switchyard.exchange');
type ExchangeCarrier = IncomingMessage & { [EXCHANGE]?: WebExchange };

function classify(
  error: NodeJS.ErrnoException,
  timedOut: boolean,
  waitingForClient = false,
): FailureKind {
  if (timedOut) return waitingForClient ? 'client-timeout' : 'timeout';
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unresolved';
    default:
      if (error.code?.startsWith('HPE_') || error.code === 'ERR_INVALID_CHAR') return 'protocol';
      return 'other';
  }
}

function libraryTarget(target: UrlTarget): {
  protocol: string;
  host: string;
  hostname: string;
  port: number;
} {
  return {
    protocol: target.protocol,
    host: target.hostname,
    hostname: target.hostname,
    port: target.port,
  };
}

/**
 * Keep-alive to upstream. Idle sockets close after 4 s, before Node's default 5 s server
 * keepAliveTimeout, so we rarely reuse a connection the backend is closing.
 */
const POOL_OPTIONS: http.AgentOptions = {
  keepAlive: true,
  maxSockets: 512,
  maxFreeSockets: 64,
  timeout: 4_000,
  scheduling: 'lifo',
};

/**
 * A pooled connection must be silent between responses. Bytes a backend sends after its
 * declared response (past its Content-Length, say) would otherwise sit in the socket and
 * be read as the answer to the next request sent on it — another client's exchange. Node
 * drops them silently today and reuses the connection; here such a connection is closed
 * instead, whether the bytes are already buffered or arrive while it is idle.
 */
function guardIdleSockets<A extends http.Agent>(agent: A): A {
  const keep = agent.keepSocketAlive.bind(agent);
  const reuse = agent.reuseSocket.bind(agent);
  const spoil = new WeakMap<Duplex, () => void>();
  agent.keepSocketAlive = (socket) => {
    // (Node's method answers a boolean; @types/node declares void.)
    if (socket.readableLength > 0 || (keep(socket) as unknown) === false) return false;
    const onData = (): void => {
      socket.destroy();
    };
    spoil.set(socket, onData);
    socket.on('data', onData);
    return true;
  };
  agent.reuseSocket = (socket, request) => {
    const onData = spoil.get(socket);
    if (onData) socket.removeListener('data', onData);
    spoil.delete(socket);
    reuse(socket, request);
  };
  return agent;
}

export class Forwarder {
  readonly #proxy = createProxyServer({
    selfHandleResponse: true,
    // We compute the whole upstream path ourselves (ProxyPass mapping) and pass it as-is.
    prependPath: false,
    toProxy: true,
    xfwd: false,
    ws: true,
  });
  readonly #agents = {
    'http:': guardIdleSockets(new http.Agent(POOL_OPTIONS)),
    'https:': guardIdleSockets(new https.Agent(POOL_OPTIONS)),
  };
  readonly #tunnels = new WeakMap<IncomingMessage, TunnelExchange>();
  /** Tunnels between the backend's 101 and the library's pipe, by upstream socket. */
  readonly #opening = new WeakMap<Socket, TunnelExchange>();
  /** What https backends are verified against: the system store plus the local CA. */
  #trusted: string = tls.rootCertificates.join('\n');

  constructor() {
    const passes = (this.#proxy as unknown as { webPasses: { name: string }[] }).webPasses;
    const at = passes.findIndex((p) => p.name === 'deleteLength');
    if (at === -1) throw new Error('http-proxy-3 changed: the deleteLength pass was not found');
    passes.splice(at, 1);

    this.#proxy.on('proxyReq', (proxyReq, req, _res, _options, socket) => {
      const exchange = (req as ExchangeCarrier)[EXCHANGE];
      if (!exchange) return;
      exchange.proxyReq = proxyReq;
      const connected = (): void => {
        exchange.connected = true;
        exchange.handlers.onConnected?.();
      };
      if (proxyReq.reusedSocket || !socket.connecting) connected();
      else socket.once('connect', connected);
      proxyReq.setTimeout(exchange.upstream.timeoutMs, () => {
        exchange.timedOut = true;
        // A body still arriving, and not held back by the backend: the client is slow.
        const { req } = exchange;
        exchange.waitingForClient = !req.complete && !req.isPaused();
        proxyReq.destroy();
      });
    });
    this.#proxy.on('proxyRes', (proxyRes, req) => {
      const exchange = (req as ExchangeCarrier)[EXCHANGE];
      if (exchange) this.#respond(exchange, proxyRes);
    });
    this.#proxy.on('proxyReqWs', (proxyReq, req) => {
      const exchange = this.#tunnels.get(req);
      if (!exchange) return;
      const timer = setTimeout(() => {
        exchange.timedOut = true;
        proxyReq.destroy();
      }, exchange.timeoutMs);
      const settle = (): void => clearTimeout(timer);
      // A client that leaves during the handshake takes the upstream handshake with it;
      // otherwise the backend's 101 would open a tunnel to nobody that is never closed.
      exchange.socket.once('close', () => {
        if (!exchange.open) proxyReq.destroy();
      });
      proxyReq.once('upgrade', (res: IncomingMessage, upstream: Socket) => {
        settle();
        // The library writes the 101 from res.headers after us: filter them, keeping the
        // Connection/Upgrade pair this hop needs.
        const { connection, upgrade } = res.headers;
        this.#rewriteHandshakeAnswer(exchange, res, proxyReq, {
          ...(connection === undefined ? {} : { connection }),
          ...(upgrade === undefined ? {} : { upgrade }),
        });
        if (exchange.socket.destroyed) {
          upstream.destroy();
          return;
        }
        exchange.open = true;
        // Observers attach once the library has put back the bytes that came with the 101
        // and piped both ways ('open'). A 'data' listener added now would start the socket
        // flowing before the pipe exists, and a frame sent with the 101 would reach the
        // observer but never the client.
        this.#opening.set(upstream, exchange);
      });
      proxyReq.once('response', (res: IncomingMessage) => {
        settle();
        // A refused handshake is relayed by the library from res.headers, then the socket
        // is closed: the same hop-by-hop, reverse and header rules as any response apply.
        this.#rewriteHandshakeAnswer(exchange, res, proxyReq, { connection: 'close' });
      });
      proxyReq.once('close', settle);
    });
    this.#proxy.on('open', (upstream) => {
      const exchange = this.#opening.get(upstream);
      this.#opening.delete(upstream);
      exchange?.handlers.onOpen(upstream);
    });
    // The library reports client-socket errors of tunnels here, not to the callback.
    this.#proxy.on('error', (error, req, resOrSocket) => {
      const tunnel = this.#tunnels.get(req);
      if (tunnel) this.#tunnelFailed(tunnel, error);
      else resOrSocket.destroy();
    });
  }

  web(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: UpstreamRequest,
    handlers: WebHandlers,
  ): WebHandle {
    const exchange: WebExchange = {
      kind: 'web',
      req,
      res,
      upstream,
      handlers,
      timedOut: false,
      waitingForClient: false,
      connected: false,
      retried: false,
      aborted: false,
    };
    (req as ExchangeCarrier)[EXCHANGE] = exchange;
    req.once('error', (error) => {
      exchange.clientError = error;
    });
    req.url = upstream.path;
    req.headers = upstream.headers as IncomingMessage['headers'];
    this.#send(exchange);
    return {
      abort: () => {
        exchange.aborted = true;
        exchange.proxyRes?.destroy();
        exchange.proxyReq?.destroy();
      },
    };
  }

  #send(exchange: WebExchange): void {
    const { req, res, upstream } = exchange;
    this.#proxy.web(
      req,
      res,
      {
        target: libraryTarget(upstream.target),
        agent: this.#agents[upstream.target.protocol],
        ...(upstream.body ? { buffer: upstream.body } : {}),
        ...(upstream.target.protocol === 'https:'
          ? { secure: upstream.verifyTls, ca: this.#trusted }
          : {}),
      },
      (error) => this.#webFailed(exchange, error),
    );
  }

  #webFailed(exchange: WebExchange, error: NodeJS.ErrnoException): void {
    const { req, res, proxyReq } = exchange;
    if (exchange.aborted) return;
    // (req.destroyed is true after any request body ends; the socket tells if the client left.)
    if (error === exchange.clientError || req.socket.destroyed || res.destroyed) {
      proxyReq?.destroy();
      res.destroy();
      return;
    }
    if (exchange.proxyRes?.complete === true) {
      // The backend sent more than the response it declared (bytes past its Content-Length).
      // Node's parser read the whole declared response, then refused the rest and closed
      // that connection, so it is never reused; the client still gets the declared response.
      return;
    }
    if (
      !exchange.retried &&
      !exchange.timedOut &&
      proxyReq?.reusedSocket === true &&
      error.code === 'ECONNRESET' &&
      !res.headersSent &&
      !hasBody(req.headers) &&
      IDEMPOTENT_METHODS.has(req.method ?? '')
    ) {
      exchange.retried = true;
      exchange.connected = false;
      delete exchange.proxyReq;
      this.#send(exchange);
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    exchange.handlers.onFailure({
      kind: classify(error, exchange.timedOut, exchange.waitingForClient),
      error,
      connected: exchange.connected,
    });
  }

  #respond(exchange: WebExchange, proxyRes: IncomingMessage): void {
    const { res, handlers } = exchange;
    exchange.proxyRes = proxyRes;
    // (headersSent: the caller answered already, a 408 for a client too slow, say.)
    if (exchange.aborted || res.destroyed || res.headersSent) {
      proxyRes.destroy();
      return;
    }
    try {
      const headers = handlers.responseHeaders(proxyRes);
      res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, headers);
    } catch (err) {
      proxyRes.destroy();
      exchange.proxyReq?.destroy();
      handlers.onFailure({ kind: 'protocol', error: err as Error, connected: true });
      return;
    }
    // Destroy both sides on a backend reset or a client abort, so no socket is left behind.
    // (Not stream.pipeline(): it allocates an AbortController per call and aborts it when
    // done, building a DOMException with a captured stack trace for every request.)
    proxyRes.on('error', () => res.destroy());
    res.once('close', () => {
      if (!res.writableFinished) proxyRes.destroy();
    });
    proxyRes.pipe(res);
  }

  tunnel(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    upstream: UpstreamRequest,
    handlers: TunnelHandlers,
  ): void {
    const exchange: TunnelExchange = {
      kind: 'tunnel',
      socket,
      handlers,
      timeoutMs: upstream.timeoutMs,
      timedOut: false,
      open: false,
      failed: false,
    };
    this.#tunnels.set(req, exchange);
    req.url = upstream.path;
    req.headers = upstream.headers as IncomingMessage['headers'];
    // A fresh connection per tunnel: an upgraded socket never returns to a pool.
    this.#proxy.ws(
      req,
      socket,
      head,
      {
        target: libraryTarget(upstream.target),
        agent: false,
        ...(upstream.target.protocol === 'https:'
          ? { secure: upstream.verifyTls, ca: this.#trusted }
          : {}),
      },
      (error) => this.#tunnelFailed(exchange, error),
    );
  }

  #rewriteHandshakeAnswer(
    exchange: TunnelExchange,
    res: IncomingMessage,
    proxyReq: ClientRequest,
    hop: OutgoingHttpHeaders,
  ): void {
    try {
      const headers = { ...exchange.handlers.responseHeaders(res), ...hop };
      res.headers = headers as IncomingMessage['headers'];
    } catch {
      proxyReq.destroy();
      exchange.socket.destroy();
    }
  }

  #tunnelFailed(exchange: TunnelExchange, error: NodeJS.ErrnoException): void {
    if (exchange.failed) return;
    exchange.failed = true;
    if (exchange.open || exchange.socket.destroyed) {
      exchange.socket.destroy();
      return;
    }
    exchange.handlers.onFailure({
      kind: classify(error, exchange.timedOut),
      error,
      connected: exchange.open,
    });
  }

  /** Also trust these CA certificates (the local CA) for https backends. */
  trust(pems: readonly string[]): void {
    this.#trusted = [...tls.rootCertificates, ...pems].join('\n');
  }

  /** Close pooled upstream connections. */
  close(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }
}
