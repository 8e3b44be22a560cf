/**
 * One site (a listener × Host) worked out for the Gateway API: for each route that can
 * still be reached, the paths its rules must match so that the Gateway API's precedence
 * (Exact path, then the longest PathPrefix, then the most header matches) picks the
 * route Switchyard's first-match-wins picks.
 *
 * - The plan's units already agree with longest-prefix matching: a unit an earlier route
 *   covers is dropped. `/app` → Exact `/app` + PathPrefix `/app/`, and the Gateway API's
 *   PathPrefix is segment-based like Switchyard's (`/app` matches `/app/x`, not
 *   `/application`).
 * - The Gateway API ignores a PathPrefix's trailing slash, so a route written `/app/`
 *   would also catch `/app`. Switchyard sends `/app` to the first route whose prefix takes
 *   it; that route gets an Exact `/app` match (Exact wins), or, when none does, the site
 *   lists the path as unserved.
 * - A route with conditions (header matches) loses to any longer path of a later route,
 *   since header matches only break ties between equal paths; so it is repeated at each
 *   later route's paths inside its prefix, where its header matches then win, as its place
 *   in the file does in Switchyard.
 */
import type { RouteConfig } from '../../shared/config.js';
import { hasPlaceholder } from '../../shared/route-forms.js';
import { mapToBackend, matchesPrefix } from '../paths.js';
import { conditionMatches, fullMatchRegex, type HeaderMatch } from './kubernetes-matches.js';
import type { ListenerPlan, RoutePlan, SitePlan } from './plan.js';

export interface Entry {
  kind: 'exact' | 'subtree' | 'regex';
  /** A path (`/app`, `/app/`) or, for regex, the expression. */
  path: string;
  /** Repeated at a later route's path so that precedence keeps the file's order. */
  hoisted?: boolean;
}

export interface RouteAnalysis {
  r: RoutePlan;
  action: 'proxy' | 'redirect' | 'respond';
  entries: Entry[];
  /** Header matches ORed; `[[]]` when the route has no conditions. */
  alternatives: HeaderMatch[][];
  conditional: boolean;
  /** Backend path (proxy) or Location path (redirect) of a request path; undefined for templates. */
  mapPath?: (path: string) => string;
  notes: string[];
}

export interface SiteAnalysis {
  routes: RouteAnalysis[];
  /** Paths (`/app`) that a PathPrefix `/app/` would catch where Switchyard answers 404. */
  unserved: { path: string; route: RouteAnalysis }[];
  notes: string[];
}

function actionOf(route: RouteConfig): RouteAnalysis['action'] {
  return route.redirect ? 'redirect' : route.respond ? 'respond' : 'proxy';
}

/** The path part of a redirect target as written ('' for `https://host` with none). */
export function redirectTargetPath(to: string): string {
  if (to.startsWith('/')) return to.replace(/[?#].*$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(to)?.[1] ?? '';
}

function mapperOf(r: RoutePlan): RouteAnalysis['mapPath'] {
  const { route } = r;
  const prefix = route.match.path;
  const pattern = route.match.pathRegex !== undefined;
  if (route.redirect) {
    const to = route.redirect.to;
    const base = redirectTargetPath(to);
    if (hasPlaceholder(base) || hasPlaceholder(to.replace(/^[^?]*/, ''))) return undefined;
    // As local-answers.ts: a target with placeholders or on a pattern is used as written;
    // otherwise the rest after the prefix is appended, without doubling a slash.
    if (pattern || hasPlaceholder(to)) return () => base || '/';
    return (path) => {
      const rest = path.slice(prefix.length);
      return (
        (base.endsWith('/') && rest.startsWith('/') ? base + rest.slice(1) : base + rest) || '/'
      );
    };
  }
  if (route.to === undefined) return undefined;
  if (pattern && (hasPlaceholder(route.to) || route.to.includes('?'))) return undefined;
  return (path) => mapToBackend(path, prefix, r.targetPath);
}

function analyseRoute(
  r: RoutePlan,
  listener: ListenerPlan,
  site: SitePlan,
): RouteAnalysis | string {
  const { route } = r;
  const label = `route ${route.name} (routes[${r.index}])`;
  if (r.units.length === 0)
    return r.hiddenBy
      ? `${label}: never reached: route ${r.hiddenBy.name} comes first and covers it.`
      : `${label}: not exported here: it never applies on this listener.`;
  const host = site.host !== undefined && !site.host.startsWith('*.') ? site.host : undefined;
  const conditions = conditionMatches(route.match.when, {
    scheme: listener.listener.tls ? 'https' : 'http',
    ...(host === undefined ? {} : { host }),
  });
  if (conditions.kind === 'never') return `${label}: not exported here: ${conditions.reason}.`;
  if (conditions.kind === 'unsupported')
    return `${label}: left out: ${conditions.reason}. Left out rather than widened, so requests it would not take in Switchyard go to the routes after it.`;
  const notes = [...conditions.notes];
  let entries: Entry[];
  const regex = route.match.pathRegex;
  if (regex !== undefined) {
    entries = [{ kind: 'regex', path: fullMatchRegex(regex, route.match.ignoreCase ?? false) }];
    notes.push(
      `pathRegex ${regex}: a RegularExpression path match, which is implementation-specific (support, dialect, and its precedence among rules); Switchyard uses RE2 and searches, so unanchored ends are padded with .*.`,
    );
    if (route.match.path !== '/')
      notes.push(
        `Switchyard also requires the prefix ${route.match.path}; a rule has one path match, so the expression must imply it.`,
      );
  } else {
    entries = r.units.map((u) => ({ kind: u.kind, path: u.path }));
  }
  const mapPath = mapperOf(r);
  return {
    r,
    action: actionOf(route),
    entries,
    alternatives: conditions.alternatives,
    conditional: conditions.alternatives.some((a) => a.length > 0),
    ...(mapPath ? { mapPath } : {}),
    notes,
  };
}

/** The first route Switchyard takes for `path`, among routes without conditions or pattern. */
function firstTaking(routes: RouteAnalysis[], path: string): RouteAnalysis | undefined {
  for (const a of routes) {
    if (a.conditional || a.entries.some((e) => e.kind === 'regex')) continue;
    if (matchesPrefix(path, a.r.route.match.path)) return a;
  }
  return undefined;
}

/**
 * A route whose conditions turned out to hold on every request here (a scheme test on this
 * listener, a host test on this site) covers what comes after it, as the plan does for
 * routes without conditions: later paths it covers are never reached.
 */
function dropCovered(routes: RouteAnalysis[], notes: string[]): void {
  for (let i = 0; i < routes.length; i++) {
    const a = routes[i] as RouteAnalysis;
    if (a.conditional || a.entries.some((e) => e.kind === 'regex')) continue;
    const prefix = a.r.route.match.path;
    for (let j = routes.length - 1; j > i; j--) {
      const later = routes[j] as RouteAnalysis;
      later.entries = later.entries.filter(
        (e) => e.kind === 'regex' || !matchesPrefix(e.path, prefix),
      );
      if (later.entries.length > 0) continue;
      notes.push(
        `route ${later.r.route.name} (routes[${later.r.index}]): never reached: route ${a.r.route.name} comes first and covers it.`,
      );
      routes.splice(j, 1);
    }
  }
}

export function analyseSite(site: SitePlan, listener: ListenerPlan): SiteAnalysis {
  const notes: string[] = [];
  const routes: RouteAnalysis[] = [];
  for (const r of site.routes) {
    const a = analyseRoute(r, listener, site);
    if (typeof a === 'string') notes.push(a);
    else routes.push(a);
  }
  dropCovered(routes, notes);
  const unserved: SiteAnalysis['unserved'] = [];
  const servesExactly = (path: string) =>
    routes.some(
      (a) => !a.conditional && a.entries.some((e) => e.kind === 'exact' && e.path === path),
    );
  for (const a of routes) {
    for (const e of a.entries) {
      if (e.kind !== 'subtree' || e.path === '/') continue;
      const bare = e.path.slice(0, -1);
      // The route's own Exact (same conditions) or another route's without conditions.
      if (servesExactly(bare) || a.entries.some((o) => o.kind === 'exact' && o.path === bare))
        continue;
      const taker = firstTaking(routes, bare);
      if (taker) taker.entries.push({ kind: 'exact', path: bare });
      else if (!unserved.some((u) => u.path === bare)) unserved.push({ path: bare, route: a });
    }
  }
  routes.forEach((a, i) => {
    if (!a.conditional || a.entries.some((e) => e.kind === 'regex')) return;
    const prefix = a.r.route.match.path;
    for (const later of routes.slice(i + 1)) {
      for (const e of later.entries) {
        if (e.kind === 'regex' || e.hoisted || !matchesPrefix(e.path, prefix)) continue;
        if (a.entries.some((o) => o.kind === e.kind && o.path === e.path)) continue;
        a.entries.push({ kind: e.kind, path: e.path, hoisted: true });
      }
    }
  });
  return { routes, unserved, notes };
}
