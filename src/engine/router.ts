/**
 * The router: ordered routes compiled once per configuration, matched per request.
 * First match wins. A route matches on host (exact, or `*.shop.test` for any subdomain),
 * on a path prefix at a segment boundary, optionally on the listener it arrived on, on a
 * path pattern and on conditions (route-forms.ts). It proxies, redirects or answers.
 */
import type { RE2JS } from 're2js';
import type {
  EncodedSlashes,
  HeaderOps,
  RespondConfig,
  RouteConfig,
  RoutingConfig,
} from '../shared/config.js';
import { parseDuration } from '../shared/duration.js';
import { hasPlaceholder } from '../shared/route-forms.js';
import { AccessList } from './access.js';
import { matchesPrefix } from './paths.js';
import {
  compileConditions,
  compilePathPattern,
  matchGroups,
  testConditions,
  type Captures,
  type CompiledCondition,
  type RouteRequest,
} from './route-forms.js';

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

/** What a route does with a request it matched. */
export type RouteAction =
  | {
      kind: 'proxy';
      /** The backend; with `template`, its path is filled in per request. */
      target: UrlTarget | BalancerTarget;
      /** Path and query of `to` with placeholders (`/api/$1?v=2`), for pattern routes. */
      template?: string;
    }
  | {
      kind: 'redirect';
      to: string;
      status: number;
      /** Append the rest of the path after the prefix (Apache Redirect): no pattern, no placeholders. */
      appendRest: boolean;
    }
  | { kind: 'respond'; respond: RespondConfig };

export interface CompiledRoute {
  name: string;
  index: number;
  host?: { exact: string } | { suffix: string };
  prefix: string;
  /** match.pathRegex: the path must match it too; the target is then written in full. */
  pattern?: RE2JS;
  conditions: readonly CompiledCondition[];
  listeners?: ReadonlySet<string>;
  action: RouteAction;
  /** Pass the client's query string on (`query: keep`). */
  keepQuery: boolean;
  /** Clients allowed on this route, in place of the file's access list. */
  access?: AccessList;
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

/** `http://b:1/api/$1?x` → [`http://b:1`, `/api/$1?x`]: the origin never has placeholders. */
function splitOrigin(text: string): [string, string] {
  const start = text.indexOf('//') + 2;
  const end = text.slice(start).search(/[/?]/);
  if (end === -1) return [text, '/'];
  const rest = text.slice(start + end);
  return [text.slice(0, start + end), rest.startsWith('?') ? `/${rest}` : rest];
}

function compileAction(route: RouteConfig): RouteAction {
  if (route.redirect)
    return {
      kind: 'redirect',
      ...route.redirect,
      appendRest: route.match.pathRegex === undefined && !hasPlaceholder(route.redirect.to),
    };
  if (route.respond) return { kind: 'respond', respond: route.respond };
  const to = route.to ?? '';
  if (route.match.pathRegex === undefined || (!hasPlaceholder(to) && !to.includes('?')))
    return { kind: 'proxy', target: compileTarget(to) };
  const [origin, template] = splitOrigin(to);
  return { kind: 'proxy', target: compileTarget(`${origin}/`), template };
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
    ...(route.match.pathRegex === undefined
      ? {}
      : { pattern: compilePathPattern(route.match.pathRegex, route.match.ignoreCase ?? false) }),
    conditions: compileConditions(route.match.when),
    ...(route.match.listeners ? { listeners: new Set(route.match.listeners) } : {}),
    action: compileAction(route),
    keepQuery: route.query !== 'drop',
    ...(route.access ? { access: new AccessList(route.access.allow) } : {}),
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

  /** The first route that matches, with what its pattern and conditions captured. */
  match(r: RouteRequest): { route: CompiledRoute; captures: Captures } | undefined {
    for (const route of this.routes) {
      if (route.listeners && !route.listeners.has(r.listener)) continue;
      if (route.host) {
        if ('exact' in route.host) {
          if (r.hostname !== route.host.exact) continue;
        } else if (!(
          r.hostname.endsWith(route.host.suffix) && r.hostname.length > route.host.suffix.length
        )) {
          continue;
        }
      }
      if (!matchesPrefix(r.path, route.prefix)) continue;
      let groups: string[] = [];
      if (route.pattern) {
        const found = matchGroups(route.pattern, r.path);
        if (!found) continue;
        groups = found;
      }
      if (route.conditions.length === 0) return { route, captures: { groups, when: [] } };
      const when = testConditions(route.conditions, r);
      if (when) return { route, captures: { groups, when } };
    }
    return undefined;
  }
}
