/**
 * mod_alias's redirects → redirect routes: `Redirect [status] /path URL`, `RedirectPermanent`,
 * `RedirectTemp` and `RedirectMatch [status] regex URL`; a status outside 3xx (`gone`, 410,
 * 403…) takes no URL and becomes a fixed answer. As httpd 2.4 does (checked against it in
 * test/integration/apache-rewrite.test.ts):
 *
 * - Redirect matches the path on segment boundaries (`/old` takes `/old` and `/old/x`, not
 *   `/oldx`) and appends the rest of the path to the URL as it is, so `Redirect /a /b/`
 *   sends `/a/x` to `/b//x`: that case is written as a pattern to keep the doubled slash.
 * - Both append the client's query string unless the URL has a query of its own.
 * - A URL that is a path becomes absolute on the scheme and Host the client used.
 */
import { compilePattern } from '../../shared/route-forms.js';
import type { Findings } from './findings.js';
import type { RedirectRule, Scope } from './model.js';
import type { Directive } from './parse.js';

const STATUS_NAMES: Record<string, number> = {
  permanent: 301,
  temp: 302,
  seeother: 303,
  gone: 410,
};
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Reads one Redirect* line into scope.redirects, or warns why it is left out. */
export function readRedirect(
  d: Directive,
  scope: Scope,
  place: string | undefined,
  findings: Findings,
): void {
  if (place !== undefined) {
    findings.warn(
      d.line,
      `${d.name} inside ${place}: redirects are imported from the server or <VirtualHost> level only (write ${d.name} with its path there); ignored`,
    );
    return;
  }
  const args = [...d.args];
  let status = d.key === 'redirectpermanent' ? 301 : 302;
  if (d.key === 'redirect' || d.key === 'redirectmatch') {
    const first = args[0]?.toLowerCase() ?? '';
    const named = STATUS_NAMES[first];
    if (named !== undefined || /^\d{3}$/.test(first)) {
      status = named ?? Number(first);
      args.shift();
    }
  }
  const [path, url, ...extra] = args;
  const local = status < 300 || status >= 400;
  const bad = (why: string) => findings.warn(d.line, `${d.name}: ${why}; ignored`);
  if (path === undefined || extra.length > 0) return bad('needs a path and a URL');
  if (local && url !== undefined) return bad(`status ${status} takes no URL (Apache refuses it)`);
  if (!local && url === undefined) return bad(`status ${status} needs a URL`);
  if (!local && !REDIRECT_STATUSES.has(status))
    return bad(`status ${status}: redirects here are 301, 302, 303, 307 or 308`);
  if (url !== undefined && !url.startsWith('/') && !/^https?:\/\/[^/]/i.test(url))
    return bad(`'${url}' is not an http(s) URL or a path starting with /`);
  const kind = d.key === 'redirectmatch' ? 'match' : 'prefix';
  if (kind === 'prefix' && !path.startsWith('/'))
    return bad(`'${path}' is not a path starting with /`);
  if (kind === 'match') {
    const compiled = compilePattern(path, false);
    if ('error' in compiled) return bad(`'${path}' ${compiled.error}`);
  }
  const rule: RedirectRule = {
    kind,
    path,
    status,
    source: { line: d.line, text: d.text },
    ...(url === undefined ? {} : { url }),
  };
  (scope.redirects ??= []).push(rule);
}

/** Characters a literal path needs escaped in a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What a redirect route matches and answers, before it is placed: a prefix (`path`) with
 * the rest appended by the engine, or a pattern whose groups fill in the URL.
 */
export interface LocalForm {
  path: string;
  pathRegex?: string;
  action:
    | { redirect: { to: string; status: number } }
    | { respond: { status: number } | { page: 'balancers' } };
  query?: 'drop';
  notes: string[];
}

export function redirectForm(rule: RedirectRule, prefixOf: (regex: string) => string): LocalForm {
  const query = rule.url?.includes('?') ? { query: 'drop' as const } : {};
  const action =
    rule.url === undefined
      ? { respond: { status: rule.status } }
      : { redirect: { to: rule.url, status: rule.status } };
  if (rule.kind === 'match')
    return { path: prefixOf(rule.path), pathRegex: rule.path, action, ...query, notes: [] };
  // The engine joins the URL and the rest of the path without doubling a slash; Apache
  // does double it, which only a pattern can say.
  if (rule.url?.endsWith('/') && !rule.path.endsWith('/')) return asPattern(rule, action, query);
  return { path: rule.path, action, ...query, notes: [] };
}

/** The prefix redirect as a pattern: same paths, the rest of the path as group 1. */
function asPattern(
  rule: RedirectRule,
  action: LocalForm['action'],
  query: { query?: 'drop' },
): LocalForm {
  const rest = rule.path.endsWith('/') ? '(.*)$' : '(/.*)?$';
  const to =
    'redirect' in action ? { redirect: { ...action.redirect, to: `${rule.url ?? ''}$1` } } : action;
  return {
    path: rule.path,
    pathRegex: `^${escapeRegex(rule.path)}${rest}`,
    action: to,
    ...query,
    notes: [
      `${rule.path} and the rest of the path after it, appended to the URL as Apache does (even after a /)`,
    ],
  };
}

/** The same redirect as a pattern, whatever its form: for copies limited to another path. */
export function redirectPattern(
  rule: RedirectRule,
  prefixOf: (regex: string) => string,
): LocalForm {
  const form = redirectForm(rule, prefixOf);
  if (form.pathRegex !== undefined) return form;
  const query = form.query ? { query: form.query } : {};
  return asPattern(rule, form.action, query);
}
