/**
 * What a gesture on the route map means for the configuration: drawing a line from a
 * listener to a route makes the route serve that listener; from a route to a balancer
 * sends the route there; removing a listener line stops serving it. Each returns the new
 * configuration (or a reason it cannot), so the map stays a view of the draft.
 */
import type { RoutingConfig } from '../../../../shared/config';
import { cloneConfig, routeListeners } from './route-edits';
import { isAppNode } from './route-map-apps';

export type MapEdit = { ok: true; config: RoutingConfig } | { ok: false; reason: string };

function parseId(id: string): { kind: string; key: string } {
  const at = id.indexOf(':');
  return { kind: id.slice(0, at), key: id.slice(at + 1) };
}

/** Why the map refuses a gesture on an app's nodes. */
const APP_READ_ONLY =
  "an app's route is not in the routing file: it serves every listener while the app is known, and its members are the app's instances (see Apps)";

/** Whether a line may be drawn from `source` to `target` (listener→route, route→balancer). */
export function canConnect(source: string, target: string): boolean {
  const s = parseId(source).kind;
  const t = parseId(target).kind;
  return (s === 'listener' && t === 'route') || (s === 'route' && t === 'balancer');
}

export function connect(config: RoutingConfig, source: string, target: string): MapEdit {
  const s = parseId(source);
  const t = parseId(target);
  if (s.kind === 'listener' && t.kind === 'route') {
    const index = Number(t.key);
    const route = config.routes[index];
    if (!route) return { ok: false, reason: `there is no route ${index + 1}` };
    if (route.match.listeners === undefined) {
      return { ok: false, reason: `route ${route.name} already serves every listener` };
    }
    if (route.match.listeners.includes(s.key)) {
      return { ok: false, reason: `route ${route.name} already serves ${s.key}` };
    }
    const next = cloneConfig(config);
    next.routes[index]!.match.listeners = [...route.match.listeners, s.key];
    return { ok: true, config: next };
  }
  if (s.kind === 'route' && t.kind === 'balancer') {
    const index = Number(s.key);
    const route = config.routes[index];
    if (!route) return { ok: false, reason: `there is no route ${index + 1}` };
    const next = cloneConfig(config);
    const edited = next.routes[index]!;
    edited.to = `balancer://${t.key}/`;
    // A route does one thing: sending it to a balancer replaces a redirect or an answer.
    delete edited.redirect;
    delete edited.respond;
    return { ok: true, config: next };
  }
  if (isAppNode(source) || isAppNode(target)) return { ok: false, reason: APP_READ_ONLY };
  return { ok: false, reason: 'connect a listener to a route, or a route to a balancer' };
}

/** Remove the line `listener:L->route:i`: the route stops serving listener L. */
export function disconnect(config: RoutingConfig, source: string, target: string): MapEdit {
  const s = parseId(source);
  const t = parseId(target);
  if (isAppNode(source) || isAppNode(target)) return { ok: false, reason: APP_READ_ONLY };
  if (s.kind !== 'listener' || t.kind !== 'route') {
    return { ok: false, reason: 'only the lines from listeners to routes can be removed' };
  }
  const index = Number(t.key);
  const route = config.routes[index];
  if (!route) return { ok: false, reason: `there is no route ${index + 1}` };
  const remaining = routeListeners(config, route).filter((l) => l !== s.key);
  if (remaining.length === 0) {
    return {
      ok: false,
      reason: `route ${route.name} needs at least one listener; delete the route instead`,
    };
  }
  const next = cloneConfig(config);
  next.routes[index]!.match.listeners = remaining;
  return { ok: true, config: next };
}
