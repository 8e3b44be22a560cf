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

/** How Switchyard talks to a backend: HTTP/1.1 (http, https) or HTTP/2 (h2c, h2). */
export type BackendProtocol = 'http:' | 'https:' | 'h2c:' | 'h2:';

/** A backend URL: a route's single target, or a balancer member. */
export interface UrlTarget {
  kind: 'url';
  protocol: BackendProtocol;
  /** TLS to the backend (https, h2). */
  secure: boolean;
  /** HTTP/2 to the backend (h2c, h2). */
  http2: boolean;
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

function isBackendProtocol(protocol: string): protocol is BackendProtocol {
  return protocol === 'http:' || protocol === 'https:' || protocol === 'h2c:' || protocol === 'h2:';
}

export function compileUrlTarget(text: string): UrlTarget {
  const url = new URL(text);
  const { protocol } = url;
  if (!isBackendProtocol(protocol)) {
    throw new Error(`'${text}' is not an http, https, h2c or h2 URL`);
  }
  const secure = protocol === 'https:' || protocol === 'h2:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  // (h2c and h2 are not special schemes to the URL parser: it gives them no origin.)
  const host = url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
  return {
    kind: 'url',
    protocol,
    secure,
    http2: protocol === 'h2c:' || protocol === 'h2:',
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port,
    host,
    path: url.pathname === '' ? '/' : url.pathname,
    origin: `${protocol}//${host}`,
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
