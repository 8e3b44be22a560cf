/**
 * GRPCRoute for a site whose every route is gRPC-shaped: HTTP/2 backends (h2c://, h2://),
 * a path of the form `/`, `/package.Service` or `/package.Service/Method` passed on
 * unchanged, and header conditions only. Such a prefix is a gRPC method match, and
 * GRPCRoute's precedence (longest service, then method, then most headers) agrees with
 * first-match-wins the way longest-prefix does.
 *
 * A whole site, not a route: the Gateway API never merges an HTTPRoute and a GRPCRoute on
 * one listener and host, it accepts only the older of the two. A site that mixes gRPC and
 * other routes stays one HTTPRoute; gRPC is HTTP/2 POST underneath, and the h2c Service
 * port's appProtocol (kubernetes.io/h2c) tells the Gateway to speak HTTP/2 to it.
 */
import { backendRefsFor, type Services } from './kubernetes-backends.js';
import { headerModifier, type NotedRule } from './kubernetes-http.js';
import { dnsLabel, type NameSet } from './kubernetes-names.js';
import type { RouteAnalysis, SiteAnalysis } from './kubernetes-site.js';

const SERVICE = '[A-Za-z_][A-Za-z_0-9]*(?:\\.[A-Za-z_][A-Za-z_0-9]*)*';
const METHOD = '[A-Za-z_][A-Za-z_0-9]*';
const GRPC_PATH = new RegExp(`^/(?:(${SERVICE})(?:/(?:(${METHOD})/?)?)?)?$`);

type MethodMatch = { service: string; method?: string } | 'any';

function methodOf(path: string): MethodMatch | undefined {
  if (path === '/') return 'any';
  const m = GRPC_PATH.exec(path);
  if (!m?.[1]) return undefined;
  return m[2] === undefined ? { service: m[1] } : { service: m[1], method: m[2] };
}

function grpcShaped(a: RouteAnalysis): boolean {
  const map = a.mapPath;
  return (
    a.action === 'proxy' &&
    a.r.backends.length > 0 &&
    a.r.backends.every((b) => b.http2) &&
    map !== undefined &&
    a.entries.every((e) => e.kind !== 'regex' && map(e.path) === e.path && methodOf(e.path))
  );
}

export function isGrpcSite(site: SiteAnalysis): boolean {
  return site.routes.length > 0 && site.unserved.length === 0 && site.routes.every(grpcShaped);
}

function grpcRule(a: RouteAnalysis, services: Services, names: NameSet): NotedRule {
  const { route } = a.r;
  const notes = [
    `route ${route.name} (routes[${a.r.index}]): ${route.match.path} → ${route.to ?? ''}`,
    ...a.notes,
  ];
  const methods = new Map<string, MethodMatch>();
  for (const e of a.entries) {
    const m = methodOf(e.path) as MethodMatch;
    methods.set(JSON.stringify(m), m);
  }
  const list = methods.has('"any"') ? ['any' as const] : [...methods.values()];
  const matches = list.flatMap((m) =>
    a.alternatives.map((headers) => ({
      ...(m === 'any' ? {} : { method: { type: 'Exact', ...m } }),
      ...(headers.length > 0 ? { headers } : {}),
    })),
  );
  const filters: Record<string, unknown>[] = [];
  const request = headerModifier(route.headers.request, 'request', notes);
  if (request) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: request });
  const response = headerModifier(route.headers.response, 'response', notes);
  if (response) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: response });
  const backends = backendRefsFor(a.r, services);
  notes.push(...backends.notes);
  notes.push(
    `timeout ${route.timeout}: GRPCRoute has no timeouts; gRPC deadlines (grpc-timeout) still apply end to end.`,
  );
  if (!route.preserveHost)
    notes.push(
      'preserveHost false: GRPCRoute cannot rewrite :authority; the backend sees the client’s.',
    );
  const rule = {
    name: names.unique(dnsLabel(route.name)),
    ...(matches.some((m) => Object.keys(m).length > 0) ? { matches: matches.slice(0, 64) } : {}),
    ...(filters.length > 0 ? { filters } : {}),
    backendRefs: backends.refs.map(({ name, port, weight }) => ({
      name,
      port,
      ...(weight === undefined ? {} : { weight }),
    })),
  };
  return { rule, notes: [...new Set(notes)] };
}

export function grpcRules(site: SiteAnalysis, services: Services, names: NameSet): NotedRule[] {
  return site.routes.map((a) => grpcRule(a, services, names));
}
