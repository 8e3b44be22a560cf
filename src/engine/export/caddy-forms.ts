/**
 * The route forms in the Caddy export. Caddy needs the least translation: its regular
 * expressions are Go's RE2 (the routing file's dialect), the site's `route { }` already
 * runs handles in routing-file order, and a named matcher ANDs what it lists.
 *
 * - the path pattern (or, for a prefix route, the prefix with what follows it as group 1)
 *   is a `path_regexp` whose groups are `{re.fN.1}`…; conditions are one CEL `expression`
 *   (`header_regexp('cN_J', …)` where a condition's groups are used, placeholders such as
 *   `{http.request.header.X-Env}` otherwise, which reads an absent header as empty, as the
 *   engine does);
 * - proxy routes `rewrite` to the filled-in target, then import the route's snippet;
 *   redirects are `redir`, answers `respond` with a Content-Type header.
 *
 * Caddy matches patterns against the decoded, cleaned path, Switchyard against the path
 * as sent; `{http.request.host}` keeps the case the client wrote, Switchyard lowercases it.
 */
import { STATUS_CODES } from 'node:http';
import { escapeRegex, type RoutePlan } from './plan.js';
import {
  headerOf,
  lastCapture,
  mapRegex,
  prefixRegex,
  restRegex,
  spell,
  staticBalancersPage,
  usesWhen,
  type PlanTest,
  type TemplatePart,
} from './plan-forms.js';
import type { ConfigWriter } from './writer.js';

/** Routes written as a handle with their own matcher and action. */
export function isFormRoute(r: RoutePlan): boolean {
  return r.form !== 'proxy' || r.conditional;
}

/** Text inside a quoted Caddyfile token: quotes, backslashes and placeholder braces escaped. */
function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[{}]/g, '\\$&');
}

/** A CEL raw string literal. */
function celString(value: string): string {
  return value.includes("'") ? `r"${value}"` : `r'${value}'`;
}

/** A request header's placeholder; Go keeps Host apart from the other headers. */
function headerPlaceholder(name: string): string {
  return name.toLowerCase() === 'host'
    ? '{http.request.hostport}'
    : `{http.request.header.${name}}`;
}

function subject(test: PlanTest): string {
  const header = headerOf(test.on);
  if (header !== undefined) return headerPlaceholder(header);
  return test.on === 'host' ? '{http.request.host}' : '{http.request.uri.path}';
}

/** A test as CEL. A named, capturing test uses the matcher function, whose groups are kept. */
function celTest(t: PlanTest, name: string | undefined): string {
  const re = (source: string) => celString(`${t.ignoreCase ? '(?i)' : ''}${source}`);
  let cel: string;
  const header = headerOf(t.on);
  if (t.matches !== undefined && name !== undefined && header !== undefined)
    cel = `header_regexp('${name}', '${header}', ${re(t.matches)})`;
  else if (t.matches !== undefined && name !== undefined && t.on === 'path')
    cel = `path_regexp('${name}', ${re(t.matches)})`;
  else if (t.matches !== undefined) cel = `${subject(t)}.matches(${re(t.matches)})`;
  else if (t.ignoreCase) cel = `${subject(t)}.matches(${re(`^${escapeRegex(t.equals ?? '')}$`)})`;
  else cel = `${subject(t)} == ${celString(t.equals ?? '')}`;
  return t.not ? `!(${cel})` : cel;
}

/** The route's path_regexp: its pattern, or its prefix with group 1 as Switchyard needs it. */
function pathPattern(r: RoutePlan): string {
  const prefix = r.route.match.path;
  if (r.pattern) return `${r.pattern.ignoreCase ? '(?i)' : ''}${r.pattern.source}`;
  if (r.form === 'redirect' && r.redirect?.appendRest)
    return restRegex(prefix, r.redirect.to, escapeRegex);
  if (r.form === 'proxy') return mapRegex(prefix, r.targetPath, escapeRegex)[0];
  return prefixRegex(prefix, escapeRegex);
}

function placeholder(
  r: RoutePlan,
  id: string,
  part: Exclude<TemplatePart, { kind: 'text' }>,
): string {
  switch (part.kind) {
    case 'group':
      return `{re.${id}.${part.n}}`;
    case 'when': {
      const last = lastCapture(r.conditions);
      return typeof last === 'number' ? `{re.c${r.index}_${last}.${part.n}}` : '';
    }
    case 'header':
      return headerPlaceholder(part.name);
    case 'request':
      return {
        host: '{http.request.host}',
        authority: '{http.request.hostport}',
        path: '{http.request.uri.path}',
        query: '{http.request.uri.query}',
        scheme: '{http.request.scheme}',
      }[part.field];
  }
}

function filled(r: RoutePlan, id: string, template: string): string {
  return spell(template, escapeText, (p) => placeholder(r, id, p));
}

function writeMatcher(w: ConfigWriter, r: RoutePlan, id: string): void {
  const last = lastCapture(r.conditions);
  const clauses: string[] = [];
  if (r.pattern && r.route.match.path !== '/')
    clauses.push(
      `{http.request.uri.path}.matches(${celString(prefixRegex(r.route.match.path, escapeRegex))})`,
    );
  r.conditions.forEach((c, j) => {
    if (c.kind === 'test')
      clauses.push(celTest(c.test, j === last ? `c${r.index}_${j}` : undefined));
    else clauses.push(`(${c.tests.map((t) => celTest(t, undefined)).join(' || ')})`);
  });
  w.open(`@${id} {`);
  w.line(`path_regexp ${id} \`${pathPattern(r)}\``);
  if (clauses.length > 0) w.line(`expression \`${clauses.join(' && ')}\``);
  w.close('}');
}

/** `redir` to a URL with the client's query after it when there is one (query: keep). */
function writeRedirect(w: ConfigWriter, r: RoutePlan, id: string): void {
  const redirect = r.redirect;
  if (!redirect) return;
  const { to, status, appendRest } = redirect;
  let url = appendRest ? `${escapeText(to)}{re.${id}.1}` : filled(r, id, to);
  if (to.startsWith('/')) url = `{http.request.scheme}://{http.request.hostport}${url}`;
  if (!r.keepQuery) {
    w.line(`redir * "${url}" ${status}`);
    return;
  }
  const join = to.includes('?') ? '&' : '?';
  w.open('route {');
  w.line(`@${id}_query expression \`{http.request.uri.query} != ""\``);
  w.line(`redir @${id}_query "${url}${join}{http.request.uri.query}" ${status}`);
  w.line(`redir * "${url}" ${status}`);
  w.close('}');
}

function writeRespond(w: ConfigWriter, r: RoutePlan, id: string, page: string): void {
  const respond = r.respond;
  if (!respond) return;
  if (respond.page === 'balancers') {
    w.comment(
      'Caddy has no balancer-manager: the balancers as configured, without live statistics.',
    );
    w.line('header Content-Type "text/html; charset=utf-8"');
    w.line('header Cache-Control no-store');
    w.line(`respond "${escapeText(page)}" 200`);
    return;
  }
  const body =
    respond.body ??
    `${respond.status} ${STATUS_CODES[respond.status] ?? ''}: route '${r.route.name}' answers this path itself.\n`;
  w.line(`header Content-Type "${escapeText(respond.contentType)}"`);
  w.line(`respond "${filled(r, id, body)}" ${respond.status}`);
}

function writeProxy(w: ConfigWriter, r: RoutePlan, id: string, snippet: string): void {
  let target: string;
  if (r.template !== undefined) {
    target = filled(r, id, r.template);
    if (r.template.includes('?')) {
      if (r.keepQuery) target += '&{http.request.uri.query}';
    } else if (!r.keepQuery) target += '?';
  } else {
    const [, path] = mapRegex(r.route.match.path, r.targetPath, escapeRegex);
    target = `${escapeText(path.slice(0, -2))}{re.${id}.1}${r.keepQuery ? '' : '?'}`;
  }
  // Caddy merges a query it writes with the client's (`a=1&{query}` drops a lone &).
  w.line(`rewrite * "${target}"`);
  w.line(`import ${snippet}`);
}

/** A form route inside the site's `route { }`: its matcher, then its handle. */
export function writeFormHandle(
  w: ConfigWriter,
  r: RoutePlan,
  snippet: string | undefined,
  allBalancers: Parameters<typeof staticBalancersPage>[0],
): void {
  const id = `f${r.index}`;
  w.comment(`route ${r.route.name} (routes[${r.index}])`);
  const templates = [r.template, r.redirect?.to, r.respond?.body];
  if (
    templates.some((t) => t !== undefined && usesWhen(t)) &&
    lastCapture(r.conditions) === 'dynamic'
  )
    w.comment(
      '{{when.N}} depends on which test of an anyOf held, which Caddy cannot say: left empty.',
    );
  writeMatcher(w, r, id);
  w.open(`handle @${id} {`);
  if (r.form === 'redirect') writeRedirect(w, r, id);
  else if (r.form === 'respond') writeRespond(w, r, id, staticBalancersPage(allBalancers));
  else if (snippet !== undefined) writeProxy(w, r, id, snippet);
  w.close('}');
}
