/** Wait until something accepts connections on 127.0.0.1:port (a server a test started). */
import net from 'node:net';

/**
 * Resolves once the port accepts a connection; rejects when `exited()` says the process is
 * gone (its text is the reason) or after 15 s, with `log()` in the message.
 */
export function waitForPort(
  port: number,
  exited: () => string | undefined,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const gone = exited();
      if (gone !== undefined) return reject(new Error(`${gone}:\n${log()}`));
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened:\n${log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}
