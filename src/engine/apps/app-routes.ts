/**
 * What apps add to the configuration the engine runs: for each app, a route for
 * NAME.localhost (on every listener) to a balancer of the instances that serve, named
 * after the host. An app with no serving instance gets a route that answers 503 with a
 * sentence saying why (starting, stopped, crashed), instead of the routing file's
 * fallback or a bare 404.
 *
 * These routes go before the file's own, so a catch-all route cannot hide an app, unless
 * the file routes that very host itself: then the file's route wins and the app's is left
 * out with a warning. They are never written to the routing file: the engine keeps the
 * file's configuration and this overlay apart (engine.ts).
 */
import { appHost } from '../../shared/apps.js';
import {
  balancerSchema,
  routeSchema,
  type BalancerConfig,
  type MemberState,
  type RouteConfig,
  type RoutingConfig,
} from '../../shared/config.js';

export interface AppRouteMember {
  /** http://127.0.0.1:PORT */
  url: string;
  state: MemberState;
}

export interface AppRoute {
  name: string;
  /** Instances that serve now; none → the route answers 503 with `unavailable`. */
  members: AppRouteMember[];
  /** Health-check path (the app's `health`). */
  health?: string;
  /** Why nothing serves, for the 503 page. */
  unavailable: string;
}

export interface AppsOverlay {
  config: RoutingConfig;
  /** Apps whose host the routing file routes itself. */
  shadowed: string[];
}

/** Dev servers compile on first request; a minute of patience before a 504. */
const APP_TIMEOUT = '120s';

function appRoute(app: AppRoute, host: string): RouteConfig {
  const base = { name: host, match: { host, path: '/' } };
  if (app.members.length === 0) {
    return routeSchema.parse({
      ...base,
      respond: { status: 503, body: `${app.unavailable}\n` },
    });
  }
  return routeSchema.parse({
    ...base,
    to: `balancer://${host}/`,
    // The app sees the name it is served at (cookies, redirects, OAuth callbacks).
    preserveHost: true,
    timeout: APP_TIMEOUT,
  });
}

function appBalancer(app: AppRoute, host: string): BalancerConfig {
  return balancerSchema.parse({
    name: host,
    members: app.members.map((m) => ({ url: m.url, state: m.state })),
    // A restarted instance is on a new port; a member in error is retried soon.
    retry: '5s',
    ...(app.health === undefined
      ? {}
      : { healthCheck: { path: app.health, interval: '5s', timeout: '2s' } }),
  });
}

/** The configuration with every app's route and balancer added. */
export function withAppRoutes(config: RoutingConfig, apps: readonly AppRoute[]): AppsOverlay {
  const routedHosts = new Set(config.routes.flatMap((r) => (r.match.host ? [r.match.host] : [])));
  const shadowed: string[] = [];
  const routes: RouteConfig[] = [];
  const balancers: BalancerConfig[] = [];
  const taken = new Set([
    ...config.routes.map((r) => r.name),
    ...config.balancers.map((b) => b.name),
  ]);
  for (const app of apps) {
    const host = appHost(app.name);
    if (routedHosts.has(host) || taken.has(host)) {
      shadowed.push(app.name);
      continue;
    }
    routes.push(appRoute(app, host));
    if (app.members.length > 0) balancers.push(appBalancer(app, host));
  }
  if (routes.length === 0) return { config, shadowed };
  return {
    config: {
      ...config,
      routes: [...routes, ...config.routes],
      balancers: [...config.balancers, ...balancers],
    },
    shadowed,
  };
}
