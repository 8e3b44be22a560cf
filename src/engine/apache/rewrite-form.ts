/**
 * One RewriteRule → a route form (what it matches, what it does), or the reason it has
 * none. The flags decide the action: P proxies, R redirects (an absolute URL without
 * flags too, as Apache does), F and G answer 403 and 410; L, END and P stop, as every
 * route does; NC ignores case; QSA, QSD and a `?` in the substitution decide the query.
 */
import { REDIRECT_STATUSES, compilePattern } from '../../shared/route-forms.js';
import type { RewriteRuleLine } from './model.js';
import { cond, conditionsOf, substitutionOf, type Condition } from './rewrite.js';

export interface RuleFlags {
  proxy: boolean;
  /** R: the status; undefined when no R. */
  redirect?: number;
  last: boolean;
  ignoreCase: boolean;
  appendQuery: boolean;
  discardQuery: boolean;
  respond?: number;
  unsupported: string[];
}

const REDIRECT_NAMES: Record<string, number> = { permanent: 301, temp: 302, seeother: 303 };

export function parseFlags(words: readonly string[]): RuleFlags {
  const f: RuleFlags = {
    proxy: false,
    last: false,
    ignoreCase: false,
    appendQuery: false,
    discardQuery: false,
    unsupported: [],
  };
  for (const word of words) {
    const [key = '', value] = word.split('=', 2);
    switch (key) {
      case 'p':
      case 'proxy':
        f.proxy = true;
        break;
      case 'r':
      case 'redirect': {
        const status = value === undefined ? 302 : (REDIRECT_NAMES[value] ?? Number(value));
        if ((REDIRECT_STATUSES as readonly number[]).includes(status)) f.redirect = status;
        else if (Number.isInteger(status) && status >= 400 && status < 600) f.respond = status;
        else f.unsupported.push(word);
        break;
      }
      case 'l':
      case 'last':
      case 'end':
        f.last = true;
        break;
      case 'nc':
      case 'nocase':
        f.ignoreCase = true;
        break;
      case 'qsa':
      case 'qsappend':
        f.appendQuery = true;
        break;
      case 'qsd':
      case 'qsdiscard':
        f.discardQuery = true;
        break;
      case 'f':
      case 'forbidden':
        f.respond = 403;
        break;
      case 'g':
      case 'gone':
        f.respond = 410;
        break;
      // Escaping and sub-request flags change nothing a route does.
      case 'ne':
      case 'noescape':
      case 'ns':
      case 'nosubreq':
        break;
      default:
        f.unsupported.push(word);
    }
  }
  return f;
}

/** A rule as a route, before it is placed: what it matches and what it does. */
export interface RuleForm {
  path: string;
  pathRegex?: string;
  ignoreCase?: boolean;
  when?: Condition[];
  action:
    | { proxy: { origin: string; to: string } }
    | { redirect: { to: string; status: number } }
    | { respond: { status: number } };
  query?: 'drop';
  notes: string[];
  /** Apache stops at this rule when it applies (L, END, P, F, G). */
  last: boolean;
}

/** Flags that change which rules run, which a list of routes cannot say. */
const CONTROL_FLAGS = /^(c|chain|s|skip|n|next|pt|passthrough)(=|$)/;

/** `scheme://host:port` and the rest of an absolute URL, or undefined for a path. */
function splitUrl(text: string): { origin: string; rest: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?]*)(.*)$/i.exec(text);
  if (!m) return undefined;
  const [, scheme = '', authority = '', rest = ''] = m;
  // A placeholder in the authority, or one right after it: the host is not fixed.
  const cut = authority.search(/[$%{]/);
  if (cut === -1) return { origin: scheme + authority, rest };
  return { origin: scheme + authority.slice(0, cut), rest: authority.slice(cut) + rest };
}

/**
 * One RewriteRule → a route form, or why it has none. `names` are the host names of its
 * server: Apache reads an absolute URL on one of them as a local path.
 */
export function ruleForm(
  rule: RewriteRuleLine,
  names: readonly string[],
  prefixOf: (regex: string, ignoreCase: boolean) => string,
): { form: RuleForm } | { skip: string } {
  const flags = parseFlags(rule.flags);
  const control = flags.unsupported.find((f) => CONTROL_FLAGS.test(f));
  if (control)
    return {
      skip: `flag ${control.toUpperCase()} changes which rules run, which routes cannot say; rule left out`,
    };
  const notes = flags.unsupported.map(
    (f) => `flag ${f.toUpperCase()} is not supported and was left out`,
  );
  const conditions = conditionsOf(rule.conditions);
  if ('error' in conditions) return { skip: `${conditions.error}; rule left out` };
  if ('never' in conditions)
    return { skip: `${conditions.never}, so the rule never applies; left out` };
  const negated = rule.pattern.startsWith('!');
  const regex = negated ? rule.pattern.slice(1) : rule.pattern;
  const compiled = compilePattern(regex, flags.ignoreCase);
  if ('error' in compiled) return { skip: `pattern '${regex}' ${compiled.error}; rule left out` };
  const when = conditions.ok;
  // A negated pattern captures nothing: the route takes every path its condition allows.
  const match: Pick<RuleForm, 'path' | 'pathRegex' | 'ignoreCase' | 'when'> = negated
    ? {
        path: '/',
        pathRegex: '^',
        when: [cond('path', { matches: regex }, flags.ignoreCase, true), ...when],
      }
    : {
        path: prefixOf(regex, flags.ignoreCase),
        pathRegex: regex,
        ...(flags.ignoreCase ? { ignoreCase: true } : {}),
        ...(when.length > 0 ? { when } : {}),
      };
  const sub = rule.substitution;
  const ownQuery = sub.includes('?');
  const query =
    flags.discardQuery || (ownQuery && !flags.appendQuery) ? { query: 'drop' as const } : {};
  const last = flags.last || flags.proxy || flags.respond !== undefined;
  if (flags.respond !== undefined)
    return { form: { ...match, action: { respond: { status: flags.respond } }, notes, last } };
  if (sub === '-')
    return {
      skip: 'no substitution (-) without F or G: the rule only sets flags or variables, which have no Switchyard equivalent; ignored',
    };
  const filled = substitutionOf(sub);
  if ('error' in filled) return { skip: `${filled.error}; rule left out` };
  const url = splitUrl(sub);
  if (flags.redirect !== undefined)
    return {
      form: {
        ...match,
        action: { redirect: { to: filled.ok, status: flags.redirect } },
        ...query,
        notes,
        last,
      },
    };
  if (!url) {
    return {
      skip: `rewrites to a local path (${sub}) without [P] or [R]: Switchyard serves no files and has no internal rewrite, so later rules and ProxyPass see the path as requested; ignored`,
    };
  }
  if (!flags.proxy) {
    const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?]*)/i.exec(sub)?.[1]?.toLowerCase() ?? '';
    if (names.includes(host))
      return {
        skip: `${sub} names this server, so Apache reads it as a local path (an internal rewrite), which has no Switchyard equivalent; ignored`,
      };
    notes.push('an absolute URL without [P] or [R]: Apache answers it with a redirect (302)');
    return {
      form: {
        ...match,
        action: { redirect: { to: filled.ok, status: 302 } },
        ...query,
        notes,
        last: true,
      },
    };
  }
  if (!/^(https?|wss?|balancer|h2c?):\/\//i.test(sub))
    return {
      skip: `${sub}: only http(s), ws(s), h2c, h2 and balancer backends can be proxied; rule left out`,
    };
  if (/^[a-z0-9+.-]+:\/\/$/i.test(url.origin) || !/^(\/|\?|$)/.test(url.rest)) {
    if (url.rest.startsWith('%{REQUEST_URI}') && url.rest.length > '%{REQUEST_URI}'.length)
      return {
        skip: `${sub}: text after %{REQUEST_URI} right after the host cannot be written; rule left out`,
      };
    if (url.rest !== '%{REQUEST_URI}' || /^[a-z0-9+.-]+:\/\/$/i.test(url.origin))
      return {
        skip: `${sub}: the backend's host (or what follows it without a /) comes from the request; Switchyard only proxies to hosts the routing file names (no open proxy); rule left out`,
      };
    // origin + %{REQUEST_URI}: the path passes unchanged, which a prefix route does; the
    // pattern becomes a condition on the path.
    const onPath = cond('path', { matches: regex }, flags.ignoreCase, negated);
    return {
      form: {
        path: '/',
        when: [onPath, ...when],
        action: { proxy: { origin: url.origin, to: `${url.origin}/` } },
        ...query,
        notes,
        last,
      },
    };
  }
  const rest = substitutionOf(url.rest || '/');
  if ('error' in rest) return { skip: `${rest.error}; rule left out` };
  const to = `${url.origin}${rest.ok.startsWith('?') ? `/${rest.ok}` : rest.ok}`;
  return {
    form: { ...match, action: { proxy: { origin: url.origin, to } }, ...query, notes, last },
  };
}
