/**
 * The engine's side of the route forms in src/shared/route-forms.ts: path patterns and
 * conditions compiled once per configuration (RE2, linear-time), tested per request, and
 * placeholders filled in from what matched.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RE2JS } from 're2js';
import type { ConditionConfig, SimpleConditionConfig } from '../shared/config.js';
import { TEMPLATE_PATTERN, compilePattern } from '../shared/route-forms.js';

/** What a route's pattern and conditions can look at. */
export interface RouteRequest {
  listener: string;
  /** Lowercased hostname, no port. */
  hostname: string;
  /** Host header as sent (or the listener's address when none was). */
  authority: string;
  path: string;
  /** Including the leading `?`, or empty. */
  query: string;
  secure: boolean;
  headers: IncomingHttpHeaders;
}

/** The groups a match captured: the path pattern's ($0…$9) and the last condition's. */
export interface Captures {
  groups: readonly string[];
  when: readonly string[];
}

export const NO_CAPTURES: Captures = { groups: [], when: [] };

interface Test {
  subject: (r: RouteRequest) => string;
  pattern?: RE2JS;
  equals?: string;
  ignoreCase: boolean;
  not: boolean;
}

export type CompiledCondition = { kind: 'test'; test: Test } | { kind: 'any'; tests: Test[] };

export function compilePathPattern(source: string, ignoreCase: boolean): RE2JS {
  const compiled = compilePattern(source, ignoreCase);
  // The schema compiled it already; a failure here is a bug, not a user error.
  if ('error' in compiled) throw new Error(`pattern '${source}' ${compiled.error}`);
  return compiled.pattern;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function subjectOf(on: string): Test['subject'] {
  if (on === 'host') return (r) => r.hostname;
  if (on === 'path') return (r) => r.path;
  if (on === 'scheme') return (r) => (r.secure ? 'https' : 'http');
  const name = on.slice('header:'.length).toLowerCase();
  return (r) => headerValue(r.headers, name);
}

function compileTest(c: SimpleConditionConfig): Test {
  return {
    subject: subjectOf(c.on),
    ...(c.matches === undefined ? {} : { pattern: compilePathPattern(c.matches, c.ignoreCase) }),
    ...(c.equals === undefined ? {} : { equals: c.ignoreCase ? c.equals.toLowerCase() : c.equals }),
    ignoreCase: c.ignoreCase,
    not: c.not,
  };
}

export function compileConditions(
  list: readonly ConditionConfig[] | undefined,
): CompiledCondition[] {
  return (list ?? []).map((c) =>
    c.anyOf
      ? { kind: 'any', tests: c.anyOf.map(compileTest) }
      : { kind: 'test', test: compileTest(c as SimpleConditionConfig) },
  );
}

/** Groups of a pattern's first match in `text`, or undefined when it does not match. */
export function matchGroups(pattern: RE2JS, text: string): string[] | undefined {
  const m = pattern.matcher(text);
  if (!m.find()) return undefined;
  const groups: string[] = [];
  for (let i = 0; i <= pattern.groupCount(); i++) groups.push(m.group(i) ?? '');
  return groups;
}

/** Does the test hold? A pattern that matches (and is not negated) also yields its groups. */
function runTest(t: Test, r: RouteRequest): { holds: boolean; groups?: string[] } {
  const value = t.subject(r);
  if (t.pattern) {
    const groups = matchGroups(t.pattern, value);
    if (t.not) return { holds: groups === undefined };
    return groups === undefined ? { holds: false } : { holds: true, groups };
  }
  const equal = (t.ignoreCase ? value.toLowerCase() : value) === t.equals;
  return { holds: equal !== t.not };
}

/**
 * All conditions hold: the groups of the last one that matched by pattern (Apache's %1…%9
 * come from the last RewriteCond that matched), or undefined when one fails.
 */
export function testConditions(
  conditions: readonly CompiledCondition[],
  r: RouteRequest,
): string[] | undefined {
  let last: string[] = [];
  for (const c of conditions) {
    const tests = c.kind === 'test' ? [c.test] : c.tests;
    let held = false;
    for (const t of tests) {
      const result = runTest(t, r);
      if (!result.holds) continue;
      held = true;
      if (result.groups) last = result.groups;
      break;
    }
    if (!held) return undefined;
  }
  return last;
}

/** The template with its placeholders filled in. Unknown ones were refused at load. */
export function fillTemplate(template: string, captures: Captures, r: RouteRequest): string {
  return template.replace(TEMPLATE_PATTERN, (_, group: string | undefined, name: string) => {
    if (group !== undefined) return captures.groups[Number(group)] ?? '';
    if (name.startsWith('when.')) return captures.when[Number(name.slice(5))] ?? '';
    if (name.startsWith('request.header.'))
      return headerValue(r.headers, name.slice('request.header.'.length).toLowerCase());
    switch (name) {
      case 'request.host':
        return r.hostname;
      case 'request.authority':
        return r.authority;
      case 'request.path':
        return r.path;
      case 'request.query':
        return r.query.slice(1);
      case 'request.scheme':
        return r.secure ? 'https' : 'http';
      default:
        return '';
    }
  });
}

/**
 * A URL's query combined with the client's: the target's own first, then the client's
 * when the route keeps it (RewriteRule [QSA]; with no query of its own the client's
 * passes as it came).
 */
export function combineQuery(url: string, clientQuery: string, keep: boolean): string {
  const q = url.indexOf('?');
  const own = q === -1 ? '' : url.slice(q + 1);
  const client = keep ? clientQuery.slice(1) : '';
  const parts = [own, client].filter((p) => p !== '');
  return `${q === -1 ? url : url.slice(0, q)}${parts.length ? `?${parts.join('&')}` : ''}`;
}
