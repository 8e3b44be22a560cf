/**
 * Error responses written by Switchyard itself. They say what failed and where — which
 * route, which backend — as HTML for browsers and as JSON for API clients
 * (`Accept: application/json`) — and as a gRPC status for gRPC calls (grpc-errors.ts) —
 * and they are marked so nobody mistakes them for the backend's own answers.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { isGrpc, sendGrpcError } from './grpc-errors.js';

export interface ProxyError {
  status: number;
  /** Short reason, such as `Backend refused the connection`. */
  title: string;
  /** What happened and what to do about it. */
  detail: string;
  route?: string;
  backend?: string;
  /** Seconds, for 503. */
  retryAfter?: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function wantsJson(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function renderError(
  error: ProxyError,
  headers: IncomingHttpHeaders,
): { type: string; body: string } {
  if (wantsJson(headers)) {
    const { status, title, detail, route, backend } = error;
    return {
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({
        error: { status, title, detail, route, backend, source: 'switchyard' },
      }),
    };
  }
  const facts = [
    error.route === undefined ? '' : `<dt>Route</dt><dd>${escapeHtml(error.route)}</dd>`,
    error.backend === undefined ? '' : `<dt>Backend</dt><dd>${escapeHtml(error.backend)}</dd>`,
  ].join('');
  const heading = `${error.status} ${escapeHtml(error.title)}`;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${heading}</title>
<meta name="color-scheme" content="light dark">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
dt{font-weight:600;float:left;clear:left;width:6rem}dd{margin-left:6rem}small{opacity:.7}</style>
</head><body><h1>${heading}</h1><p>${escapeHtml(error.detail)}</p>
${facts === '' ? '' : `<dl>${facts}</dl>`}<p><small>Answered by Switchyard, not by the backend.</small></p>
</body></html>
`;
  return { type: 'text/html; charset=utf-8', body };
}

function errorHeaders(error: ProxyError, type: string, body: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-switchyard-error': String(error.status),
  };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  return headers;
}

/** Answer on a response that has not started; a started one can only be cut short. */
export function sendError(
  res: ServerResponse,
  headers: IncomingHttpHeaders,
  error: ProxyError,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (isGrpc(headers)) {
    sendGrpcError(res, error);
    return;
  }
  const { type, body } = renderError(error, headers);
  res.writeHead(error.status, errorHeaders(error, type, body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The same answer written on a raw socket (WebSocket handshakes, malformed requests). */
export function sendErrorOnSocket(
  socket: Socket,
  headers: IncomingHttpHeaders,
  error: ProxyError,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { type, body } = renderError(error, headers);
  const lines = Object.entries({ ...errorHeaders(error, type, body), connection: 'close' }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  const reason = STATUS_CODES[error.status] ?? error.title;
  socket.end(`HTTP/1.1 ${error.status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}
