/**
 * HAProxy backends for the routing file's targets: one per URL route (its single server)
 * and one per balancer (shared by every route that uses it, as Switchyard shares a
 * balancer's members and their health between routes).
 */
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { BalancerConfig, MemberConfig } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { escapeRegex, routesUsing, type Backend, type ExportPlan, type RoutePlan } from './plan.js';
import { dq, re } from './haproxy-text.js';
import type { ConfigWriter } from './writer.js';

export function routeBackendName(r: RoutePlan): string {
  return `route_${r.route.name}`;
}

/**
 * A balancer's backend. Host is set per backend (http-send-name-header), so when some of
 * a balancer's routes preserve the client's Host and others do not, those get a twin.
 */
export function balancerBackendName(
  b: BalancerConfig,
  plan: ExportPlan,
  preserveHost: boolean,
): string {
  const kinds = new Set(routesUsing(plan, b).map((r) => r.route.preserveHost));
  return `balancer_${b.name}${kinds.size > 1 && preserveHost ? '_preserve_host' : ''}`;
}

/** The backend a proxy route uses. */
export function backendNameOf(r: RoutePlan, plan: ExportPlan): string {
  return r.balancer
    ? balancerBackendName(r.balancer, plan, r.route.preserveHost)
    : routeBackendName(r);
}

/** HAProxy takes durations in ms unless told otherwise; the routing file's are whole ms too. */
export function ms(duration: string | number | undefined, fallback: number): string {
  const value =
    typeof duration === 'number'
      ? duration
      : duration === undefined
        ? undefined
        : parseDuration(duration);
  return `${value ?? fallback}ms`;
}

/**
 * The Host header Switchyard sends to a backend: the URL's host, with its port unless it
 * is the scheme's default.
 */
function hostHeader(url: string): string {
  return new URL(url).host;
}

/** Names the local CA's name constraints allow: its certificates can verify these. */
function isLocalName(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname.endsWith('.test') ||
    isIP(hostname) !== 0
  );
}

/** `ssl …` and `proto h2` / `alpn` parameters of a server line. */
function transport(b: Backend, verify: boolean, plan: ExportPlan): string[] {
  const params: string[] = [];
  if (b.secure) {
    params.push('ssl');
    if (!verify) params.push('verify none');
    else {
      const ca = isLocalName(b.hostname)
        ? dq(join(plan.options.dataDir, 'ca', 'ca.pem'))
        : '@system-ca';
      params.push('verify required', `ca-file ${ca}`);
      // HAProxy checks the name only when told which; an IP address is sent no SNI.
      if (isIP(b.hostname) === 0) params.push(`sni str(${b.hostname})`, `verifyhost ${b.hostname}`);
    }
    if (b.http2) params.push('alpn h2');
  }
  if (b.http2) params.push('proto h2');
  return params;
}

function serverName(url: string, used: Set<string>): string {
  // The server's name is the Host header HAProxy sends (http-send-name-header); names
  // allow letters, digits, '.', '-', '_' and ':' only.
  let name = hostHeader(url).replace(/[^A-Za-z0-9._:-]/g, '');
  while (used.has(name)) name = `${name}_`;
  used.add(name);
  return name;
}

function address(b: Backend): string {
  return b.hostport;
}

function writeUrlBackend(w: ConfigWriter, r: RoutePlan, plan: ExportPlan): void {
  const b = r.backends[0] as Backend;
  w.line();
  w.comment(`route ${r.route.name}: ${r.route.to ?? ''}`);
  w.open(`backend ${routeBackendName(r)}`);
  if (!r.route.preserveHost) w.line(`http-request set-header Host ${dq(hostHeader(b.origin))}`);
  w.line(`timeout server ${ms(r.timeoutMs, 30_000)}`);
  w.line(
    `server ${serverName(b.origin, new Set())} ${address(b)} ${transport(b, r.route.tlsVerify, plan).join(' ')}`.trimEnd(),
  );
  w.close('');
}

function memberParams(m: MemberConfig): string[] {
  const params = [`weight ${m.loadFactor}`];
  if (m.state === 'standby') params.push('backup');
  if (m.state === 'disabled') params.push('disabled');
  // A server of weight 0 gets no new sessions but keeps those stuck to it: draining.
  if (m.state === 'draining') params[0] = 'weight 0';
  return params;
}

/** `http-check expect` for a status or range; HAProxy's default (2xx, 3xx) is 200-399. */
function expectLine(expect: string): string | undefined {
  if (expect === '200-399') return undefined;
  const [low, high = low] = expect.split('-').map(Number) as [number, number?];
  if (low === high) return `http-check expect status ${low}`;
  return `http-check expect rstatus ${re(`^(?:${statusRange(low, high ?? low)})$`)}`;
}

/** A regular expression for the statuses low…high: whole decades as `20[0-9]`. */
function statusRange(low: number, high: number): string {
  const parts: string[] = [];
  for (let c = low; c <= high;) {
    const decade = Math.floor(c / 10);
    if (c % 10 === 0 && c + 9 <= high) {
      parts.push(`${decade}[0-9]`);
      c += 10;
    } else {
      parts.push(String(c));
      c += 1;
    }
  }
  return parts.join('|');
}

function writeSticky(
  w: ConfigWriter,
  b: BalancerConfig,
  names: Map<MemberConfig, string>,
  backend: string,
): void {
  const name = b.stickySession as string;
  const param = escapeRegex(name);
  w.comment(
    [
      `Sticky sessions on ${name} the way Switchyard and Apache keep them: the member's route id is`,
      `the part of the session id after its first '.', set by the application (JSESSIONID=abc.2),`,
      `read from the ;${name.toLowerCase()}= path parameter, then the ${name.toLowerCase()} query parameter, then the cookie.`,
      `HAProxy's own "cookie ${name} prefix" would rewrite the application's cookie to "2~abc" and`,
      'read neither the .route suffix nor the URL forms, so sessions made behind Switchyard or',
      'Apache would not stick; use-server reads them as they are. A stuck member that is down',
      'is skipped by use-server and the balancing picks another (failover).',
    ].join('\n'),
  );
  const rules: [string, string][] = [];
  // The route each test finds, for stickyCookie: cookie first, so query then path win.
  const found: [string, string][] = [];
  for (const source of ['path', 'query', 'cookie'] as const) {
    for (const m of b.members) {
      if (m.route === undefined) continue;
      const r = escapeRegex(m.route);
      const test = {
        path: `{ path -m reg -i ${re(`;${param}=[^;/?.]*\\.${r}(?:[;/]|$)`)} }`,
        query: `{ query -m reg -i ${re(`(?:^|&)${param}=[^&.]*\\.${r}(?:&|$)`)} }`,
        cookie: `{ req.cook(${name}) -m reg ${re(`^"?[^.]*\\.${r}"?$`)} }`,
      }[source];
      rules.push([names.get(m) as string, test]);
      found.unshift([m.route, test]);
    }
  }
  // (HAProxy runs a backend's http-request rules before its use-server rules.)
  if (!b.failover) {
    w.comment('failover: false — a request stuck to a member that is down gets 503.');
    for (const [server, test] of rules)
      w.line(`http-request return status 503 if ${test} !{ srv_is_up(${backend}/${server}) }`);
  }
  for (const [server, test] of rules) w.line(`use-server ${server} if ${test}`);
  if (!b.stickyCookie) return;
  w.comment(
    `stickyCookie: the member that served a request whose session named another route (or none)\nsets ${name}=.ROUTE, as Switchyard does (Apache's ROUTEID recipe).`,
  );
  for (const [route, test] of found)
    w.line(`http-request set-var(txn.sy_sticky) str(${route}) if ${test}`);
  for (const m of b.members) {
    if (m.route === undefined) continue;
    const cookie = `${name}=.${m.route}; path=${b.stickyCookie.path}`;
    w.line(
      `http-response add-header Set-Cookie ${dq(cookie)} if { srv_name -m str ${names.get(m) as string} } !{ var(txn.sy_sticky) -m str ${m.route} }`,
    );
  }
}

function writeBalancerBackend(
  w: ConfigWriter,
  b: BalancerConfig,
  plan: ExportPlan,
  preserveHost: boolean,
): void {
  const name = balancerBackendName(b, plan, preserveHost);
  const routes = routesUsing(plan, b).filter((r) => r.route.preserveHost === preserveHost);
  const unique = [...new Map(routes.map((r) => [r.route, r])).values()];
  w.line();
  w.comment(`balancer ${b.name} (${b.method})`);
  if (b.method === 'bytraffic') {
    w.comment(
      'bytraffic (balance by bytes transferred) has no HAProxy equivalent; weighted round robin is the nearest.',
    );
  }
  const paths = new Set(b.members.map((m) => new URL(m.url).pathname));
  if (paths.size > 1)
    w.comment(
      'Members have different paths; HAProxy servers have none, so the first member’s is used.',
    );
  w.open(`backend ${name}`);
  w.line(`balance ${b.method === 'bybusyness' ? 'leastconn' : 'roundrobin'}`);
  if (b.members.filter((m) => m.state === 'standby').length > 1) {
    w.comment(
      'Standby members share the traffic when no enabled member is usable, as in Switchyard.',
    );
    w.line('option allbackups');
  }
  if (!preserveHost) {
    w.comment("Host is the member's host:port (the server's name), as Switchyard sends it.");
    w.line('http-send-name-header Host');
  }
  const timeouts = unique.map((r) => r.timeoutMs);
  const longest = Math.max(...timeouts, 1000);
  w.line(`timeout server ${ms(longest, 30_000)}`);
  for (const r of unique) {
    if (r.timeoutMs !== longest)
      w.line(
        `http-request set-timeout server ${ms(r.timeoutMs, 30_000)} if { var(txn.sy_route) -m str ${r.route.name} }`,
      );
  }
  const attempts = b.maxAttempts ?? b.members.length;
  w.comment(
    b.failover
      ? `failover: a member that refuses the connection is left for another (maxAttempts ${attempts} in all).`
      : 'failover: false — no other member is tried.',
  );
  w.line(`retries ${Math.max(0, attempts - 1)}`);
  w.line(b.failover ? 'option redispatch 1' : 'no option redispatch');
  const hc = b.healthCheck;
  const retry = ms(b.retry, 60_000);
  let check: string[];
  if (hc) {
    w.comment(`Health check ${hc.method} ${hc.path} every ${hc.interval} (mod_proxy_hcheck).`);
    w.line(`option httpchk ${hc.method} ${hc.path}`);
    const expect = expectLine(hc.expect);
    if (expect) w.line(expect);
    w.line(`timeout check ${ms(hc.timeout, 2000)}`);
    check = ['check', `inter ${ms(hc.interval, 5000)}`, `rise ${hc.passes}`, `fall ${hc.fails}`];
  } else {
    w.comment(
      `No healthCheck: as Switchyard skips a member in error for retry (${b.retry}), a connection error marks it\ndown and a connect check every ${b.retry} brings it back.`,
    );
    check = [
      'check',
      `inter ${retry}`,
      'rise 1',
      'fall 1',
      'observe layer4',
      'error-limit 1',
      'on-error mark-down',
    ];
  }
  const verify = unique.some((r) => r.route.tlsVerify);
  if (unique.some((r) => r.route.tlsVerify !== verify))
    w.comment('Routes to this balancer disagree on tlsVerify; members are verified.');
  const used = new Set<string>();
  const names = new Map(b.members.map((m) => [m, serverName(m.url, used)]));
  if (b.stickySession !== undefined) writeSticky(w, b, names, name);
  for (const m of b.members) {
    if (m.state === 'draining')
      w.comment(`${m.url} is draining: weight 0 keeps its sticky sessions and gives it no others.`);
    const backend = routes[0]?.backends[b.members.indexOf(m)] as Backend;
    const params = [...memberParams(m), ...check, ...transport(backend, verify, plan)];
    w.line(`server ${names.get(m) as string} ${address(backend)} ${params.join(' ')}`);
  }
  w.close('');
}

export function writeBackends(w: ConfigWriter, plan: ExportPlan, routes: RoutePlan[]): void {
  const done = new Set<string>();
  for (const r of routes) {
    if (r.backends.length === 0) continue;
    if (r.balancer) {
      const name = balancerBackendName(r.balancer, plan, r.route.preserveHost);
      if (done.has(name)) continue;
      done.add(name);
      writeBalancerBackend(w, r.balancer, plan, r.route.preserveHost);
    } else if (!done.has(`route ${r.route.name}`)) {
      done.add(`route ${r.route.name}`);
      writeUrlBackend(w, r, plan);
    }
  }
}
