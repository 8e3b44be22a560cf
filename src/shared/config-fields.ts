/**
 * The field types the routing file is made of — names, durations, header names and
 * values, host patterns, path prefixes, addresses, backend URLs — shared by the sections
 * of the schema in config.ts.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import { isCidr, isIP } from './ip.js';

export const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  );

export const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), 'must be a duration such as 500ms, 30s, 5m or 1h')
  .meta({ description: 'A duration: a number followed by ms, s, m or h.' });

export const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid HTTP header name');

export const headerValue = z
  .string()
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u0008\u000a-\u001f\u007f]*$/, 'must not contain control characters');

export const hostPattern = z
  .string()
  .regex(
    /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    'must be a hostname such as app.localhost, or a wildcard such as *.shop.test',
  )
  .meta({ description: 'Exact hostname, or `*.domain` matching any subdomain of domain.' });

export const pathPrefix = z
  .string()
  .refine((p) => p.startsWith('/'), 'must start with /')
  .refine((p) => !/[?#]/.test(p), 'must be a path without ? or #')
  .refine(
    (p) => !p.split('/').some((s) => s === '.' || s === '..'),
    'must not contain . or .. segments',
  )
  .meta({
    description: 'Path prefix matched on segment boundaries: /app matches /app and /app/x.',
  });

export const address = z
  .string()
  .refine((a) => isIP(a), 'must be an IP address such as 127.0.0.1 or ::1')
  .meta({ description: 'Address to bind. Default 127.0.0.1: reachable from this machine only.' });

export const cidr = z
  .string()
  .refine(isCidr, 'must be an IP address or a CIDR range such as 127.0.0.0/8 or ::1');

export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

export function hasNoExtras(url: URL): boolean {
  return url.username === '' && url.password === '' && url.search === '' && url.hash === '';
}

/**
 * Backend URL schemes, as Apache's mod_proxy names them: http and https speak HTTP/1.1;
 * h2c speaks HTTP/2 in clear text with prior knowledge, h2 speaks HTTP/2 over TLS.
 */
export const BACKEND_PROTOCOLS: readonly string[] = ['http:', 'https:', 'h2c:', 'h2:'];

export function isBackendUrl(u: URL | undefined): u is URL {
  return u !== undefined && BACKEND_PROTOCOLS.includes(u.protocol) && u.hostname !== '';
}

export const httpUrl = z.string().refine((t) => {
  const u = parseUrl(t);
  return isBackendUrl(u) && hasNoExtras(u);
}, 'must be an http(s) URL such as http://127.0.0.1:3000 (h2c:// or h2:// for HTTP/2 backends), without query or credentials');
