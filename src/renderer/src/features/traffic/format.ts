/** How the traffic views write times, sizes and durations (one place, so rows agree). */
import type { ExchangeSummary } from '../../../../shared/exchange.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local wall-clock time with milliseconds: exchanges are often ms apart. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** The status column: the code, or what happened instead of a response. */
export function statusText(s: ExchangeSummary): string {
  if (s.status !== 0) return String(s.status);
  if (s.outcome === 'pending') return s.websocket?.open ? 'WS' : '…';
  return s.outcome === 'aborted' ? 'aborted' : 'error';
}

export type StatusTone = 'ok' | 'redirect' | 'client-error' | 'server-error' | 'none';

export function statusTone(s: ExchangeSummary): StatusTone {
  const c = Math.floor(s.status / 100);
  if (c === 2 || s.status === 101) return 'ok';
  if (c === 3) return 'redirect';
  if (c === 4) return 'client-error';
  if (c === 5) return 'server-error';
  return 'none';
}

/** Member URL without the scheme: the list column is narrow and all are http(s). */
export function shortUrl(url: string | undefined): string {
  return url === undefined ? '' : url.replace(/^https?:\/\//, '');
}

/** `switchyard-2025-01-15T09-30-00.har`: sortable, and valid on every file system. */
export function harFileName(now: Date): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  return `switchyard-${stamp}.har`;
}
