/**
 * The headless UI server (SPEC §6, §7): the built renderer as static files and the
 * engine's API as a WebSocket at /api (ws-bridge.ts), on 127.0.0.1 only.
 *
 * Every request must name this server in its Host header (DNS rebinding); the upgrade to
 * /api must also carry the run's access token and, from a browser, the UI's own Origin
 * (ui-access.ts). Static files need no token: they hold no data.
 *
 * Port: `switchyard` asks for 7070 and takes a free port when 7070 is busy, so the UI
 * usually keeps its address (and the browser its per-origin settings) across runs while a
 * second instance still starts; an explicit `--ui-port` is kept strictly. The printed URL
 * is the one to open either way: it carries the token.
 */
import { realpath } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { EngineApi } from '../engine/engine-api.js';
import { URL_TOKEN_KEY, WS_API_PATH, WS_TOKEN_PARAM } from '../shared/ws-protocol.js';
import { packageRoot } from './package-root.js';
import { securityHeaders, serveStatic } from './static-files.js';
import { hostAllowed, newAccessToken, originAllowed, tokenMatches } from './ui-access.js';
import { WsBridge, type WsBridgeOptions } from './ws-bridge.js';

/** The UI is served on loopback only; there is deliberately no option to change it. */
export const UI_ADDRESS = '127.0.0.1';
/** What `switchyard` asks for when no --ui-port is given. */
export const DEFAULT_UI_PORT = 7070;
/** Largest message a client may send: a routing file's text with room to spare. */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export interface UiServerOptions {
  api: EngineApi;
  /** The built renderer (index.html, assets/); default: out/renderer/ of this package. */
  root?: string;
  /** 0 = any free port. */
  port?: number;
  /** When `port` is taken, listen on a free port instead of failing. */
  portFallback?: boolean;
  /** The access token (tests); default: a fresh random one. */
  token?: string;
  bridge?: WsBridgeOptions;
}

export interface UiServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** The URL to open: origin and the token in the fragment. */
  readonly url: string;
  /** ws://127.0.0.1:PORT/api (the token goes in the `token` query parameter). */
  readonly apiUrl: string;
  readonly token: string;
  /** The built renderer being served. */
  readonly root: string;
  readonly bridge: WsBridge;
  /** Close the WebSocket connections (1001) and the server. */
  close(): Promise<void>;
}

/** out/renderer/ of the package this file belongs to (from src/ or from out/cli/). */
export function builtRendererDir(): string {
  const root = packageRoot();
  return root
    ? join(root, 'out', 'renderer')
    : join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer');
}

/** The request target as a URL (only its path and query are used). */
function requestTarget(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://switchyard.invalid');
  } catch {
    return new URL('http://switchyard.invalid/');
  }
}

/** Answer a refused upgrade on the raw socket and close it. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  const reason = http.STATUS_CODES[status] ?? 'Refused';
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
  socket.destroySoon();
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host: UI_ADDRESS, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? newAccessToken();
  const configuredRoot = options.root ?? builtRendererDir();
  // Real path, so the containment check in static-files.ts compares like with like.
  const root = await realpath(configuredRoot).catch(() => configuredRoot);
  const bridge = new WsBridge(options.api, options.bridge);
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  let port = 0;

  const server = http.createServer((req, res) => {
    if (!hostAllowed(req.headers.host, port)) {
      const message = `Host '${req.headers.host ?? ''}' is not this server; open http://127.0.0.1:${port}/`;
      res.writeHead(403, {
        ...securityHeaders(port),
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(message),
      });
      res.end(message);
      return;
    }
    if (requestTarget(req).pathname === WS_API_PATH) {
      const message = 'the API at /api is a WebSocket';
      res.writeHead(426, {
        ...securityHeaders(port),
        upgrade: 'websocket',
        connection: 'Upgrade',
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(message),
      });
      res.end(message);
      return;
    }
    void serveStatic(req, res, { root, port }).catch(() => res.destroy());
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const verdict = checkUpgrade(req, port, token);
    if (verdict) {
      refuseUpgrade(socket, verdict.status, verdict.message);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridge.handle(ws));
  });

  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const wanted = options.port ?? 0;
  try {
    await listen(server, wanted);
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse || !options.portFallback || wanted === 0) {
      bridge.close();
      throw new Error(
        inUse
          ? `UI port ${wanted} on ${UI_ADDRESS} is in use: choose another with --ui-port PORT (0 = any free port), or --no-ui`
          : `cannot serve the UI on ${UI_ADDRESS}:${wanted}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    await listen(server, 0);
  }
  port = (server.address() as AddressInfo).port;
  const origin = `http://${UI_ADDRESS}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    port,
    origin,
    url: `${origin}/#${URL_TOKEN_KEY}=${token}`,
    apiUrl: `ws://${UI_ADDRESS}:${port}${WS_API_PATH}`,
    token,
    root,
    bridge,
    close() {
      closing ??= new Promise<void>((resolve) => {
        bridge.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Give close frames a moment, then cut whatever is left (keep-alive, slow peers).
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 200).unref();
      });
      return closing;
    },
  };
}

/** Why an upgrade is refused, or undefined when it may proceed. */
function checkUpgrade(
  req: IncomingMessage,
  port: number,
  token: string,
): { status: number; message: string } | undefined {
  if (!hostAllowed(req.headers.host, port)) {
    return { status: 403, message: `Host '${req.headers.host ?? ''}' is not this server` };
  }
  const origin = req.headers.origin;
  if (!originAllowed(origin, port)) {
    return {
      status: 403,
      message: `pages from ${origin ?? ''} may not use the Switchyard API; open http://127.0.0.1:${port}/`,
    };
  }
  const url = requestTarget(req);
  if (url.pathname !== WS_API_PATH)
    return { status: 404, message: 'no WebSocket here; the API is at /api' };
  if (!tokenMatches(token, url.searchParams.get(WS_TOKEN_PARAM))) {
    return {
      status: 401,
      message:
        'missing or wrong access token: open the URL switchyard printed (ui http://…/#token=…)',
    };
  }
  return undefined;
}
