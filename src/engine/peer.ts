/**
 * Who a request came from and where it arrived: the connection's addresses. For HTTP/1.1
 * and HTTP/2 over TLS that is the request's socket. An h2c connection reaches Node's HTTP/2
 * server wrapped in a stream (see h2c.ts), and the socket Node makes around that stream
 * knows no addresses, so the listener records them on the session under `PEER`.
 */
import type { IncomingMessage } from 'node:http';

export interface Peer {
  remoteAddress?: string | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

export const PEER = Symbol('switchyard.peer');

type WithSession = IncomingMessage & { stream?: { session?: { [PEER]?: Peer } } };

export function peerOf(req: IncomingMessage): Peer {
  if (req.httpVersionMajor === 2) {
    const recorded = (req as WithSession).stream?.session?.[PEER];
    if (recorded) return recorded;
  }
  return req.socket;
}
