/**
 * Headers as the traffic log keeps them: one flat string, `name\nvalue\nname\nvalue…` (a
 * parsed header name or value never holds a line feed). One object per exchange and side
 * for the GC to walk instead of an array and a string per name and per value; pairs are
 * built when someone reads them.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HeaderPairs } from '../../shared/exchange.js';

const SEP = '\n';

export function packRaw(rawHeaders: readonly string[]): string {
  return rawHeaders.join(SEP);
}

/**
 * Joined once rather than appended to: `+=` builds a rope of cons strings, one object per
 * piece, which the log would keep alive as it is.
 */
export function packOutgoing(headers: OutgoingHttpHeaders | IncomingHttpHeaders): string {
  const parts: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) parts.push(name, String(v));
    } else {
      parts.push(name, String(value));
    }
  }
  return parts.join(SEP);
}

export function unpack(packed: string): HeaderPairs {
  if (packed === '') return [];
  const parts = packed.split(SEP);
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

export function headerValue(headers: HeaderPairs, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}
