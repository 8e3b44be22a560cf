/**
 * The server behind one listener, whatever protocols it speaks:
 * - plain: HTTP/1.1, plus HTTP/2 with prior knowledge (h2c) on the same port unless the
 *   listener says `http2: false`;
 * - TLS: ALPN `h2` and `http/1.1` (HTTP/1.1 only with `http2: false`). WebSocket upgrades
 *   arrive over HTTP/1.1 either way.
 * Every request, HTTP/1.1 or HTTP/2, reaches the same `request` callback (Node's HTTP/2
 * compatibility API gives it the same shape), and so takes the same decisions.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, {
  type Http2SecureServer,
  type Http2Server,
  type ServerHttp2Session,
} from 'node:http2';
import https from 'node:https';
import type { Server, Socket } from 'node:net';
import type { ListenerConfig } from '../shared/config.js';
import type { ClientTimeouts } from './client-timeouts.js';
import { sendErrorOnSocket } from './error-page.js';
import type { ListenerSlot } from './exchange-handler.js';
import { routeConnection } from './h2c.js';

export interface ServerCallbacks {
  request(slot: ListenerSlot, req: IncomingMessage, res: ServerResponse): void;
  upgrade(slot: ListenerSlot, req: IncomingMessage, socket: Socket, head: Buffer): void;
}

export type TlsOptions = Pick<https.ServerOptions, 'cert' | 'key' | 'SNICallback'>;

/** TLS as browsers expect it in 2026: TLS 1.2+, Node's default (modern, forward-secret) ciphers. */
const TLS_SERVER_OPTIONS = {
  minVersion: 'TLSv1.2',
  honorCipherOrder: true,
} as const;

/**
 * HTTP/2 limits per connection, documented in the README: streams at once, and the size of
 * a header list (HPACK-decoded), which bounds what a header flood can make us hold.
 */
export const HTTP2_SETTINGS: http2.Settings = {
  maxConcurrentStreams: 128,
  maxHeaderListSize: 64 * 1024,
};
const HTTP2_OPTIONS = {
  settings: HTTP2_SETTINGS,
  // Memory nghttp2 may use per session (MiB); a flood beyond it gets ENHANCE_YOUR_CALM.
  maxSessionMemory: 16,
  // Streams a client may have reset before the session is closed: the rapid-reset flood.
  maxSessionRejectedStreams: 100,
  maxSessionInvalidFrames: 100,
} as const;

/** Node checks each connection's header deadline this often. */
const HEADER_CHECK_MS = 500;

export interface ListenerServer {
  /** What binds the address and port. */
  server: Server;
  setHeaderTimeout(ms: number): void;
  /** Close connections with nothing in flight (HTTP/2: GOAWAY, in-flight streams finish). */
  closeIdle(): void;
  /** Close every connection now. */
  closeAll(): void;
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

/**
 * Sessions of an HTTP/2 server, so a stopping listener can close them. A session with no
 * traffic for `idleMs` is closed (GOAWAY; streams in flight finish): that reclaims idle
 * connections, and the ones Node keeps open after answering a protocol error with GOAWAY.
 */
function trackSessions(
  server: Http2Server | Http2SecureServer,
  idleMs: number,
): Set<ServerHttp2Session> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.setTimeout(idleMs, () => {
      if (session.closed) session.destroy();
      else session.close(() => session.destroy());
      // Streams still open after a grace period are cut.
      setTimeout(() => session.destroy(), idleMs).unref();
    });
    session.on('close', () => sessions.delete(session));
    // A protocol error concerns that connection only, and ends it: nghttp2 has sent its
    // GOAWAY, and a client that broke the protocol gets no time to keep the socket.
    session.on('error', () => session.destroy());
    session.on('frameError', () => session.destroy());
  });
  server.on('sessionError', () => {});
  return sessions;
}

/** The HTTP/1.1 behaviour every listener shares. */
function serveHttp1(
  server: http.Server | Http2SecureServer,
  slot: ListenerSlot,
  callbacks: ServerCallbacks,
): void {
  // A client that half-closes after sending a complete request still gets its answer.
  // (A documented-by-use Node server flag that @types/node does not declare.)
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    callbacks.upgrade(slot, req, socket, head),
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
}

export function createListenerServer(
  config: ListenerConfig,
  timeouts: ClientTimeouts,
  tls: TlsOptions | undefined,
  slot: ListenerSlot,
  callbacks: ServerCallbacks,
): ListenerServer {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor !== 2) {
      callbacks.request(slot, req, res);
      return;
    }
    // An HTTP/2 request names its host in `:authority`; every rule reads Host, as for
    // HTTP/1.1 (RFC 9113 §8.3.1: when both are present they must agree; :authority wins).
    const authority = req.headers[':authority'];
    if (typeof authority === 'string' && authority !== '') req.headers.host = authority;
    // The stream is taken up after the frames read with it: a client that opens and at
    // once resets streams (the rapid-reset flood, CVE-2023-44487) costs a check, not a
    // backend request each, and the other clients keep being served.
    setImmediate(() => {
      const stream = (req as IncomingMessage & { stream?: { destroyed: boolean; closed: boolean } })
        .stream;
      if (stream?.destroyed === true || stream?.closed === true) return;
      callbacks.request(slot, req, res);
    });
  };
  const http1Options: http.ServerOptions = {
    requireHostHeader: true,
    headersTimeout: timeouts.headerMs,
    // Node's bound on a whole request (300 s) would cut a real upload on a slow link;
    // bodies are bounded by their rate instead (client-timeouts.ts).
    requestTimeout: 0,
    // How often Node checks the header deadline; its default (30 s) would let a client
    // take up to 30 s longer than clientTimeouts.header.
    connectionsCheckingInterval: HEADER_CHECK_MS,
  };

  if (tls && config.http2) {
    const server = http2.createSecureServer({
      ...TLS_SERVER_OPTIONS,
      ...tls,
      ...HTTP2_OPTIONS,
      ALPNProtocols: ['h2', 'http/1.1'],
      allowHTTP1: true,
      // A TLS handshake is part of getting the request head; Node's default is 120 s.
      handshakeTimeout: timeouts.headerMs,
    });
    // HTTP/1.1 connections of this server are handled by Node's HTTP/1.1 code, which reads
    // these the way http.Server does.
    Object.assign(server, { headersTimeout: timeouts.headerMs, requestTimeout: 0 });
    const sessions = trackSessions(server, timeouts.bodyIdleMs);
    const sockets = new Set<Socket>();
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
    server.on('request', onRequest);
    serveHttp1(server, slot, callbacks);
    return {
      server,
      setHeaderTimeout: (ms) => Object.assign(server, { headersTimeout: ms }),
      closeIdle: () => {
        for (const s of sessions) s.close();
      },
      closeAll: () => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      },
    };
  }

  const server = tls
    ? https.createServer({
        ...TLS_SERVER_OPTIONS,
        ...tls,
        ...http1Options,
        ALPNProtocols: ['http/1.1'],
        handshakeTimeout: timeouts.headerMs,
      })
    : http.createServer(http1Options);
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
  server.on('request', onRequest);
  serveHttp1(server, slot, callbacks);
  let sessions = new Set<ServerHttp2Session>();
  if (!tls && config.http2) {
    // h2c with prior knowledge: the HTTP/2 server never listens; connections that start
    // with the preface are handed to it, the rest to the HTTP/1.1 server's own listeners.
    const h2c = http2.createServer(HTTP2_OPTIONS);
    h2c.on('request', onRequest);
    sessions = trackSessions(h2c, timeouts.bodyIdleMs);

    const http1 = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) =>
      routeConnection(
        socket,
        server.headersTimeout,
        (s) => {
          for (const listener of http1) listener.call(server, s);
        },
        (socket) => h2c.emit('connection', socket),
      ),
    );
  }
  return {
    server,
    setHeaderTimeout: (ms) => {
      server.headersTimeout = ms;
    },
    closeIdle: () => {
      server.closeIdleConnections();
      for (const s of sessions) s.close();
    },
    closeAll: () => {
      server.closeAllConnections();
      for (const s of sessions) s.destroy();
    },
  };
}
