/**
 * Listeners: the HTTP servers Switchyard binds. Reconciled against each new configuration
 * so that a listener whose address, port and protocol did not change keeps its socket and
 * its open connections; new ones are bound before anything is closed, so a failing bind
 * (port in use) leaves the running set untouched; removed ones stop accepting and let
 * in-flight exchanges finish.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { ListenerConfig } from '../shared/config.js';
import { sendErrorOnSocket } from './error-page.js';
import type { ClientTimeouts } from './client-timeouts.js';
import type { ListenerSlot } from './exchange-handler.js';

export interface ListenerCallbacks {
  request(slot: ListenerSlot, req: IncomingMessage, res: ServerResponse): void;
  upgrade(slot: ListenerSlot, req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** Certificates for TLS listeners (default certificate + SNICallback), asked on bind. */
  tls(): Promise<Pick<https.ServerOptions, 'cert' | 'key' | 'SNICallback'>>;
}

/**
 * TLS as browsers expect it in 2026: TLS 1.2+, Node's default (modern, forward-secret)
 * cipher list, ALPN http/1.1 only — the engine speaks HTTP/1.1, so offering h2 would
 * break clients that pick it.
 */
const TLS_SERVER_OPTIONS: https.ServerOptions = {
  minVersion: 'TLSv1.2',
  ALPNProtocols: ['http/1.1'],
  honorCipherOrder: true,
};

/** Node checks each connection's header deadline this often. */
const HEADER_CHECK_MS = 500;

export interface ListenerStatus {
  name: string;
  address: string;
  port: number;
  tls: boolean;
  url: string;
}

interface Bound {
  config: ListenerConfig;
  slot: ListenerSlot;
  server: http.Server;
  port: number;
}

/** Port 0 listeners have no fixed identity; name them apart so each reload rebinds them. */
function identity(l: ListenerConfig): string {
  return l.port === 0 ? `${l.address}|0|${l.name}|${l.tls}` : `${l.address}|${l.port}|${l.tls}`;
}

function urlOf(address: string, port: number, tls: boolean): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${tls ? 'https' : 'http'}://${host}:${port}`;
}

export class BindError extends Error {
  constructor(listener: ListenerConfig, error: NodeJS.ErrnoException) {
    const where = `${listener.address}:${listener.port}`;
    const reason =
      error.code === 'EADDRINUSE'
        ? `${where} is already in use by another program; stop it or choose another port`
        : error.code === 'EACCES'
          ? `binding ${where} needs privileges; use a port above 1023`
          : error.code === 'EADDRNOTAVAIL'
            ? `${listener.address} is not an address of this machine`
            : `${where}: ${error.message}`;
    super(`listener '${listener.name}' cannot listen: ${reason}`);
    this.name = 'BindError';
  }
}

/** Node's 'clientError': the parser refused the bytes. Answer when no response is under way. */
function clientErrorResponse(error: NodeJS.ErrnoException, socket: Socket): void {
  // Node keeps the response under way on the socket. Once its head is sent a 400 cannot
  // follow; before that, the broken request (bad chunking mid-body) is answered with 400
  // and the connection closed, which also ends the exchange that was waiting upstream.
  const responding = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || responding?.headersSent === true) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  sendErrorOnSocket(
    socket,
    {},
    tooLarge
      ? {
          status: 431,
          title: 'Request Header Fields Too Large',
          detail: 'The request headers exceed 16 KiB.',
        }
      : timedOut
        ? {
            status: 408,
            title: 'Request Timeout',
            detail:
              'The request line and headers did not arrive in time (clientTimeouts.header in the routing file).',
          }
        : {
            status: 400,
            title: 'Bad Request',
            detail: `The request is malformed and was not forwarded: ${error.message}${'reason' in error ? ` (${String(error.reason)})` : ''}.`,
          },
  );
}

export class ListenerPool {
  readonly #callbacks: ListenerCallbacks;
  #bound = new Map<string, Bound>();
  readonly #closing = new Set<Promise<void>>();

  constructor(callbacks: ListenerCallbacks) {
    this.#callbacks = callbacks;
  }

  status(): ListenerStatus[] {
    return [...this.#bound.values()].map((b) => ({
      name: b.slot.name,
      address: b.config.address,
      port: b.port,
      tls: b.config.tls,
      url: urlOf(b.config.address, b.port, b.config.tls),
    }));
  }

  async #open(config: ListenerConfig, timeouts: ClientTimeouts): Promise<Bound> {
    const slot: ListenerSlot = { name: config.name, secure: config.tls, closing: false };
    const options: http.ServerOptions = {
      requireHostHeader: true,
      headersTimeout: timeouts.headerMs,
      // Node's bound on a whole request (300 s) would cut a real upload on a slow link;
      // bodies are bounded by their rate instead (client-timeouts.ts).
      requestTimeout: 0,
      // How often Node checks the header deadline; its default (30 s) would let a client
      // take up to 30 s longer than clientTimeouts.header.
      connectionsCheckingInterval: HEADER_CHECK_MS,
    };
    const server = config.tls
      ? https.createServer({
          ...TLS_SERVER_OPTIONS,
          ...(await this.#callbacks.tls()),
          ...options,
          // A TLS handshake is part of getting the request head; Node's default is 120 s.
          handshakeTimeout: timeouts.headerMs,
        })
      : http.createServer(options);
    // A failed handshake (unknown CA in the client, a name outside the CA's constraints)
    // concerns that connection only.
    server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
    // A client that half-closes after sending a complete request still gets its answer.
    // (A documented-by-use Node server flag that @types/node does not declare.)
    (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      this.#callbacks.request(slot, req, res),
    );
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#callbacks.upgrade(slot, req, socket, head),
    );
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      socket.on('error', () => socket.destroy());
      sendErrorOnSocket(
        socket,
        {},
        {
          status: 405,
          title: 'Method Not Allowed',
          detail: 'CONNECT is refused: Switchyard is a reverse proxy, not a forward proxy.',
        },
      );
    });
    server.on('clientError', clientErrorResponse);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new BindError(config, error)));
      server.listen(
        { host: config.address, port: config.port, ipv6Only: config.address.includes(':') },
        resolve,
      );
    });
    server.on('error', () => {
      // After a successful bind a server-level error (EMFILE, say) must not end the process.
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return { config, slot, server, port };
  }

  /** Make the bound set equal to `wanted`. Throws BindError with nothing changed on failure. */
  async reconcile(wanted: readonly ListenerConfig[], timeouts: ClientTimeouts): Promise<void> {
    const next = new Map<string, Bound>();
    const opened: Bound[] = [];
    try {
      for (const config of wanted) {
        const key = identity(config);
        const kept = this.#bound.get(key);
        if (kept) {
          next.set(key, kept);
          continue;
        }
        const bound = await this.#open(config, timeouts);
        opened.push(bound);
        next.set(key, bound);
      }
    } catch (error) {
      await Promise.all(opened.map((b) => this.#stop(b, 0)));
      throw error;
    }
    for (const [key, bound] of this.#bound) {
      if (!next.has(key)) void this.#stop(bound, 30_000);
    }
    for (const config of wanted) {
      const bound = next.get(identity(config));
      if (!bound) continue;
      bound.config = config;
      bound.slot.name = config.name;
      bound.server.headersTimeout = timeouts.headerMs;
    }
    this.#bound = next;
  }

  /** Stop accepting; let in-flight exchanges finish for up to graceMs, then cut. */
  #stop(bound: Bound, graceMs: number): Promise<void> {
    bound.slot.closing = true;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => bound.server.closeAllConnections(), graceMs);
      // Keep-alive connections become idle as their last exchange ends; close them then
      // rather than waiting for the client's or the server's keep-alive timeout.
      const sweep = setInterval(() => bound.server.closeIdleConnections(), 100);
      bound.server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve();
      });
      bound.server.closeIdleConnections();
    });
    this.#closing.add(closed);
    void closed.then(() => this.#closing.delete(closed));
    return closed;
  }

  async close(graceMs: number): Promise<void> {
    const all = [...this.#bound.values()];
    this.#bound = new Map();
    await Promise.all([...all.map((b) => this.#stop(b, graceMs)), ...this.#closing]);
  }
}
