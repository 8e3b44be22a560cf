/**
 * Requests a trustworthy proxy refuses before they reach any backend (SPEC §2): the
 * ambiguous shapes that let two servers disagree about where one request ends and the next
 * begins. Node's parser already rejects CL+TE, bad chunking and conflicting lengths; these
 * are the shapes it lets through.
 */
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  title: string;
  detail: string;
}

function count(rawHeaders: readonly string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) n++;
  }
  return n;
}

export function checkRequest(req: IncomingMessage): Refusal | undefined {
  const bad = (detail: string): Refusal => ({ status: 400, title: 'Bad Request', detail });
  if (count(req.rawHeaders, 'host') > 1) {
    return bad('The request has more than one Host header; which host it is for is ambiguous.');
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      return bad('HTTP/1.0 requests cannot use Transfer-Encoding.');
    }
    if (te.trim().toLowerCase() !== 'chunked' || count(req.rawHeaders, 'transfer-encoding') > 1) {
      return bad(`Transfer-Encoding '${te}' is not supported; only 'chunked' is.`);
    }
    if (req.headers['content-length'] !== undefined) {
      return bad('The request has both Content-Length and Transfer-Encoding.');
    }
  }
  if (count(req.rawHeaders, 'content-length') > 1) {
    return bad('The request has more than one Content-Length header.');
  }
  return undefined;
}
