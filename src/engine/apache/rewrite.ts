/**
 * mod_rewrite's proxy subset → route forms (src/shared/route-forms.ts). Read: RewriteEngine,
 * RewriteOptions Inherit, RewriteCond on request headers, the host, the path, the scheme
 * and "no file here" tests, and RewriteRule with back-references and the flags that decide
 * what happens (P, R, F, G, L, END, NC, QSA, QSD, NE). A rule becomes one route: its pattern
 * is match.pathRegex, its conditions match.when, its substitution `to` (P), `redirect` (R,
 * or an absolute URL without flags, which Apache turns into a redirect) or `respond` (F, G).
 *
 * What a route cannot say is left out with a warning at the rule's line: rewriting to a
 * local path (Switchyard serves no files), rules that chain, skip or set variables, a
 * backend host taken from the request (that would be an open proxy), tests on variables
 * a route cannot see (QUERY_STRING, REMOTE_ADDR…), and patterns RE2 refuses.
 */
import type { z } from 'zod';
import { compilePattern, type conditionSchema } from '../../shared/route-forms.js';
import type { Findings } from './findings.js';
import type { Directive } from './parse.js';
import type { RewriteCondRule, RewriteRuleLine, RewriteScope, Scope } from './model.js';

/** A condition as a routing file is written: ignoreCase and not only when set. */
export type Condition = z.input<typeof conditionSchema>;
export type SimpleCondition = NonNullable<Condition['anyOf']>[number];

export function cond(
  on: string,
  test: { matches: string } | { equals: string },
  ignoreCase = false,
  not = false,
): SimpleCondition {
  return { on, ...test, ...(ignoreCase ? { ignoreCase } : {}), ...(not ? { not } : {}) };
}

/** `%{HTTP_…}` variables mod_rewrite reads from request headers. */
const HEADER_VARIABLES: Record<string, string> = {
  HTTP_HOST: 'Host',
  HTTP_USER_AGENT: 'User-Agent',
  HTTP_REFERER: 'Referer',
  HTTP_COOKIE: 'Cookie',
  HTTP_ACCEPT: 'Accept',
  HTTP_FORWARDED: 'Forwarded',
  HTTP_PROXY_CONNECTION: 'Proxy-Connection',
};

/** Variables in a substitution → placeholders. */
function placeholderOf(variable: string): string | undefined {
  const v = variable.toUpperCase();
  if (v.startsWith('HTTP:')) return `{{request.header.${variable.slice(5)}}}`;
  if (v === 'HTTP_HOST') return '{{request.authority}}';
  const header = HEADER_VARIABLES[v];
  if (header) return `{{request.header.${header}}}`;
  return {
    REQUEST_URI: '{{request.path}}',
    SERVER_NAME: '{{request.host}}',
    QUERY_STRING: '{{request.query}}',
    REQUEST_SCHEME: '{{request.scheme}}',
  }[v];
}

/** Reads the Rewrite* directives of one scope into scope.rewrite. */
export function readRewrite(
  d: Directive,
  scope: Scope,
  perDir: string | undefined,
  findings: Findings,
): void {
  if (perDir !== undefined) {
    findings.warn(
      d.line,
      `${d.name} in ${perDir}: per-directory rewriting matches the path without its leading / and runs after ProxyPass has chosen, so it is not imported; move it to the <VirtualHost> (where it matches the path from /)`,
    );
    return;
  }
  const rw: RewriteScope = (scope.rewrite ??= { engine: false, rules: [], pending: [] });
  const source = { line: d.line, text: d.text };
  switch (d.key) {
    case 'rewriteengine': {
      const v = d.args[0]?.toLowerCase();
      if (v !== 'on' && v !== 'off')
        return findings.warn(d.line, 'RewriteEngine needs On or Off; ignored');
      rw.engine = v === 'on';
      return;
    }
    case 'rewriteoptions':
      for (const option of d.args) {
        const o = option.toLowerCase();
        if (o === 'inherit') rw.inherit = 'after';
        else if (o === 'inheritbefore') rw.inherit = 'before';
        else findings.warn(d.line, `RewriteOptions ${option}: not supported; ignored`);
      }
      return;
    case 'rewritecond': {
      const [test, pattern, flags] = d.args;
      if (test === undefined || pattern === undefined || d.args.length > 3)
        return findings.warn(
          d.line,
          'RewriteCond needs a test string, a pattern and optional [flags]; ignored',
        );
      rw.pending.push({ test, pattern, flags: flagWords(flags), source });
      return;
    }
    case 'rewriterule': {
      const [pattern, substitution, flags] = d.args;
      const conditions = rw.pending;
      rw.pending = [];
      if (pattern === undefined || substitution === undefined || d.args.length > 3)
        return findings.warn(
          d.line,
          'RewriteRule needs a pattern, a substitution and optional [flags]; ignored',
        );
      rw.rules.push({ pattern, substitution, flags: flagWords(flags), conditions, source });
      return;
    }
    case 'rewritebase':
      return findings.warn(d.line, 'RewriteBase only applies to per-directory rules; ignored');
    case 'rewritemap':
      return findings.warn(
        d.line,
        'RewriteMap is not supported (rules using ${NAME:…} are left out); ignored',
      );
  }
}

function flagWords(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '');
}

/** The rules of a scope as Apache runs them there, or warnings when RewriteEngine is off. */
export function rulesOf(
  v: Scope,
  main: Scope,
  findings: { warnOnce(line: number, m: string): void },
): RewriteRuleLine[] {
  const own = v.rewrite;
  for (const rw of [own, v === main ? undefined : main.rewrite]) {
    for (const c of rw?.pending ?? [])
      findings.warnOnce(c.source.line, 'RewriteCond with no RewriteRule after it; ignored');
  }
  if (!own) return [];
  if (!own.engine) {
    const first = own.rules[0];
    if (first)
      findings.warnOnce(
        first.source.line,
        `RewriteRule without RewriteEngine On in this ${v === main ? 'server' : 'virtual host'}: Apache ignores its rules (RewriteEngine is not inherited); ignored`,
      );
    return [];
  }
  if (v === main || !own.inherit || !main.rewrite?.engine) return own.rules;
  return own.inherit === 'after'
    ? [...own.rules, ...main.rewrite.rules]
    : [...main.rewrite.rules, ...own.rules];
}

export type Translated<T> = { ok: T } | { never: string } | { error: string };

/** One condition: a route condition, always true (undefined), or why it cannot be read. */
function condition(c: RewriteCondRule): Translated<SimpleCondition | undefined> {
  const ignoreCase = c.flags.includes('nc') || c.flags.includes('nocase');
  let pattern = c.pattern;
  const not = pattern.startsWith('!');
  if (not) pattern = pattern.slice(1);
  // File tests: Switchyard serves no files, so there is never a file or directory here.
  if (/^-[fdsl]$/.test(pattern)) {
    if (!/%\{(REQUEST_FILENAME|SCRIPT_FILENAME|DOCUMENT_ROOT|REQUEST_URI)\}/i.test(c.test))
      return {
        error: `RewriteCond ${c.test} ${c.pattern}: a file test on something other than the requested file`,
      };
    return not
      ? { ok: undefined }
      : {
          never: `RewriteCond ${c.test} ${c.pattern} never holds here: Switchyard serves no files`,
        };
  }
  const variable = /^%\{([A-Za-z_]+(?::[!#$%&'*+.^_`|~0-9A-Za-z-]+)?)\}$/.exec(c.test)?.[1];
  if (variable === undefined)
    return {
      error: `RewriteCond ${c.test}: only one %{VARIABLE} can be tested (HTTP:Header, HTTP_HOST, SERVER_NAME, REQUEST_URI, HTTPS)`,
    };
  if (/^(<|>|<=|>=|-eq|-ne|-lt|-le|-gt|-ge|-[FUhx]$)/.test(pattern))
    return {
      error: `RewriteCond ${c.test} ${c.pattern}: only regular expressions and =text are supported`,
    };
  const equals = pattern.startsWith('=') ? pattern.slice(1).replace(/^""$/, '') : undefined;
  const test = equals === undefined ? { matches: pattern } : { equals };
  if (equals === undefined) {
    const compiled = compilePattern(pattern, ignoreCase);
    if ('error' in compiled) return { error: `RewriteCond pattern '${pattern}' ${compiled.error}` };
  }
  const v = variable.toUpperCase();
  if (v === 'HTTPS') return httpsCondition(c, pattern, equals, ignoreCase, not);
  const on = v.startsWith('HTTP:')
    ? `header:${variable.slice(5)}`
    : HEADER_VARIABLES[v] !== undefined
      ? `header:${HEADER_VARIABLES[v]}`
      : { SERVER_NAME: 'host', REQUEST_URI: 'path', REQUEST_SCHEME: 'scheme' }[v];
  if (on === undefined)
    return {
      error: `RewriteCond %{${variable}}: a route cannot test this variable (HTTP:Header, HTTP_HOST, SERVER_NAME, REQUEST_URI, HTTPS, REQUEST_SCHEME can be)`,
    };
  return { ok: cond(on, test, ignoreCase, not) };
}

/** %{HTTPS} is `on` or `off`: which schemes the test holds for decides the condition. */
function httpsCondition(
  c: RewriteCondRule,
  pattern: string,
  equals: string | undefined,
  ignoreCase: boolean,
  not: boolean,
): Translated<SimpleCondition | undefined> {
  const holds = (value: string): boolean => {
    let r: boolean;
    if (equals !== undefined) r = ignoreCase ? equals.toLowerCase() === value : equals === value;
    else {
      const compiled = compilePattern(pattern, ignoreCase);
      r = 'pattern' in compiled && compiled.pattern.matcher(value).find();
    }
    return r !== not;
  };
  const schemes = [holds('on') ? 'https' : undefined, holds('off') ? 'http' : undefined].filter(
    (s): s is string => s !== undefined,
  );
  if (schemes.length === 2) return { ok: undefined };
  const [scheme] = schemes;
  if (scheme === undefined)
    return { never: `RewriteCond ${c.test} ${c.pattern} never holds (%{HTTPS} is on or off)` };
  return { ok: cond('scheme', { equals: scheme }) };
}

/** RewriteCond lines → match.when; [OR] joins a line with the next into anyOf. */
export function conditionsOf(list: readonly RewriteCondRule[]): Translated<Condition[]> {
  const groups: RewriteCondRule[][] = [];
  let joining = false;
  for (const c of list) {
    if (joining) groups.at(-1)?.push(c);
    else groups.push([c]);
    joining = c.flags.includes('or') || c.flags.includes('ornext');
  }
  const when: Condition[] = [];
  for (const group of groups) {
    const alternatives: SimpleCondition[] = [];
    let always = false;
    const nevers: string[] = [];
    for (const c of group) {
      const t = condition(c);
      if ('error' in t) return t;
      if ('never' in t) nevers.push(t.never);
      else if (t.ok === undefined) always = true;
      else alternatives.push(t.ok);
    }
    if (always) continue;
    const [only] = alternatives;
    if (only === undefined) return { never: nevers.join('; ') };
    when.push(alternatives.length === 1 ? only : { anyOf: alternatives });
  }
  return { ok: when };
}

/**
 * A substitution's text with `$N` kept, `%N` → `{{when.N}}` and `%{VAR}` → placeholders,
 * or why it cannot be written.
 */
export function substitutionOf(text: string): { ok: string } | { error: string } {
  if (/\$\{/.test(text))
    return { error: `${text}: RewriteMap lookups (\${map:key}) are not supported` };
  let problem: string | undefined;
  const out = text.replace(
    /%\{([^}]*)\}|%([0-9])/g,
    (_, variable: string | undefined, n: string | undefined) => {
      if (n !== undefined) return `{{when.${n}}}`;
      const p = placeholderOf(variable ?? '');
      if (p === undefined)
        problem ??= `%{${variable ?? ''}} has no placeholder (REQUEST_URI, HTTP_HOST, SERVER_NAME, QUERY_STRING, REQUEST_SCHEME and HTTP:Header have)`;
      return p ?? '';
    },
  );
  return problem === undefined ? { ok: out } : { error: problem };
}
