/**
 * Where a browser can be pinned to a member: for each route to the balancer and each
 * listener it is served on, the pin link (pin-link.ts) on the route's host — the host the
 * cookie must land on — going back to the route's own path.
 */
import type { RouteConfig } from '../../shared/config.js';
import type { ListenerStatus } from '../listeners.js';
import { PIN_PATH } from './pin-link.js';

export function pinUrls(
  routes: readonly RouteConfig[],
  listeners: readonly ListenerStatus[],
  route: string,
): string[] {
  const urls: string[] = [];
  for (const r of routes) {
    const on = listeners.filter((l) => !r.match.listeners || r.match.listeners.includes(l.name));
    for (const l of on) {
      const base = new URL(l.url);
      // A wildcard host has no single name to send the browser to; its listener's does.
      if (r.match.host !== undefined && !r.match.host.startsWith('*.'))
        base.hostname = r.match.host;
      const query = new URLSearchParams({ route, back: r.match.path });
      // Under the route's own prefix, so that this very route answers it.
      const prefix = r.match.path.endsWith('/') ? r.match.path.slice(0, -1) : r.match.path;
      urls.push(`${base.origin}${prefix}${PIN_PATH}?${query.toString()}`);
    }
  }
  return [...new Set(urls)];
}
