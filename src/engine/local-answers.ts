/**
 * Answers a route gives without a backend: redirects (Apache Redirect, RedirectMatch,
 * RewriteRule [R]) and fixed responses (`ProxyPass /path !`, and the balancers view that
 * stands in for `SetHandler balancer-manager`).
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Balancer } from './balancing/balancer.js';
import { combineQuery, fillTemplate, type Captures, type RouteRequest } from './route-forms.js';
import type { CompiledRoute, RouteAction } from './router.js';

export interface LocalAnswer {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD, as for any response. */
  body: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Where a redirect sends the client. A target without placeholders on a prefix route gets
 * the rest of the path after the prefix appended, as Apache's Redirect does; any other is
 * used as written, placeholders filled in. A path
 * becomes absolute on the scheme and Host the client used.
 */
export function redirectLocation(
  route: CompiledRoute,
  to: string,
  captures: Captures,
  r: RouteRequest,
): string {
  let url = fillTemplate(to, captures, r);
  // Decided once per configuration (router.ts): a redirect route without pattern or placeholders.
  if (route.action.kind === 'redirect' && route.action.appendRest) {
    const rest = r.path.slice(route.prefix.length);
    url = url.endsWith('/') && rest.startsWith('/') ? url + rest.slice(1) : url + rest;
  }
  if (url.startsWith('/')) url = `${r.secure ? 'https' : 'http'}://${r.authority}${url}`;
  return combineQuery(url, r.query, route.keepQuery);
}

function balancersPage(balancers: ReadonlyMap<string, Balancer>): string {
  const sections = [...balancers.values()].map((b) => {
    const rows = b.members
      .map((m) => {
        const s = m.stats;
        const health = s.errorUntil > Date.now() ? `error: ${s.errorReason ?? ''}` : s.health;
        return `<tr><td>${escapeHtml(m.label)}</td><td>${escapeHtml(m.config.route ?? '')}</td><td>${m.config.loadFactor}</td><td>${m.config.state}</td><td>${escapeHtml(health)}</td><td>${s.elected}</td><td>${s.busy}</td><td>${s.errors}</td></tr>`;
      })
      .join('\n');
    return `<h2>balancer://${escapeHtml(b.name)}</h2><p>Method ${b.config.method}${b.config.stickySession ? `, sticky session ${escapeHtml(b.config.stickySession)}` : ''}</p>
<table><thead><tr><th>Member</th><th>Route</th><th>Factor</th><th>State</th><th>Health</th><th>Elected</th><th>Busy</th><th>Errors</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Balancers</title>
<meta name="color-scheme" content="light dark">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{padding:.2rem .8rem;text-align:left;border-bottom:1px solid #8884}</style>
</head><body><h1>Balancers</h1>
<p>A read-only view. Enable, disable or drain members in the Switchyard app (Balancers), or with <code>switchyard</code> in a browser.</p>
${sections.length ? sections.join('\n') : '<p>No balancers are configured.</p>'}
<p><small>Answered by Switchyard, in place of Apache's balancer-manager.</small></p>
</body></html>
`;
}

/** The answer of a redirect or respond route. */
export function localAnswer(
  route: CompiledRoute,
  action: Exclude<RouteAction, { kind: 'proxy' }>,
  captures: Captures,
  r: RouteRequest,
  balancers: ReadonlyMap<string, Balancer>,
): LocalAnswer {
  if (action.kind === 'redirect') {
    const location = redirectLocation(route, action.to, captures, r);
    const body = `<!doctype html><title>${action.status} ${STATUS_CODES[action.status] ?? ''}</title><p>Moved to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a>.</p>\n`;
    return {
      status: action.status,
      headers: { location, 'content-type': 'text/html; charset=utf-8' },
      body,
    };
  }
  const { respond } = action;
  if (respond.page === 'balancers') {
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: balancersPage(balancers),
    };
  }
  const body =
    respond.body === undefined
      ? `${respond.status} ${STATUS_CODES[respond.status] ?? ''}: route '${route.name}' answers this path itself.\n`
      : fillTemplate(respond.body, captures, r);
  return { status: respond.status, headers: { 'content-type': respond.contentType }, body };
}

function withLength(answer: LocalAnswer): Record<string, string> {
  return { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) };
}

export function sendLocal(res: ServerResponse, answer: LocalAnswer): void {
  res.writeHead(answer.status, withLength(answer));
  res.end(res.req.method === 'HEAD' ? undefined : answer.body);
}

/** The same on a WebSocket handshake's socket: the client gets it instead of a tunnel. */
export function sendLocalOnSocket(socket: Socket, answer: LocalAnswer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const lines = Object.entries({ ...withLength(answer), connection: 'close' }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  const reason = STATUS_CODES[answer.status] ?? '';
  socket.end(`HTTP/1.1 ${answer.status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n${answer.body}`);
}
