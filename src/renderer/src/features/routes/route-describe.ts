/**
 * What a route does and what it matches, in the few words the table, the map and the form
 * show: "redirect 301 → https://…", "answers 404", "~ ^/api/(.*)$", "+2 conditions". One
 * place for these sentences so the three views say the same thing.
 */
import type {
  ConditionConfig,
  RouteConfig,
  SimpleConditionConfig,
} from '../../../../shared/config';

export const ROUTE_ACTIONS = ['proxy', 'redirect', 'respond'] as const;
export type RouteAction = (typeof ROUTE_ACTIONS)[number];

/** The one thing a route does (the schema refuses a route with two). */
export function actionOf(route: Pick<RouteConfig, 'redirect' | 'respond'>): RouteAction {
  if (route.redirect) return 'redirect';
  if (route.respond) return 'respond';
  return 'proxy';
}

/** A route's action in a few words; a proxy route's is its target as written. */
export function describeAction(route: RouteConfig): string {
  if (route.redirect) return `redirect ${route.redirect.status} → ${route.redirect.to}`;
  if (route.respond) {
    return route.respond.page === 'balancers'
      ? 'balancers view'
      : `answers ${route.respond.status}`;
  }
  return route.to ?? 'nothing';
}

/**
 * Backend schemes as Apache's mod_proxy names them (config.ts BACKEND_PROTOCOLS): the
 * scheme picks the protocol Switchyard speaks to the backend.
 */
export const BACKEND_SCHEMES = [
  { scheme: 'http', label: 'http', meaning: 'HTTP/1.1 in clear text' },
  { scheme: 'https', label: 'https', meaning: 'HTTP/1.1 over TLS' },
  { scheme: 'h2c', label: 'h2c', meaning: 'HTTP/2 in clear text (prior knowledge), as gRPC uses' },
  { scheme: 'h2', label: 'h2', meaning: 'HTTP/2 over TLS' },
] as const;
export type BackendScheme = (typeof BACKEND_SCHEMES)[number]['scheme'];

/** The scheme a URL is written with (`h2c` of `h2c://…`), lower-cased; undefined without one. */
export function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1]?.toLowerCase();
}

/** `url` with its scheme replaced (or added in front when it has none). */
export function withScheme(url: string, scheme: string): string {
  const text = url.trim();
  return schemeOf(text) === undefined
    ? `${scheme}://${text.replace(/^\/+/, '')}`
    : text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, `${scheme}://`);
}

/** "HTTP/2 (h2c)" for an HTTP/2 backend; undefined for HTTP/1.1, which needs no mention. */
export function http2Label(url: string): string | undefined {
  const scheme = schemeOf(url);
  return scheme === 'h2c' || scheme === 'h2' ? `HTTP/2 (${scheme})` : undefined;
}

/** The path pattern as a badge: `~ ^/api/(.*)$`, with ` (ignore case)` when it ignores case. */
export function patternBadge(match: RouteConfig['match']): string | undefined {
  if (match.pathRegex === undefined) return undefined;
  return `~ ${match.pathRegex}${match.ignoreCase ? ' (ignore case)' : ''}`;
}

/** `+2 conditions`; undefined without any. */
export function conditionsBadge(match: RouteConfig['match']): string | undefined {
  const n = match.when?.length ?? 0;
  return n === 0 ? undefined : `+${n} condition${n === 1 ? '' : 's'}`;
}

function describeSimple(c: SimpleConditionConfig): string {
  const test = c.matches === undefined ? `= ${JSON.stringify(c.equals ?? '')}` : `~ ${c.matches}`;
  return `${c.not ? 'not ' : ''}${c.on} ${test}${c.ignoreCase ? ' (ignore case)' : ''}`;
}

/** One condition in words: `header:X-Tenant ~ ^gold$`, `not scheme = "https"`, `any of (…)`. */
export function describeCondition(c: ConditionConfig): string {
  if (c.anyOf) return `any of (${c.anyOf.map(describeSimple).join(' | ')})`;
  return describeSimple({ ...c, on: c.on ?? '?' });
}

/** Host and path prefix, then the pattern and conditions when there are any. */
export function describeMatch(route: RouteConfig): string {
  const parts = [`${route.match.host ?? '*'}${route.match.path}`];
  const pattern = patternBadge(route.match);
  if (pattern) parts.push(pattern);
  const conditions = conditionsBadge(route.match);
  if (conditions) parts.push(conditions);
  return parts.join(' ');
}
