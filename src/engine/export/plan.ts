/**
 * What every exporter needs to know about a routing file, worked out once: for each
 * listener its sites (one per Host pattern, plus the default), and for each site the
 * routes that can apply, in order, each cut into the path units other servers can match:
 *
 *   prefix /app  → exact /app + subtree /app/     (Switchyard matches on segments)
 *   prefix /app/ → subtree /app/
 *   prefix /     → subtree /
 *
 * A unit already covered by an earlier route's unit can never be reached (first match
 * wins) and is dropped. What remains never overlaps in a way where "first match" and
 * "longest prefix" (nginx) disagree, so each server can use its own matching rule.
 */
import { join } from 'node:path';
import type {
  BalancerConfig,
  ListenerConfig,
  RespondConfig,
  RouteConfig,
  RoutingConfig,
} from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { hasPlaceholder, sampleOf } from '../../shared/route-forms.js';
import { settleConditions, templateOf, type PlanCondition } from './plan-forms.js';
import { joinPath, mapToBackend, prefixBase } from '../paths.js';

export const EXPORT_TARGETS = ['apache', 'nginx', 'caddy', 'haproxy', 'kubernetes'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportOptions {
  /** Switchyard's data folder: where the local CA keeps the leaf certificates. */
  dataDir: string;
  /** The routing file's name, for the header comment. */
  source: string;
}

export interface Unit {
  kind: 'exact' | 'subtree';
  /** `/app` (exact) or `/app/`, `/` (subtree). */
  path: string;
  /** Backend path: for exact the mapped path, for subtree the mapped prefix (ends in /). */
  backend: string;
}

export interface Backend {
  /** As in the routing file: http and https are HTTP/1.1, h2c and h2 are HTTP/2. */
  scheme: 'http' | 'https' | 'h2c' | 'h2';
  /** TLS to the backend (https, h2). */
  secure: boolean;
  /** HTTP/2 to the backend (h2c, h2). */
  http2: boolean;
  /** `127.0.0.1:3000`, default port included. */
  hostport: string;
  hostname: string;
  origin: string;
}

export interface RoutePlan {
  route: RouteConfig;
  /** Position in the routing file (routes[index]). */
  index: number;
  /** Units this route can still be reached by in its site; empty = unreachable. */
  units: Unit[];
  /** The earlier route that makes this one unreachable, when units is empty. */
  hiddenBy?: RouteConfig;
  /** URL target or the balancer's members (every state), in order. */
  backends: Backend[];
  balancer?: BalancerConfig;
  /** Path the route's prefix maps to on the backend. */
  targetPath: string;
  timeoutMs: number;
  hasHeaders: boolean;
  /** What the route does: proxy (to), redirect, or respond (Switchyard answers itself). */
  form: RouteForm;
  /** match.pathRegex (RE2 syntax) and match.ignoreCase. */
  pattern?: { source: string; ignoreCase: boolean };
  /**
   * match.when for this listener: scheme tests are settled here (a listener is http or
   * https), so only host, path and header tests remain.
   */
  conditions: PlanCondition[];
  /** A pattern or conditions remain: the route may decline a path its units cover. */
  conditional: boolean;
  /**
   * Proxy routes with a pattern: the path and query of `to` as written, placeholders
   * included (`/version-$1/$2?v=1`); the backend path is this, filled in (no prefix mapping).
   */
  template?: string;
  /** `query: keep` (the default): the client's query is passed on after the target's own. */
  keepQuery: boolean;
  /** appendRest: the rest of the path after match.path is appended (Apache Redirect). */
  redirect?: { to: string; status: number; appendRest: boolean };
  respond?: RespondConfig;
  /** Why the route can never apply on this listener (units is then empty). */
  unreachable?: string;
}

export type RouteForm = 'proxy' | 'redirect' | 'respond';
export type { PlanCondition, PlanTest } from './plan-forms.js';

export interface SitePlan {
  /** Exact or `*.domain`; undefined for the default site (any other Host). */
  host?: string;
  routes: RoutePlan[];
  /** TLS listeners: the leaf certificate Switchyard's CA issues for this host. */
  certificate?: { name: string; cert: string; key: string };
}

export interface ListenerPlan {
  listener: ListenerConfig;
  /** sites[0] is the default site. */
  sites: SitePlan[];
}

export interface ExportPlan {
  listeners: ListenerPlan[];
  balancers: BalancerConfig[];
  /** Every balancer of the routing file, for the balancers page (respond.page). */
  allBalancers: BalancerConfig[];
  access: string[];
  options: ExportOptions;
}

const SCHEMES = { 'http:': 'http', 'https:': 'https', 'h2c:': 'h2c', 'h2:': 'h2' } as const;

function backendOf(url: string): Backend {
  const u = new URL(url);
  const scheme = SCHEMES[u.protocol as keyof typeof SCHEMES] ?? 'http';
  const secure = scheme === 'https' || scheme === 'h2';
  const port = u.port || (secure ? '443' : '80');
  const hostname = u.hostname;
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return {
    scheme,
    secure,
    http2: scheme === 'h2c' || scheme === 'h2',
    hostport: `${host}:${port}`,
    hostname: hostname.replace(/^\[|\]$/g, ''),
    // (h2c and h2 are not special schemes to the URL parser: it gives them no origin.)
    origin: scheme === 'http' || scheme === 'https' ? u.origin : `${scheme}://${u.host}`,
  };
}

/** Every backend URL the plan sends to: routes' targets and balancer members. */
export function backendUrls(plan: Pick<ExportPlan, 'listeners' | 'balancers'>): Backend[] {
  return [
    ...plan.listeners.flatMap((l) => l.sites.flatMap((s) => s.routes.flatMap((r) => r.backends))),
    ...plan.balancers.flatMap((b) => b.members.map((m) => backendOf(m.url))),
  ];
}

function unitsOf(prefix: string, targetPath: string): Unit[] {
  const subtreePath = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const subtree: Unit = {
    kind: 'subtree',
    path: subtreePath,
    backend: mapToBackend(subtreePath, prefix, targetPath),
  };
  if (prefix.endsWith('/')) return [subtree];
  return [
    { kind: 'exact', path: prefix, backend: mapToBackend(prefix, prefix, targetPath) },
    subtree,
  ];
}

function coversUnit(a: Unit, b: Unit): boolean {
  return a.kind === 'subtree' ? b.path.startsWith(a.path) : b.kind === 'exact' && a.path === b.path;
}

/** Does a route's host pattern apply to every request of a site with this host? */
function hostApplies(pattern: string | undefined, site: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (site === undefined) return false;
  if (pattern === site) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  const name = site.startsWith('*.') ? site.slice(1) : site;
  return name.endsWith(suffix) && name.length > suffix.length;
}

function certificateFor(host: string | undefined, dataDir: string): SitePlan['certificate'] {
  // Switchyard's CA issues exact-name leaves; a wildcard site needs a wildcard leaf.
  const name = (host ?? 'localhost').replace(/^\*\./, '_wildcard.');
  const dir = join(dataDir, 'ca', 'leaves');
  return {
    name: host ?? 'localhost',
    cert: join(dir, `${name}.pem`),
    key: join(dir, `${name}-key.pem`),
  };
}

function routePlans(config: RoutingConfig, routes: RouteConfig[], secure: boolean): RoutePlan[] {
  const earlier: { unit: Unit; route: RouteConfig }[] = [];
  return routes.map((route) => {
    const settled = settleConditions(route.match.when ?? [], secure);
    const to = route.to === undefined ? undefined : new URL(sampleOf(route.to));
    let backends: Backend[];
    let targetPath: string;
    let balancer: BalancerConfig | undefined;
    if (to === undefined) {
      backends = [];
      targetPath = '/';
    } else if (to.protocol === 'balancer:') {
      balancer = config.balancers.find((b) => b.name === to.hostname);
      backends = (balancer?.members ?? []).map((m) => backendOf(m.url));
      // Members' own paths come first (as the engine joins them); exporters take the
      // first member's, and say so when members differ.
      const memberPath = balancer?.members[0] ? new URL(balancer.members[0].url).pathname : '/';
      targetPath = joinPath(prefixBase(memberPath), to.pathname || '/');
    } else {
      backends = [backendOf(to.href)];
      targetPath = to.pathname;
    }
    const all = unitsOf(route.match.path, targetPath);
    const units = settled.never
      ? []
      : all.filter((u) => !earlier.some((e) => coversUnit(e.unit, u)));
    const hiddenBy =
      units.length === 0 && !settled.never
        ? earlier.find((e) => coversUnit(e.unit, all[0] as Unit))?.route
        : undefined;
    // A route with a pattern or conditions may decline a path its prefix covers.
    const conditional = route.match.pathRegex !== undefined || settled.conditions.length > 0;
    if (!conditional && !settled.never) earlier.push(...all.map((unit) => ({ unit, route })));
    const ops = route.headers;
    const form: RouteForm = route.redirect ? 'redirect' : route.respond ? 'respond' : 'proxy';
    const { pathRegex } = route.match;
    return {
      route,
      index: config.routes.indexOf(route),
      units,
      ...(hiddenBy ? { hiddenBy } : {}),
      backends,
      ...(balancer ? { balancer } : {}),
      targetPath,
      timeoutMs: parseDuration(route.timeout) ?? 30_000,
      hasHeaders:
        Object.keys(ops.request.set).length +
          ops.request.remove.length +
          Object.keys(ops.response.set).length +
          ops.response.remove.length >
        0,
      form,
      ...(pathRegex === undefined
        ? {}
        : { pattern: { source: pathRegex, ignoreCase: route.match.ignoreCase ?? false } }),
      conditions: settled.conditions,
      conditional,
      ...(route.to !== undefined && pathRegex !== undefined
        ? { template: templateOf(route.to) }
        : {}),
      keepQuery: route.query !== 'drop',
      ...(route.redirect
        ? {
            redirect: {
              to: route.redirect.to,
              status: route.redirect.status,
              appendRest: pathRegex === undefined && !hasPlaceholder(route.redirect.to),
            },
          }
        : {}),
      ...(route.respond ? { respond: route.respond } : {}),
      ...(settled.never ? { unreachable: settled.never } : {}),
    };
  });
}

export function planExport(config: RoutingConfig, options: ExportOptions): ExportPlan {
  const listeners = config.listeners.map((listener): ListenerPlan => {
    const routes = config.routes.filter(
      (r) => !r.match.listeners || r.match.listeners.includes(listener.name),
    );
    const hosts = [
      ...new Set(routes.map((r) => r.match.host?.toLowerCase()).filter((h) => h !== undefined)),
    ];
    hosts.sort((a, b) => {
      const wa = a.startsWith('*.');
      const wb = b.startsWith('*.');
      // Exact names first, then wildcards from the most specific: the order in which
      // Apache tries them, and what nginx and Caddy prefer too.
      if (wa !== wb) return wa ? 1 : -1;
      return wa ? b.length - a.length : 0;
    });
    const sites = [undefined, ...hosts].map((host): SitePlan => {
      const site: SitePlan = {
        routes: routePlans(
          config,
          routes.filter((r) => hostApplies(r.match.host?.toLowerCase(), host)),
          listener.tls,
        ),
      };
      if (host !== undefined) site.host = host;
      if (listener.tls) site.certificate = certificateFor(host, options.dataDir);
      return site;
    });
    return { listener, sites };
  });
  const used = new Set(
    config.routes
      .flatMap((r) => (r.to === undefined ? [] : [new URL(sampleOf(r.to))]))
      .filter((u) => u.protocol === 'balancer:')
      .map((u) => u.hostname),
  );
  return {
    listeners,
    balancers: config.balancers.filter((b) => used.has(b.name)),
    allBalancers: config.balancers,
    access: config.access.allow,
    options,
  };
}

/** Does any reachable unit of the site catch every path (a `/` route that cannot decline)? */
export function hasCatchAll(site: SitePlan): boolean {
  return site.routes.some(
    (r) => !r.conditional && r.units.some((u) => u.kind === 'subtree' && u.path === '/'),
  );
}

/** Everyone may use the proxy. */
export function allowsEveryone(access: readonly string[]): boolean {
  return access.includes('0.0.0.0/0') && access.includes('::/0');
}

/** `^/app(?:/|$)`-style regular expression text for literal text. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Routes that use a balancer, to size per-balancer settings from its routes. */
export function routesUsing(plan: ExportPlan, balancer: BalancerConfig): RoutePlan[] {
  return plan.listeners
    .flatMap((l) => l.sites.flatMap((s) => s.routes))
    .filter((r) => r.balancer?.name === balancer.name);
}

export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
