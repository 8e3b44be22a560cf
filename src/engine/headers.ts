/**
 * Header rules of a trustworthy reverse proxy (SPEC §2): hop-by-hop headers removed in
 * both directions, X-Forwarded-* and Via added (client-sent X-Forwarded-Host and -Proto are
 * replaced, never trusted), Host chosen per ProxyPreserveHost, then the route's own
 * RequestHeader/Header operations applied last so the user always has the final word.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { FRAMING_HEADERS } from '../shared/config.js';
import type { CompiledHeaderOps, CompiledRoute } from './router.js';

/** RFC 9110 §7.6.1 plus the legacy proxy headers SPEC §2 names. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * Header names listed in Connection are hop-by-hop too — except framing. A sender that
 * lists Content-Length (`Connection: keep-alive, Content-Length`) must not make the next
 * hop lose where the body ends: the body would be sent unframed and read as a request of
 * its own. Framing is never dropped because a peer listed it.
 */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const tokens = new Set<string>();
  for (const t of text.split(',')) {
    const token = t.trim().toLowerCase();
    if (
      token !== '' &&
      token !== 'close' &&
      token !== 'keep-alive' &&
      !FRAMING_HEADERS.includes(token)
    )
      tokens.add(token);
  }
  return tokens.size > 0 ? tokens : undefined;
}

/**
 * The upstream body's framing, from the request as Node's parser read it (which refused
 * every ambiguous shape): chunked when the client sent chunks, its Content-Length
 * otherwise. Set last, so nothing upstream of this line can decide where the body ends.
 * Saying chunked explicitly also keeps Node from sending a DELETE/OPTIONS/GET body unframed.
 */
function frameBody(out: OutgoingHttpHeaders, incoming: IncomingHttpHeaders): void {
  delete out['content-length'];
  delete out['transfer-encoding'];
  if (incoming['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  else if (incoming['content-length'] !== undefined)
    out['content-length'] = incoming['content-length'];
}

/** Copy end-to-end headers only. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    // (HTTP/2 pseudo-headers, `:path` and the like, are the message's, not fields to copy.)
    if (HOP_BY_HOP.has(name) || listed?.has(name) || name.charCodeAt(0) === 58) continue;
    out[name] = headers[name];
  }
  return out;
}

export function applyHeaderOps(headers: OutgoingHttpHeaders, ops: CompiledHeaderOps): void {
  for (const name of ops.remove) delete headers[name];
  for (const [name, value] of ops.set) headers[name] = value;
}

export interface ForwardingFacts {
  clientAddress: string;
  /** The request arrived over TLS. */
  secure: boolean;
  /** `switchyard-1a2b3c`: this instance's Via pseudonym, also used for loop detection. */
  via: string;
  /** X-Forwarded-Server value. */
  serverName: string;
  /** The Host the client asked for, or the listener's address when it sent none (HTTP/1.0). */
  publicHost: string;
}

/** True when the request already passed through this Switchyard instance: a routing loop. */
export function isLoop(headers: IncomingHttpHeaders, via: string): boolean {
  const seen = headers.via;
  return seen !== undefined && seen.includes(via);
}

/**
 * Headers for the upstream request, computed from the client's headers as received (the
 * forwarder replaces `req.headers`, and a failover attempt computes them again).
 * `backendHost` is the Host of the backend this attempt goes to; `upgrade` keeps the
 * WebSocket handshake headers.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  httpVersion: string,
  route: CompiledRoute,
  facts: ForwardingFacts,
  backendHost: string,
  upgrade: boolean,
): OutgoingHttpHeaders {
  const out = endToEndHeaders(incoming);
  // Node has already answered `Expect: 100-continue`; the backend must not wait for it.
  delete out.expect;
  if (upgrade) {
    out.connection = 'upgrade';
    out.upgrade = incoming.upgrade;
  }
  out.host = route.preserveHost ? facts.publicHost : backendHost;
  const forwardedFor = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = forwardedFor
    ? `${forwardedFor}, ${facts.clientAddress}`
    : facts.clientAddress;
  out['x-forwarded-host'] = facts.publicHost;
  out['x-forwarded-proto'] = facts.secure ? 'https' : 'http';
  out['x-forwarded-server'] = facts.serverName;
  applyHeaderOps(out, route.requestHeaders);
  frameBody(out, incoming);
  // Our hop goes on last, whatever the route's rules did to Via: it is what stops loops.
  const hop = `${httpVersion} ${facts.via}`;
  const via = out.via === undefined ? undefined : String(out.via);
  out.via = via ? `${via}, ${hop}` : hop;
  return out;
}
