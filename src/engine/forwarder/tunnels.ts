/**
 * WebSocket tunnels on http-proxy-3, the one user of the proxy library: the handshake goes
 * to the backend on a fresh connection, its answer (101, or a refusal relayed as is) passes
 * the same header rules as any response, and then the two sockets are piped to each other.
 *
 * What it adds to the library, and why:
 * - a handshake timer of our own, so a backend that never answers the upgrade is a 504;
 * - a client that leaves during the handshake takes the upstream handshake with it;
 * - observers start on the library's `open` event, after it has put back the bytes that
 *   came with the 101 and piped both ways, so observing never changes the flow.
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { createProxyServer } from 'http-proxy-3';
import type { UrlTarget } from '../router.js';
import { classify, type ForwardFailure } from './failures.js';
import type { UpstreamHead } from './transport.js';

export interface TunnelRequest {
  target: UrlTarget;
  path: string;
  headers: OutgoingHttpHeaders;
  timeoutMs: number;
  verifyTls: boolean;
}

export interface TunnelHandlers {
  /** Client headers for the backend's handshake answer, a 101 or a refusal. */
  responseHeaders(head: UpstreamHead): OutgoingHttpHeaders;
  /** Both sockets are piped to each other: observers may listen without changing the flow. */
  onOpen(upstream: Socket): void;
  onFailure(failure: ForwardFailure): void;
}

interface TunnelExchange {
  socket: Socket;
  handlers: TunnelHandlers;
  timeoutMs: number;
  timedOut: boolean;
  open: boolean;
  failed: boolean;
}

function headOf(res: IncomingMessage): UpstreamHead {
  return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers };
}

export class Tunnels {
  readonly #proxy = createProxyServer({
    // We compute the whole upstream path ourselves (ProxyPass mapping) and pass it as-is.
    prependPath: false,
    toProxy: true,
    xfwd: false,
    ws: true,
  });
  readonly #tunnels = new WeakMap<IncomingMessage, TunnelExchange>();
  /** Tunnels between the backend's 101 and the library's pipe, by upstream socket. */
  readonly #opening = new WeakMap<Socket, TunnelExchange>();
  /** What wss/https backends are verified against: the system store plus the local CA. */
  #trusted: string = tls.rootCertificates.join('\n');

  constructor() {
    this.#proxy.on('proxyReqWs', (proxyReq, req) => {
      const exchange = this.#tunnels.get(req);
      if (exchange) this.#watchHandshake(exchange, proxyReq);
    });
    this.#proxy.on('open', (upstream) => {
      const exchange = this.#opening.get(upstream);
      this.#opening.delete(upstream);
      exchange?.handlers.onOpen(upstream);
    });
    // The library reports client-socket errors of tunnels here, not to the callback.
    this.#proxy.on('error', (error, req, resOrSocket) => {
      const tunnel = this.#tunnels.get(req);
      if (tunnel) this.#failed(tunnel, error);
      else resOrSocket.destroy();
    });
  }

  #watchHandshake(exchange: TunnelExchange, proxyReq: ClientRequest): void {
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
      this.#rewriteAnswer(exchange, res, proxyReq, {
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
      this.#rewriteAnswer(exchange, res, proxyReq, { connection: 'close' });
    });
    proxyReq.once('close', settle);
  }

  open(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    upstream: TunnelRequest,
    handlers: TunnelHandlers,
  ): void {
    const exchange: TunnelExchange = {
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
    const { target } = upstream;
    // A fresh connection per tunnel: an upgraded socket never returns to a pool.
    this.#proxy.ws(
      req,
      socket,
      head,
      {
        target: {
          protocol: target.secure ? 'https:' : 'http:',
          host: target.hostname,
          hostname: target.hostname,
          port: target.port,
        },
        agent: false,
        ...(target.secure ? { secure: upstream.verifyTls, ca: this.#trusted } : {}),
      },
      (error) => this.#failed(exchange, error),
    );
  }

  #rewriteAnswer(
    exchange: TunnelExchange,
    res: IncomingMessage,
    proxyReq: ClientRequest,
    hop: OutgoingHttpHeaders,
  ): void {
    try {
      const headers = { ...exchange.handlers.responseHeaders(headOf(res)), ...hop };
      res.headers = headers as IncomingMessage['headers'];
    } catch {
      proxyReq.destroy();
      exchange.socket.destroy();
    }
  }

  #failed(exchange: TunnelExchange, error: NodeJS.ErrnoException): void {
    if (exchange.failed) return;
    exchange.failed = true;
    if (exchange.open || exchange.socket.destroyed) {
      exchange.socket.destroy();
      return;
    }
    exchange.handlers.onFailure({
      kind: exchange.timedOut ? 'timeout' : classify(error),
      error,
      connected: exchange.open,
    });
  }

  trust(ca: string): void {
    this.#trusted = ca;
  }
}
