/**
 * The router: ordered routes compiled once per configuration, matched per request.
 * First match wins. A route matches on host (exact, or `*.shop.test` for any subdomain),
 * on a path prefix at a segment boundary, and optionally on the listener it arrived on.
 */
import type { EncodedSlashes, HeaderOps, RouteConfig, RoutingConfig } from '../shared/config.js';
import { parseDuration } from '../shared/duration.js';
import { matchesPrefix } from './paths.js';

export interface CompiledHeaderOps {
  /** Lowercased names with their values. */
  set: [string, string][];
  remove: string[];
}

/** A backend URL: a route's single target, or a balancer member. */
export interface UrlTarget {
  kind: 'url';
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** Host header value for the backend (`host:port`, default port omitted). */
  host: string;
  /** Path of the target URL: the ProxyPass base. */
  path: string;
  /** `http://127.0.0.1:3000` — the origin, for reverse mapping and messages. */
  origin: string;
}

/** `to: balancer://NAME/path`: members are chosen per request; `path` is appended to theirs. */
export interface BalancerTarget {
  kind: 'balancer';
  name: string;
  path: string;
  /** `balancer://cluster`, for messages. */
  origin: string;
}

export interface CompiledRoute {
  name: string;
  index: number;
  host?: { exact: string } | { suffix: string };
  prefix: string;
  listeners?: ReadonlySet<string>;
  target: UrlTarget | BalancerTarget;
  preserveHost: boolean;
  reverse: boolean;
  websocket: boolean;
  timeoutMs: number;
  /** Verify https backends' certificates (SSLProxyVerify require). */
  tlsVerify: boolean;
  /** Paths with %2F or %5C: undefined refuses them (AllowEncodedSlashes Off). */
  encodedSlashes?: EncodedSlashes;
  requestHeaders: CompiledHeaderOps;
  responseHeaders: CompiledHeaderOps;
}

function compileHeaderOps(ops: HeaderOps): CompiledHeaderOps {
  return {
    set: Object.entries(ops.set).map(([k, v]) => [k.toLowerCase(), v]),
    remove: ops.remove.map((k) => k.toLowerCase()),
  };
}

export function compileUrlTarget(text: string): UrlTarget {
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`'${text}' is not an http(s) URL`);
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    kind: 'url',
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port,
    host: url.host,
    path: url.pathname,
    origin: url.origin,
  };
}

function compileTarget(text: string): UrlTarget | BalancerTarget {
  const url = new URL(text);
  if (url.protocol !== 'balancer:') return compileUrlTarget(text);
  return {
    kind: 'balancer',
    name: url.hostname,
    path: url.pathname || '/',
    origin: `balancer://${url.hostname}`,
  };
}

function compileRoute(route: RouteConfig, index: number): CompiledRoute {
  const host = route.match.host?.toLowerCase();
  return {
    name: route.name,
    index,
    ...(host === undefined
      ? {}
      : { host: host.startsWith('*.') ? { suffix: host.slice(1) } : { exact: host } }),
    prefix: route.match.path,
    ...(route.match.listeners ? { listeners: new Set(route.match.listeners) } : {}),
    target: compileTarget(route.to),
    preserveHost: route.preserveHost,
    reverse: route.reverse,
    websocket: route.websocket,
    timeoutMs: parseDuration(route.timeout) ?? 30_000,
    tlsVerify: route.tlsVerify,
    ...(route.encodedSlashes === undefined ? {} : { encodedSlashes: route.encodedSlashes }),
    requestHeaders: compileHeaderOps(route.headers.request),
    responseHeaders: compileHeaderOps(route.headers.response),
  };
}

/** Lowercased hostname of a Host header value, without port or trailing dot. */
export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  let host = hostHeader;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end === -1 ? host : host.slice(1, end);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

export class Router {
  readonly routes: readonly CompiledRoute[];

  constructor(config: RoutingConfig) {
    this.routes = config.routes.map(compileRoute);
  }

  match(listener: string, hostname: string, path: string): CompiledRoute | undefined {
    for (const route of this.routes) {
      if (route.listeners && !route.listeners.has(listener)) continue;
      if (route.host) {
        if ('exact' in route.host) {
          if (hostname !== route.host.exact) continue;
        } else if (!(
          hostname.endsWith(route.host.suffix) && hostname.length > route.host.suffix.length
        )) {
          continue;
        }
      }
      if (matchesPrefix(path, route.prefix)) return route;
    }
    return undefined;
  }
}
