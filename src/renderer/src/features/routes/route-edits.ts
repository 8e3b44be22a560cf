/**
 * Edits of the routes list as pure functions of a configuration: the store records each
 * result as one undo step, and tests check them without mounting anything.
 */
import type { RouteConfig, RoutingConfig } from '../../../../shared/config';

/** A deep copy of configuration data (plain JSON by contract: it crosses IPC and WebSocket). */
export function cloneConfig<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `base`, or `base-2`, `base-3`… whichever no route has yet. */
export function uniqueRouteName(config: RoutingConfig, base: string): string {
  const taken = new Set(config.routes.map((r) => r.name));
  if (!taken.has(base)) return base;
  const stem = base.replace(/-\d+$/, '');
  for (let n = 2; ; n++) {
    const name = `${stem}-${n}`.slice(-63);
    if (!taken.has(name)) return name;
  }
}

/** A new route with every field at the routing file's default, ready for the form. */
export function blankRoute(config: RoutingConfig): RouteConfig {
  return {
    name: uniqueRouteName(config, 'route'),
    match: { path: '/' },
    to: 'http://127.0.0.1:3000/',
    preserveHost: false,
    reverse: true,
    websocket: true,
    timeout: '30s',
    tlsVerify: true,
    headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
  };
}

export function withRoute(config: RoutingConfig, index: number, route: RouteConfig): RoutingConfig {
  const next = cloneConfig(config);
  if (index >= next.routes.length) next.routes.push(cloneConfig(route));
  else next.routes[index] = cloneConfig(route);
  return next;
}

/** Insert `route` at `index` (the end when omitted). */
export function insertRoute(
  config: RoutingConfig,
  route: RouteConfig,
  index?: number,
): RoutingConfig {
  const next = cloneConfig(config);
  next.routes.splice(index ?? next.routes.length, 0, cloneConfig(route));
  return next;
}

/** A copy of the route right after it, under a new name (first match wins, so order matters). */
export function duplicateRoute(config: RoutingConfig, index: number): RoutingConfig {
  const original = config.routes[index];
  if (!original) return config;
  const copy = { ...cloneConfig(original), name: uniqueRouteName(config, `${original.name}-copy`) };
  return insertRoute(config, copy, index + 1);
}

export function deleteRoute(config: RoutingConfig, index: number): RoutingConfig {
  const next = cloneConfig(config);
  next.routes.splice(index, 1);
  return next;
}

/** Move the route at `from` so that it ends up at position `to`. */
export function moveRoute(config: RoutingConfig, from: number, to: number): RoutingConfig {
  const last = config.routes.length - 1;
  const target = Math.max(0, Math.min(last, to));
  if (from === target || from < 0 || from > last) return config;
  const next = cloneConfig(config);
  const [route] = next.routes.splice(from, 1);
  if (route) next.routes.splice(target, 0, route);
  return next;
}

/** The balancer a route sends to, when its target is `balancer://NAME/`. */
export function balancerOf(route: Pick<RouteConfig, 'to'>): string | undefined {
  const match = /^balancer:\/\/([^/]+)/i.exec(route.to ?? '');
  return match?.[1];
}

/** Names of the listeners a route serves: those it names, or all of them. */
export function routeListeners(config: RoutingConfig, route: RouteConfig): string[] {
  return route.match.listeners ?? config.listeners.map((l) => l.name);
}

/** Key order does not matter when comparing configurations: `{a, b}` equals `{b, a}`. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

export function sameConfig(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
