/**
 * Two facts about a request that both retry layers need — the forwarder's retry of a
 * reused idle connection and the balancer's failover — kept in one place so they agree.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Methods that may be sent again after bytes reached a backend (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
]);

/** The request carries a body: chunked, or a Content-Length above 0. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The request carries a body. HTTP/2 says so by not ending the stream with its headers
 * (a gRPC call has a body and no Content-Length); HTTP/1.1 by its framing headers.
 */
export function requestHasBody(req: IncomingMessage): boolean {
  if (req.httpVersionMajor === 2) {
    const stream = (req as IncomingMessage & { stream?: { endAfterHeaders?: boolean } }).stream;
    return stream?.endAfterHeaders !== true;
  }
  return hasBody(req.headers);
}
