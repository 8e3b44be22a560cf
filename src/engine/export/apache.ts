/**
 * Routing file → Apache httpd 2.4 (mod_proxy, mod_proxy_balancer, mod_headers, mod_ssl).
 *
 * Apache is what the routing file was modelled on, so most things map one to one. The
 * choices worth knowing:
 * - Routes become server-level ProxyPass lines in routing-file order: Apache also takes
 *   the first ProxyPass that matches, on path-segment boundaries like Switchyard.
 * - Per-route headers and ProxyPreserveHost go in a <LocationMatch> for exactly the paths
 *   that route serves (excluding paths an earlier route takes), because Apache merges
 *   every matching Location and would otherwise leak one route's headers into another's.
 * - Each listener gets a first virtual host with an unused name, so a Host header no route
 *   names reaches only the host-less routes — the routing file's behaviour.
 * - encodedSlashes becomes AllowEncodedSlashes, which Apache has per virtual host only.
 */
import type { BalancerConfig, EncodedSlashes } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { prefixBase } from '../paths.js';
import {
  backendUrls,
  escapeRegex,
  hasCatchAll,
  routesUsing,
  seconds,
  type Backend,
  type ExportPlan,
  type ListenerPlan,
  type RoutePlan,
  type SitePlan,
  type Unit,
} from './plan.js';
import { formModules, isFormRoute, pagePaths, requireOf, writeFormRoute } from './apache-forms.js';
import { describeRoute } from './plan-forms.js';
import { apacheQuote as quote, ConfigWriter } from './writer.js';

function modulesNeeded(plan: ExportPlan): [string, string][] {
  const mods: [string, string][] = [
    ['authz_core_module', 'mod_authz_core.so'],
    ['authz_host_module', 'mod_authz_host.so'],
    ['alias_module', 'mod_alias.so'],
    ['proxy_module', 'mod_proxy.so'],
    ['proxy_http_module', 'mod_proxy_http.so'],
  ];
  const routes = plan.listeners.flatMap((l) => l.sites.flatMap((s) => s.routes));
  if (routes.some((r) => r.hasHeaders) || plan.balancers.some((b) => b.stickyCookie))
    mods.push(['headers_module', 'mod_headers.so']);
  if (plan.balancers.length > 0) {
    mods.push(['proxy_balancer_module', 'mod_proxy_balancer.so']);
    mods.push(['slotmem_shm_module', 'mod_slotmem_shm.so']);
    for (const method of new Set(plan.balancers.map((b) => b.method)))
      mods.push([`lbmethod_${method}_module`, `mod_lbmethod_${method}.so`]);
  }
  if (plan.balancers.some((b) => b.healthCheck)) {
    mods.push(['watchdog_module', 'mod_watchdog.so']);
    mods.push(['proxy_hcheck_module', 'mod_proxy_hcheck.so']);
  }
  const backends = backendUrls(plan);
  // mod_http2 serves HTTP/2 to clients; mod_proxy_http2 speaks h2c:// and h2:// to backends.
  if (plan.listeners.some((l) => l.listener.http2)) mods.push(['http2_module', 'mod_http2.so']);
  if (backends.some((b) => b.http2)) mods.push(['proxy_http2_module', 'mod_proxy_http2.so']);
  if (plan.listeners.some((l) => l.listener.tls) || backends.some((b) => b.secure)) {
    mods.push(['socache_shmcb_module', 'mod_socache_shmcb.so']);
    mods.push(['ssl_module', 'mod_ssl.so']);
  }
  return [...mods, ...formModules(plan)];
}

function addressOf(l: ListenerPlan): string {
  const a = l.listener.address;
  return `${a.includes(':') ? `[${a}]` : a}:${l.listener.port}`;
}

function memberStatus(state: string): string | undefined {
  return { disabled: '+D', draining: '+N', standby: '+H' }[state];
}

function writeBalancer(w: ConfigWriter, plan: ExportPlan, b: BalancerConfig): void {
  const routes = routesUsing(plan, b);
  const timeout = Math.max(...routes.map((r) => r.timeoutMs), 1000);
  const websocket = routes.some((r) => r.route.websocket);
  const retry = seconds(parseDuration(b.retry) ?? 60_000);
  const hc = b.healthCheck;
  if (hc && hc.expect !== '200-399') {
    const [low, high = low] = hc.expect.split('-');
    w.line(
      `ProxyHCExpr sy_${b.name}_expect {%{REQUEST_STATUS} -ge ${low} && %{REQUEST_STATUS} -le ${high}}`,
    );
  }
  w.open(`<Proxy ${quote(`balancer://${b.name}`)}>`);
  if (hc) {
    w.comment(
      `Health check ${hc.method} ${hc.path} every ${hc.interval} (mod_proxy_hcheck); its timeout is the member's timeout=.`,
    );
  }
  for (const m of b.members) {
    const params = [
      ...(m.route !== undefined ? [`route=${m.route}`] : []),
      `loadfactor=${m.loadFactor}`,
      `retry=${retry}`,
      `timeout=${seconds(timeout)}`,
      ...(memberStatus(m.state) ? [`status=${memberStatus(m.state)}`] : []),
      ...(websocket ? ['upgrade=websocket'] : []),
      ...(hc
        ? [
            `hcmethod=${hc.method}`,
            `hcuri=${hc.path}`,
            `hcinterval=${seconds(parseDuration(hc.interval) ?? 5000)}`,
            `hcpasses=${hc.passes}`,
            `hcfails=${hc.fails}`,
            ...(hc.expect !== '200-399' ? [`hcexpr=sy_${b.name}_expect`] : []),
          ]
        : []),
    ];
    w.line(`BalancerMember ${quote(m.url)} ${params.join(' ')}`);
  }
  const set = [`lbmethod=${b.method}`];
  if (b.stickySession !== undefined) {
    const lower = b.stickySession.toLowerCase();
    // Cookie name, then the URL parameter name (;jsessionid= and ?jsessionid=).
    set.push(`stickysession=${b.stickySession}|${lower}`);
  }
  if (!b.failover) set.push('nofailover=On');
  if (b.stickyCookie && b.stickySession !== undefined) {
    w.comment(
      `stickyCookie: the route cookie, set when a request moves to another member (the ROUTEID recipe).`,
    );
    const cookie = `${b.stickySession}=.%{BALANCER_WORKER_ROUTE}e; path=${b.stickyCookie.path}`;
    w.line(
      `Header add Set-Cookie ${quote(cookie)} ${quote(`expr=-n reqenv('BALANCER_ROUTE_CHANGED') && reqenv('BALANCER_NAME') == 'balancer://${b.name}'`)}`,
    );
  }
  // Apache counts the attempts after the first one.
  if (b.maxAttempts !== undefined) set.push(`maxattempts=${b.maxAttempts - 1}`);
  w.line(`ProxySet ${set.join(' ')}`);
  w.close('</Proxy>');
  if (routes.some((r) => r.timeoutMs !== timeout)) {
    w.comment(
      `Routes to ${b.name} have different timeouts; members take the longest (${seconds(timeout)} s).`,
    );
  }
}

/** Target URL text for a backend path (balancer:// for balanced routes). */
function targetUrl(r: RoutePlan, path: string): string {
  if (r.balancer) return `balancer://${r.balancer.name}${path}`;
  return `${(r.backends[0] as Backend).origin}${path}`;
}

function proxyPassLines(r: RoutePlan, nocanon: boolean): string[] {
  const params =
    (r.balancer
      ? ''
      : ` timeout=${seconds(r.timeoutMs)}${r.route.websocket && !r.backends.some((b) => b.http2) ? ' upgrade=websocket' : ''}`) +
    (nocanon ? ' nocanon' : '');
  const line = (path: string, backend: string) =>
    `ProxyPass ${quote(path)} ${quote(targetUrl(r, backend))}${params}`;
  const exact = r.units.find((u) => u.kind === 'exact');
  const subtree = r.units.find((u) => u.kind === 'subtree');
  // `ProxyPass /app http://b/app` serves /app and /app/… alike when the backend path has
  // no trailing slash either; otherwise each unit gets its own line, the subtree first.
  if (exact && subtree && `${exact.backend}/` === subtree.backend)
    return [line(exact.path, exact.backend)];
  return [
    ...(subtree ? [line(subtree.path, subtree.backend)] : []),
    ...(exact ? [line(exact.path, exact.backend)] : []),
  ];
}

function reverseLines(r: RoutePlan): string[] {
  if (!r.route.reverse) return [];
  const publicBase = prefixBase(r.route.match.path);
  const backendBase = prefixBase(r.targetPath);
  // A trailing slash on one side needs one on the other, or Apache joins them wrongly.
  const [pub, back] = pair(publicBase, backendBase);
  return [`ProxyPassReverse ${quote(pub)} ${quote(targetUrl(r, back))}`];
}

function pair(publicBase: string, backendBase: string): [string, string] {
  return publicBase === '' || backendBase === ''
    ? [`${publicBase}/`, `${backendBase}/`]
    : [publicBase, backendBase];
}

/** Cookie rewrites, inside the route's LocationMatch: in Apache they apply per path. */
function cookieLines(r: RoutePlan, site: SitePlan): string[] {
  if (!r.route.reverse) return [];
  const lines: string[] = [];
  const [pub, back] = pair(prefixBase(r.route.match.path), prefixBase(r.targetPath));
  if (pub !== back) lines.push(`ProxyPassReverseCookiePath ${quote(back)} ${quote(pub)}`);
  if (site.host !== undefined && !site.host.startsWith('*.')) {
    for (const hostname of new Set(r.backends.map((b) => b.hostname)))
      lines.push(`ProxyPassReverseCookieDomain ${quote(hostname)} ${quote(site.host)}`);
  }
  return lines;
}

function unitRegex(u: Unit): string {
  return u.kind === 'exact' ? `${escapeRegex(u.path)}$` : escapeRegex(u.path);
}

/** A regular expression for exactly the paths this route serves in its site. */
function servedPaths(r: RoutePlan, site: SitePlan): string {
  const exact = r.units.find((u) => u.kind === 'exact');
  const subtree = r.units.find((u) => u.kind === 'subtree');
  const own =
    exact && subtree && subtree.path === `${exact.path}/`
      ? `${escapeRegex(exact.path)}(?:/|$)`
      : r.units.map(unitRegex).join('|');
  const earlier = site.routes
    .slice(0, site.routes.indexOf(r))
    .flatMap((e) => e.units)
    .filter((e) => r.units.some((u) => u.kind === 'subtree' && e.path.startsWith(u.path)));
  const not = earlier.length > 0 ? `(?!${earlier.map(unitRegex).join('|')})` : '';
  return `^${not}(?:${own})`;
}

/**
 * `guard` (` env=!SY_ROUTE`) keeps a ProxyPass route's headers off requests that a
 * mod_rewrite route (apache-forms.ts) took in the same paths.
 */
function headerLines(r: RoutePlan, guard = ''): string[] {
  // mod_headers reads % as a format specifier; %% is a literal percent sign.
  const value = (v: string) => quote(v.replace(/%/g, '%%'));
  const { request, response } = r.route.headers;
  return [
    ...request.remove.map((n) => `RequestHeader unset ${n}${guard}`),
    ...Object.entries(request.set).map(([n, v]) => `RequestHeader set ${n} ${value(v)}${guard}`),
    ...response.remove.map((n) => `Header unset ${n}${guard}`),
    ...Object.entries(response.set).map(([n, v]) => `Header set ${n} ${value(v)}${guard}`),
  ];
}

function writeRoute(w: ConfigWriter, r: RoutePlan, site: SitePlan, nocanon: boolean): void {
  const { route } = r;
  w.line();
  w.comment(`route ${route.name} (routes[${r.index}]): ${describeRoute(r)}`);
  if (r.units.length === 0) {
    w.comment(
      `never reached: ${r.unreachable ?? `route ${r.hiddenBy?.name ?? '?'} comes first and covers it`}`,
    );
    return;
  }
  if (isFormRoute(r)) {
    writeFormRoute(w, r, site, (x) => headerLines(x));
    return;
  }
  if (!route.websocket) {
    w.comment('websocket: false — without upgrade=websocket Apache does not tunnel upgrades');
  }
  for (const l of [...proxyPassLines(r, nocanon), ...reverseLines(r)]) w.line(l);
  const forms = site.routes.some((x) => x.units.length > 0 && isFormRoute(x));
  const scoped = [...cookieLines(r, site), ...headerLines(r, forms ? ' env=!SY_ROUTE' : '')];
  if (!route.preserveHost && scoped.length === 0 && !route.access) return;
  w.open(`<LocationMatch ${quote(servedPaths(r, site))}>`);
  // The route's own access list replaces the file's (<Location "/">) on the paths it serves.
  if (route.access) w.line(requireOf(route.access.allow));
  if (route.preserveHost) w.line('ProxyPreserveHost On');
  for (const l of scoped) w.line(l);
  w.close('</LocationMatch>');
}

const ALLOW_ENCODED_SLASHES: Record<EncodedSlashes, string> = {
  decode: 'On',
  passthrough: 'NoDecode',
};

/**
 * encodedSlashes is per route, Apache's AllowEncodedSlashes per virtual host. When the
 * routes of a site differ, the first route that sets one decides for the whole site, and a
 * comment names the routes that get it too. Returns the value written.
 */
function writeEncodedSlashes(w: ConfigWriter, site: SitePlan): EncodedSlashes | undefined {
  const routes = site.routes.filter((r) => r.units.length > 0);
  const chosen = routes.find((r) => r.route.encodedSlashes !== undefined);
  const value = chosen?.route.encodedSlashes;
  if (!chosen || value === undefined) return undefined;
  const others = routes.filter((r) => r.route.encodedSlashes !== value).map((r) => r.route.name);
  if (others.length > 0) {
    w.comment(
      `Apache has one AllowEncodedSlashes per virtual host: route ${chosen.route.name} sets encodedSlashes: ${value},\nso route${others.length > 1 ? 's' : ''} ${others.join(', ')} here get${others.length > 1 ? '' : 's'} it too.`,
    );
  }
  if (value === 'passthrough') {
    w.comment(
      "NoDecode alone is not enough: httpd re-encodes %2F as %252F for the backend whenever a\n<Location> matches the request (the access list's does), so ProxyPass passes the path\nas the client sent it (nocanon), as Switchyard does.",
    );
  }
  w.line(`AllowEncodedSlashes ${ALLOW_ENCODED_SLASHES[value]}`);
  return value;
}

function writeSite(w: ConfigWriter, l: ListenerPlan, site: SitePlan, n: number): void {
  w.line();
  w.open(`<VirtualHost ${addressOf(l)}>`);
  if (site.host === undefined) {
    w.comment(
      'First virtual host on this address: Apache gives it every Host no other one names,\nso it carries the routes without a host. Its name is never used.',
    );
    w.line(`ServerName switchyard-default-${n}.invalid`);
  } else if (site.host.startsWith('*.')) {
    w.line(`ServerName switchyard-wildcard-${n}.invalid`);
    w.line(`ServerAlias ${site.host}`);
  } else {
    w.line(`ServerName ${site.host}`);
  }
  if (l.listener.http2) {
    // HTTP/2 as Switchyard serves it: ALPN h2 over TLS, prior knowledge (h2c) in clear text.
    w.line(`Protocols ${l.listener.tls ? 'h2' : 'h2c'} http/1.1`);
  }
  if (site.certificate) {
    w.comment(
      `Certificate for ${site.certificate.name} from Switchyard's local CA (placeholder paths until\nit has issued one; any certificate for this name works).`,
    );
    w.line('SSLEngine on');
    w.line(`SSLCertificateFile ${quote(site.certificate.cert)}`);
    w.line(`SSLCertificateKeyFile ${quote(site.certificate.key)}`);
  }
  if (site.routes.some((r) => r.backends.some((b) => b.secure))) {
    w.line('SSLProxyEngine on');
  }
  const nocanon = writeEncodedSlashes(w, site) === 'passthrough';
  if (site.routes.some((r) => r.units.length > 0 && isFormRoute(r))) {
    w.line();
    w.comment(
      'Patterns, conditions, redirects and answers are mod_rewrite rules (they run before ProxyPass).',
    );
    w.line('RewriteEngine On');
  }
  for (const r of site.routes) writeRoute(w, r, site, nocanon);
  if (!hasCatchAll(site)) {
    w.line();
    w.comment('Paths no route serves: 404, as Switchyard answers them.');
    const pages = pagePaths(site);
    if (pages.length === 0) w.line('Redirect 404 "/"');
    else w.line(`RedirectMatch 404 ${quote(`^(?!${pages.map((p) => `(?:${p})`).join('|')})`)}`);
  }
  w.close('</VirtualHost>');
}

export function exportApache(plan: ExportPlan): string {
  const w = new ConfigWriter('    ');
  w.comment(
    [
      `Apache httpd 2.4 configuration generated by \`switchyard export apache\` from ${plan.options.source}.`,
      'Needs httpd 2.4.47 or newer (upgrade=websocket). Modules load from ServerRoot/modules unless',
      'already loaded; on Debian or Ubuntu, enable them with a2enmod and drop those lines instead.',
    ].join('\n'),
  );
  w.line();
  w.open('<IfModule !mpm_event_module>').open('<IfModule !mpm_worker_module>');
  w.open('<IfModule !mpm_prefork_module>');
  w.line('LoadModule mpm_event_module modules/mod_mpm_event.so');
  w.close('</IfModule>').close('</IfModule>').close('</IfModule>');
  for (const [id, file] of modulesNeeded(plan)) {
    w.open(`<IfModule !${id}>`).line(`LoadModule ${id} modules/${file}`).close('</IfModule>');
  }
  w.line();
  for (const l of plan.listeners) {
    w.line(`Listen ${addressOf(l)}${l.listener.tls ? ' https' : ''}`);
  }
  w.line();
  w.comment('Who may use the proxy (access.allow), for every request, proxied or not.');
  w.open('<Location "/">').line(requireOf(plan.access)).close('</Location>');
  for (const b of plan.balancers) {
    w.line();
    writeBalancer(w, plan, b);
  }
  let n = 0;
  for (const l of plan.listeners) {
    w.line();
    w.comment(`listener ${l.listener.name}`);
    for (const site of l.sites) writeSite(w, l, site, ++n);
  }
  return w.toString();
}
