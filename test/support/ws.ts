/**
 * WebSocket helpers for tests: an echo backend on 127.0.0.1 that records each handshake
 * and keeps each server-side connection reachable, and a client opener that reports a
 * refused handshake as its HTTP status instead of an error.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';

export interface WsPeer {
  ws: WebSocket;
  /** The TCP socket under it (for resets). */
  socket: Socket;
  url: string;
  headers: IncomingHttpHeaders;
  closed: Promise<number>;
}

export interface WsBackend {
  url: string;
  port: number;
  peers: WsPeer[];
  /** TCP connections accepted, handshakes or not. */
  connections: number;
  /** Resolves with the next server-side connection. */
  nextPeer(): Promise<WsPeer>;
  close(): Promise<void>;
}

function closedOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
}

export async function startWsBackend(): Promise<WsBackend> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('websocket only');
  });
  const wss = new WebSocketServer({ server });
  const sockets = new Set<Socket>();
  const waiting: ((p: WsPeer) => void)[] = [];
  const backend: WsBackend = {
    url: '',
    port: 0,
    peers: [],
    connections: 0,
    nextPeer: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (s: Socket) => {
    backend.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  wss.on('connection', (ws, req: IncomingMessage) => {
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    const peer: WsPeer = {
      ws,
      socket: req.socket,
      url: req.url ?? '',
      headers: req.headers,
      closed: closedOf(ws),
    };
    backend.peers.push(peer);
    waiting.shift()?.(peer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  backend.url = `http://127.0.0.1:${backend.port}`;
  return backend;
}

export type Opened =
  | { ok: true; ws: WebSocket; socket: Socket; closed: Promise<number> }
  | { ok: false; status: number; headers: IncomingHttpHeaders; body: string };

/** Open a WebSocket; a non-101 answer resolves with its status rather than rejecting. */
export function openWs(url: string, options: ClientOptions = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const closed = closedOf(ws);
    let socket: Socket | undefined;
    ws.once('upgrade', (res: IncomingMessage) => {
      socket = res.socket;
    });
    ws.once('open', () => {
      ws.on('error', () => undefined);
      if (socket) resolve({ ok: true, ws, socket, closed });
      else reject(new Error('no socket after the upgrade'));
    });
    ws.once('unexpected-response', (req: http.ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          ok: false,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        req.destroy();
      });
    });
    ws.once('error', reject);
  });
}

/** The next message on a socket, as text. */
export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })),
  );
}

/** Reject when `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}
