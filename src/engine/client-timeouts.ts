/**
 * Limits on slow clients, as Apache's mod_reqtimeout and nginx's client_header_timeout,
 * client_body_timeout and send_timeout set them. Without them a client that sends its body
 * one byte a second (or never sends the body it announced) holds a backend connection for as
 * long as it likes, and the timeout that finally fires blames the backend.
 *
 * - header: the request line and headers (enforced by Node's server, see listeners.ts);
 * - body: `body` to start with, plus 1 s for every `bodyMinRate` bytes received, and never
 *   `bodyIdle` without a byte. Time the body spends paused because the backend is not
 *   reading is not the client's and does not count;
 * - send: a client that takes none of a pending response for `send` is disconnected (the
 *   forwarder's WebExchange, which owns the response's backpressure, enforces it).
 *
 * The body watcher costs one timer and no work per chunk beyond a counter.
 */
import type { IncomingMessage } from 'node:http';
import type { ClientTimeoutsConfig } from '../shared/config.js';
import { formatDuration, parseDuration } from '../shared/duration.js';

export interface ClientTimeouts {
  headerMs: number;
  bodyMs: number;
  /** Bytes per second; 0: no rate rule, only bodyIdleMs. */
  bodyMinRate: number;
  bodyIdleMs: number;
  sendMs: number;
}

export function compileClientTimeouts(config: ClientTimeoutsConfig): ClientTimeouts {
  const ms = (text: string): number => parseDuration(text) ?? 0;
  return {
    headerMs: ms(config.header),
    bodyMs: ms(config.body),
    bodyMinRate: config.bodyMinRate,
    bodyIdleMs: ms(config.bodyIdle),
    sendMs: ms(config.send),
  };
}

/** The smallest step between two checks of a body's clock. */
const MIN_CHECK_MS = 25;

/**
 * Watch a request body until it ends. `tooSlow` is called once, with a sentence saying what
 * the client did, when it breaks a limit; the caller answers 408 and cancels the upstream
 * request. Returns a function that stops watching.
 */
export function watchRequestBody(
  req: IncomingMessage,
  limits: ClientTimeouts,
  tooSlow: (why: string) => void,
): () => void {
  const start = Date.now();
  let received = 0;
  let lastByte = start;
  let pausedSince: number | undefined;
  let pausedTotal = 0;
  let timer: NodeJS.Timeout | undefined;
  const declared = req.headers['content-length'];
  const of = declared === undefined ? '' : ` of ${declared}`;

  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    req.off('data', onData);
    req.off('pause', onPause);
    req.off('resume', onResume);
    req.off('end', stop);
    req.off('close', stop);
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    lastByte = Date.now();
  };
  const onPause = (): void => {
    pausedSince ??= Date.now();
  };
  const onResume = (): void => {
    if (pausedSince === undefined) return;
    const now = Date.now();
    pausedTotal += now - pausedSince;
    pausedSince = undefined;
    lastByte = now;
  };
  /** When the rate rule and the idle rule next run out, with what was received so far. */
  const deadlines = (): { rate: number; idle: number } => ({
    rate:
      limits.bodyMinRate > 0
        ? start + pausedTotal + limits.bodyMs + (received * 1000) / limits.bodyMinRate
        : Infinity,
    idle: lastByte + limits.bodyIdleMs,
  });
  const check = (): void => {
    timer = undefined;
    if (req.complete) return stop();
    const now = Date.now();
    if (pausedSince === undefined) {
      const { rate, idle } = deadlines();
      if (now >= rate || now >= idle) {
        stop();
        const seconds = formatDuration(now - start);
        tooSlow(
          received === 0
            ? `The client sent none of its request body${of === '' ? '' : ` (Content-Length${of.slice(3)})`} within ${seconds} (clientTimeouts.body, bodyIdle).`
            : now >= idle
              ? `The client sent no request body bytes for ${formatDuration(limits.bodyIdleMs)} (${received}${of} bytes received in ${seconds}; clientTimeouts.bodyIdle).`
              : `The client sent its request body too slowly: ${received}${of} bytes in ${seconds}, under ${limits.bodyMinRate} bytes/s after the first ${formatDuration(limits.bodyMs)} (clientTimeouts.body, bodyMinRate).`,
        );
        return;
      }
    }
    arm();
  };
  const arm = (): void => {
    const { rate, idle } = deadlines();
    // While paused the client is not at fault; look again after a short while.
    const next = pausedSince === undefined ? Math.min(rate, idle) : Date.now() + limits.bodyIdleMs;
    timer = setTimeout(check, Math.max(MIN_CHECK_MS, next - Date.now()));
    timer.unref();
  };

  req.on('data', onData);
  req.on('pause', onPause);
  req.on('resume', onResume);
  req.once('end', stop);
  req.once('close', stop);
  arm();
  return stop;
}
