/**
 * The route forms in the Apache export: path patterns, conditions, redirects and answers
 * become mod_rewrite rules (RewriteCond for each condition, RewriteRule … [P], [R=N], or
 * `-` with a status), which is where Apache has conditions at all.
 *
 * Order: mod_rewrite's rules in a virtual host run before any ProxyPass (both translate
 * names; mod_rewrite goes first), so a rule also carries `RewriteCond … !` exclusions for
 * the paths an earlier ProxyPass route serves. Then first match wins across both, as in
 * the routing file. Each rule sets SY_ROUTE, so the route's ProxyPreserveHost and headers
 * apply in an `<If>` for that route only.
 *
 * Regular expressions: RE2 patterns are read by PCRE the same way in practice (RE2 is
 * close to a subset); Apache matches them against the decoded path, Switchyard against the
 * path as sent, so percent-encoded characters (`%41`) differ.
 */
import { STATUS_CODES } from 'node:http';
import {
  headerOf,
  lastCapture,
  mapRegex,
  prefixRegex,
  restRegex,
  spell,
  usesWhen,
  type PlanCondition,
  type PlanTest,
  type TemplatePart,
} from './plan-forms.js';
import {
  escapeRegex,
  type Backend,
  type ExportPlan,
  type RoutePlan,
  type SitePlan,
} from './plan.js';
import { apacheQuote as quote, type ConfigWriter } from './writer.js';

/** Routes written with mod_rewrite rather than ProxyPass. */
export function isFormRoute(r: RoutePlan): boolean {
  return r.form !== 'proxy' || r.conditional;
}

export function formModules(plan: ExportPlan): [string, string][] {
  const routes = plan.listeners.flatMap((l) => l.sites.flatMap((s) => s.routes));
  const forms = routes.filter((r) => r.units.length > 0 && isFormRoute(r));
  const mods: [string, string][] = [];
  if (forms.length === 0) return mods;
  mods.push(['rewrite_module', 'mod_rewrite.so']);
  if (forms.some((r) => r.form === 'respond' || r.hasHeaders) && !routes.some((r) => r.hasHeaders))
    mods.push(['headers_module', 'mod_headers.so']);
  if (forms.some((r) => r.respond?.page === 'balancers') && plan.balancers.length === 0) {
    mods.push(['proxy_balancer_module', 'mod_proxy_balancer.so']);
    mods.push(['slotmem_shm_module', 'mod_slotmem_shm.so']);
    mods.push(['lbmethod_byrequests_module', 'mod_lbmethod_byrequests.so']);
  }
  return mods;
}

/** mod_rewrite's substitution text: `$`, `%` and `\` are its own unless escaped. */
function literal(text: string): string {
  return text.replace(/[\\$%]/g, '\\$&');
}

function variable(part: Exclude<TemplatePart, { kind: 'text' }>): string {
  switch (part.kind) {
    case 'group':
      return `$${part.n}`;
    case 'when':
      return `%${part.n}`;
    case 'header':
      return `%{HTTP:${part.name}}`;
    case 'request':
      return {
        // UseCanonicalName Off (the default): the Host header's name, without the port.
        host: '%{SERVER_NAME}',
        authority: '%{HTTP_HOST}',
        path: '%{REQUEST_URI}',
        query: '%{QUERY_STRING}',
        scheme: '%{REQUEST_SCHEME}',
      }[part.field];
  }
}

/** The same placeholders in an ErrorDocument string (ap_expr). */
function exprVariable(part: Exclude<TemplatePart, { kind: 'text' }>): string {
  if (part.kind === 'header') return `%{req:${part.name}}`;
  if (part.kind === 'request') return variable(part);
  return '';
}

function subjectOf(test: PlanTest): string {
  const header = headerOf(test.on);
  if (header !== undefined) return `%{HTTP:${header}}`;
  return test.on === 'host' ? '%{SERVER_NAME}' : '%{REQUEST_URI}';
}

function condLine(test: PlanTest, or: boolean): string {
  const bang = test.not ? '!' : '';
  let pattern: string;
  if (test.matches !== undefined) pattern = quote(`${bang}${test.matches}`);
  // `=""` is mod_rewrite's spelling of "equals the empty string".
  else if (test.equals === '') pattern = `${bang}=""`;
  else pattern = quote(`${bang}=${test.equals ?? ''}`);
  const flags = [...(test.ignoreCase ? ['NC'] : []), ...(or ? ['OR'] : [])];
  return `RewriteCond ${subjectOf(test)} ${pattern}${flags.length ? ` [${flags.join(',')}]` : ''}`;
}

function conditionLines(conditions: readonly PlanCondition[]): string[] {
  return conditions.flatMap((c) =>
    c.kind === 'test'
      ? [condLine(c.test, false)]
      : c.tests.map((t, i) => condLine(t, i < c.tests.length - 1)),
  );
}

/** `!`-conditions for the paths earlier ProxyPass routes of the site serve (they set no %N). */
function exclusionLines(r: RoutePlan, site: SitePlan): string[] {
  const earlier = site.routes
    .slice(0, site.routes.indexOf(r))
    .filter((e) => !isFormRoute(e))
    .flatMap((e) => e.units)
    .filter((e) =>
      r.units.some((u) =>
        u.kind === 'subtree' ? e.path.startsWith(u.path) : u.path.startsWith(e.path),
      ),
    );
  if (earlier.length === 0) return [];
  const alternatives = earlier.map((u) =>
    u.kind === 'exact' ? `${escapeRegex(u.path)}$` : escapeRegex(u.path),
  );
  return [`RewriteCond %{REQUEST_URI} ${quote(`!^(?:${alternatives.join('|')})`)}`];
}

function queryFlag(r: RoutePlan, target: string): string[] {
  const own = target.includes('?');
  if (own) return r.keepQuery ? ['QSA'] : [];
  return r.keepQuery ? [] : ['QSD'];
}

function originOf(r: RoutePlan): string {
  return r.balancer ? `balancer://${r.balancer.name}` : (r.backends[0] as Backend).origin;
}

/** The RewriteRule pattern and substitution of a route. */
function rule(r: RoutePlan): { pattern: string; target: string; flags: string[] } {
  const { route } = r;
  const byPattern = r.pattern?.source;
  const prefix = prefixRegex(route.match.path, escapeRegex);
  if (r.form === 'redirect' && r.redirect) {
    const { to, status, appendRest } = r.redirect;
    const target = appendRest ? `${literal(to)}$1` : spell(to, literal, variable);
    return {
      pattern: appendRest ? restRegex(route.match.path, to, escapeRegex) : (byPattern ?? prefix),
      target,
      flags: [`R=${status}`, ...queryFlag(r, to)],
    };
  }
  if (r.form === 'respond') {
    const page = r.respond?.page === 'balancers';
    return {
      pattern: byPattern ?? prefix,
      target: '-',
      flags: page ? ['H=balancer-manager', 'E=no-proxy:1'] : [`R=${r.respond?.status ?? 404}`],
    };
  }
  if (r.template !== undefined) {
    return {
      pattern: byPattern ?? prefix,
      target: originOf(r) + spell(r.template, literal, variable),
      flags: ['P', ...queryFlag(r, r.template)],
    };
  }
  const [pattern, path] = mapRegex(route.match.path, r.targetPath, escapeRegex);
  return {
    pattern,
    target: originOf(r) + spell(path, literal, variable),
    flags: ['P', ...queryFlag(r, '')],
  };
}

/** The default body of a respond route, as the engine writes it (local-answers.ts). */
function respondBody(r: RoutePlan): string {
  const status = r.respond?.status ?? 404;
  return (
    r.respond?.body ??
    `${status} ${STATUS_CODES[status] ?? ''}: route '${r.route.name}' answers this path itself.`
  );
}

/** The paths a form route can answer, for its ErrorDocument's <LocationMatch>. */
function locationRegex(r: RoutePlan): string {
  const pattern = r.pattern;
  if (pattern) return pattern.ignoreCase ? `(?i)${pattern.source}` : pattern.source;
  return prefixRegex(r.route.match.path, escapeRegex);
}

export function writeFormRoute(
  w: ConfigWriter,
  r: RoutePlan,
  site: SitePlan,
  headerLines: (r: RoutePlan) => string[],
): void {
  const { route } = r;
  const tag = `${r.index}`;
  if (r.pattern && route.match.path !== '/') {
    // (A negated test sets no %N, so {{when.N}} keeps reading the route's own conditions.)
    w.comment(`match.path ${route.match.path} as well as the pattern`);
  }
  const conds = [
    ...exclusionLines(r, site),
    ...(r.pattern && route.match.path !== '/'
      ? [
          `RewriteCond %{REQUEST_URI} ${quote(`!^(?!${prefixRegex(route.match.path, escapeRegex).slice(1)})`)}`,
        ]
      : []),
    ...conditionLines(r.conditions),
  ];
  const usesWhenGroups = [r.template, r.redirect?.to].some((t) => t !== undefined && usesWhen(t));
  if (usesWhenGroups && lastCapture(r.conditions) === 'dynamic')
    w.comment('{{when.N}}: %N of the last RewriteCond that matched, as in the engine.');
  const { pattern, target, flags } = rule(r);
  for (const l of conds) w.line(l);
  const all = [...flags, ...(r.pattern?.ignoreCase ? ['NC'] : []), 'L', `E=SY_ROUTE:${tag}`];
  w.line(`RewriteRule ${quote(pattern)} ${quote(target)} [${all.join(',')}]`);
  const onlyThis = `reqenv('SY_ROUTE') == '${tag}'`;
  if (r.form === 'respond' && r.respond?.page !== 'balancers' && r.respond) {
    const body = spell(
      respondBody(r).replace(/\n+$/, ''),
      (t) => t.replace(/\n/g, ' '),
      exprVariable,
    );
    if (/\$[0-9]|\{\{when\./.test(r.respond.body ?? ''))
      w.comment('The body’s $N and {{when.N}} are left empty: ErrorDocument cannot read them.');
    w.comment(
      `The answer's body (ErrorDocument; its final newline is not kept) for status ${r.respond.status}.`,
    );
    if (!body.includes(' ') && (body.startsWith('/') || /^[a-z]+:\/\//i.test(body)))
      w.comment('Apache reads a one-word ErrorDocument that looks like a path or URL as one.');
    if (r.respond.status >= 300 && r.respond.status < 400)
      w.comment('[R=3xx] is a redirect to Apache, without a Location here.');
    w.open(`<LocationMatch ${quote(locationRegex(r))}>`);
    w.line(`ErrorDocument ${r.respond.status} ${quote(body)}`);
    w.line(
      `Header always set Content-Type ${quote(r.respond.contentType)} ${quote(`expr=${onlyThis}`)}`,
    );
    w.close('</LocationMatch>');
  }
  if (r.form === 'redirect' && r.redirect && !r.redirect.appendRest && r.redirect.to.includes('?'))
    w.comment('Its own query string comes first, the client’s after it ([QSA]), as in the engine.');
  if (route.access && r.form !== 'proxy')
    w.comment(
      'access.allow of this route is not applied: mod_rewrite answers redirects and answers before\nApache checks who the client is.',
    );
  if (r.form !== 'proxy') return;
  w.open(`<If ${quote(onlyThis)}>`);
  if (route.access) w.line(requireOf(route.access.allow));
  w.line(`ProxyPreserveHost ${route.preserveHost ? 'On' : 'Off'}`);
  for (const l of headerLines(r)) w.line(l);
  w.close('</If>');
  if (route.reverse) {
    const back = r.template === undefined ? r.targetPath : '/';
    const pub = r.template === undefined ? route.match.path : '/';
    w.line(
      `ProxyPassReverse ${quote(pub.endsWith('/') ? pub : `${pub}/`)} ${quote(`${originOf(r)}${back.endsWith('/') ? back : `${back}/`}`)}`,
    );
  }
  w.comment(
    '[P] uses the worker of a ProxyPass to the same backend when there is one, otherwise\nmod_proxy’s defaults: Timeout, and no WebSocket upgrade.',
  );
}

/** `Require …` for an access list: everyone, nobody, or addresses. */
export function requireOf(access: readonly string[]): string {
  if (access.includes('0.0.0.0/0') && access.includes('::/0')) return 'Require all granted';
  if (access.length === 0) return 'Require all denied';
  return `Require ip ${access.join(' ')}`;
}

/** Paths of the site's balancers pages, kept from the `Redirect 404 "/"` of unrouted paths. */
export function pagePaths(site: SitePlan): string[] {
  return site.routes
    .filter((r) => r.units.length > 0 && r.respond?.page === 'balancers')
    .map(locationRegex);
}
