// The life of a benchmark child process (bench/throughput-peer.js, bench/http2-peer.js):
// cleanups run in reverse on the way out, which never hangs; stop on SIGTERM, SIGINT, a
// 'stop' message or the parent going away; an uncaught exception is reported to the parent
// (which prints it with the results and fails the run) while the process keeps serving, so
// the remaining measurements stay meaningful.

/** Functions to run, last first, when the process stops. */
export const cleanups = [];
let stopping = false;

export async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // Never hang on the way out.
  setTimeout(() => process.exit(code), 3_000).unref();
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
  process.exit(code);
}

/** A message to the parent, when there is one to hear it. */
export function send(message) {
  if (process.send && process.connected) process.send(message);
}

/**
 * Wire the process's lifecycle, then start `role` with `start()`. It resolves with a port,
 * or `{ port, ports, info }`; the parent hears `ready` (or `failed`, and the process ends).
 */
export async function runChild(role, start, host) {
  process.on('uncaughtException', (error) => {
    const message = String(error?.stack ?? error);
    if (process.send && process.connected) process.send({ type: 'uncaught', message });
    else console.error(`${role}: uncaught exception: ${message}`);
  });
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('disconnect', () => void stop(0)); // parent died or closed the channel
  process.on('message', (m) => {
    if (m?.type === 'stop') void stop(0);
  });
  try {
    const started = await start();
    const { port, ports, info } = typeof started === 'object' ? started : { port: started };
    if (process.send) {
      send({
        type: 'ready',
        port,
        ...(ports ? { ports } : {}),
        ...(info ? { info } : {}),
        pid: process.pid,
      });
    } else {
      const where = (ports ?? (port ? [port] : [])).map((p) => `http://${host}:${p}`);
      console.log(`${role} ${where.length > 0 ? `listening on ${where.join(' ')}` : 'ready'}`);
    }
  } catch (error) {
    if (process.send) send({ type: 'failed', message: String(error?.stack ?? error) });
    else console.error(error);
    await stop(1);
  }
}
