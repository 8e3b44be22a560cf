/**
 * The route forms of src/shared/route-forms.ts as exporters need them: scheme tests settled
 * per listener (a listener is either http or https, so `on: scheme` is known when the
 * configuration is written), targets cut into literal text and placeholders each server
 * spells its own way, and the regular expressions for a route's prefix.
 */
import type {
  BalancerConfig,
  ConditionConfig,
  SimpleConditionConfig,
} from '../../shared/config.js';
import { TEMPLATE_PATTERN, compilePattern } from '../../shared/route-forms.js';

/** A condition's test on host, path or a header (scheme tests never reach exporters). */
export interface PlanTest {
  /** `host`, `path` or `header:NAME`. */
  on: string;
  matches?: string;
  equals?: string;
  ignoreCase: boolean;
  not: boolean;
}

/** All of a route's conditions must hold; `any` holds when one of its tests does. */
export type PlanCondition = { kind: 'test'; test: PlanTest } | { kind: 'any'; tests: PlanTest[] };

function testOf(c: SimpleConditionConfig): PlanTest {
  return {
    on: c.on,
    ...(c.matches === undefined ? {} : { matches: c.matches }),
    ...(c.equals === undefined ? {} : { equals: c.equals }),
    ignoreCase: c.ignoreCase,
    not: c.not,
  };
}

/** Does a scheme test hold on a listener? (The engine's runTest, for a known value.) */
function schemeHolds(t: SimpleConditionConfig, secure: boolean): boolean {
  const value = secure ? 'https' : 'http';
  let hit: boolean;
  if (t.matches !== undefined) {
    const compiled = compilePattern(t.matches, t.ignoreCase);
    hit = 'pattern' in compiled && compiled.pattern.matcher(value).find();
  } else {
    hit = value === (t.ignoreCase ? t.equals?.toLowerCase() : t.equals);
  }
  return hit !== t.not;
}

/**
 * The conditions left on a listener once its scheme is known, or why the route never
 * applies there. (A scheme test that holds by pattern also yields `{{when.N}}` groups in
 * the engine; settled away here, those groups are empty — `http` or `https` is rarely
 * worth capturing.)
 */
export function settleConditions(
  list: readonly ConditionConfig[],
  secure: boolean,
): { conditions: PlanCondition[]; never?: string } {
  const conditions: PlanCondition[] = [];
  const scheme = secure ? 'https' : 'http';
  for (const c of list) {
    if (c.anyOf === undefined) {
      const test = c as SimpleConditionConfig;
      if (test.on !== 'scheme') conditions.push({ kind: 'test', test: testOf(test) });
      else if (!schemeHolds(test, secure))
        return { conditions, never: `its scheme condition never holds on this ${scheme} listener` };
      continue;
    }
    const tests: PlanTest[] = [];
    let holds = false;
    for (const t of c.anyOf) {
      if (t.on !== 'scheme') tests.push(testOf(t));
      else if (schemeHolds(t, secure)) {
        holds = true;
        break;
      }
    }
    // (When one holds, an earlier test may still hold first and yield groups; the condition
    // itself always holds, so it is left out.)
    if (holds) continue;
    if (tests.length === 0)
      return { conditions, never: `its anyOf never holds on this ${scheme} listener` };
    conditions.push(
      tests.length === 1 ? { kind: 'test', test: tests[0] as PlanTest } : { kind: 'any', tests },
    );
  }
  return { conditions };
}

/** `http://b:1/api/$1?x` → `/api/$1?x`: a target's path and query as written. */
export function templateOf(to: string): string {
  const start = to.indexOf('//') + 2;
  const end = to.slice(start).search(/[/?]/);
  if (end === -1) return '/';
  const rest = to.slice(start + end);
  return rest.startsWith('?') ? `/${rest}` : rest;
}

export type RequestField = 'host' | 'authority' | 'path' | 'query' | 'scheme';

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'group'; n: number }
  | { kind: 'when'; n: number }
  | { kind: 'request'; field: RequestField }
  | { kind: 'header'; name: string };

/** A target, redirect or body cut into literal text and placeholders. */
export function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const m of template.matchAll(TEMPLATE_PATTERN)) {
    if (m.index > at) parts.push({ kind: 'text', text: template.slice(at, m.index) });
    at = m.index + m[0].length;
    const [, group, name = ''] = m;
    if (group !== undefined) parts.push({ kind: 'group', n: Number(group) });
    else if (name.startsWith('when.')) parts.push({ kind: 'when', n: Number(name.slice(5)) });
    else if (name.startsWith('request.header.'))
      parts.push({ kind: 'header', name: name.slice('request.header.'.length) });
    else parts.push({ kind: 'request', field: name.slice('request.'.length) as RequestField });
  }
  if (at < template.length) parts.push({ kind: 'text', text: template.slice(at) });
  return parts;
}

/** The template spelled for a server: literal text and each placeholder its own way. */
export function spell(
  template: string,
  text: (literal: string) => string,
  placeholder: (part: Exclude<TemplatePart, { kind: 'text' }>) => string,
): string {
  return templateParts(template)
    .map((p) => (p.kind === 'text' ? text(p.text) : placeholder(p)))
    .join('');
}

/** Does the template use `{{when.N}}`? */
export function usesWhen(template: string): boolean {
  return templateParts(template).some((p) => p.kind === 'when');
}

/** `^/app(?:/|$)`: a route prefix on segment boundaries, as regular expression text. */
export function prefixRegex(prefix: string, escape: (text: string) => string): string {
  if (prefix === '/') return '^/';
  if (prefix.endsWith('/')) return `^${escape(prefix)}`;
  return `^${escape(prefix)}(?:/|$)`;
}

/**
 * A prefix route's path mapping (ProxyPass) as a regular expression and a target path
 * using its group 1: `/api` → `/v1/` gives `^/api(?:/(.*))?$` → `/v1/$1`.
 */
export function mapRegex(
  prefix: string,
  targetPath: string,
  escape: (text: string) => string,
): [string, string] {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (prefix.endsWith('/'))
    return [
      `^${escape(base)}/(.*)$`,
      `${targetPath.endsWith('/') ? targetPath : `${targetPath}/`}$1`,
    ];
  if (targetPath.endsWith('/')) return [`^${escape(base)}(?:/(.*))?$`, `${targetPath}$1`];
  return [`^${escape(base)}(/.*)?$`, `${targetPath}$1`];
}

/**
 * A redirect that appends the rest of the path (Apache Redirect): a regular expression
 * whose group 1 is what the engine appends to the target (`/old` → `http://new/` gives
 * `http://new/a` for `/old/a`, one slash where both have one).
 */
export function restRegex(prefix: string, to: string, escape: (text: string) => string): string {
  if (prefix === '/') return '^/(.*)$';
  if (prefix.endsWith('/')) return `^${escape(prefix)}(.*)$`;
  return to.endsWith('/') ? `^${escape(prefix)}(?:/(.*))?$` : `^${escape(prefix)}(/.*)?$`;
}

/**
 * Which condition's groups `{{when.N}}` reads when that is known before the request: the
 * last plain condition that matches by pattern (it must hold, so it matched). 'dynamic'
 * when an anyOf with a pattern test comes after it: which of its tests held decides.
 */
export function lastCapture(conditions: readonly PlanCondition[]): number | 'none' | 'dynamic' {
  let last: number | 'none' | 'dynamic' = 'none';
  conditions.forEach((c, i) => {
    if (c.kind === 'test') {
      if (c.test.matches !== undefined && !c.test.not) last = i;
    } else if (c.tests.some((t) => t.matches !== undefined && !t.not)) last = 'dynamic';
  });
  return last;
}

/** The header name of a `header:NAME` test, or undefined for host and path. */
export function headerOf(on: string): string | undefined {
  return on.startsWith('header:') ? on.slice('header:'.length) : undefined;
}

/** One line saying what a route does, for the comment above it in an export. */
export function describeRoute(r: {
  route: {
    match: { path: string; pathRegex?: string | undefined; when?: unknown[] | undefined };
    to?: string | undefined;
    redirect?: { to: string; status: number } | undefined;
    respond?: { status: number; page?: string | undefined } | undefined;
  };
}): string {
  const { match, to, redirect, respond } = r.route;
  const from = `${match.path}${match.pathRegex === undefined ? '' : ` ~ ${match.pathRegex}`}${match.when?.length ? ` when …` : ''}`;
  if (redirect) return `${from} → redirect ${redirect.status} ${redirect.to}`;
  if (respond)
    return `${from} → ${respond.page ? `${respond.page} page` : `respond ${respond.status}`}`;
  return `${from} → ${to ?? ''}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The balancers page (respond.page) for servers without Apache's balancer-manager: the
 * balancers and members as configured at export time, on one line (no live statistics).
 */
export function staticBalancersPage(balancers: readonly BalancerConfig[]): string {
  const sections = balancers.map((b) => {
    const rows = b.members
      .map(
        (m) =>
          `<tr><td>${escapeHtml(m.url)}</td><td>${escapeHtml(m.route ?? '')}</td><td>${m.loadFactor}</td><td>${m.state}</td></tr>`,
      )
      .join('');
    return `<h2>balancer://${escapeHtml(b.name)}</h2><p>Method ${b.method}</p><table><tr><th>Member</th><th>Route</th><th>Factor</th><th>State</th></tr>${rows}</table>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Balancers</title></head><body><h1>Balancers</h1><p>As configured when this file was exported from Switchyard; no live statistics.</p>${sections.join('') || '<p>No balancers are configured.</p>'}</body></html>`;
}
