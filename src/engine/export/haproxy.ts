/**
 * Routing file → HAProxy 2.6 or newer: a complete haproxy.cfg (haproxy -f FILE).
 *
 * One frontend per listener. HAProxy runs `http-request` rules in the order written, so
 * routes are tried in routing-file order: the first whose host, path prefix (on segment
 * boundaries), pathRegex and `when` conditions hold names itself in the variable
 * txn.sy_route, and every later rule of that route (answers, headers, path mapping,
 * `use_backend`) is guarded by it. That is Switchyard's first-match rule exactly, without
 * the plan's path units that longest-prefix servers need.
 *
 * Backends are in haproxy-backends.ts; quoting, conditions and placeholders in
 * haproxy-text.ts. Where HAProxy has no exact equivalent, the output says so.
 */
import { STATUS_CODES } from 'node:http';
import type { RouteConfig, SimpleConditionConfig } from '../../shared/config.js';
import { hasPlaceholder, sampleOf } from '../../shared/route-forms.js';
import { prefixBase } from '../paths.js';
import { backendNameOf, writeBackends } from './haproxy-backends.js';
import {
  arg,
  conditionTerms,
  dq,
  groupOf,
  groupsUsed,
  lfText,
  re,
  SCHEME,
  subjectOf,
  templateFormat,
  testTerms,
  whenUsed,
  type Captured,
} from './haproxy-text.js';
import {
  allowsEveryone,
  escapeRegex,
  type ExportPlan,
  type ListenerPlan,
  type RoutePlan,
} from './plan.js';
import { ConfigWriter } from './writer.js';

const CAPTURED: Captured = {
  group: (n) => `%[var(txn.sy_g${n})]`,
  when: (n) => `%[var(txn.sy_w${n})]`,
};

/** The routes a listener can serve, once each, in routing-file order. */
function routesOf(l: ListenerPlan): { plan: RoutePlan; reachable: boolean }[] {
  const byIndex = new Map<number, { plan: RoutePlan; reachable: boolean }>();
  for (const r of l.sites.flatMap((s) => s.routes)) {
    const seen = byIndex.get(r.index);
    byIndex.set(r.index, {
      plan: seen?.plan ?? r,
      reachable: !!seen?.reachable || r.units.length > 0,
    });
  }
  return [...byIndex.values()].sort((a, b) => a.plan.index - b.plan.index);
}

function acl(r: RouteConfig): string {
  return `route_${r.name}`;
}

function bindLine(l: ListenerPlan): string {
  const { address, port, tls, http2 } = l.listener;
  const parts = [`bind ${address.includes(':') ? `[${address}]` : address}:${port}`];
  if (tls) {
    const certs = [...new Set(l.sites.flatMap((s) => (s.certificate ? [s.certificate.cert] : [])))];
    parts.push('ssl', ...certs.map((c) => `crt ${dq(c)}`));
    parts.push(`alpn ${http2 ? 'h2,http/1.1' : 'http/1.1'}`);
  } else if (!http2) {
    // HAProxy otherwise also accepts HTTP/2 with prior knowledge (h2c) on a plain port.
    parts.push('proto h1');
  }
  return parts.join(' ');
}

/** ACL terms (ANDed) for a route's host, prefix and pattern; `when` terms come from vars. */
function matchTerms(route: RouteConfig): string[] {
  const terms: string[] = [];
  const host = route.match.host?.toLowerCase();
  if (host?.startsWith('*.')) terms.push(`{ var(txn.sy_host) -m end ${host.slice(1)} }`);
  else if (host !== undefined) terms.push(`{ var(txn.sy_host) -m str ${host} }`);
  const prefix = route.match.path;
  if (prefix.endsWith('/') && prefix !== '/') terms.push(`{ path -m beg ${dq(prefix)} }`);
  else if (prefix !== '/') terms.push(`{ path -m reg ${re(`^${escapeRegex(prefix)}(?:/|$)`)} }`);
  if (route.match.pathRegex !== undefined) {
    const flags = route.match.ignoreCase ? '-i ' : '';
    terms.push(`{ path ${flags}-m reg ${re(route.match.pathRegex)} }`);
  }
  return terms;
}

function writeSelection(w: ConfigWriter, route: RouteConfig, index: number): void {
  const terms = matchTerms(route);
  (route.match.when ?? []).forEach((c, j) => {
    const alternatives = conditionTerms(c);
    if (alternatives.length === 1) {
      terms.push(...(alternatives[0] as string[]));
      return;
    }
    // Either of several tests: HAProxy's conditions are ORs of ANDs, so an OR inside an
    // AND is worked out first into a variable.
    const v = `txn.sy_r${index}_when${j}`;
    for (const alt of alternatives)
      w.line(`http-request set-var(${v}) bool(1) if ${alt.join(' ')}`);
    terms.push(`{ var(${v}) -m bool }`);
  });
  w.line(
    `http-request set-var(txn.sy_route) str(${route.name}) if !{ var(txn.sy_route) -m found }${terms.length > 0 ? ` ${terms.join(' ')}` : ''}`,
  );
}

/** `$N` and `{{when.N}}` of the route's templates, captured before the path changes. */
function writeCaptures(w: ConfigWriter, route: RouteConfig): void {
  const templates = [route.to ?? '', route.redirect?.to ?? '', route.respond?.body ?? ''];
  const guard = acl(route);
  const groups = new Set(templates.flatMap(groupsUsed));
  for (const n of [...groups].sort()) {
    const pattern = route.match.pathRegex as string;
    w.line(
      `http-request set-var(txn.sy_g${n}) ${dq(groupOf('path', pattern, route.match.ignoreCase ?? false, n))} if ${guard}`,
    );
  }
  const whens = new Set(templates.flatMap(whenUsed));
  if (whens.size === 0) return;
  // The groups of the last condition that matched by pattern: later rules overwrite
  // earlier ones; within anyOf the first test that holds wins, so it is written last.
  for (const n of [...whens].sort()) {
    for (const c of route.match.when ?? []) {
      const tests = c.anyOf ? [...c.anyOf].reverse() : [c];
      for (const t of tests) {
        if (t.matches === undefined || t.not || t.on === undefined) continue;
        const capture = groupOf(subjectOf(t.on), t.matches, t.ignoreCase, n);
        const held = c.anyOf
          ? ` ${(testTerms(t as SimpleConditionConfig)[0] ?? []).join(' ')}`
          : '';
        w.line(`http-request set-var(txn.sy_w${n}) ${dq(capture)} if ${guard}${held}`);
      }
    }
  }
}

/** Rules that differ by whether the client sent a query: [condition, query suffix]. */
function queryVariants(own: string, keep: boolean): [string, string][] {
  const ownPart = own === '' ? '' : `?${own}`;
  if (!keep) return [['', ownPart]];
  return [
    [' { query -m len gt 0 }', `?${own === '' ? '' : `${own}&`}%[query]`],
    [' !{ query -m len gt 0 }', ownPart],
  ];
}

function writeRedirect(w: ConfigWriter, route: RouteConfig): void {
  const redirect = route.redirect as NonNullable<RouteConfig['redirect']>;
  const to = redirect.to;
  const absolute = sampleOf(to).startsWith('/') ? `${SCHEME}://%[req.hdr(host)]` : '';
  const format = templateFormat(to, CAPTURED);
  const q = format.indexOf('?');
  let base = absolute + (q === -1 ? format : format.slice(0, q));
  let own = q === -1 ? '' : format.slice(q + 1);
  if (route.match.pathRegex === undefined && !hasPlaceholder(to)) {
    // Apache's Redirect: the rest of the path after the prefix follows the target (after
    // its query, if it has one, as Switchyard appends it to the text).
    const prefix = `^${escapeRegex(route.match.path)}${to.endsWith('/') ? '/?' : ''}`;
    const rest = `%[path,regsub(${arg(prefix)},'')]`;
    if (q === -1) base += rest;
    else own += rest;
  }
  w.comment('HAProxy answers a redirect with an empty body; Switchyard adds a short HTML page.');
  for (const [cond, query] of queryVariants(own, route.query !== 'drop')) {
    w.line(
      `http-request redirect location ${dq(base + query)} code ${redirect.status} if ${acl(route)}${cond}`,
    );
  }
}

function writeRespond(w: ConfigWriter, route: RouteConfig): void {
  const respond = route.respond as NonNullable<RouteConfig['respond']>;
  if (respond.page === 'balancers') return; // served by the HAProxy stats page (use_backend)
  const body =
    respond.body ??
    `${respond.status} ${STATUS_CODES[respond.status] ?? ''}: route '${route.name}' answers this path itself.\n`;
  const guard = `if ${acl(route)}`;
  if (body === '') {
    w.comment('An empty body: HAProxy sends no Content-Type without one.');
    w.line(`http-request return status ${respond.status} ${guard}`);
    return;
  }
  const payload = hasPlaceholder(body)
    ? `lf-string ${dq(templateFormat(body, CAPTURED))}`
    : `string ${dq(body)}`;
  w.line(
    `http-request return status ${respond.status} content-type ${dq(respond.contentType)} ${payload} ${guard}`,
  );
}

/** ProxyPass: the path after the route's prefix appended to the target's path. */
function writePathMapping(w: ConfigWriter, r: RoutePlan): void {
  const { route } = r;
  const guard = acl(route);
  const template =
    route.match.pathRegex !== undefined &&
    (hasPlaceholder(route.to ?? '') || (route.to ?? '').includes('?'));
  if (template) {
    // The target is written in full: its path and query, the client's query after it.
    const to = route.to ?? '';
    const start = to.indexOf('//') + 2;
    const cut = to.slice(start).search(/[/?]/);
    const rest = cut === -1 ? '/' : to.slice(start + cut);
    const format = templateFormat(rest.startsWith('?') ? `/${rest}` : rest, CAPTURED);
    const q = format.indexOf('?');
    const path = q === -1 ? format : format.slice(0, q);
    const own = q === -1 ? '' : format.slice(q + 1);
    for (const [cond, query] of queryVariants(own, route.query !== 'drop'))
      w.line(`http-request set-pathq ${dq(path + query)} if ${guard}${cond}`);
    return;
  }
  if (r.targetPath !== route.match.path) {
    const base = escapeRegex(prefixBase(route.match.path));
    const target = lfText(r.targetPath);
    // mapToBackend: a target ending in / takes the remainder without its leading slash.
    const pattern = r.targetPath.endsWith('/') ? `^${base}/?(.*)$` : `^${base}(.*)$`;
    w.line(`http-request replace-path ${re(pattern)} ${dq(`${target}\\1`)} if ${guard}`);
  }
  if (route.query === 'drop') w.line(`http-request set-pathq %[path] if ${guard}`);
}

function writeRequestHeaders(w: ConfigWriter, route: RouteConfig): void {
  const { request } = route.headers;
  for (const n of request.remove) w.line(`http-request del-header ${n} if ${acl(route)}`);
  for (const [n, v] of Object.entries(request.set))
    w.line(`http-request set-header ${n} ${dq(lfText(v))} if ${acl(route)}`);
}

/** ProxyPassReverse for Location, Content-Location and URI. */
function writeReverse(w: ConfigWriter, r: RoutePlan): void {
  if (!r.route.reverse) return;
  const pub = prefixBase(r.route.match.path);
  const base = escapeRegex(prefixBase(r.targetPath));
  const origins = [...new Set(r.backends.map((b) => b.origin))];
  const publicOrigin = `${SCHEME}://%[var(txn.sy_authority)]`;
  const rules: [string, string][] = [];
  for (const origin of origins) {
    const o = `(?i:${escapeRegex(origin)})`;
    rules.push([`^${o}${base}(/[^?#]*)([?#].*)?$`, `${publicOrigin}${lfText(pub)}\\1\\2`]);
    rules.push([`^${o}${base}([?#].*)?$`, `${publicOrigin}${lfText(pub || '/')}\\1`]);
  }
  // An absolute path is the backend's only when its mount point differs from the route's.
  if (r.targetPath !== r.route.match.path && r.targetPath !== '/') {
    rules.push([`^${base}(/[^?#]*)([?#].*)?$`, `${lfText(pub)}\\1\\2`]);
    rules.push([`^${base}([?#].*)?$`, `${lfText(pub || '/')}\\1`]);
  }
  for (const header of ['Location', 'Content-Location', 'URI']) {
    for (const [pattern, replacement] of rules)
      w.line(
        `http-response replace-header ${header} ${re(pattern)} ${dq(replacement)} if ${acl(r.route)}`,
      );
  }
  const cookieBase = prefixBase(r.targetPath);
  if (cookieBase !== pub) {
    w.line(
      `http-response replace-header Set-Cookie ${re(`^(.*;\\s*(?i:path)=)${base}(/[^;]*)?(;.*)?$`)} ${dq(`\\1${lfText(pub)}\\2\\3`)} if ${acl(r.route)}`,
    );
  }
  for (const hostname of new Set(r.backends.map((b) => b.hostname))) {
    w.line(
      `http-response replace-header Set-Cookie ${re(`^(.*;\\s*(?i:domain)=)\\.?(?i:${escapeRegex(hostname)})(;.*)?$`)} ${dq('\\1%[var(txn.sy_host)]\\2')} if ${acl(r.route)}`,
    );
  }
}

function writeResponseHeaders(w: ConfigWriter, route: RouteConfig): void {
  const { response } = route.headers;
  for (const n of response.remove) w.line(`http-response del-header ${n} if ${acl(route)}`);
  for (const [n, v] of Object.entries(response.set))
    w.line(`http-response set-header ${n} ${dq(lfText(v))} if ${acl(route)}`);
}

/** `{ src … }`, or a test that never holds for an empty list. */
function srcTest(allow: readonly string[]): string {
  return allow.length === 0 ? '{ always_false }' : `{ src ${allow.join(' ')} }`;
}

/**
 * Who may use the proxy: a route's own list (route.access, Apache <Proxy URL-prefix>) once
 * the route is chosen, the file's (access.allow) for every other request — no route
 * included, so a refused client gets 403 before any 404, as in Switchyard.
 */
function writeAccess(w: ConfigWriter, access: readonly string[], routes: RoutePlan[]): void {
  const own = routes.filter((r) => r.route.access !== undefined);
  for (const r of own) {
    const allow = r.route.access?.allow ?? [];
    if (allowsEveryone(allow)) continue;
    w.comment(`route ${r.route.name}: its own access list (access.allow of the route).`);
    w.line(`http-request deny deny_status 403 if ${acl(r.route)} !${srcTest(allow)}`);
  }
  if (allowsEveryone(access)) return;
  w.comment('Who may use the proxy (access.allow).');
  const exempt = own.map((r) => `!${acl(r.route)}`).join(' ');
  w.line(`http-request deny deny_status 403 if ${exempt ? `${exempt} ` : ''}!${srcTest(access)}`);
}

function writeFrontend(w: ConfigWriter, l: ListenerPlan, plan: ExportPlan): void {
  const all = routesOf(l);
  const routes = all.filter((x) => x.reachable).map((x) => x.plan);
  w.line();
  w.comment(`listener ${l.listener.name}`);
  w.open(`frontend listener_${l.listener.name}`);
  const certs = l.sites.flatMap((s) => (s.certificate ? [s.certificate] : []));
  if (certs.length > 0) {
    w.comment(
      [
        "Certificates from Switchyard's local CA, one per host (placeholder paths until it has issued",
        'them). HAProxy reads a key from the certificate file or from FILE.key beside it; the CA keeps',
        'it in NAME-key.pem, so link it once:',
        ...certs.map((c) => `  ln -sf ${c.key} ${c.cert}.key`),
      ].join('\n'),
    );
  }
  w.line(bindLine(l));
  w.comment('Dot segments removed before matching, so /app/../admin cannot escape a route.');
  w.line('http-request normalize-uri path-strip-dotdot');
  w.line('http-request normalize-uri path-strip-dot');
  w.line(
    `http-request set-var(txn.sy_host) ${dq("req.hdr(host),field(1,:),lower,regsub('\\.$','')")}`,
  );
  if (routes.some((r) => r.route.reverse && r.backends.length > 0))
    w.line('http-request set-var(txn.sy_authority) req.hdr(host)');
  w.line();
  w.comment('Routes in routing-file order: the first that matches names itself in txn.sy_route.');
  for (const x of all) {
    const { route } = x.plan;
    if (!x.reachable) {
      w.comment(
        `route ${route.name}: never reached, route ${x.plan.hiddenBy?.name ?? '?'} comes first and covers it`,
      );
      continue;
    }
    w.line(`acl ${acl(route)} var(txn.sy_route) -m str ${route.name}`);
    writeSelection(w, route, x.plan.index);
  }
  writeAccess(w, plan.access, routes);
  w.comment('Paths no route serves: 404, as Switchyard answers them.');
  w.line('http-request deny deny_status 404 if !{ var(txn.sy_route) -m found }');
  writeEncodedSlashes(w, routes);
  for (const r of routes) writeCaptures(w, r.route);
  for (const r of routes) {
    if (r.route.redirect) writeRedirect(w, r.route);
    else if (r.route.respond) writeRespond(w, r.route);
    else if (!r.route.websocket) {
      w.line(
        `http-request return status 501 content-type text/plain string ${dq(`Route '${r.route.name}' has websocket: false, so upgrades are not tunnelled.\n`)} if ${acl(r.route)} { req.hdr(upgrade) -m found }`,
      );
    }
  }
  const proxied = routes.filter((r) => r.backends.length > 0);
  w.line();
  w.comment(
    'Forwarding headers (client-sent X-Forwarded-Host and -Proto are replaced), then each route’s own.',
  );
  w.line('http-request add-header X-Forwarded-For %[src]');
  w.line('http-request set-header X-Forwarded-Host %[req.hdr(host)]');
  w.line(`http-request set-header X-Forwarded-Proto ${SCHEME}`);
  w.line('http-request set-header X-Forwarded-Server %[hostname]');
  for (const r of proxied) {
    writeRequestHeaders(w, r.route);
    writePathMapping(w, r);
  }
  w.line('http-request add-header Via "%[req.ver] haproxy"');
  for (const r of proxied) {
    writeReverse(w, r);
    writeResponseHeaders(w, r.route);
  }
  w.line();
  for (const r of routes) {
    if (r.route.respond?.page === 'balancers')
      w.line(`use_backend balancers_page_${r.route.name} if ${acl(r.route)}`);
    else if (r.backends.length > 0)
      w.line(`use_backend ${backendNameOf(r, plan)} if ${acl(r.route)}`);
  }
  w.close('');
}

/**
 * Paths with %2F or %5C: refused (404) unless the route chose decode or passthrough.
 * HAProxy picks the route by the path as sent; Switchyard also tries the decoded path
 * when the raw one matches no route (`/app%2Fx` for an /app route set to decode).
 */
function writeEncodedSlashes(w: ConfigWriter, routes: RoutePlan[]): void {
  const named = (mode: string) =>
    routes.filter((r) => r.route.encodedSlashes === mode).map((r) => r.route.name);
  const decode = named('decode');
  const allowed = [...decode, ...named('passthrough')];
  w.line(`acl sy_encoded_slash path -m reg ${re('(?i)%(?:2f|5c)')}`);
  w.line(
    `http-request deny deny_status 404 if sy_encoded_slash${allowed.length > 0 ? ` !{ var(txn.sy_route) -m str ${allowed.join(' ')} }` : ''}`,
  );
  if (decode.length > 0) {
    const cond = `sy_encoded_slash { var(txn.sy_route) -m str ${decode.join(' ')} }`;
    w.line(`http-request set-path ${dq(`%[path,regsub('(?i)\\x25(?:2f|5c)','/',g)]`)} if ${cond}`);
    w.line(`http-request normalize-uri path-strip-dotdot if ${cond}`);
  }
}

function writeBalancersPages(w: ConfigWriter, plan: ExportPlan): void {
  const pages = new Map<string, RouteConfig>();
  for (const r of plan.listeners.flatMap((l) => l.sites.flatMap((s) => s.routes)))
    if (r.route.respond?.page === 'balancers') pages.set(r.route.name, r.route);
  for (const route of pages.values()) {
    w.line();
    w.comment(
      `route ${route.name}: Switchyard's read-only balancers view; HAProxy's statistics page is its\nequivalent (read-only: no "stats admin"). Members are changed at runtime through the stats socket.`,
    );
    w.open(`backend balancers_page_${route.name}`);
    w.line('stats enable');
    w.line(`stats uri ${route.match.path}`);
    w.line('stats show-legends');
    for (const b of plan.balancers) w.line(`stats scope balancer_${b.name}`);
    w.close('');
  }
}

export function exportHaproxy(plan: ExportPlan): string {
  const w = new ConfigWriter('    ');
  w.comment(
    [
      `HAProxy configuration generated by \`switchyard export haproxy\` from ${plan.options.source}.`,
      'Needs HAProxy 2.6 or newer. Check it with `haproxy -c -f FILE`; run it with `haproxy -f FILE`.',
    ].join('\n'),
  );
  w.line();
  w.open('global');
  w.comment('normalize-uri (dot segments) is still marked experimental in HAProxy 2.6.');
  w.line('expose-experimental-directives');
  if (plan.listeners.some((l) => l.listener.tls)) w.line('ssl-load-extra-files key');
  w.close('');
  w.open('defaults');
  w.line('mode http');
  w.line('timeout connect 5s');
  w.comment(
    "Switchyard's default clientTimeouts: headers within 20 s, 60 s idle; HAProxy has no minimum\nbody rate (bodyMinRate).",
  );
  w.line('timeout http-request 20s');
  w.line('timeout client 60s');
  w.line('timeout server 30s');
  w.comment('WebSocket tunnels stay open while either side talks.');
  w.line('timeout tunnel 1h');
  w.close('');
  for (const l of plan.listeners) writeFrontend(w, l, plan);
  const routes = plan.listeners.flatMap((l) =>
    routesOf(l)
      .filter((x) => x.reachable)
      .map((x) => x.plan),
  );
  writeBackends(w, plan, routes);
  writeBalancersPages(w, plan);
  return w.toString();
}
