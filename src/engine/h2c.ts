/**
 * HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one plain listener. A connection's first
 * bytes tell them apart: an HTTP/2 client starts with the connection preface
 * (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, RFC 9113 §3.4), which no HTTP/1.1 request line does.
 *
 * The first chunk has to be read to look at it. Node's HTTP/1.1 server takes it back with
 * `unshift`, but its HTTP/2 server reads the socket's handle directly and would never see
 * it, so an HTTP/2 connection is handed over as a `PrefacedSocket`: a stream that gives the
 * first chunk, then the rest of the socket.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** True when `head` starts like the HTTP/2 preface (as far as it goes). */
export function looksLikeHttp2(head: Buffer): boolean {
  const n = Math.min(head.length, PREFACE.length);
  return n >= 3 && head.subarray(0, n).equals(PREFACE.subarray(0, n));
}

/**
 * Read a connection's first chunk, then hand the connection to HTTP/1.1 (the chunk put
 * back) or HTTP/2 (wrapped). A connection that sends nothing within `firstBytesMs` (the
 * header timeout) is closed.
 */
export function routeConnection(
  socket: Socket,
  firstBytesMs: number,
  http1: (socket: Socket) => void,
  http2: (stream: PrefacedSocket) => void,
): void {
  const onError = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(onError, firstBytesMs);
  timer.unref();
  socket.once('error', onError);
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (head: Buffer) => {
    clearTimeout(timer);
    socket.off('error', onError);
    socket.pause();
    if (looksLikeHttp2(head)) {
      http2(new PrefacedSocket(socket, head));
      return;
    }
    socket.unshift(head);
    http1(socket);
    socket.resume();
  });
}

/** A socket whose first bytes were already read: they come first, then the socket's own. */
export class PrefacedSocket extends Duplex {
  readonly #socket: Socket;

  constructor(socket: Socket, head: Buffer) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.push(head);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  // What the HTTP/2 server and the exchange handler read of a connection.
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.#socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }
  get encrypted(): boolean {
    return false;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.#socket.setTimeout(ms, callback);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.#socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.#socket.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (e?: Error | null) => void,
  ): void {
    this.#socket.write(chunk, encoding, callback);
  }

  override _final(callback: (e?: Error | null) => void): void {
    this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (e?: Error | null) => void): void {
    this.#socket.destroy(error ?? undefined);
    callback(error);
  }
}
