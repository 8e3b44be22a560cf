/**
 * Routing file → nginx (open-source nginx, 1.18 or newer): a complete nginx.conf.
 *
 * nginx picks the longest matching prefix location, not the first route; the plan has
 * already dropped the path units an earlier route covers, and after that both rules pick
 * the same route. Each route unit is an exact (`location = /app`) or prefix
 * (`location /app/`) location. Sticky sessions, which open-source nginx lacks, are built
 * from maps: the route id found in the URL or the cookie selects a one-member upstream
 * whose other members are backups (or absent when failover is off).
 *
 * Routes' encodedSlashes has no nginx equivalent and is left out: nginx matches locations on
 * the decoded path, so `/app%2Fx` is served by the /app/ route's location (and reaches its
 * backend as sent when proxy_pass names no path, decoded when it does) where Switchyard
 * answers 404 unless the route sets encodedSlashes.
 */
import type { BalancerConfig } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { prefixBase } from '../paths.js';
import {
  allowsEveryone,
  escapeRegex,
  hasCatchAll,
  seconds,
  type Backend,
  type ExportPlan,
  type ListenerPlan,
  type RoutePlan,
  type SitePlan,
  type Unit,
} from './plan.js';
import {
  isFormRoute,
  writeFormDispatch,
  writeFormLocation,
  writeFormMaps,
  type FormNames,
} from './nginx-forms.js';
import { describeRoute } from './plan-forms.js';
import { ConfigWriter, quote } from './writer.js';

function stickyVar(b: BalancerConfig): string {
  return `$sy_${b.name.replace(/[^A-Za-z0-9_]/g, '_')}_upstream`;
}

function memberUpstream(b: BalancerConfig, route: string): string {
  return `${b.name}_route_${route}`;
}

function serverLine(url: string, extra: string[]): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' || u.protocol === 'h2:' ? '443' : '80');
  return `server ${u.hostname}:${port}${extra.length > 0 ? ` ${extra.join(' ')}` : ''};`;
}

function writeUpstreams(w: ConfigWriter, b: BalancerConfig): void {
  const failTimeout = seconds(parseDuration(b.retry) ?? 60_000);
  const passive = [`max_fails=1`, `fail_timeout=${failTimeout}s`];
  w.comment(`balancer ${b.name} (${b.method})`);
  if (b.method === 'bytraffic') {
    w.comment('bytraffic has no nginx equivalent; weighted round robin is the nearest.');
  }
  if (b.healthCheck) {
    w.comment(
      `healthCheck ${b.healthCheck.path}: open-source nginx has no active health checks; members in\nerror are skipped for fail_timeout after a failed request instead.`,
    );
  }
  const paths = new Set(b.members.map((m) => new URL(m.url).pathname));
  if (paths.size > 1)
    w.comment(
      'Members have different paths; nginx upstreams have none, so the first member’s is used.',
    );
  w.open(`upstream ${b.name} {`);
  if (b.method === 'bybusyness') w.line('least_conn;');
  for (const m of b.members) {
    const state = m.state === 'standby' ? ['backup'] : m.state === 'enabled' ? [] : ['down'];
    w.line(serverLine(m.url, [`weight=${m.loadFactor}`, ...passive, ...state]));
  }
  w.line('keepalive 16;');
  w.close('}');
  if (b.stickySession === undefined) return;
  for (const m of b.members) {
    if (m.route === undefined) continue;
    // The member a session is stuck to first; the others only if it fails (failover).
    // A draining member still takes its sessions; a disabled one takes none.
    w.open(`upstream ${memberUpstream(b, m.route)} {`);
    w.line(serverLine(m.url, [...passive, ...(m.state === 'disabled' ? ['down'] : [])]));
    if (b.failover) {
      for (const o of b.members) {
        if (o === m || o.state === 'disabled') continue;
        w.line(serverLine(o.url, [...passive, 'backup']));
      }
    }
    w.line('keepalive 16;');
    w.close('}');
  }
}

function writeStickyMaps(w: ConfigWriter, b: BalancerConfig): void {
  const name = b.stickySession;
  if (name === undefined) return;
  const id = b.name.replace(/[^A-Za-z0-9_]/g, '_');
  const param = escapeRegex(name);
  w.comment(
    `Sticky sessions for ${b.name}: the route after the '.' of ${name}, from the ;${name.toLowerCase()}= path\nparameter, then the ${name.toLowerCase()} query parameter, then the cookie (Switchyard's order).`,
  );
  if (b.stickyCookie)
    w.comment(
      `stickyCookie: not exported. nginx does not say which member served a request in a form\nadd_header can compare with the session's route, so the application must set ${name} itself.`,
    );
  w.open(`map $request_uri $sy_${id}_url_route {`);
  w.line('default "";');
  w.line(`${quote(`~*^[^?]*;${param}=[^;/?.]*\\.(?<r1>[^;/?]+)`)} $r1;`);
  w.line(`${quote(`~*[?&]${param}=[^&.]*\\.(?<r2>[^&]+)`)} $r2;`);
  w.close('}');
  w.open(`map $cookie_${name} $sy_${id}_cookie_route {`);
  w.line('default "";');
  w.line(`${quote('~^"?[^.]*\\.(?<r3>[^"]+)"?$')} $r3;`);
  w.close('}');
  w.open(`map "$sy_${id}_url_route:$sy_${id}_cookie_route" ${stickyVar(b)} {`);
  w.line(`default ${b.name};`);
  for (const m of b.members) {
    if (m.route === undefined) continue;
    const r = escapeRegex(m.route);
    w.line(`${quote(`~^${r}:`)} ${memberUpstream(b, m.route)};`);
    w.line(`${quote(`~^:${r}$`)} ${memberUpstream(b, m.route)};`);
  }
  w.close('}');
}

/** Every route of the listener goes to HTTP/2 backends: a gRPC listener. */
function onlyHttp2(l: ListenerPlan): boolean {
  const routes = l.sites.flatMap((s) => s.routes);
  return routes.length > 0 && routes.every((r) => r.backends.every((b) => b.http2));
}

function listenLine(l: ListenerPlan, isDefault: boolean): string {
  const a = l.listener.address;
  const address = `${a.includes(':') ? `[${a}]` : a}:${l.listener.port}`;
  // nginx before 1.25 serves HTTP/2 in clear text only to prior-knowledge clients, and then
  // no HTTP/1.1 on that port; so h2c is offered only where every route goes to an HTTP/2
  // backend (gRPC), and h2 on TLS listeners (ALPN).
  const http2 = l.listener.http2 && (l.listener.tls || onlyHttp2(l));
  const protocols = `${l.listener.tls ? ' ssl' : ''}${http2 ? ' http2' : ''}`;
  return `listen ${address}${protocols}${isDefault ? ' default_server' : ''};`;
}

function writeAccess(w: ConfigWriter, access: readonly string[]): void {
  if (allowsEveryone(access)) return;
  for (const a of access) w.line(`allow ${a};`);
  w.line('deny all;');
}

/**
 * A route's own access list, in its locations: allow/deny there replace the server's, as
 * the route's list replaces the file's (`allow all` undoes a server-level `deny all`).
 */
export function writeRouteAccess(w: ConfigWriter, r: RoutePlan): void {
  const allow = r.route.access?.allow;
  if (allow === undefined) return;
  w.comment(`route ${r.route.name}: its own access list`);
  if (allowsEveryone(allow)) w.line('allow all;');
  else writeAccess(w, allow);
}

/** proxy_redirect and proxy_cookie_* for ProxyPassReverse. */
function writeReverse(w: ConfigWriter, r: RoutePlan): void {
  if (!r.route.reverse) {
    w.line('proxy_redirect off;');
    return;
  }
  const publicBase = prefixBase(r.route.match.path);
  const backendBase = prefixBase(r.targetPath);
  for (const b of new Set(r.backends.map((x) => x.origin))) {
    // Absolute URLs of the backend → the URL the client used (its own Host and scheme).
    w.line(
      `proxy_redirect ${quote(`~^${escapeRegex(b + backendBase)}([/?#].*)?$`)} ${quote(`$scheme://$http_host${publicBase}$1`)};`,
    );
  }
  if (r.targetPath !== r.route.match.path && r.targetPath !== '/') {
    w.line(
      `proxy_redirect ${quote(`~^${escapeRegex(backendBase)}([/?#].*)?$`)} ${quote(`${publicBase}$1`)};`,
    );
  }
  if (backendBase !== publicBase) {
    w.line(`proxy_cookie_path ${quote(`${backendBase}/`)} ${quote(`${publicBase}/`)};`);
  }
  for (const hostname of new Set(r.backends.map((b) => b.hostname)))
    w.line(`proxy_cookie_domain ${hostname} $host;`);
}

/**
 * A route to HTTP/2 backends: nginx speaks HTTP/2 upstream only through its gRPC module,
 * whose directives mirror proxy_*'s. grpc_pass takes no URI, so the path is rewritten first.
 */
function writeGrpc(w: ConfigWriter, r: RoutePlan, unit: Unit): void {
  const { route } = r;
  if (unit.backend !== unit.path) {
    if (unit.kind === 'exact') w.line(`rewrite ^ ${quote(unit.backend)} break;`);
    else
      w.line(
        `rewrite ${quote(`^${escapeRegex(unit.path)}(.*)$`)} ${quote(`${unit.backend}$1`)} break;`,
      );
  }
  const first = r.backends[0] as Backend;
  const upstream = r.balancer ? r.balancer.name : first.hostport;
  if (r.balancer?.stickySession !== undefined)
    w.comment('Sticky sessions are not exported for HTTP/2 backends (grpc_pass).');
  w.line(`grpc_pass ${first.secure ? 'grpcs' : 'grpc'}://${upstream};`);
  w.line(`grpc_set_header Host ${route.preserveHost ? '$http_host' : first.hostport};`);
  w.line('grpc_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  w.line('grpc_set_header X-Forwarded-Host $http_host;');
  w.line('grpc_set_header X-Forwarded-Proto $scheme;');
  w.line('grpc_set_header X-Forwarded-Server $hostname;');
  for (const [name, value] of Object.entries(route.headers.request.set))
    w.line(`grpc_set_header ${name} ${quote(value)};`);
  for (const name of route.headers.request.remove) w.line(`grpc_set_header ${name} "";`);
  for (const name of route.headers.response.remove) w.line(`grpc_hide_header ${name};`);
  for (const [name, value] of Object.entries(route.headers.response.set)) {
    w.line(`grpc_hide_header ${name};`);
    w.line(`add_header ${name} ${quote(value)} always;`);
  }
  const timeout = `${seconds(r.timeoutMs)}s`;
  w.line(`grpc_read_timeout ${timeout};`);
  w.line(`grpc_send_timeout ${timeout};`);
  if (r.balancer?.maxAttempts !== undefined)
    w.line(`grpc_next_upstream_tries ${r.balancer.maxAttempts};`);
}

function writeProxy(w: ConfigWriter, r: RoutePlan, unit: Unit): void {
  if (r.backends.length > 0 && r.backends.every((b) => b.http2)) {
    writeGrpc(w, r, unit);
    return;
  }
  const identity = unit.backend === unit.path;
  const sticky = r.balancer?.stickySession !== undefined;
  if (r.balancer && sticky && !identity) {
    // With a variable upstream nginx would send proxy_pass's URI as the whole path, so
    // the path is rewritten first and proxy_pass carries no URI.
    if (unit.kind === 'exact') w.line(`rewrite ^ ${quote(unit.backend)} break;`);
    else
      w.line(
        `rewrite ${quote(`^${escapeRegex(unit.path)}(.*)$`)} ${quote(`${unit.backend}$1`)} break;`,
      );
  }
  const first = r.backends[0] as Backend;
  const scheme = first.secure ? 'https' : 'http';
  if (r.backends.some((b) => b.http2)) {
    w.comment(
      `Switchyard speaks HTTP/2 to some members (${first.scheme}://…); nginx cannot mix HTTP/2 (grpc_pass)\nand HTTP/1.1 members in one upstream, so here it uses HTTP/1.1: they must accept that too.`,
    );
  }
  const upstream = r.balancer
    ? sticky
      ? stickyVar(r.balancer)
      : r.balancer.name
    : (r.backends[0] as Backend).hostport;
  // Without a URI nginx passes the client's path untouched (encoded characters, `//`).
  const uri = identity || sticky ? '' : unit.backend;
  w.line(`proxy_pass ${scheme}://${upstream}${uri};`);
  writeProxySettings(w, r);
}

/**
 * Everything after proxy_pass: headers, timeouts, ProxyPassReverse. `host` is the Host
 * header for the backend when proxy_pass names an upstream block of its own
 * (nginx-forms.ts), where $proxy_host would be that block's name.
 */
export function writeProxySettings(w: ConfigWriter, r: RoutePlan, host?: string): void {
  const { route } = r;
  w.line('proxy_http_version 1.1;');
  if (route.preserveHost) w.line('proxy_set_header Host $http_host;');
  else if (host !== undefined) w.line(`proxy_set_header Host ${host};`);
  else if (r.balancer) {
    w.comment(
      'nginx names the upstream group here, not the member (Switchyard sends the member’s host:port).',
    );
    w.line('proxy_set_header Host $proxy_host;');
  } else w.line('proxy_set_header Host $proxy_host;');
  w.line('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  w.line('proxy_set_header X-Forwarded-Host $http_host;');
  w.line('proxy_set_header X-Forwarded-Proto $scheme;');
  w.line('proxy_set_header X-Forwarded-Server $hostname;');
  if (route.websocket) {
    w.line('proxy_set_header Upgrade $http_upgrade;');
    w.line('proxy_set_header Connection $sy_connection_upgrade;');
  } else {
    w.line('proxy_set_header Connection "";');
  }
  for (const [name, value] of Object.entries(route.headers.request.set))
    w.line(`proxy_set_header ${name} ${quote(value)};`);
  for (const name of route.headers.request.remove) w.line(`proxy_set_header ${name} "";`);
  for (const name of route.headers.response.remove) w.line(`proxy_hide_header ${name};`);
  for (const [name, value] of Object.entries(route.headers.response.set)) {
    w.line(`proxy_hide_header ${name};`);
    w.line(`add_header ${name} ${quote(value)} always;`);
  }
  const timeout = `${seconds(r.timeoutMs)}s`;
  w.line(`proxy_read_timeout ${timeout};`);
  w.line(`proxy_send_timeout ${timeout};`);
  // A pattern route's target is written in full: Locations map its origin to the client's.
  const mount = { ...r.route.match, path: '/' };
  writeReverse(
    w,
    r.template === undefined ? r : { ...r, targetPath: '/', route: { ...r.route, match: mount } },
  );
  if (r.balancer) {
    if (r.balancer.maxAttempts !== undefined)
      w.line(`proxy_next_upstream_tries ${r.balancer.maxAttempts};`);
  }
}

function writeSite(
  w: ConfigWriter,
  l: ListenerPlan,
  site: SitePlan,
  plan: ExportPlan,
  forms: FormNames,
): void {
  w.line();
  w.open('server {');
  w.line(listenLine(l, site.host === undefined));
  w.line(`server_name ${site.host ?? '_'};`);
  if (site.certificate) {
    w.comment(
      `Certificate for ${site.certificate.name} from Switchyard's local CA (placeholder paths until it\nhas issued one; any certificate for this name works).`,
    );
    w.line(`ssl_certificate ${quote(site.certificate.cert)};`);
    w.line(`ssl_certificate_key ${quote(site.certificate.key)};`);
  }
  w.comment('Switchyard passes // in paths through and matches routes on the path as sent.');
  w.line('merge_slashes off;');
  writeAccess(w, plan.access);
  writeFormDispatch(w, site, forms);
  for (const r of site.routes) {
    w.line();
    w.comment(`route ${r.route.name} (routes[${r.index}]): ${describeRoute(r)}`);
    if (r.units.length === 0) {
      w.comment(
        `never reached: ${r.unreachable ?? `route ${r.hiddenBy?.name ?? '?'} comes first and covers it`}`,
      );
      continue;
    }
    if (isFormRoute(r)) {
      writeFormLocation(w, r, forms, plan);
      continue;
    }
    for (const unit of r.units) {
      w.open(`location ${unit.kind === 'exact' ? '= ' : ''}${unit.path} {`);
      writeRouteAccess(w, r);
      writeProxy(w, r, unit);
      w.close('}');
    }
  }
  if (!hasCatchAll(site)) {
    w.line();
    w.comment('Paths no route serves: 404, as Switchyard answers them.');
    w.open('location / {').line('return 404;').close('}');
  }
  w.close('}');
}

export function exportNginx(plan: ExportPlan): string {
  const w = new ConfigWriter('    ');
  w.comment(
    [
      `nginx configuration generated by \`switchyard export nginx\` from ${plan.options.source}.`,
      'A complete nginx.conf (nginx -c FILE). To add it to an existing nginx, copy what is inside',
      'http { } into a file under /etc/nginx/conf.d/.',
    ].join('\n'),
  );
  w.line();
  w.open('events {').line('worker_connections 1024;').close('}');
  w.line();
  w.open('http {');
  w.comment('WebSocket upgrades pass through; plain requests keep upstream connections alive.');
  w.open('map $http_upgrade $sy_connection_upgrade {')
    .line('default upgrade;')
    .line("'' '';")
    .close('}');
  for (const b of plan.balancers) {
    w.line();
    writeUpstreams(w, b);
    writeStickyMaps(w, b);
  }
  const forms = writeFormMaps(w, plan);
  for (const l of plan.listeners) {
    w.line();
    w.comment(`listener ${l.listener.name}`);
    for (const site of l.sites) writeSite(w, l, site, plan, forms);
  }
  w.close('}');
  return w.toString();
}
