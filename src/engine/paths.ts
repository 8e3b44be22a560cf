/**
 * Request-target handling shared by routing and forwarding: dot-segment removal (so
 * `/app/../admin` cannot escape a route), prefix matching on segment boundaries, and the
 * ProxyPass mapping from a public path to a backend path and back (ProxyPassReverse).
 * `//` and percent-encoded characters are passed through unchanged, except encoded
 * slashes, which the route decides about (see `hasEncodedSlash`).
 */

export interface RequestTarget {
  path: string;
  /** Including the leading `?`, or empty. */
  query: string;
}

/** Split an origin-form request target; undefined for any other form (absolute, `*`). */
export function splitRequestTarget(url: string): RequestTarget | undefined {
  if (!url.startsWith('/')) return undefined;
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  const hash = rawPath.indexOf('#');
  return { path: removeDotSegments(hash === -1 ? rawPath : rawPath.slice(0, hash)), query };
}

const ENCODED_SLASH = /%(2f|5c)/i;

/**
 * `%2F` (and `%5C`, which Windows servers read as a separator) in a path: a backend that
 * decodes before it normalises reads `/app/..%2fsecret` as `/secret`, outside the route.
 */
export function hasEncodedSlash(path: string): boolean {
  return ENCODED_SLASH.test(path);
}

/** AllowEncodedSlashes On: `%2F` and `%5C` become `/`, and dot segments are removed again. */
export function decodeSlashes(path: string): string {
  return removeDotSegments(path.replace(/%(2f|5c)/gi, '/'));
}

/**
 * A path segment that only a `;`-parameter keeps from being `.` or `..` (`/app/..;/x`):
 * servlet containers drop the parameter and step out of the route.
 */
export function hasParameterisedDotSegment(path: string): boolean {
  return /\/(\.|%2e){1,2};/i.test(path);
}

const DOT = /^(\.|%2e)$/i;
const DOT_DOT = /^(\.|%2e){2}$/i;

/** RFC 3986 §5.2.4, also treating `%2e` as a dot, as browsers and Apache do. */
export function removeDotSegments(path: string): string {
  if (!path.includes('.') && !/%2e/i.test(path)) return path;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (DOT.test(segment)) {
      if (last) out.push('');
    } else if (DOT_DOT.test(segment)) {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/** A route's path prefix without its trailing slash: `/` becomes ``, `/app/` becomes `/app`. */
export function prefixBase(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * `/app` matches `/app`, `/app/` and `/app/x` but not `/application`; a prefix written
 * with a trailing slash (`/app/`) requires it, as Apache's ProxyPass does.
 */
export function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47);
}

/** Append a remainder (empty or starting with `/`) to a base path without doubling a slash. */
export function joinPath(base: string, remainder: string): string {
  if (remainder === '') return base === '' ? '/' : base;
  if (base.endsWith('/')) return base + remainder.slice(1);
  return base + remainder;
}

/**
 * ProxyPass: the part of `path` after the route prefix is appended to the target path.
 * `/app/page.html` under prefix `/app` to target path `/app` gives `/app/page.html`;
 * under prefix `/api` to target `/v1/` it gives `/v1/page.html`.
 */
export function mapToBackend(path: string, prefix: string, targetPath: string): string {
  const remainder = path.slice(prefixBase(prefix).length);
  return joinPath(
    targetPath,
    remainder === '' || remainder.startsWith('/') ? remainder : `/${remainder}`,
  );
}

/** ProxyPassReverse for a path: the inverse of mapToBackend, or undefined when outside it. */
export function mapToPublic(
  backendPath: string,
  prefix: string,
  targetPath: string,
): string | undefined {
  const base = prefixBase(targetPath);
  if (base !== '' && !(backendPath === base || backendPath.startsWith(`${base}/`)))
    return undefined;
  return joinPath(prefixBase(prefix), backendPath.slice(base.length)) || '/';
}
