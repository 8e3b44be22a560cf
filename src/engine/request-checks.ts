/**
 * Requests a trustworthy proxy refuses before they reach any backend (SPEC §2): the
 * ambiguous shapes that let two servers disagree about where one request ends and the next
 * begins, which host it is for, or which path it names. Node's parser already rejects
 * CL+TE, bad chunking and conflicting lengths; these are the shapes it lets through.
 */
import type { IncomingMessage } from 'node:http';
import { hasParameterisedDotSegment } from './paths.js';

/** RFC 9110 §7.2: `uri-host [ ":" port ]`, where uri-host is an IP literal or a reg-name. */
const HOST_FIELD =
  /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::(\d*))?$/;

function validHost(value: string): boolean {
  const m = HOST_FIELD.exec(value);
  return m !== null && (m[1] === undefined || m[1] === '' || Number(m[1]) <= 65_535);
}

export interface Refusal {
  status: number;
  title: string;
  detail: string;
}

/** How many times Host, Transfer-Encoding and Content-Length occur: one pass, no copies. */
function framingCounts(rawHeaders: readonly string[]): { host: number; te: number; cl: number } {
  const counts = { host: 0, te: 0, cl: 0 };
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    // Lengths first: most header names are none of these and cost one comparison.
    if (name.length === 4) {
      if (name.toLowerCase() === 'host') counts.host++;
    } else if (name.length === 17) {
      if (name.toLowerCase() === 'transfer-encoding') counts.te++;
    } else if (name.length === 14) {
      if (name.toLowerCase() === 'content-length') counts.cl++;
    }
  }
  return counts;
}

export function checkRequest(req: IncomingMessage): Refusal | undefined {
  const bad = (detail: string): Refusal => ({ status: 400, title: 'Bad Request', detail });
  const counts = framingCounts(req.rawHeaders);
  if (counts.host > 1) {
    return bad('The request has more than one Host header; which host it is for is ambiguous.');
  }
  const host = req.headers.host;
  if (host !== undefined && !validHost(host)) {
    return bad(
      `The Host header '${host.slice(0, 100)}' is not a host name or address with an optional port.`,
    );
  }
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.includes('\\')) {
    // RFC 9112 §3.2: not a URL character. WHATWG URL parsers (and Windows servers) read it
    // as `/`, so `/app/..\secret` would leave the route. (In the query, browsers send it raw.)
    return bad(
      'The request path contains a backslash, which is not allowed in a URL; send it as %5C.',
    );
  }
  if (/%00/.test(path)) {
    // A backend written in C ends the path there; Apache and nginx refuse it too.
    return bad('The request path contains an encoded NUL (%00).');
  }
  if (hasParameterisedDotSegment(path)) {
    return bad(
      "The request path has a '..;' or '.;' segment, which servlet containers read as '..' or '.'.",
    );
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      return bad('HTTP/1.0 requests cannot use Transfer-Encoding.');
    }
    if (te.trim().toLowerCase() !== 'chunked' || counts.te > 1) {
      return bad(`Transfer-Encoding '${te}' is not supported; only 'chunked' is.`);
    }
    if (req.headers['content-length'] !== undefined) {
      return bad('The request has both Content-Length and Transfer-Encoding.');
    }
  }
  if (counts.cl > 1) {
    return bad('The request has more than one Content-Length header.');
  }
  return undefined;
}
