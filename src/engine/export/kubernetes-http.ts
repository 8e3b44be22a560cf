/**
 * HTTPRoute rules for one site, in the routing file's order (see kubernetes-site.ts for
 * how the Gateway API's precedence is made to pick what first-match-wins picks).
 *
 * Per route: its paths become Exact / PathPrefix / RegularExpression matches (ANDed with
 * its header conditions); ProxyPass path mapping a URLRewrite (ReplaceFullPath for an
 * exact path, ReplacePrefixMatch for a prefix, which the API allows only on a rule with one
 * PathPrefix match, hence one rule per such path); preserveHost false a URLRewrite
 * hostname; header operations RequestHeaderModifier / ResponseHeaderModifier; timeout
 * `timeouts.request`; balancers weighted backendRefs. Redirects are RequestRedirect rules;
 * `respond` routes, which the Gateway API cannot express, rules without backendRefs.
 */
import type { HeaderOps } from '../../shared/config.js';
import { hasPlaceholder } from '../../shared/route-forms.js';
import { backendRefsFor, type Services } from './kubernetes-backends.js';
import { dnsLabel, gatewayDuration, type NameSet } from './kubernetes-names.js';
import type { RouteAnalysis, SiteAnalysis } from './kubernetes-site.js';

export interface NotedRule {
  rule: Record<string, unknown>;
  notes: string[];
}

type PathModifier =
  | { type: 'ReplaceFullPath'; replaceFullPath: string }
  | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string };

interface PathMatch {
  match: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  modifier?: PathModifier;
}

const stripSlash = (p: string): string => (p.endsWith('/') && p !== '/' ? p.slice(0, -1) : p);

/** What the Gateway makes of `path` under PathPrefix `prefix` with ReplacePrefixMatch `to`. */
function replacedPrefix(path: string, prefix: string, to: string): string {
  const rest = path.slice(stripSlash(prefix) === '/' ? 0 : stripSlash(prefix).length);
  const base = stripSlash(to) === '/' ? '' : stripSlash(to);
  return base + (rest.startsWith('/') ? rest : `/${rest}`) || '/';
}

/** An analysis's entries as path matches with their rewrite, exact + prefix pairs merged. */
function pathMatches(a: RouteAnalysis, notes: string[]): PathMatch[] {
  const map = a.mapPath;
  const prefix = a.r.route.match.path;
  const regex = a.entries.find((e) => e.kind === 'regex');
  if (regex) {
    const match = { type: 'RegularExpression' as const, value: regex.path };
    if (a.action === 'redirect' && map)
      return [{ match, modifier: { type: 'ReplaceFullPath', replaceFullPath: map(prefix) } }];
    const sample = `${stripSlash(prefix) === '/' ? '' : stripSlash(prefix)}/x`;
    if (a.action === 'proxy' && map && (map(prefix) !== prefix || map(sample) !== sample))
      notes.push(
        `Switchyard maps ${prefix} to ${map(prefix)} on the backend; a RegularExpression match allows no prefix rewrite, so the backend gets the request path unchanged.`,
      );
    return [{ match }];
  }
  if (!map && a.action !== 'respond')
    notes.push(
      `The target ${a.r.route.to ?? a.r.route.redirect?.to ?? ''} fills in its path per request, which the Gateway API cannot: the path is passed on unchanged.`,
    );
  // `/app` + `/app/` as one PathPrefix `/app` when one ReplacePrefixMatch maps both alike.
  const merged = new Map<string, string>();
  for (const e of a.entries) {
    // Not where another route has an Exact match at the same path (a hoisted entry): there
    // the Exact must stay Exact to keep winning.
    if (
      e.hoisted ||
      e.kind !== 'exact' ||
      !a.entries.some((o) => o.kind === 'subtree' && o.path === `${e.path}/`)
    )
      continue;
    if (!map) {
      merged.set(e.path, e.path);
      continue;
    }
    const sub = map(`${e.path}/`);
    const to = stripSlash(sub) || '/';
    if (sub.endsWith('/') && map(e.path) === to && map(`${e.path}/x`) === `${sub}x`)
      merged.set(e.path, to);
  }
  const out: PathMatch[] = [];
  for (const e of a.entries) {
    const to = map?.(e.path);
    const rewrite = (m: PathModifier): Partial<PathMatch> =>
      to === undefined || to === e.path ? {} : { modifier: m };
    if (e.kind === 'exact') {
      const into = merged.get(e.path);
      if (into !== undefined) {
        out.push({
          match: { type: 'PathPrefix', value: e.path },
          ...(into === e.path || !map
            ? {}
            : { modifier: { type: 'ReplacePrefixMatch', replacePrefixMatch: into } }),
        });
      } else {
        out.push({
          match: { type: 'Exact', value: e.path },
          ...rewrite({ type: 'ReplaceFullPath', replaceFullPath: to ?? '' }),
        });
      }
      continue;
    }
    if (merged.has(e.path.slice(0, -1))) continue;
    const match = { type: 'PathPrefix' as const, value: e.path };
    if (to !== undefined && map && map(`${e.path}x`) === to) {
      // A target used as written: every path under the prefix goes to the same one.
      out.push({ match, ...rewrite({ type: 'ReplaceFullPath', replaceFullPath: to }) });
      continue;
    }
    if (to !== undefined && map && map(`${e.path}x`) !== replacedPrefix(`${e.path}x`, e.path, to))
      notes.push(
        `Under ${e.path} Switchyard makes ${e.path}x into ${map(`${e.path}x`)}; ReplacePrefixMatch gives ${replacedPrefix(`${e.path}x`, e.path, to)} (it keeps a / between the prefix and the rest).`,
      );
    out.push({ match, ...rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: to ?? '' }) });
  }
  return out;
}

export function headerModifier(
  ops: HeaderOps,
  which: string,
  notes: string[],
): Record<string, unknown> | undefined {
  const set = Object.entries(ops.set)
    .filter(([name, value]) => {
      if (value !== '') return true;
      notes.push(
        `${which} header ${name} set to an empty value: the Gateway API needs a value; it is removed instead.`,
      );
      return false;
    })
    .map(([name, value]) => ({ name, value }));
  const remove = [...ops.remove, ...Object.keys(ops.set).filter((n) => ops.set[n] === '')];
  if (set.length > 16 || remove.length > 16)
    notes.push(`Only 16 ${which} headers fit in one filter.`);
  if (set.length === 0 && remove.length === 0) return undefined;
  return {
    ...(set.length > 0 ? { set: set.slice(0, 16) } : {}),
    ...(remove.length > 0 ? { remove: remove.slice(0, 16) } : {}),
  };
}

function redirectFilter(a: RouteAnalysis, notes: string[]): Record<string, unknown> {
  const { redirect, query } = a.r.route;
  if (!redirect) return {};
  const out: Record<string, unknown> = {};
  if (!redirect.to.startsWith('/')) {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(redirect.to)?.[0] ?? '';
    out.scheme = origin.slice(0, origin.indexOf(':')).toLowerCase();
    const authority = origin.slice(origin.indexOf('//') + 2);
    const url = hasPlaceholder(authority) ? undefined : new URL(origin);
    if (url && !url.hostname.includes(':') && !url.hostname.startsWith('[')) {
      out.hostname = url.hostname;
      if (url.port !== '') out.port = Number(url.port);
    } else if (!/^\{\{\s*request\.host\s*\}\}$/.test(authority)) {
      notes.push(
        `The redirect's host ${authority} cannot be expressed; the Gateway keeps the request's.`,
      );
    }
  }
  out.statusCode = redirect.status;
  if (redirect.status !== 301 && redirect.status !== 302)
    notes.push(
      `statusCode ${redirect.status} is Extended support (301 and 302 are Core); an implementation without it rejects the rule (Accepted: False, UnsupportedValue). Use 301/302 there, which let clients turn a POST into a GET.`,
    );
  if (redirect.to.includes('?') || query === 'drop')
    notes.push(
      'The Gateway keeps the request’s query string on redirects; Switchyard’s query handling here cannot be expressed.',
    );
  return out;
}

function ruleFilters(
  a: RouteAnalysis,
  modifier: PathModifier | undefined,
  hostname: string | undefined,
  notes: string[],
): Record<string, unknown>[] {
  const filters: Record<string, unknown>[] = [];
  if (a.action === 'redirect') {
    const requestRedirect = redirectFilter(a, notes);
    if (modifier) requestRedirect.path = modifier;
    return [{ type: 'RequestRedirect', requestRedirect }];
  }
  if (a.action !== 'proxy') return filters;
  const request = headerModifier(a.r.route.headers.request, 'request', notes);
  if (request) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: request });
  const response = headerModifier(a.r.route.headers.response, 'response', notes);
  if (response) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: response });
  if (modifier || hostname)
    filters.push({
      type: 'URLRewrite',
      urlRewrite: { ...(hostname ? { hostname } : {}), ...(modifier ? { path: modifier } : {}) },
    });
  return filters;
}

function routeNotes(a: RouteAnalysis): string[] {
  const { route } = a.r;
  const notes = [
    `route ${route.name} (routes[${a.r.index}]): ${route.match.path}${route.match.pathRegex ? ` ~ ${route.match.pathRegex}` : ''} → ${route.to ?? (route.redirect ? `redirect ${route.redirect.to}` : 'respond')}`,
  ];
  if (route.access)
    notes.push(
      `access.allow [${route.access.allow.join(', ')}] of this route: the Gateway API has no client address rule; an implementation policy (or a separate Gateway with source ranges) must enforce it.`,
    );
  if (a.action === 'respond') {
    const { status, page } = route.respond ?? { status: 404 };
    notes.push(
      `respond ${page === 'balancers' ? 'with the balancers page' : status}: Switchyard answers itself; the Gateway API has no direct response. This rule has no backendRefs, which the API answers with 500, so these paths never reach another route's backend. Implementations offer direct responses as extensions (e.g. an ExtensionRef filter).`,
    );
  }
  if (a.action !== 'proxy') return notes;
  if (route.reverse && (a.r.targetPath !== route.match.path || !route.preserveHost))
    notes.push(
      'reverse (ProxyPassReverse): no Gateway API equivalent; Location and Set-Cookie from the backend pass unchanged.',
    );
  if (!route.websocket)
    notes.push('websocket: false: Gateways pass WebSocket upgrades on HTTPRoutes.');
  if (route.encodedSlashes !== undefined || !route.tlsVerify)
    notes.push(
      `${route.encodedSlashes ? `encodedSlashes ${route.encodedSlashes}` : 'tlsVerify: false'}: no Gateway API equivalent.`,
    );
  if (route.query === 'drop') notes.push('query: drop: a Gateway passes the query string on.');
  if (a.r.backends.some((b) => b.http2))
    notes.push(
      'HTTP/2 backends: the Service port carries appProtocol kubernetes.io/h2c for h2c://.',
    );
  return notes;
}

const ruleNameOf = (names: NameSet, base: string): string => names.unique(base, 63);

/** Rules for one route: one per rewrite, and one per path where ReplacePrefixMatch needs it. */
function routeRules(
  a: RouteAnalysis,
  services: Services,
  names: NameSet,
  base: string,
): NotedRule[] {
  const notes = [...routeNotes(a), ...a.notes];
  const matches = pathMatches(a, notes);
  let refs: Record<string, unknown>[] = [];
  let hostname: string | undefined;
  if (a.action === 'proxy') {
    const b = backendRefsFor(a.r, services);
    notes.push(...b.notes);
    // Host as Switchyard sends it: the backend's name. For a loopback or IP backend that is
    // its Service's name in the cluster. Per-backendRef rewrites (implementation-specific)
    // only where members are DNS names that differ.
    const hosts = [
      ...new Set(b.refsServices.map((s) => (s.kind === 'external' ? s.hostname : s.name))),
    ];
    const perRef =
      !a.r.route.preserveHost &&
      hosts.length > 1 &&
      b.refsServices.every((s) => s.kind === 'external');
    if (!a.r.route.preserveHost && hosts.length === 1) hostname = hosts[0];
    refs = b.refs.map((ref, i) => {
      const s = b.refsServices[i];
      return perRef && s
        ? { ...ref, filters: [{ type: 'URLRewrite', urlRewrite: { hostname: s.hostname } }] }
        : { ...ref };
    });
    if (perRef)
      notes.push(
        'Members have different hosts: each backendRef rewrites Host itself (backendRef filters are implementation-specific).',
      );
    else if (!a.r.route.preserveHost && hosts.length > 1)
      notes.push(
        'preserveHost false: members have different hosts, so Host is left as the client sent it.',
      );
  }
  const groups = new Map<string, PathMatch[]>();
  for (const m of matches) {
    const key =
      m.modifier?.type === 'ReplacePrefixMatch'
        ? `${groups.size}:${JSON.stringify(m)}`
        : JSON.stringify(m.modifier ?? null);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const rules: NotedRule[] = [];
  for (const group of groups.values()) {
    const modifier = group[0]?.modifier;
    const all = group.flatMap((m) =>
      a.alternatives.map((headers) => ({
        path: m.match,
        ...(headers.length > 0 ? { headers } : {}),
      })),
    );
    // ReplacePrefixMatch: exactly one PathPrefix match per rule (a CEL rule of the CRD).
    const chunks = modifier?.type === 'ReplacePrefixMatch' ? all.map((m) => [m]) : chunk(all, 64);
    for (const list of chunks) {
      const filters = ruleFilters(a, modifier, hostname, notes);
      rules.push({
        rule: {
          name: ruleNameOf(names, base),
          matches: list,
          ...(filters.length > 0 ? { filters } : {}),
          ...(refs.length > 0 ? { backendRefs: refs } : {}),
          ...(a.action === 'proxy'
            ? { timeouts: { request: gatewayDuration(a.r.timeoutMs) } }
            : {}),
        },
        notes: [],
      });
    }
  }
  if (rules[0]) rules[0].notes = [...new Set(notes)];
  return rules;
}

export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Every rule of the site, in the routing file's order. */
export function httpRules(site: SiteAnalysis, services: Services, names: NameSet): NotedRule[] {
  const rules: NotedRule[] = [];
  for (const a of site.routes) {
    rules.push(...routeRules(a, services, names, dnsLabel(a.r.route.name)));
    for (const u of site.unserved.filter((x) => x.route === a)) {
      rules.push({
        rule: {
          name: ruleNameOf(names, 'unserved'),
          matches: [{ path: { type: 'Exact', value: u.path } }],
        },
        notes: [
          `${u.path}: no route takes it in Switchyard (404), but PathPrefix ${u.path}/ would (the Gateway API ignores a trailing slash). No backendRefs here: the Gateway answers 500 instead of reaching route ${a.r.route.name}'s backend.`,
        ],
      });
    }
  }
  return rules;
}
