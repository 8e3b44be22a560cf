/**
 * The parts of a HAR entry that are derived from headers and the URL: cookies, query
 * parameters, and splitting an absolute URL back into scheme, authority and target.
 * Derived fields are for readers of the HAR; an import rebuilds exchanges from the
 * headers and URL, never from these.
 */
import type { HeaderPairs } from '../../shared/exchange.js';
import type { HarCookie, HarNameValue } from './har-types.js';

/** Values of every header called `name` (case-insensitive), in order. */
export function headerValues(headers: HeaderPairs, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function splitPair(part: string): { name: string; value: string } {
  const eq = part.indexOf('=');
  if (eq < 0) return { name: part.trim(), value: '' };
  return { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
}

/** `Cookie: a=1; b=2` (one or several headers) → cookies. */
export function requestCookies(headers: HeaderPairs): HarCookie[] {
  return headerValues(headers, 'cookie')
    .flatMap((header) => header.split(';'))
    .filter((part) => part.trim() !== '')
    .map(splitPair);
}

/** One cookie per `Set-Cookie` header, with the attributes HAR 1.2 has fields for. */
export function responseCookies(headers: HeaderPairs): HarCookie[] {
  return headerValues(headers, 'set-cookie').map((header) => {
    const [first = '', ...attributes] = header.split(';');
    const cookie: HarCookie = splitPair(first);
    for (const attribute of attributes) {
      const { name, value } = splitPair(attribute);
      switch (name.toLowerCase()) {
        case 'path':
          cookie.path = value;
          break;
        case 'domain':
          cookie.domain = value;
          break;
        case 'expires': {
          const time = Date.parse(value);
          if (!Number.isNaN(time)) cookie.expires = new Date(time).toISOString();
          break;
        }
        case 'httponly':
          cookie.httpOnly = true;
          break;
        case 'secure':
          cookie.secure = true;
          break;
      }
    }
    return cookie;
  });
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    // Malformed escapes are shown as sent rather than dropped.
    return part;
  }
}

/** Query parameters of a request target, decoded like a form would be. */
export function queryString(target: string): HarNameValue[] {
  const q = target.indexOf('?');
  if (q < 0) return [];
  return target
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const { name, value } = splitPair(part);
      return { name: decodeQueryPart(name), value: decodeQueryPart(value) };
    });
}

export interface SplitUrl {
  scheme: string;
  authority: string;
  /** Path and query as written (no normalisation, unlike `new URL`). */
  target: string;
}

/**
 * `https://h:1/p?q` → its parts, by hand: the request target must come back exactly as
 * the client sent it, and the WHATWG parser would re-encode and resolve dot segments.
 */
export function splitUrl(url: string): SplitUrl {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(url);
  if (!match) return { scheme: '', authority: '', target: url };
  const [, scheme = '', authority = '', rest = ''] = match;
  return {
    scheme: scheme.toLowerCase(),
    authority,
    target: rest.startsWith('/') ? rest : `/${rest}`,
  };
}
