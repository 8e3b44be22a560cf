/**
 * HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one plain listener. A connection's first
 * bytes tell them apart: an HTTP/2 client starts with the connection preface
 * (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, RFC 9113 §3.4), which no HTTP/1.1 request line does.
 *
 * The first chunk has to be read to look at it; it is put back with `unshift` and the
 * socket handed over paused. Node's HTTP/1.1 server reads it from there once resumed; its
 * HTTP/2 server takes what the socket has buffered when it sets the session up, then reads
 * the native handle directly — so the socket must not be resumed for it, or the buffered
 * preface would flow out to nobody.
 */
import type { Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** True when `head` starts like the HTTP/2 preface (as far as it goes). */
export function looksLikeHttp2(head: Buffer): boolean {
  const n = Math.min(head.length, PREFACE.length);
  return n >= 3 && head.subarray(0, n).equals(PREFACE.subarray(0, n));
}

/**
 * Read a connection's first chunk, put it back, then hand the connection to HTTP/1.1 or
 * HTTP/2. A connection that sends nothing within `firstBytesMs` (the
 * header timeout) is closed.
 */
export function routeConnection(
  socket: Socket,
  firstBytesMs: number,
  http1: (socket: Socket) => void,
  http2: (socket: Socket) => void,
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
    socket.unshift(head);
    if (looksLikeHttp2(head)) {
      http2(socket);
      return;
    }
    http1(socket);
    socket.resume();
  });
}
