/**
 * ProxyPassReverse (and ProxyPassReverseCookiePath/Domain): rewrite what a backend says
 * about its own URLs — Location, Content-Location, URI and Set-Cookie Path/Domain — into
 * the public URL the client used, so redirects and cookies keep working behind the proxy.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { mapToPublic } from './paths.js';
import type { UrlTarget } from './router.js';

/** Where a backend is mounted: the route's prefix and the backend URL it maps to. */
export interface Mount {
  prefix: string;
  backend: UrlTarget;
}

export interface PublicOrigin {
  /** `http://app.localhost:8080`: scheme and Host header of the client's request. */
  origin: string;
  hostname: string;
}

const URL_HEADERS = ['location', 'content-location', 'uri'] as const;

function splitSuffix(ref: string): [string, string] {
  const cut = ref.search(/[?#]/);
  return cut === -1 ? [ref, ''] : [ref.slice(0, cut), ref.slice(cut)];
}

/** One URL reference from the backend, rewritten, or unchanged when it is not the backend's. */
export function reverseUrl(value: string, mount: Mount, pub: PublicOrigin): string {
  const { origin, path: targetPath } = mount.backend;
  if (value.length >= origin.length && value.slice(0, origin.length).toLowerCase() === origin) {
    const rest = value.slice(origin.length);
    if (rest !== '' && !/^[/?#]/.test(rest)) return value; // e.g. http://127.0.0.1:30001
    const [path, suffix] = splitSuffix(rest === '' ? '/' : rest);
    const mapped = mapToPublic(path.startsWith('/') ? path : `/${path}`, mount.prefix, targetPath);
    return mapped === undefined ? value : pub.origin + mapped + suffix;
  }
  // An absolute path is only attributable to the backend when its mount point differs.
  if (
    value.startsWith('/') &&
    !value.startsWith('//') &&
    targetPath !== mount.prefix &&
    targetPath !== '/'
  ) {
    const [path, suffix] = splitSuffix(value);
    const mapped = mapToPublic(path, mount.prefix, targetPath);
    return mapped === undefined ? value : mapped + suffix;
  }
  return value;
}

function reverseCookie(cookie: string, mount: Mount, pub: PublicOrigin): string {
  const { backend, prefix } = mount;
  return cookie
    .replace(/(;\s*path=)([^;]*)/i, (whole, lead: string, path: string) => {
      // A cookie scoped to the whole target directory (`/` for a backend mounted at the
      // root) covers the bare prefix too: `/mounted`, not `/mounted/`, which browsers would
      // not send with a request for `/mounted` itself.
      const mapped =
        path.trim() === backend.path && backend.path.endsWith('/')
          ? prefix
          : mapToPublic(path.trim(), prefix, backend.path);
      return mapped === undefined ? whole : lead + mapped;
    })
    .replace(/(;\s*domain=)([^;]*)/i, (whole, lead: string, domain: string) => {
      const bare = domain.trim().replace(/^\./, '').toLowerCase();
      return bare === backend.hostname.toLowerCase() ? lead + pub.hostname : whole;
    });
}

export function reverseHeaders(
  headers: OutgoingHttpHeaders,
  mount: Mount,
  pub: PublicOrigin,
): void {
  for (const name of URL_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') headers[name] = reverseUrl(value, mount, pub);
  }
  const cookies = headers['set-cookie'];
  if (Array.isArray(cookies))
    headers['set-cookie'] = cookies.map((c) => reverseCookie(c, mount, pub));
}
