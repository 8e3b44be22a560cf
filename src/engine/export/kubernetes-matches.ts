/**
 * A route's `match.when` conditions as Gateway API header matches.
 *
 * A rule's `matches` are ORed and each match ANDs its path and headers, so conditions
 * become a list of alternatives (an `anyOf` multiplies them). What the Gateway sees the
 * same way on every request of a Gateway listener is decided here instead: `scheme` (HTTP
 * or HTTPS listener) and `host` on a site with one exact Host. What the Gateway API cannot
 * test at all (negation, an absent header, `path` conditions, `host` on a wildcard or
 * default site) makes the route unsupported: the exporter leaves such a route out rather
 * than widen it, since a widened rule catches requests it must not (an imported
 * `RewriteCond %{HTTP_HOST} !^www\.` redirect would loop).
 */
import type { ConditionConfig, SimpleConditionConfig } from '../../shared/config.js';
import { compilePattern } from '../../shared/route-forms.js';
import { escapeRegex } from './plan.js';

export interface HeaderMatch {
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

export type Conditions =
  | { kind: 'ok'; alternatives: HeaderMatch[][]; notes: string[] }
  | { kind: 'never'; reason: string }
  | { kind: 'unsupported'; reason: string };

/** What is the same for every request a Gateway listener gets. */
export interface StaticFacts {
  scheme: 'http' | 'https';
  /** The site's Host when it is one exact name. */
  host?: string;
}

/**
 * Switchyard searches (an unanchored pattern matches anywhere); some implementations match
 * the whole value (Envoy's RE2 full match). `.*` on an unanchored side makes both read the
 * expression the same way.
 */
export function fullMatchRegex(source: string, ignoreCase: boolean): string {
  const lead = source.startsWith('^') ? '' : '.*';
  const trail = /(^|[^\\])\$$/.test(source) ? '' : '.*';
  const body = lead !== '' || trail !== '' ? `(?:${source})` : source;
  return `${ignoreCase ? '(?i)' : ''}${lead}${body}${trail}`;
}

type Test = { kind: 'static'; holds: boolean } | { kind: 'header'; match: HeaderMatch } | string;

function runStatic(c: SimpleConditionConfig, value: string): boolean {
  let holds: boolean;
  if (c.matches !== undefined) {
    const compiled = compilePattern(c.matches, c.ignoreCase);
    holds = 'pattern' in compiled && compiled.pattern.matcher(value).find();
  } else {
    const equals = c.equals ?? '';
    holds = c.ignoreCase ? value.toLowerCase() === equals.toLowerCase() : value === equals;
  }
  return holds !== c.not;
}

function describe(c: SimpleConditionConfig): string {
  const test = c.matches !== undefined ? `matches ${c.matches}` : `equals '${c.equals ?? ''}'`;
  return `${c.not ? 'not ' : ''}${c.on} ${test}${c.ignoreCase ? ' (ignoreCase)' : ''}`;
}

function testOf(c: SimpleConditionConfig, facts: StaticFacts): Test {
  if (c.on === 'scheme') return { kind: 'static', holds: runStatic(c, facts.scheme) };
  if (c.on === 'host') {
    if (facts.host !== undefined) return { kind: 'static', holds: runStatic(c, facts.host) };
    return `condition '${describe(c)}': the Gateway API matches hosts per route, not per rule`;
  }
  if (c.on === 'path')
    return `condition '${describe(c)}': a rule has one path match, which the route's path takes`;
  const name = c.on.slice('header:'.length);
  if (c.not) return `condition '${describe(c)}': header matches cannot be negated`;
  if (c.matches !== undefined)
    return {
      kind: 'header',
      match: { name, type: 'RegularExpression', value: fullMatchRegex(c.matches, c.ignoreCase) },
    };
  const equals = c.equals ?? '';
  if (equals === '')
    return `condition '${describe(c)}': the Gateway API cannot match an absent or empty header`;
  if (c.ignoreCase)
    return {
      kind: 'header',
      match: { name, type: 'RegularExpression', value: `(?i)^${escapeRegex(equals)}$` },
    };
  return { kind: 'header', match: { name, type: 'Exact', value: equals } };
}

/** The alternatives of one condition: [] when it never holds, [[]] when it always does. */
function optionsOf(c: ConditionConfig, facts: StaticFacts): HeaderMatch[][] | string {
  const tests = (c.anyOf ?? [c as SimpleConditionConfig]).map((t) => testOf(t, facts));
  if (tests.some((t) => typeof t !== 'string' && t.kind === 'static' && t.holds)) return [[]];
  const open = tests.filter((t) => typeof t === 'string' || t.kind === 'header');
  const reason = open.find((t): t is string => typeof t === 'string');
  if (reason !== undefined) return reason;
  return open.map((t) => [(t as { match: HeaderMatch }).match]);
}

const MAX_ALTERNATIVES = 16;

export function conditionMatches(
  when: readonly ConditionConfig[] | undefined,
  facts: StaticFacts,
): Conditions {
  let alternatives: HeaderMatch[][] = [[]];
  const notes: string[] = [];
  for (const c of when ?? []) {
    const options = optionsOf(c, facts);
    if (typeof options === 'string') return { kind: 'unsupported', reason: options };
    if (options.length === 0)
      return {
        kind: 'never',
        reason: `its conditions never hold on this ${facts.scheme.toUpperCase()} listener${facts.host ? ` for ${facts.host}` : ''}`,
      };
    alternatives = alternatives.flatMap((a) => options.map((o) => [...a, ...o]));
    if (alternatives.length > MAX_ALTERNATIVES)
      return { kind: 'unsupported', reason: 'its anyOf conditions make too many alternatives' };
  }
  for (const a of alternatives) {
    const names = a.map((m) => m.name.toLowerCase());
    if (new Set(names).size !== names.length)
      return {
        kind: 'unsupported',
        reason: 'two conditions test one header, which a Gateway API match cannot',
      };
  }
  if (alternatives.some((a) => a.some((m) => m.type === 'RegularExpression')))
    notes.push(
      'RegularExpression header matches are implementation-specific (dialect and support vary).',
    );
  return { kind: 'ok', alternatives, notes };
}
