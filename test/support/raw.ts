/**
 * Byte-level HTTP for tests: write exactly these bytes to a port and read what comes back
 * until the server closes the connection or goes quiet.
 */
import net from 'node:net';

export interface RawOptions {
  /** Stop reading after this long without data (ms). */
  idleMs?: number;
  /** Half-close (send FIN) after writing. */
  endAfterWrite?: boolean;
}

export function rawRequest(
  port: number,
  bytes: string | Buffer,
  options: RawOptions = {},
): Promise<string> {
  const { idleMs = 500, endAfterWrite = false } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const finish = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    let timer = setTimeout(finish, idleMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      finish();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length > 0) finish();
      else reject(e);
    });
    socket.on('connect', () => {
      socket.write(bytes);
      if (endAfterWrite) socket.end();
    });
  });
}

/** Status codes of every HTTP response in a raw byte stream, in order. */
export function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}
