/**
 * Ports for apps: a free one on loopback to give a command as PORT, and the wait until
 * the command listens on it.
 */
import net from 'node:net';

/** A port nothing listens on now (the OS picks it; a race with other programs is possible, and rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Loopback addresses an app may listen on; Node's `localhost` is often ::1 alone. */
export type LoopbackHost = '127.0.0.1' | '::1';

/** The loopback address on which something accepts connections on `port` now, if any. */
export function listeningOn(port: number, timeoutMs = 1_000): Promise<LoopbackHost | undefined> {
  const attempt = (host: string): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      const done = (open: boolean): void => {
        socket.destroy();
        resolve(open);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  return attempt('127.0.0.1').then(async (v4) => {
    if (v4) return '127.0.0.1';
    return (await attempt('::1')) ? '::1' : undefined;
  });
}

/** http://127.0.0.1:PORT or http://[::1]:PORT */
export function loopbackUrl(host: LoopbackHost, port: number): string {
  return host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`;
}

/**
 * Where the port accepts connections once it does; undefined after `timeoutMs` or once
 * `gaveUp()` says to stop (the command exited).
 */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  gaveUp: () => boolean,
): Promise<LoopbackHost | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline && !gaveUp()) {
    const host = await listeningOn(port, 500);
    if (host) return host;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  return undefined;
}
