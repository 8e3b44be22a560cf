/**
 * The forwarder: the one place that moves bytes between clients and backends. Policy —
 * which backend, which headers, what an error says — is the caller's; the forwarder sends
 * what it is given and reports what happened in Switchyard's terms (`ForwardFailure`).
 *
 * - Plain requests go through a `Transport` chosen by the backend's protocol — HTTP/1.1 for
 *   http and https, HTTP/2 for h2c and h2; the client's side of each is a `WebExchange`
 *   (web-exchange.ts).
 * - WebSocket upgrades go through `Tunnels` (tunnels.ts), on http-proxy-3.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { Http1Transport } from './http1.js';
import { Http2Transport } from './http2.js';
import type { Http2SessionStatus } from './http2-status.js';
import type { Transport } from './transport.js';
import { Tunnels, type TunnelHandlers, type TunnelRequest } from './tunnels.js';
import {
  WebExchange,
  type UpstreamRequest,
  type WebHandle,
  type WebHandlers,
} from './web-exchange.js';

export type { FailureKind, ForwardFailure } from './failures.js';
export type { Http2SessionStatus } from './http2-status.js';
export type { UpstreamHead } from './transport.js';
export type { TunnelHandlers } from './tunnels.js';
export type { UpstreamRequest, WebHandle, WebHandlers } from './web-exchange.js';

export class Forwarder {
  readonly #http1: Transport = new Http1Transport();
  readonly #http2 = new Http2Transport();
  readonly #tunnels = new Tunnels();

  web(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: UpstreamRequest,
    handlers: WebHandlers,
  ): WebHandle {
    const transport = upstream.target.http2 ? this.#http2 : this.#http1;
    const exchange = new WebExchange(transport, req, res, upstream, handlers);
    exchange.start();
    return exchange;
  }

  tunnel(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    upstream: TunnelRequest,
    handlers: TunnelHandlers,
  ): void {
    this.#tunnels.open(req, socket, head, upstream, handlers);
  }

  /** The HTTP/2 session to a backend origin (`UrlTarget.origin`), read now. */
  http2Session(origin: string): Http2SessionStatus {
    return this.#http2.status(origin);
  }

  /** Also trust these CA certificates (the local CA) for TLS backends. */
  trust(pems: readonly string[]): void {
    const ca = [...tls.rootCertificates, ...pems].join('\n');
    this.#http1.trust(ca);
    this.#http2.trust(ca);
    this.#tunnels.trust(ca);
  }

  /** Close pooled upstream connections. */
  async close(): Promise<void> {
    await Promise.all([this.#http1.close(), this.#http2.close()]);
  }
}
