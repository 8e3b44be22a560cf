/**
 * Two facts about a request that both retry layers need — the forwarder's retry of a
 * reused idle connection and the balancer's failover — kept in one place so they agree.
 */
import type { IncomingHttpHeaders } from 'node:http';

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
