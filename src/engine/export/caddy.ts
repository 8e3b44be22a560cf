/**
 * Routing file → Caddyfile (Caddy 2.6 or newer).
 *
 * Each site block wraps its routes in `route { }`, where directives run in the order
 * written and the first matching `handle` wins — the routing file's rule. A route's proxy
 * settings live in a snippet that each of its path units imports. Caddy keeps the client's
 * Host by default, so routes without preserveHost set it to the member's. Sticky sessions
 * read the route id from the URL or the cookie with `map` and send the request to that
 * member first (`lb_policy first`), the others following only when failover is on.
 *
 * Routes' encodedSlashes has no Caddy equivalent and is left out: Caddy's path matchers
 * see `%2F` decoded, so `/app%2Fx` is served by the /app/ route where Switchyard answers
 * 404 unless the route sets encodedSlashes.
 */
import type { BalancerConfig, MemberConfig } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { prefixBase } from '../paths.js';
import {
  allowsEveryone,
  escapeRegex,
  hasCatchAll,
  seconds,
  type ExportPlan,
  type ListenerPlan,
  type RoutePlan,
  type SitePlan,
  type Unit,
} from './plan.js';
import { isFormRoute, writeFormHandle } from './caddy-forms.js';
import { ConfigWriter } from './writer.js';

/** Caddyfile token: quoted, with placeholders' braces escaped for literal values. */
function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[{}]/g, '\\$&')}"`;
}

function upstream(url: string): string {
  const u = new URL(url);
  const secure = u.protocol === 'https:' || u.protocol === 'h2:';
  const port = u.port || (secure ? '443' : '80');
  return `${secure ? 'https://' : ''}${u.hostname}:${port}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Members for plain (not stuck) requests; loadFactor by repetition, as 2.6 has no weights. */
function rotation(b: BalancerConfig, w: ConfigWriter): string[] {
  const enabled = b.members.filter((m) => m.state === 'enabled');
  const standby = b.members.filter((m) => m.state === 'standby');
  const skipped = b.members.filter((m) => m.state !== 'enabled');
  if (skipped.length > 0) {
    w.comment(
      `Not in the rotation: ${skipped.map((m) => `${m.url} (${m.state})`).join(', ')}.${standby.length > 0 && enabled.length > 0 ? ' Caddy has no hot standby.' : ''}`,
    );
  }
  const members = enabled.length > 0 ? enabled : standby;
  if (b.method !== 'byrequests') return members.map((m) => upstream(m.url));
  const unit = members.reduce((g, m) => gcd(g, m.loadFactor), 0) || 1;
  const copies = members.map((m) => m.loadFactor / unit);
  if (copies.reduce((a, c) => a + c, 0) > 32) {
    w.comment(
      'loadFactors too uneven to repeat members; Caddy 2.8+ has lb_policy weighted_round_robin.',
    );
    return members.map((m) => upstream(m.url));
  }
  return members.flatMap((m, i) => Array<string>(copies[i] ?? 1).fill(upstream(m.url)));
}

function balancerOptions(w: ConfigWriter, b: BalancerConfig, policy: string): void {
  w.line(`lb_policy ${policy}`);
  // Caddy 2.6 retries for a duration rather than a count (2.7+ has lb_retries).
  if (b.failover) w.line('lb_try_duration 5s');
  w.line(`fail_duration ${seconds(parseDuration(b.retry) ?? 60_000)}s`);
  w.line('max_fails 1');
  const hc = b.healthCheck;
  if (!hc) return;
  w.line(`health_uri ${hc.path}`);
  w.line(`health_interval ${hc.interval}`);
  w.line(`health_timeout ${hc.timeout}`);
  const cls = /^([1-5])00-\1\d\d$/.exec(hc.expect)?.[1];
  if (cls) w.line(`health_status ${cls}xx`);
  else if (/^\d{3}$/.test(hc.expect)) w.line(`health_status ${hc.expect}`);
  else
    w.comment(`healthCheck expects ${hc.expect}; Caddy takes one status or class (default 2xx).`);
  if (hc.method !== 'GET' || hc.passes !== 1 || hc.fails !== 1)
    w.comment(
      `healthCheck ${hc.method}, passes ${hc.passes}, fails ${hc.fails}: Caddy 2.6 checks with GET, one result each.`,
    );
}

function proxyBody(w: ConfigWriter, r: RoutePlan): void {
  const { route } = r;
  if (!route.preserveHost) w.line('header_up Host {upstream_hostport}');
  w.line('header_up X-Forwarded-Server {system.hostname}');
  for (const [n, v] of Object.entries(route.headers.request.set))
    w.line(`header_up ${n} ${literal(v)}`);
  for (const n of route.headers.request.remove) w.line(`header_up -${n}`);
  for (const [n, v] of Object.entries(route.headers.response.set))
    w.line(`header_down ${n} ${literal(v)}`);
  for (const n of route.headers.response.remove) w.line(`header_down -${n}`);
  if (route.reverse) {
    // A pattern route's target is written in full: Locations map its origin to the client's.
    const publicBase = r.template === undefined ? prefixBase(route.match.path) : '';
    const backendBase = r.template === undefined ? prefixBase(r.targetPath) : '';
    for (const origin of new Set(r.backends.map((b) => b.origin))) {
      for (const header of ['Location', 'Content-Location']) {
        w.line(
          `header_down ${header} \`^${escapeRegex(origin + backendBase)}([/?#].*)?$\` "{http.request.scheme}://{http.request.hostport}${publicBase}$1"`,
        );
      }
    }
  }
  const timeout = `${seconds(r.timeoutMs)}s`;
  w.open('transport http {');
  w.line(`read_timeout ${timeout}`);
  w.line(`write_timeout ${timeout}`);
  if (r.backends.some((b) => b.secure)) w.line('tls');
  // HTTP/2 to the backend: h2c (clear text, prior knowledge) or h2 over TLS.
  if (r.backends.some((b) => b.scheme === 'h2c')) w.line('versions h2c 2');
  else if (r.backends.some((b) => b.scheme === 'h2')) w.line('versions 2');
  w.close('}');
}

function writeSticky(w: ConfigWriter, r: RoutePlan, b: BalancerConfig): void {
  const name = b.stickySession as string;
  const id = b.name.replace(/[^A-Za-z0-9_]/g, '_');
  const param = escapeRegex(name);
  w.comment(
    `Sticky sessions: the route after the '.' of ${name}, from the URL (;${name.toLowerCase()}= or ?${name.toLowerCase()}=), then the cookie.`,
  );
  if (b.stickyCookie)
    w.comment(
      `stickyCookie: not exported. Caddy does not tell a response which member's route it carries,\nso the application must set ${name} itself (or use lb_policy cookie, which sets its own).`,
    );
  w.open(`map {http.request.uri} {sy_${id}_url} {`);
  w.line(`~(?i)^[^?]*;${param}=[^;/?.]*\\.([^;/?]+) "\${1}"`);
  w.line(`~(?i)[?&]${param}=[^&.]*\\.([^&]+) "\${1}"`);
  w.line('default ""');
  w.close('}');
  w.open(`map {http.request.cookie.${name}} {sy_${id}_cookie} {`);
  w.line('~^"?[^.]*\\.([^"]+)"?$ "${1}"');
  w.line('default ""');
  w.close('}');
  const others = (m: MemberConfig) => [
    ...b.members.filter((o) => o !== m && o.state === 'enabled'),
    ...b.members.filter((o) => o !== m && o.state === 'standby'),
  ];
  for (const m of b.members) {
    if (m.route === undefined) continue;
    const matcher = `@sy_${id}_${m.route.replace(/[^A-Za-z0-9_]/g, '_')}`;
    w.line(
      `${matcher} expression \`{sy_${id}_url} == "${m.route}" || ({sy_${id}_url} == "" && {sy_${id}_cookie} == "${m.route}")\``,
    );
    if (m.state === 'disabled' && !b.failover) {
      w.line(`respond ${matcher} 503`);
      continue;
    }
    if (m.state === 'disabled') continue; // its sessions fail over to the rotation below
    const list = [m, ...(b.failover ? others(m) : [])].map((x) => upstream(x.url));
    w.open(`reverse_proxy ${matcher} ${list.join(' ')} {`);
    balancerOptions(w, b, 'first');
    proxyBody(w, r);
    w.close('}');
  }
}

function writeSnippet(w: ConfigWriter, r: RoutePlan, snippet: string): void {
  w.line();
  w.comment(`route ${r.route.name} (routes[${r.index}]): ${r.route.match.path} → ${r.route.to}`);
  if (!r.route.websocket)
    w.comment('websocket: false — Caddy tunnels WebSocket upgrades on every route.');
  w.open(`(${snippet}) {`);
  const b = r.balancer;
  if (b) {
    if (b.stickySession !== undefined) writeSticky(w, r, b);
    if (b.method === 'bytraffic')
      w.comment('bytraffic has no Caddy equivalent; round robin is the nearest.');
    const list = rotation(b, w);
    if (list.length === 0) {
      w.line('respond 503');
    } else {
      w.open(`reverse_proxy ${list.join(' ')} {`);
      balancerOptions(w, b, b.method === 'bybusyness' ? 'least_conn' : 'round_robin');
      proxyBody(w, r);
      w.close('}');
    }
  } else {
    w.open(`reverse_proxy ${upstream(r.route.to ?? '')} {`);
    proxyBody(w, r);
    w.close('}');
  }
  w.close('}');
}

function unitMatcher(u: Unit): string {
  return u.kind === 'exact' ? u.path : `${u.path}*`;
}

/** Routes with their own access list that the export can give it (prefix routes). */
function ownAccess(site: SitePlan): RoutePlan[] {
  return site.routes.filter((r) => r.units.length > 0 && r.route.access && !isFormRoute(r));
}

/**
 * The file's access list for every path but those of routes with their own, which their
 * handles check (`@sy_denied_rN`). A form route's own list is not carried (commented).
 */
function writeAccess(w: ConfigWriter, site: SitePlan, access: readonly string[]): void {
  const own = ownAccess(site);
  for (const r of site.routes)
    if (r.route.access && isFormRoute(r) && r.units.length > 0)
      w.comment(`route ${r.route.name}: its own access list is not exported for a route form.`);
  if (!allowsEveryone(access)) {
    const exempt = own.flatMap((r) => r.units.map(unitMatcher));
    if (access.length === 0 && exempt.length === 0) w.line('respond 403');
    else {
      w.open('@sy_denied {');
      if (access.length > 0) w.line(`not remote_ip ${access.join(' ')}`);
      if (exempt.length > 0) w.line(`not path ${exempt.join(' ')}`);
      w.close('}');
      w.line('respond @sy_denied 403');
    }
  }
  for (const r of own) {
    const allow = r.route.access?.allow ?? [];
    if (allowsEveryone(allow)) continue;
    w.comment(`route ${r.route.name}: its own access list`);
    w.line(
      `@sy_denied_r${r.index} ${allow.length === 0 ? 'remote_ip 0.0.0.0/0 ::/0' : `not remote_ip ${allow.join(' ')}`}`,
    );
  }
}

function writeRouteHandles(w: ConfigWriter, r: RoutePlan, snippet: string): void {
  const name = `r${r.index}`;
  const allow = r.route.access?.allow;
  const deny =
    allow !== undefined && !allowsEveryone(allow) ? `respond @sy_denied_${name} 403` : '';
  if (r.units.every((u) => u.backend === u.path)) {
    w.line(`@${name} path ${r.units.map(unitMatcher).join(' ')}`);
    w.open(`handle @${name} {`);
    if (deny) w.line(deny);
    w.line(`import ${snippet}`).close('}');
    return;
  }
  for (const u of r.units) {
    const m = `${name}${u.kind === 'exact' ? 'e' : 's'}`;
    if (u.kind === 'exact') {
      w.line(`@${m} path ${u.path}`);
      w.open(`handle @${m} {`);
      if (deny) w.line(deny);
      w.line(`rewrite * ${u.backend}`);
    } else {
      w.line(`@${m} path_regexp ${m} \`^${escapeRegex(u.path)}(.*)$\``);
      w.open(`handle @${m} {`);
      if (deny) w.line(deny);
      w.line(`rewrite * ${u.backend}{http.regexp.${m}.1}`);
    }
    w.line(`import ${snippet}`).close('}');
  }
}

function siteAddress(l: ListenerPlan, site: SitePlan): string {
  return `${l.listener.tls ? 'https' : 'http'}://${site.host ?? ''}:${l.listener.port}`;
}

function writeSite(
  w: ConfigWriter,
  l: ListenerPlan,
  site: SitePlan,
  plan: ExportPlan,
  snippets: Map<RoutePlan['route'], string>,
): void {
  w.line();
  w.open(`${siteAddress(l, site)} {`);
  w.line(`bind ${l.listener.address}`);
  if (site.certificate) {
    w.comment(
      `Certificate for ${site.certificate.name} from Switchyard's local CA (placeholder paths until it\nhas issued one; any certificate for this name works).`,
    );
    w.line(`tls ${literal(site.certificate.cert)} ${literal(site.certificate.key)}`);
  }
  w.open('route {');
  writeAccess(w, site, plan.access);
  for (const r of site.routes) {
    if (r.units.length === 0) {
      w.comment(
        `route ${r.route.name}: never reached, ${r.unreachable ?? `route ${r.hiddenBy?.name ?? '?'} comes first and covers it`}`,
      );
      continue;
    }
    if (isFormRoute(r)) {
      writeFormHandle(w, r, snippets.get(r.route), plan.allBalancers);
      continue;
    }
    writeRouteHandles(w, r, snippets.get(r.route) as string);
  }
  if (!hasCatchAll(site)) {
    w.comment('Paths no route serves: 404, as Switchyard answers them.');
    w.line('respond 404');
  }
  w.close('}');
  w.close('}');
}

export function exportCaddy(plan: ExportPlan): string {
  const w = new ConfigWriter('\t');
  w.comment(
    [
      `Caddyfile generated by \`switchyard export caddy\` from ${plan.options.source}.`,
      'Run it with: caddy run --config FILE --adapter caddyfile (Caddy 2.6 or newer).',
      'Caddy matches paths case-insensitively; Switchyard matches them as written.',
    ].join('\n'),
  );
  w.open('{');
  w.comment('Certificates are given per site (tls); no automatic certificates or redirects.');
  w.line('auto_https off');
  if (plan.listeners.some((l) => l.listener.http2 && !l.listener.tls)) {
    // HTTP/2 with prior knowledge (h2c) beside HTTP/1.1, as Switchyard's plain listeners.
    w.open('servers {').line('protocols h1 h2 h2c').close('}');
  }
  w.close('}');
  // One snippet per route, shared by every site and path unit that serves it.
  const snippets = new Map<RoutePlan['route'], string>();
  for (const l of plan.listeners) {
    for (const site of l.sites) {
      for (const r of site.routes) {
        if (r.units.length === 0 || snippets.has(r.route) || r.form !== 'proxy') continue;
        const snippet = `route_${r.route.name}`;
        snippets.set(r.route, snippet);
        writeSnippet(w, r, snippet);
      }
    }
  }
  for (const l of plan.listeners) {
    w.line();
    w.comment(`listener ${l.listener.name}`);
    for (const site of l.sites) writeSite(w, l, site, plan, snippets);
  }
  return w.toString();
}
