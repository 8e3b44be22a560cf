/**
 * The route forms in the nginx export. nginx picks a location by longest prefix, then by
 * the first regular expression, never by "first route that matches"; and `if` tests one
 * thing at a time. So each form route is decided in the server's rewrite phase, before any
 * location, in routing-file order:
 *
 * - `map`s (http level) turn the path pattern, each condition and an anyOf (a chain of
 *   maps, first test that holds) into `1` or empty, and one map ANDs them;
 * - the server tests the routes in order (`if ($sy_fN)`) and jumps to the route's named
 *   location (`return 418` → `error_page 418 = $sy_go`, which keeps the request's URI);
 *   the paths of earlier prefix routes are excluded in the maps, as Switchyard would have
 *   served them first;
 * - the named location proxies (`proxy_pass` with the filled-in path: a variable, so the
 *   backend has its own `upstream` block and needs no resolver), redirects (`return 30x`)
 *   or answers (`return N "body"` with its default_type).
 *
 * Targets are built by maps too: a map's regular expression captures `$1`…`$9` for the
 * value; `{{when.N}}` follows the engine (groups of the last condition that matched by
 * pattern) with a chain of maps. nginx reads regular expressions with PCRE, which reads
 * RE2 patterns the same way in practice; it matches them against the decoded, normalised
 * path ($uri), where Switchyard uses the path as sent, and it does not re-encode what a
 * group captured when it builds the backend's path.
 */
import { STATUS_CODES } from 'node:http';
import {
  escapeRegex,
  type Backend,
  type ExportPlan,
  type RoutePlan,
  type SitePlan,
} from './plan.js';
import {
  headerOf,
  mapRegex,
  prefixRegex,
  restRegex,
  spell,
  staticBalancersPage,
  templateParts,
  type PlanTest,
  type TemplatePart,
} from './plan-forms.js';
import { writeProxySettings, writeRouteAccess } from './nginx.js';
import { quote, type ConfigWriter } from './writer.js';

/** The variable name (without `$`) chosen for each form route; `always` when it has no test. */
export type FormNames = Map<RoutePlan, { id: string; always: boolean }>;

/** Routes decided in the rewrite phase rather than by a location. */
export function isFormRoute(r: RoutePlan): boolean {
  return r.form !== 'proxy' || r.conditional;
}

/** nginx string: quoted, newlines as `\n` (which nginx reads back as newlines). */
function text(value: string): string {
  return quote(value).replace(/\n/g, '\\n');
}

function regexKey(source: string, ignoreCase: boolean): string {
  return text(`${ignoreCase ? '~*' : '~'}${source}`);
}

function subject(test: PlanTest): string {
  const header = headerOf(test.on);
  if (header !== undefined) return `$http_${header.toLowerCase().replace(/-/g, '_')}`;
  return test.on === 'host' ? '$host' : '$uri';
}

function testKey(t: PlanTest): string {
  return t.matches !== undefined
    ? regexKey(t.matches, t.ignoreCase)
    : regexKey(`^${escapeRegex(t.equals ?? '')}$`, t.ignoreCase);
}

function upstreamName(b: Backend): string {
  return `sy_backend_${b.hostport.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function variable(id: string, part: Exclude<TemplatePart, { kind: 'text' }>): string {
  switch (part.kind) {
    case 'group':
      return `$${part.n}`;
    case 'when':
      return `\${${id}_w${part.n}}`;
    case 'header':
      return `\${http_${part.name.toLowerCase().replace(/-/g, '_')}}`;
    case 'request':
      return {
        host: '${host}',
        authority: '${http_host}',
        path: '${sy_raw_path}',
        query: '${args}',
        scheme: '${scheme}',
      }[part.field];
  }
}

/** The text a form route builds: backend path, redirect URL or body (placeholders in it). */
function valueOf(r: RoutePlan): { key?: string; value: string } {
  const pattern = r.pattern ? regexKey(r.pattern.source, r.pattern.ignoreCase) : undefined;
  const prefix = r.route.match.path;
  if (r.form === 'redirect' && r.redirect) {
    const { to, appendRest } = r.redirect;
    const url = to.startsWith('/') ? `{{request.scheme}}://{{request.authority}}${to}` : to;
    if (appendRest)
      return { key: text(`~${restRegex(prefix, to, escapeRegex)}`), value: `${url}$1` };
    return { ...(pattern ? { key: pattern } : {}), value: url };
  }
  if (r.form === 'respond') {
    const status = r.respond?.status ?? 404;
    const body =
      r.respond?.body ??
      `${status} ${STATUS_CODES[status] ?? ''}: route '${r.route.name}' answers this path itself.\n`;
    return { ...(pattern ? { key: pattern } : {}), value: body };
  }
  if (r.template !== undefined) return { ...(pattern ? { key: pattern } : {}), value: r.template };
  const [regex, path] = mapRegex(prefix, r.targetPath, escapeRegex);
  return { key: text(`~${regex}`), value: path };
}

function usedWhen(r: RoutePlan, value: string): number[] {
  return [...new Set(templateParts(value).flatMap((p) => (p.kind === 'when' ? [p.n] : [])))];
}

/** Earlier prefix routes' paths, which Switchyard serves before this route. */
function exclusions(r: RoutePlan, site: SitePlan): string[] {
  return site.routes
    .slice(0, site.routes.indexOf(r))
    .filter((e) => !isFormRoute(e))
    .flatMap((e) => e.units)
    .filter((e) =>
      r.units.some((u) =>
        u.kind === 'subtree' ? e.path.startsWith(u.path) : u.path.startsWith(e.path),
      ),
    )
    .map((u) => (u.kind === 'exact' ? `^${escapeRegex(u.path)}$` : `^${escapeRegex(u.path)}`));
}

/** Writes the route's maps; true when nothing is left to test (it takes every request). */
function writeRouteMaps(w: ConfigWriter, r: RoutePlan, site: SitePlan, id: string): boolean {
  const parts: string[] = [];
  const excluded = exclusions(r, site);
  if (r.route.match.path !== '/' || excluded.length > 0) {
    w.open(`map $uri $${id}_path {`);
    for (const e of excluded) w.line(`${text(`~${e}`)} "";`);
    w.line(`${text(`~${prefixRegex(r.route.match.path, escapeRegex)}`)} 1;`);
    w.line('default "";').close('}');
    parts.push(`$${id}_path`);
  }
  if (r.pattern) {
    w.open(`map $uri $${id}_pattern {`);
    w.line(`${regexKey(r.pattern.source, r.pattern.ignoreCase)} 1;`);
    w.line('default "";').close('}');
    parts.push(`$${id}_pattern`);
  }
  r.conditions.forEach((c, j) => {
    const tests = c.kind === 'test' ? [c.test] : c.tests;
    tests.forEach((t, k) => {
      const next = k + 1 < tests.length ? `$${id}_c${j}_${k + 1}` : '""';
      w.open(`map ${subject(t)} $${id}_c${j}_${k} {`);
      w.line(`${testKey(t)} ${t.not ? next : '1'};`);
      w.line(`default ${t.not ? '1' : next};`).close('}');
    });
    parts.push(`$${id}_c${j}_0`);
  });
  if (parts.length > 0) {
    w.open(`map "${parts.join('')}" $${id} {`);
    w.line(`"${'1'.repeat(parts.length)}" 1;`);
    w.line('default "";').close('}');
  }
  const { key, value } = valueOf(r);
  for (const n of usedWhen(r, value)) writeWhenMaps(w, r, id, n);
  if (templateParts(value).some((p) => p.kind === 'group' && p.n === 0))
    w.comment('$0 (the whole match) has no nginx spelling in a map value; it is left empty.');
  if (
    value.includes('$') &&
    templateParts(value).some((p) => p.kind === 'text' && p.text.includes('$'))
  )
    w.comment('A literal $ has no nginx spelling in a value; nginx reads it as a variable.');
  w.open(`map $uri $${id}_value {`);
  const spelled = text(
    spell(
      value,
      (t) => t,
      (p) => (p.kind === 'group' && p.n === 0 ? '' : variable(id, p)),
    ),
  );
  if (key) w.line(`${key} ${spelled};`);
  w.line(`default ${key ? '""' : spelled};`).close('}');
  return parts.length === 0;
}

/**
 * `{{when.N}}`: the groups of the last condition that matched by pattern, as a chain of
 * maps over the conditions in order (an anyOf gives its first test that holds).
 */
function writeWhenMaps(w: ConfigWriter, r: RoutePlan, id: string, n: number): void {
  let previous = '""';
  r.conditions.forEach((c, j) => {
    const tests = c.kind === 'test' ? [c.test] : c.tests;
    const capturing = (t: PlanTest) => t.matches !== undefined && !t.not;
    if (c.kind === 'test' && !capturing(c.test)) return;
    const names = tests.map((_, k) => `$${id}_w${n}_${j}_${k}`);
    tests.forEach((t, k) => {
      const next = names[k + 1] ?? previous;
      const holds = capturing(t) ? `"$${n}"` : previous;
      w.open(`map ${subject(t)} ${names[k] ?? ''} {`);
      w.line(`${testKey(t)} ${t.not ? next : holds};`);
      w.line(`default ${t.not ? holds : next};`).close('}');
    });
    previous = names[0] ?? previous;
  });
  w.open(`map "" $${id}_w${n} {`).line(`default ${previous};`).close('}');
}

/**
 * The maps and upstream blocks of every form route, at http level. Returns the name
 * chosen for each route.
 */
export function writeFormMaps(w: ConfigWriter, plan: ExportPlan): FormNames {
  const names: FormNames = new Map();
  const sites = plan.listeners.flatMap((l) => l.sites);
  const forms = sites.flatMap((site) =>
    site.routes.filter((r) => r.units.length > 0 && isFormRoute(r)).map((r) => ({ r, site })),
  );
  if (forms.length === 0) return names;
  w.line();
  w.comment(
    'Route forms (patterns, conditions, redirects, answers): decided by these maps, see the\nserver blocks. The request path as sent, without its query; "&" when the client sent one.',
  );
  w.open('map $request_uri $sy_raw_path {').line('"~^(?<sy_p>[^?]*)" $sy_p;').close('}');
  w.open('map $args $sy_args_amp {').line('"" "";').line('default "&";').close('}');
  const upstreams = new Map<string, Backend>();
  for (const { r } of forms) {
    if (r.form === 'proxy' && !r.balancer && r.backends[0])
      upstreams.set(upstreamName(r.backends[0]), r.backends[0]);
  }
  for (const [name, b] of upstreams) {
    w.open(`upstream ${name} {`).line(`server ${b.hostport};`).line('keepalive 16;').close('}');
  }
  forms.forEach(({ r, site }, n) => {
    const id = `sy_f${n + 1}`;
    w.comment(`route ${r.route.name} (routes[${r.index}])${site.host ? ` for ${site.host}` : ''}`);
    names.set(r, { id, always: writeRouteMaps(w, r, site, id) });
  });
  return names;
}

/** In the server block, before any location: the form routes in routing-file order. */
export function writeFormDispatch(w: ConfigWriter, site: SitePlan, names: FormNames): void {
  const forms = site.routes.filter((r) => names.has(r));
  if (forms.length === 0) return;
  w.comment(
    'Route forms first, in routing-file order; each jumps to its named location, the URI unchanged.',
  );
  w.line('error_page 418 = $sy_go;');
  for (const r of forms) {
    const { id, always } = names.get(r) as { id: string; always: boolean };
    if (!always) {
      w.line(`if ($${id}) { set $sy_go @${id}; return 418; }`);
      continue;
    }
    w.line(`set $sy_go @${id};`);
    w.line('return 418;');
    break;
  }
}

function queryOf(r: RoutePlan, value: string): string {
  if (!r.keepQuery) return '';
  return value.includes('?') ? '$sy_args_amp$args' : '$is_args$args';
}

/** The named location a form route jumps to. */
export function writeFormLocation(
  w: ConfigWriter,
  r: RoutePlan,
  names: FormNames,
  plan: ExportPlan,
): void {
  const id = names.get(r)?.id;
  if (id === undefined) return;
  const { value } = valueOf(r);
  w.open(`location @${id} {`);
  if (r.form === 'proxy') writeRouteAccess(w, r);
  else if (r.route.access)
    w.comment(
      'access.allow of this route is not applied: nginx answers a return before its access phase.',
    );
  // nginx evaluates a value twice (length, then copy), and a map with a regular
  // expression evaluated in between replaces $1…$9: those maps are evaluated (and cached)
  // first, so the value's own groups stay.
  const early = [
    ...new Set(
      templateParts(value).flatMap((p) =>
        p.kind === 'when'
          ? [`\${${id}_w${p.n}}`]
          : p.kind === 'request' && p.field === 'path'
            ? ['${sy_raw_path}']
            : [],
      ),
    ),
  ];
  if (early.length > 0) w.line(`set $sy_early "${early.join('')}";`);
  if (r.form === 'redirect' && r.redirect) {
    w.line(`return ${r.redirect.status} "$${id}_value${queryOf(r, value)}";`);
  } else if (r.form === 'respond' && r.respond?.page === 'balancers') {
    w.comment(
      'nginx has no balancer-manager: the balancers as configured, without live statistics.',
    );
    w.line('default_type "text/html; charset=utf-8";');
    w.line('add_header Cache-Control no-store always;');
    w.line(`return 200 ${text(staticBalancersPage(plan.allBalancers))};`);
  } else if (r.form === 'respond' && r.respond) {
    if (r.respond.status >= 300 && r.respond.status < 400)
      w.comment('nginx reads the text of return 3xx as the Location, not as a body.');
    w.line(`default_type ${text(r.respond.contentType)};`);
    w.line(`return ${r.respond.status} "$${id}_value";`);
  } else {
    const first = r.backends[0] as Backend;
    const upstream = r.balancer ? r.balancer.name : upstreamName(first);
    if (r.balancer?.stickySession !== undefined)
      w.comment('Sticky sessions are not exported for pattern and condition routes.');
    if (r.backends.some((b) => b.http2))
      w.comment('HTTP/2 backends are reached with HTTP/1.1 here (nginx: grpc_pass takes no URI).');
    w.line(
      `proxy_pass ${first.secure ? 'https' : 'http'}://${upstream}$${id}_value${queryOf(r, value)};`,
    );
    writeProxySettings(w, r, r.balancer ? undefined : first.hostport);
  }
  w.close('}');
}
