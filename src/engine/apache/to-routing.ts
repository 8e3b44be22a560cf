/**
 * An Apache configuration's text → a validated routing file (plus, for the YAML import,
 * the lines each part came from). The stages: parse.ts (structure), collect.ts (what the
 * directives say), balancers.ts, addresses.ts (listeners and which virtual hosts serve
 * them), routes.ts (ProxyPass order), then here: routes grouped by listener, named,
 * and checked by the same schema as any routing file.
 */
import {
  routingConfigSchema,
  type RoutingConfig,
  type RoutingConfigInput,
} from '../../shared/config.js';
import { formatPath, type ConfigProblem } from '../config-file.js';
import { applyProxyAccess } from './access.js';
import { planListeners, type ListenerDraft } from './addresses.js';
import { listenerHttp2 } from './protocols.js';
import { certificateName, tlsHostnames } from './tls-names.js';
import { applyStickyCookies, balancerOf, type BalancerResult } from './balancers.js';
import { Collector } from './collect.js';
import { byLine, Findings } from './findings.js';
import type { AccessDraft, ApacheModel, Scope, Source } from './model.js';
import { parseApache } from './parse.js';
import { RouteBuilder, type RouteDraft, type RouteInput } from './routes.js';

/** Where a part of the routing file came from, for the comments of the YAML import. */
export interface Provenance {
  sources: Source[];
  notes: string[];
}

export interface ApacheImport {
  /** The routing file as generated, before defaults: what the YAML import prints. */
  input: RoutingConfigInput;
  config: RoutingConfig;
  /** Keyed by field path: `listeners.0`, `routes.2`, `balancers.0.members.1`, `access`. */
  provenance: Map<string, Provenance>;
  warnings: ConfigProblem[];
}

export type ApacheImportResult =
  { ok: true; value: ApacheImport } | { ok: false; problems: ConfigProblem[] };

function allScopes(model: ApacheModel): Scope[] {
  return [model.main, ...model.vhosts];
}

/** Balancer parameters written on a ProxyPass line belong to the balancer. */
function moveBalancerParams(model: ApacheModel): void {
  for (const scope of allScopes(model)) {
    const passes = [...scope.passes, ...scope.locations.flatMap((l) => (l.pass ? [l.pass] : []))];
    for (const pass of passes) {
      const name = /^balancer:\/\/([^/]+)/i.exec(pass.target ?? '')?.[1];
      const draft = name === undefined ? undefined : model.balancers.get(name.toLowerCase());
      if (!draft) continue;
      for (const [key, value] of pass.params)
        draft.params.push({ key, value, source: pass.source });
    }
  }
}

/** What a route does, for its name when its path says nothing (`/` with a pattern). */
function actionWord(route: RouteInput): string {
  if (route.redirect) return 'redirect';
  if (route.respond) return route.respond.page === 'balancers' ? 'balancer-manager' : 'answer';
  if (route.match?.when?.some((c) => /^header:upgrade$/i.test(c.on ?? ''))) return 'websocket';
  return 'pattern';
}

function routeName(route: RouteInput, used: Set<string>): string {
  const path = route.match?.path ?? '/';
  const host = route.match?.host;
  const formed = route.match?.pathRegex !== undefined || (route.match?.when ?? []).length > 0;
  let slug = path
    .split('/')
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '-');
  if (formed || route.redirect || route.respond)
    slug = slug ? `${slug}-${actionWord(route)}` : actionWord(route);
  const hostPart = host?.replace(/^\*\./, 'any.');
  let base = hostPart ? (slug ? `${hostPart}-${slug}` : hostPart) : slug || 'root';
  base = base.replace(/^[^A-Za-z0-9]+/, '').slice(0, 56) || 'route';
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
  used.add(name);
  return name;
}

function joinAccess(sections: AccessDraft[], findings: Findings): AccessDraft | undefined {
  const [first, ...rest] = sections;
  if (!first) return undefined;
  const key = (a: AccessDraft) => [...a.allow].sort().join(' ');
  const differing = rest.find((s) => key(s) !== key(first));
  if (differing) {
    findings.warn(
      differing.sources[0]?.line,
      'several <Proxy *> sections allow different clients; the routing file has one access list for the whole proxy, so they are joined',
    );
  }
  return {
    allow: [...new Set(sections.flatMap((s) => s.allow))],
    sources: sections.flatMap((s) => s.sources),
  };
}

function reportUnused(model: ApacheModel, builder: RouteBuilder, findings: Findings): void {
  for (const scope of allScopes(model)) {
    const holders = [scope, ...scope.locations];
    for (const r of holders.flatMap((h) => h.reverses)) {
      if (builder.usedReverses.has(r)) continue;
      findings.warn(
        r.source.line,
        `ProxyPassReverse ${r.path} ${r.url}: no route forwards to ${r.url}, so there is nothing to rewrite; ignored`,
      );
    }
    for (const c of holders.flatMap((h) => h.cookies)) {
      if (builder.usedCookies.has(c)) continue;
      findings.warn(
        c.source.line,
        `${c.kind === 'path' ? 'ProxyPassReverseCookiePath' : 'ProxyPassReverseCookieDomain'} ${c.internal} ${c.public}: no route forwards to that backend ${c.kind}; ignored`,
      );
    }
  }
}

/**
 * A route only TLS listeners serve, for a single-label name: it answers the name the
 * certificate carries (`catchall.localhost`, see tls-names.ts), which tlsHostnames warned of.
 */
function localiseTlsHosts(routes: { route: RouteInput }[], listeners: ListenerDraft[]): void {
  for (const { route } of routes) {
    const host = route.match?.host;
    if (!host || !route.match) continue;
    const serving = listeners.filter(
      (l) => route.match?.listeners === undefined || route.match.listeners.includes(l.name),
    );
    if (serving.length > 0 && serving.every((l) => l.tls)) route.match.host = certificateName(host);
  }
}

/** Lists of routes per listener → one list for the file, with match.listeners. */
function groupRoutes(
  listeners: ListenerDraft[],
  lists: RouteDraft[][],
): { route: RouteInput; draft: RouteDraft }[] {
  const groups: { signature: string; names: string[]; drafts: RouteDraft[] }[] = [];
  lists.forEach((drafts, i) => {
    const signature = drafts.map((d) => d.key).join('\n');
    const name = listeners[i]?.name ?? '';
    const group = groups.find((g) => g.signature === signature);
    if (group) group.names.push(name);
    else groups.push({ signature, names: [name], drafts });
  });
  const used = new Set<string>();
  return groups.flatMap((g) =>
    g.drafts.map((draft) => {
      const route: RouteInput = { ...draft.route, match: { ...draft.route.match } };
      if (g.names.length < listeners.length && route.match) route.match.listeners = g.names;
      route.name = routeName(route, used);
      return { route, draft };
    }),
  );
}

function problemsFromSchema(
  issues: { path: PropertyKey[]; message: string }[],
  provenance: Map<string, Provenance>,
  file: string,
): ConfigProblem[] {
  return issues.map((issue) => {
    let line: number | undefined;
    for (let n = issue.path.length; n > 0 && line === undefined; n--) {
      line = provenance.get(issue.path.slice(0, n).join('.'))?.sources[0]?.line;
    }
    const where = formatPath(issue.path);
    const problem: ConfigProblem = {
      file,
      path: '',
      message: `${where ? `${where}: ` : ''}${issue.message}`,
    };
    if (line !== undefined) problem.line = line;
    return problem;
  });
}

export function importApacheText(text: string, file: string): ApacheImportResult {
  const parsed = parseApache(text);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: parsed.problems.map((p) => ({ file, line: p.line, path: '', message: p.message })),
    };
  }
  const findings = new Findings(file);
  for (const w of parsed.warnings) findings.warn(w.line, w.message);
  const { model, accessSections } = new Collector(findings).collect(parsed.directives);
  moveBalancerParams(model);
  const balancers = new Map<string, BalancerResult>();
  for (const [key, draft] of model.balancers) {
    const result = balancerOf(draft, findings);
    if (result) balancers.set(key, result);
  }
  applyStickyCookies(model.stickyCookies, balancers, findings);
  const listeners = planListeners(model, findings);
  if (listeners.length === 0) {
    findings.error(
      undefined,
      'the file has no Listen and no <VirtualHost>, so there is nothing to listen on; add a line such as `Listen 8080`',
    );
  }
  const tlsNames = listeners.map((l) => tlsHostnames(l, model.main, findings));
  const builder = new RouteBuilder(model, balancers, findings);
  const routes = groupRoutes(
    listeners,
    listeners.map((l) => builder.forListener(l)),
  );
  localiseTlsHosts(routes, listeners);
  applyProxyAccess(
    model.proxyAccess,
    routes,
    (name) =>
      [...balancers.values()]
        .find((b) => b.balancer.name === name)
        ?.balancer.members.map((m) => m.url) ?? [],
    findings,
  );
  reportUnused(model, builder, findings);
  const access = joinAccess(accessSections, findings);
  if (findings.errors.length > 0) return { ok: false, problems: byLine(findings.errors) };

  const provenance = new Map<string, Provenance>();
  listeners.forEach((l, i) => {
    const vhostSources = l.scopes.filter((s) => s.kind === 'vhost').map((s) => s.source);
    const sources = [...l.sources, ...vhostSources].filter(
      (s, j, all) => all.findIndex((o) => o.line === s.line) === j,
    );
    provenance.set(`listeners.${i}`, { sources, notes: [] });
  });
  routes.forEach(({ draft }, i) => {
    const sources = draft.sources.filter(
      (s, j, all) => all.findIndex((o) => o.line === s.line) === j,
    );
    provenance.set(`routes.${i}`, { sources, notes: draft.notes });
  });
  [...balancers.values()].forEach((b, i) => {
    provenance.set(`balancers.${i}`, { sources: b.comments.balancer, notes: [] });
    b.comments.members.forEach((sources, j) =>
      provenance.set(`balancers.${i}.members.${j}`, { sources, notes: [] }),
    );
  });
  if (access) provenance.set('access', { sources: access.sources, notes: [] });

  const input: RoutingConfigInput = {
    version: 1,
    listeners: listeners.map((l, i) => {
      const hostnames = tlsNames[i] ?? [];
      return {
        name: l.name,
        port: l.port,
        address: l.address,
        ...(l.tls ? { tls: true } : {}),
        ...(listenerHttp2(l, model.main, findings) ? {} : { http2: false }),
        ...(hostnames.length > 0 ? { hostnames } : {}),
      };
    }),
    ...(access ? { access: { allow: access.allow } } : {}),
    routes: routes.map((r) => r.route),
    ...(balancers.size > 0 ? { balancers: [...balancers.values()].map((b) => b.balancer) } : {}),
  };
  const checked = routingConfigSchema.safeParse(input);
  if (!checked.success) {
    return { ok: false, problems: problemsFromSchema(checked.error.issues, provenance, file) };
  }
  return {
    ok: true,
    value: { input, config: checked.data, provenance, warnings: byLine(findings.warnings) },
  };
}
